package atlassian

import (
	"context"
	"net/url"
	"strconv"
)

// UserSearchOptions select Jira users: by Query (matched by Jira against
// the start of the user name, of any word of the display name, and of
// the e-mail address), and, with IssueKey or ProjectKey, only those who
// may be assigned there.
type UserSearchOptions struct {
	Query      string
	IssueKey   string
	ProjectKey string
	StartAt    int
	MaxResults int
}

// SearchUsers finds Jira users (GET /rest/api/2/user/search, or
// user/assignable/search with an issue or project).
func (s *MetaService) SearchUsers(ctx context.Context, opts UserSearchOptions) ([]JiraUser, *Response, error) {
	q := url.Values{}
	q.Set("username", opts.Query)
	path := "rest/api/2/user/search"
	if opts.IssueKey != "" || opts.ProjectKey != "" {
		path = "rest/api/2/user/assignable/search"
		if opts.IssueKey != "" {
			q.Set("issueKey", opts.IssueKey)
		} else {
			q.Set("project", opts.ProjectKey)
		}
	}
	if opts.StartAt > 0 {
		q.Set("startAt", strconv.Itoa(opts.StartAt))
	}
	if opts.MaxResults > 0 {
		q.Set("maxResults", strconv.Itoa(opts.MaxResults))
	}
	var us []JiraUser
	resp, err := s.get(ctx, path, q, &us)
	if err != nil {
		return nil, nil, err
	}
	return us, resp, nil
}
