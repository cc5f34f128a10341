package mcp

import (
	"context"
	"fmt"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// Confluence Server/DC has no user search in its REST API (/rest/api/search/user is Cloud only),
// so confluence_search_users reads the members of a group, 200 a request, and matches them here.
// maxMembersScanned bounds that to 10 requests a call.
const (
	defaultUserGroup  = "confluence-users" // every Confluence user is added to it by default
	memberPage        = 200                // the most a member list gives a request
	maxMembersScanned = 2000
)

// --- confluence_search_users

type confluenceUsersArgs struct {
	Query string `json:"query" jsonschema_description:"Start of a name or user name, e.g. grace."`
	Group string `json:"group,omitempty" jsonschema_description:"Group to look in (default confluence-users)."`
	Limit int    `json:"limit,omitempty" jsonschema_description:"Results, 1-50 (default 10)."`
}

func (s *Server) confluenceSearchUsers() tool {
	return readTool("confluence", "confluence_search_users", "Find Confluence users",
		"Find Confluence users by the start of their name or user name. Returns a row per user: key, user name, display name, and mention (the ⟦@key⟧ token that @mentions them in page and comment markdown).",
		func(ctx context.Context, a confluenceUsersArgs) (*mcpgo.CallToolResult, error) {
			query := strings.ToLower(strings.TrimSpace(a.Query))
			if query == "" {
				return nil, argError("query is empty: give the start of a name or user name, e.g. grace")
			}
			limit, err := bounded("limit", a.Limit, 10, 50)
			if err != nil {
				return nil, err
			}
			group := strings.TrimSpace(a.Group)
			if group == "" {
				group = defaultUserGroup
			}
			out := struct {
				Columns []string   `json:"columns"`
				Users   [][]string `json:"users"`
				Note    string     `json:"note,omitempty"`
			}{Columns: []string{"key", "name", "display_name", "mention"}, Users: [][]string{}}
			start := 0
			for start < maxMembersScanned && len(out.Users) < limit {
				page, _, err := s.conf.Users.GroupMembers(ctx, group, atlassian.ListOptions{Start: start, Limit: memberPage})
				if err != nil {
					return nil, serverError(err, "group "+group, "")
				}
				for _, u := range page.Results {
					if len(out.Users) < limit && u.UserKey != "" && userMatches(u, query) {
						out.Users = append(out.Users, []string{u.UserKey, u.Username, text(u.DisplayName), "⟦@" + u.UserKey + "⟧"})
					}
				}
				next, ok := page.Next()
				if !ok {
					break
				}
				start = next
			}
			if start >= maxMembersScanned && len(out.Users) < limit {
				out.Note = fmt.Sprintf("searched the first %d members of %s: give more of the name, or a smaller group", maxMembersScanned, quoteInput(group))
			}
			return jsonResult(out)
		})
}

// userMatches reports whether query (lower case) starts the user name or
// a word of the display name: how Jira's user search matches, so both
// products find the same people for the same words.
func userMatches(u atlassian.User, query string) bool {
	if strings.HasPrefix(strings.ToLower(u.Username), query) {
		return true
	}
	for _, w := range strings.Fields(strings.ToLower(u.DisplayName)) {
		if strings.HasPrefix(w, query) {
			return true
		}
	}
	return strings.HasPrefix(strings.ToLower(u.DisplayName), query)
}
