package mcp

import (
	"context"
	"strings"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// projectKey normalises a project key argument and applies JIRA_PROJECTS.
func (s *Server) projectKey(k string) (string, error) {
	key := strings.ToUpper(strings.TrimSpace(k))
	if key == "" {
		return "", argError("project_key is empty: give a key such as OPS (see jira_get_projects)")
	}
	if !s.projects.allows(key) {
		return "", s.projects.refuse("project " + key)
	}
	return key, nil
}

// --- jira_get_versions

type getVersionsArgs struct {
	ProjectKey string `json:"project_key" jsonschema_description:"Project key, e.g. OPS."`
	Unreleased bool   `json:"unreleased,omitempty" jsonschema_description:"Only versions not released yet."`
}

func (s *Server) jiraGetVersions() tool {
	return readTool("jira", "jira_get_versions", "List Jira project versions",
		"List a project's versions (fix versions), archived ones left out: columns id, name, released, release date. Names go in fixVersion JQL and fields.",
		func(ctx context.Context, a getVersionsArgs) (*mcpgo.CallToolResult, error) {
			key, err := s.projectKey(a.ProjectKey)
			if err != nil {
				return nil, err
			}
			vs, _, err := s.jira.Projects.Versions(ctx, key)
			if err != nil {
				return nil, serverError(err, "project "+key, "")
			}
			out := struct {
				Columns  []string `json:"columns"`
				Versions [][]any  `json:"versions"`
			}{Columns: []string{"id", "name", "released", "release_date"}, Versions: [][]any{}}
			for _, v := range vs {
				if v.Archived || a.Unreleased && v.Released {
					continue
				}
				out.Versions = append(out.Versions, []any{v.ID, text(v.Name), v.Released, v.ReleaseDate})
			}
			return jsonResult(out)
		})
}

// --- jira_get_components

type projectArgs struct {
	ProjectKey string `json:"project_key" jsonschema_description:"Project key, e.g. OPS."`
}

func (s *Server) jiraGetComponents() tool {
	return readTool("jira", "jira_get_components", "List Jira project components",
		"List a project's components: columns id, name, lead. Names go in component JQL and the components field.",
		func(ctx context.Context, a projectArgs) (*mcpgo.CallToolResult, error) {
			key, err := s.projectKey(a.ProjectKey)
			if err != nil {
				return nil, err
			}
			cs, _, err := s.jira.Projects.Components(ctx, key)
			if err != nil {
				return nil, serverError(err, "project "+key, "")
			}
			out := struct {
				Columns    []string   `json:"columns"`
				Components [][]string `json:"components"`
			}{Columns: []string{"id", "name", "lead"}, Components: [][]string{}}
			for _, c := range cs {
				out.Components = append(out.Components, []string{c.ID, text(c.Name), userName(c.Lead)})
			}
			return jsonResult(out)
		})
}

// --- jira_create_version

type createVersionArgs struct {
	ProjectKey  string `json:"project_key" jsonschema_description:"Project key, e.g. OPS."`
	Name        string `json:"name" jsonschema_description:"Version name, e.g. 2026.1."`
	ReleaseDate string `json:"release_date,omitempty" jsonschema_description:"Planned release date, YYYY-MM-DD."`
	Description string `json:"description,omitempty" jsonschema_description:"Short description."`
}

func (s *Server) jiraCreateVersion() tool {
	return writeTool("jira", "jira_create_version", "Create a Jira project version",
		"Create an unreleased version in a project, e.g. to use as a fix version. Returns its id and name.",
		false, false,
		func(ctx context.Context, a createVersionArgs) (*mcpgo.CallToolResult, error) {
			key, err := s.projectKey(a.ProjectKey)
			if err != nil {
				return nil, err
			}
			name := strings.TrimSpace(a.Name)
			if name == "" {
				return nil, argError("name is empty: give the version's name, e.g. 2026.1")
			}
			if a.ReleaseDate != "" {
				if _, err := time.Parse(time.DateOnly, a.ReleaseDate); err != nil {
					return nil, argError("release_date %q is not a date: use YYYY-MM-DD, e.g. 2026-03-31", quoteInput(a.ReleaseDate))
				}
			}
			v, _, err := s.jira.Projects.CreateVersion(ctx, atlassian.VersionInput{ProjectKey: key, Name: name,
				ReleaseDate: a.ReleaseDate, Description: a.Description})
			if err != nil {
				return nil, serverError(err, "project "+key, "a version of that name may exist already: see jira_get_versions")
			}
			return jsonResult(struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			}{v.ID, text(v.Name)})
		})
}
