package atlassian

import (
	"context"
	"net/http"
	"net/url"
)

// ProjectVersion is a Jira project version (a fix version or affected version).
type ProjectVersion struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Archived    bool   `json:"archived"`
	Released    bool   `json:"released"`
	ReleaseDate string `json:"releaseDate,omitempty"` // 2006-01-02
	ProjectID   int64  `json:"projectId,omitempty"`
}

// Component is a project component.
type Component struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Lead        *JiraUser `json:"lead,omitempty"`
}

// Versions lists a project's versions (GET /rest/api/2/project/{key}/versions).
func (s *ProjectService) Versions(ctx context.Context, key string) ([]ProjectVersion, *Response, error) {
	var vs []ProjectVersion
	resp, err := (*service)(s).get(ctx, "rest/api/2/project/"+url.PathEscape(key)+"/versions", nil, &vs)
	if err != nil {
		return nil, nil, err
	}
	return vs, resp, nil
}

// Components lists a project's components (GET /rest/api/2/project/{key}/components).
func (s *ProjectService) Components(ctx context.Context, key string) ([]Component, *Response, error) {
	var cs []Component
	resp, err := (*service)(s).get(ctx, "rest/api/2/project/"+url.PathEscape(key)+"/components", nil, &cs)
	if err != nil {
		return nil, nil, err
	}
	return cs, resp, nil
}

// VersionInput creates a version in the project ProjectKey.
type VersionInput struct {
	ProjectKey  string `json:"project"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	ReleaseDate string `json:"releaseDate,omitempty"` // 2006-01-02
	Released    bool   `json:"released,omitempty"`
}

// CreateVersion creates a version (POST /rest/api/2/version).
func (s *ProjectService) CreateVersion(ctx context.Context, in VersionInput) (*ProjectVersion, *Response, error) {
	var v ProjectVersion
	resp, err := (*service)(s).send(ctx, http.MethodPost, "rest/api/2/version", nil, in, &v)
	if err != nil {
		return nil, nil, err
	}
	return &v, resp, nil
}
