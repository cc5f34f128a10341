package sim

import (
	"net/http"
	"net/url"
	"testing"
)

// Issue security levels and comment visibility hide issues and comments from users outside them,
// in every read and search.
func TestJiraSecurityAndCommentVisibility(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: -1, SecurityLevels: map[string][]string{"Staff only": {"jira-administrators"}}})
	secret, err := srv.AddIssue(Issue{Project: "OPS", Summary: "payroll export"})
	if err != nil {
		t.Fatal(err)
	}
	open, err := srv.AddIssue(Issue{Project: "OPS", Summary: "printer jam"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetIssueSecurity(secret.Key, "Staff only"); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetIssueSecurity(open.Key, "No such level"); err == nil {
		t.Error("an unknown security level was accepted")
	}
	jira := srv.JiraURL() + "/rest/api/2/"
	for _, c := range []struct {
		body map[string]any
		code int
	}{
		{map[string]any{"body": "for admins", "visibility": map[string]any{"type": "role", "value": "Administrators"}}, http.StatusCreated},
		{map[string]any{"body": "for the admin group", "visibility": map[string]any{"type": "group", "value": "jira-administrators"}}, http.StatusCreated},
		{map[string]any{"body": "for all"}, http.StatusCreated},
		{map[string]any{"body": "bad role", "visibility": map[string]any{"type": "role", "value": "Nobody"}}, http.StatusBadRequest},
	} {
		if r := do(t, call{method: http.MethodPost, url: jira + "issue/" + open.Key + "/comment", auth: "admin", body: c.body}); r.code != c.code {
			t.Fatalf("add comment %v: HTTP %d, want %d: %s", c.body, r.code, c.code, r.raw)
		}
	}
	for _, tc := range []struct {
		user             string
		seesSecret       bool
		comments         float64
		searchHits       float64
		securityInFields bool
	}{
		{"admin", true, 3, 2, true},
		{"alice", false, 1, 1, false},
	} {
		t.Run(tc.user, func(t *testing.T) {
			r := do(t, call{url: jira + "issue/" + secret.Key + "?fields=summary,security", auth: tc.user})
			if (r.code == http.StatusOK) != tc.seesSecret {
				t.Fatalf("GET %s: HTTP %d", secret.Key, r.code)
			}
			if tc.securityInFields {
				if name := dig(t, r.obj(t), "fields", "security", "name"); name != "Staff only" {
					t.Errorf("fields.security.name = %v", name)
				}
			}
			m := do(t, call{url: jira + "search?jql=" + url.QueryEscape("project = OPS"), auth: tc.user}).obj(t)
			if m["total"] != tc.searchHits {
				t.Errorf("search total %v, want %v", m["total"], tc.searchHits)
			}
			cs := do(t, call{url: jira + "issue/" + open.Key + "/comment", auth: tc.user}).obj(t)
			if cs["total"] != tc.comments {
				t.Errorf("comments total %v, want %v", cs["total"], tc.comments)
			}
			f := do(t, call{url: jira + "issue/" + open.Key + "?fields=comment", auth: tc.user}).obj(t)
			if got := dig(t, f, "fields", "comment", "total"); got != tc.comments {
				t.Errorf("fields.comment.total %v, want %v", got, tc.comments)
			}
		})
	}
	cs := do(t, call{url: jira + "issue/" + open.Key + "/comment", auth: "admin"}).obj(t)
	if v := dig(t, cs, "comments", 0, "visibility"); v == nil || dig(t, v, "type") != "role" || dig(t, v, "value") != "Administrators" {
		t.Errorf("comment visibility %v, want the sample's {type: role, value: Administrators} shape", v)
	}
}

// JQL over comments reads only the comments the caller may see, and a
// user cannot comment on, or otherwise write to, an issue they cannot see.
func TestJiraSearchAndWritesRespectVisibility(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: -1, SecurityLevels: map[string][]string{"Staff only": {"jira-administrators"}}})
	is, err := srv.AddIssue(Issue{Project: "OPS", Summary: "printer jam"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := srv.AddIssue(Issue{Project: "OPS", Summary: "payroll export"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetIssueSecurity(secret.Key, "Staff only"); err != nil {
		t.Fatal(err)
	}
	jira := srv.JiraURL() + "/rest/api/2/"
	for _, body := range []map[string]any{
		{"body": "the toner code is zebrafish", "visibility": map[string]any{"type": "group", "value": "jira-administrators"}},
		{"body": "paper tray cleaned"},
	} {
		if r := do(t, call{method: http.MethodPost, url: jira + "issue/" + is.Key + "/comment", auth: "admin", body: body}); r.code != http.StatusCreated {
			t.Fatalf("add comment: %d %s", r.code, r.raw)
		}
	}
	total := func(user, jql string) float64 {
		r := do(t, call{url: jira + "search?fields=summary&jql=" + url.QueryEscape(jql), auth: user})
		return dig(t, r.obj(t), "total").(float64)
	}
	for _, tc := range []struct {
		user, jql string
		want      float64
	}{
		{"admin", `comment ~ "zebrafish"`, 1},
		{"alice", `comment ~ "zebrafish"`, 0},
		{"alice", `text ~ "zebrafish"`, 0},
		{"alice", `comment ~ "paper tray"`, 1},
		{"alice", `text ~ "printer"`, 1},
	} {
		if got := total(tc.user, tc.jql); got != tc.want {
			t.Errorf("%s: %s found %v, want %v", tc.user, tc.jql, got, tc.want)
		}
	}

	// Writes to an issue alice cannot see answer as for a missing issue.
	for _, c := range []call{
		{method: http.MethodPost, url: jira + "issue/" + secret.Key + "/comment", body: map[string]any{"body": "peek"}},
		{method: http.MethodPut, url: jira + "issue/" + secret.Key, body: map[string]any{"fields": map[string]any{"summary": "renamed"}}},
	} {
		c.auth = "alice"
		if r := do(t, c); r.code != http.StatusNotFound {
			t.Errorf("%s %s by alice: %d, want 404: %s", c.method, c.url, r.code, r.raw)
		}
	}
	if got, _ := srv.GetIssue(secret.Key); got.Summary != "payroll export" {
		t.Errorf("alice's edit went through: %q", got.Summary)
	}
	if r := do(t, call{method: http.MethodPost, url: jira + "issue/" + secret.Key + "/comment", auth: "admin", body: map[string]any{"body": "ok"}}); r.code != http.StatusCreated {
		t.Errorf("admin comment on the secret issue: %d", r.code)
	}
}
