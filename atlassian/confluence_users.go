package atlassian

import (
	"context"
	"net/url"
)

// UserPage is one page of Confluence users.
type UserPage struct {
	Page
	Results []User `json:"results"`
}

// GroupMembers lists one page of a group's members (GET
// /rest/api/group/{name}/member). Confluence Server/DC has no user search
// in its REST API (/rest/api/search/user is Cloud only), so finding a
// person by name means reading the members of a group everyone is in.
func (s *ConfluenceUserService) GroupMembers(ctx context.Context, group string, opts ListOptions) (*UserPage, *Response, error) {
	return getJSON[UserPage](ctx, (*service)(s), "rest/api/group/"+url.PathEscape(group)+"/member", opts.values())
}
