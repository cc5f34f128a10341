package atlassian

import (
	"context"
	"net/http"
	"net/url"
)

// LinkType is a kind of issue link: "Blocks" reads "blocks" outward and
// "is blocked by" inward.
type LinkType struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Inward  string `json:"inward"`
	Outward string `json:"outward"`
}

// LinkTypes lists the issue link types (GET /rest/api/2/issueLinkType).
func (s *MetaService) LinkTypes(ctx context.Context) ([]LinkType, *Response, error) {
	var out struct {
		IssueLinkTypes []LinkType `json:"issueLinkTypes"`
	}
	resp, err := s.get(ctx, "rest/api/2/issueLinkType", nil, &out)
	if err != nil {
		return nil, nil, err
	}
	return out.IssueLinkTypes, resp, nil
}

// LinkInput links two issues: Inward <Type's outward words> Outward, e.g.
// with Blocks "Inward blocks Outward". Comment, if set, is added to the
// outward issue, as Jira does.
type LinkInput struct {
	Type    string
	Inward  string
	Outward string
	Comment string
}

// Link creates an issue link (POST /rest/api/2/issueLink).
func (s *IssueService) Link(ctx context.Context, in LinkInput) (*Response, error) {
	type ref struct {
		Key  string `json:"key,omitempty"`
		Name string `json:"name,omitempty"`
	}
	body := map[string]any{"type": ref{Name: in.Type}, "inwardIssue": ref{Key: in.Inward}, "outwardIssue": ref{Key: in.Outward}}
	if in.Comment != "" {
		body["comment"] = map[string]string{"body": in.Comment}
	}
	return (*service)(s).send(ctx, http.MethodPost, "rest/api/2/issueLink", nil, body, nil)
}

// DeleteLink removes the issue link id (DELETE /rest/api/2/issueLink/{id}).
func (s *IssueService) DeleteLink(ctx context.Context, id string) (*Response, error) {
	return (*service)(s).send(ctx, http.MethodDelete, "rest/api/2/issueLink/"+url.PathEscape(id), nil, nil, nil)
}

// RemoteLink is a web link of an issue.
type RemoteLink struct {
	ID           int64  `json:"id"`
	Relationship string `json:"relationship,omitempty"`
	Object       struct {
		URL     string `json:"url"`
		Title   string `json:"title"`
		Summary string `json:"summary,omitempty"`
	} `json:"object"`
}

// RemoteLinks lists the web links of issue key (GET .../remotelink).
func (s *IssueService) RemoteLinks(ctx context.Context, key string) ([]RemoteLink, *Response, error) {
	var ls []RemoteLink
	resp, err := (*service)(s).get(ctx, issuePath(key, "remotelink"), nil, &ls)
	if err != nil {
		return nil, nil, err
	}
	return ls, resp, nil
}

// AddRemoteLink adds a web link to issue key (POST .../remotelink) and
// returns its id.
func (s *IssueService) AddRemoteLink(ctx context.Context, key, linkURL, title, relationship string) (int64, *Response, error) {
	body := map[string]any{"object": map[string]string{"url": linkURL, "title": title}}
	if relationship != "" {
		body["relationship"] = relationship
	}
	var out struct {
		ID int64 `json:"id"`
	}
	resp, err := (*service)(s).send(ctx, http.MethodPost, issuePath(key, "remotelink"), nil, body, &out)
	if err != nil {
		return 0, nil, err
	}
	return out.ID, resp, nil
}
