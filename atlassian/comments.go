package atlassian

import (
	"context"
	"net/http"
	"net/url"
)

// UpdateComment replaces the body (wiki markup) of comment id of issue key
// (PUT /rest/api/2/issue/{key}/comment/{id}); Jira lets the author, or a
// holder of "Edit All Comments", do it.
func (s *IssueService) UpdateComment(ctx context.Context, key, id, body string) (*Comment, *Response, error) {
	var c Comment
	resp, err := (*service)(s).send(ctx, http.MethodPut, issuePath(key, "comment/"+url.PathEscape(id)), nil, map[string]string{"body": body}, &c)
	if err != nil {
		return nil, nil, err
	}
	return &c, resp, nil
}

// Comment reads comment id of issue key with its raw wiki markup body
// (GET /rest/api/2/issue/{key}/comment/{id}): what an edit is applied to.
func (s *IssueService) Comment(ctx context.Context, key, id string) (*Comment, *Response, error) {
	return getJSON[Comment](ctx, (*service)(s), issuePath(key, "comment/"+url.PathEscape(id)), nil)
}
