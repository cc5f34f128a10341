package mcp

import (
	"context"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// --- jira_search_users

type searchUsersArgs struct {
	Query      string `json:"query" jsonschema_description:"Start of a name, user name or e-mail, e.g. grace."`
	IssueKey   string `json:"issue_key,omitempty" jsonschema_description:"Only people who may be assigned this issue."`
	ProjectKey string `json:"project_key,omitempty" jsonschema_description:"Only people who may be assigned issues of this project."`
	Limit      int    `json:"limit,omitempty" jsonschema_description:"Results, 1-50 (default 10)."`
}

func (s *Server) jiraSearchUsers() tool {
	return readTool("jira", "jira_search_users", "Find Jira users",
		"Find Jira users by the start of their name, user name or e-mail; with issue_key or project_key only those who may be assigned there. "+
			"Returns columns and a row per user: name (what assignee and reporter take), display name, e-mail.",
		func(ctx context.Context, a searchUsersArgs) (*mcpgo.CallToolResult, error) {
			query := strings.TrimSpace(a.Query)
			if query == "" {
				return nil, argError("query is empty: give the start of a name, user name or e-mail, e.g. grace")
			}
			limit, err := bounded("limit", a.Limit, 10, 50)
			if err != nil {
				return nil, err
			}
			opts := atlassian.UserSearchOptions{Query: query, MaxResults: limit}
			subject := "the user search"
			switch {
			case a.IssueKey != "" && a.ProjectKey != "":
				return nil, argError("give issue_key or project_key, not both")
			case a.IssueKey != "":
				if opts.IssueKey, err = s.checkIssue(ctx, a.IssueKey); err != nil {
					return nil, err
				}
				subject = "issue " + opts.IssueKey
			case a.ProjectKey != "":
				opts.ProjectKey = strings.ToUpper(strings.TrimSpace(a.ProjectKey))
				if !s.projects.allows(opts.ProjectKey) {
					return nil, s.projects.refuse("project " + opts.ProjectKey)
				}
				subject = "project " + opts.ProjectKey
			}
			us, _, err := s.jira.Meta.SearchUsers(ctx, opts)
			if err != nil {
				return nil, serverError(err, subject, "")
			}
			out := struct {
				Columns []string   `json:"columns"`
				Users   [][]string `json:"users"`
			}{Columns: []string{"name", "display_name", "email"}, Users: [][]string{}}
			for _, u := range us {
				if !u.Active {
					continue // cannot be assigned or mentioned
				}
				out.Users = append(out.Users, []string{u.Name, text(u.DisplayName), u.EmailAddress})
			}
			return jsonResult(out)
		})
}
