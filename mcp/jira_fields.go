package mcp

import (
	"context"
	"slices"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// --- jira_search_fields

type searchFieldsArgs struct {
	Query      string `json:"query" jsonschema_description:"Field name or part of it, typos forgiven, e.g. story points."`
	ProjectKey string `json:"project_key,omitempty" jsonschema_description:"With issue_type: add each field's allowed values there."`
	IssueType  string `json:"issue_type,omitempty" jsonschema_description:"Issue type name, with project_key."`
}

// maxFieldHits bounds the fields a search returns.
const maxFieldHits = 15

func (s *Server) jiraSearchFields() tool {
	return readTool("jira", "jira_search_fields", "Find Jira fields by name",
		"Find Jira fields by name (typos forgiven), best match first: columns id, name, type, jql (the JQL clause name); with project_key and issue_type also allowed values of option fields. Use an id in jira_get_issue fields or jira_update_issue fields.",
		func(ctx context.Context, a searchFieldsArgs) (*mcpgo.CallToolResult, error) {
			query := strings.ToLower(strings.Join(strings.Fields(a.Query), " "))
			if query == "" {
				return nil, argError("query is empty: give a field name or part of it, e.g. story points")
			}
			if (a.ProjectKey == "") != (a.IssueType == "") {
				return nil, argError("give project_key and issue_type together (for allowed values), or neither")
			}
			all, err := s.jiraFields.get(ctx, s.jira)
			if err != nil {
				return nil, serverError(err, "the field list", "")
			}
			type hit struct {
				f     atlassian.Field
				score int
			}
			var hits []hit
			for _, f := range all {
				if sc, ok := fieldScore(query, f); ok {
					hits = append(hits, hit{f, sc})
				}
			}
			slices.SortStableFunc(hits, func(x, y hit) int {
				if x.score != y.score {
					return x.score - y.score
				}
				return strings.Compare(strings.ToLower(x.f.Name), strings.ToLower(y.f.Name))
			})
			if len(hits) > maxFieldHits {
				hits = hits[:maxFieldHits]
			}
			var allowed map[string][]string
			if a.ProjectKey != "" {
				key, err := s.projectKey(a.ProjectKey)
				if err != nil {
					return nil, err
				}
				metas, err := s.jira.Meta.CreateFields(ctx, key, a.IssueType)
				if err != nil {
					return nil, serverError(err, "project "+key+" issue type "+a.IssueType, "")
				}
				allowed = map[string][]string{}
				for _, m := range metas {
					if !slices.ContainsFunc(hits, func(h hit) bool { return h.f.ID == m.FieldID }) {
						continue
					}
					for i, raw := range m.AllowedValues {
						if i == maxAllowed {
							allowed[m.FieldID] = append(allowed[m.FieldID], "…")
							break
						}
						allowed[m.FieldID] = append(allowed[m.FieldID], allowedValue(raw))
					}
				}
			}
			out := struct {
				Columns []string            `json:"columns"`
				Fields  [][]string          `json:"fields"`
				Allowed map[string][]string `json:"allowed,omitempty"`
			}{Columns: []string{"id", "name", "type", "jql"}, Fields: [][]string{}, Allowed: allowed}
			for _, h := range hits {
				typ := ""
				if h.f.Schema != nil {
					typ = h.f.Schema.Type
					if h.f.Schema.Items != "" {
						typ += "<" + h.f.Schema.Items + ">"
					}
				}
				jql := ""
				if len(h.f.ClauseNames) > 0 {
					jql = h.f.ClauseNames[0]
				}
				out.Fields = append(out.Fields, []string{h.f.ID, text(h.f.Name), typ, jql})
			}
			return jsonResult(out)
		})
}

// fieldScore ranks field f for query (lower is better): the name or id
// itself, then a name starting with it, containing it, containing each
// of its words, and last a name within a few typos of it.
func fieldScore(query string, f atlassian.Field) (int, bool) {
	name := strings.ToLower(f.Name)
	switch {
	case name == query || strings.ToLower(f.ID) == query:
		return 0, true
	case strings.HasPrefix(name, query):
		return 1, true
	case strings.Contains(name, query):
		return 2, true
	}
	words := strings.Fields(query)
	if len(words) > 1 && !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(name, w) }) {
		return 3, true
	}
	if d := editDistance(query, name); d <= max(1, len(query)/4) {
		return 4 + d, true
	}
	return 0, false
}
