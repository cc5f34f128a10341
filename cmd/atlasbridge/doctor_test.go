package main

import (
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

func TestDoctor(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 5})
	tests := []struct {
		name     string
		env      map[string]string
		wantCode int
		want     []string
	}{
		{"healthy servers, empty index", map[string]string{
			"CONFLUENCE_BASE_URL": srv.ConfluenceURL(), "CONFLUENCE_PERSONAL_TOKEN": "admin-token",
			"JIRA_BASE_URL": srv.JiraURL(), "JIRA_USERNAME": "admin", "JIRA_API_TOKEN": "admin",
		}, 1, []string{"✓ confluence auth", "as admin (personal access token)", "✓ jira server", "9.12.0", "✓ jira auth", "✗ index", "run atlasbridge sync"}},
		{"wrong token", map[string]string{
			"JIRA_BASE_URL": srv.JiraURL(), "JIRA_PERSONAL_TOKEN": "wrong-secret-token",
		}, 1, []string{"✓ jira server", "✗ jira auth", "wrong credentials (401)", "JIRA_PERSONAL_TOKEN"}},
		{"wrong context path", map[string]string{
			"CONFLUENCE_BASE_URL": srv.URL + "/wiki", "CONFLUENCE_PERSONAL_TOKEN": "admin-token",
		}, 1, []string{"✗ confluence auth", "context path"}},
		{"nothing configured", map[string]string{}, 1, []string{"✗ configuration", "CONFLUENCE_BASE_URL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["ATLASBRIDGE_DATA_DIR"] = t.TempDir()
			var out, errb strings.Builder
			code := run(t.Context(), []string{"doctor", "--timeout", "5s"}, envOf(tc.env), nil, &out, &errb)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String()+errb.String(), "wrong-secret-token") {
				t.Error("a token was printed")
			}
		})
	}
}
