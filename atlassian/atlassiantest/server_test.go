package atlassiantest_test

import (
	"net/http"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

func TestNewServer(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 3, Seed: 1})
	is, err := srv.AddIssue(sim.Issue{Project: "OPS", Summary: "Added from Go"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, url string }{
		{"confluence", srv.ConfluenceURL() + "/rest/api/space"},
		{"jira", srv.JiraURL() + "/rest/api/2/issue/" + is.Key},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.SetBasicAuth("admin", "admin")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %s", tc.url, resp.Status)
			}
		})
	}
	if got := srv.Stats()["total"]; got != 2 {
		t.Errorf("stats total = %d, want the 2 requests above", got)
	}
}
