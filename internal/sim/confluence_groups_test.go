package sim

import (
	"strings"
	"testing"
)

// TestConfluenceMemberOf: GET /rest/api/user/memberof lists a user's
// groups as a page of group objects, for any signed-in caller.
func TestConfluenceMemberOf(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: -1, AnonymousRead: true})
	api := srv.ConfluenceURL() + "/rest/api/user/memberof?username="
	cases := []struct {
		name, url, auth string
		code            int
		contains        []string
	}{
		{"own groups", api + "alice", "bearer:alice-token", 200, []string{`"type":"group"`, `"name":"confluence-users"`, `"size":2`}},
		{"another user's", api + "admin", "bearer:alice-token", 200, []string{`"name":"confluence-administrators"`}},
		{"unknown user", api + "mallory", "bearer:alice-token", 404, []string{"mallory"}},
		{"no user named", api, "bearer:alice-token", 400, []string{"username"}},
		{"anonymous", api + "alice", "", 401, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, call{url: tc.url, auth: tc.auth})
			if r.code != tc.code {
				t.Fatalf("status %d, want %d: %s", r.code, tc.code, r.raw)
			}
			for _, want := range tc.contains {
				if !strings.Contains(string(r.raw), want) {
					t.Errorf("answer lacks %s: %s", want, r.raw)
				}
			}
		})
	}
}
