package sim

import (
	"net/http"
	"testing"
)

// Requests without usable credentials: served as anonymous where the instance allows anonymous
// access, and anonymous sees nothing by default.
func TestAnonymousAnswers(t *testing.T) {
	users := DefaultUsers()
	users = append(users, User{Name: "carol", Password: "carol", LoginDenied: true})
	for _, tc := range []struct {
		name       string
		opts       Options
		auth, path string
		method     string
		code       int
		user       string // X-AUSERNAME
		reason     string // X-Seraph-LoginReason
		check      func(t *testing.T, r reply)
	}{
		{name: "no anonymous access: 401", auth: "", path: "/confluence/rest/api/space", code: 401, user: "anonymous"},
		{name: "anonymous lists no space", opts: Options{AnonymousRead: true}, path: "/confluence/rest/api/space", code: 200, user: "anonymous",
			check: func(t *testing.T, r reply) { wantSize(t, r.obj(t)["size"], 0) }},
		{name: "anonymous finds no page", opts: Options{AnonymousRead: true}, path: "/confluence/rest/api/content/search?cql=type%3Dpage", code: 200, user: "anonymous",
			check: func(t *testing.T, r reply) { wantSize(t, r.obj(t)["size"], 0) }},
		{name: "anonymous current user", opts: Options{AnonymousRead: true}, path: "/confluence/rest/api/user/current", code: 200, user: "anonymous",
			check: func(t *testing.T, r reply) {
				if m := r.obj(t); m["type"] != "anonymous" || m["username"] != nil {
					t.Errorf("current user %v", m)
				}
			}},
		{name: "anonymous gets no space", opts: Options{AnonymousRead: true}, path: "/confluence/rest/api/space/ENG", code: 404, user: "anonymous"},
		{name: "anonymous lists no project", opts: Options{AnonymousRead: true}, path: "/jira/rest/api/2/project", code: 200, user: "anonymous",
			check: func(t *testing.T, r reply) {
				if l := r.list(t); len(l) != 0 {
					t.Errorf("%d projects", len(l))
				}
			}},
		{name: "anonymous finds no issue", opts: Options{AnonymousRead: true}, path: "/jira/rest/api/2/search?jql=order+by+key", code: 200, user: "anonymous",
			check: func(t *testing.T, r reply) { wantSize(t, r.obj(t)["total"], 0) }},
		{name: "anonymous has no myself", opts: Options{AnonymousRead: true}, path: "/jira/rest/api/2/myself", code: 401, user: "anonymous"},
		{name: "anonymous may not write", opts: Options{AnonymousRead: true}, method: http.MethodPost, path: "/jira/rest/api/2/issue", code: 401, user: "anonymous"},
		{name: "bearer before PATs is anonymous", opts: Options{AnonymousRead: true, NoPAT: true}, auth: "bearer:admin-token", path: "/jira/rest/api/2/project", code: 200, user: "anonymous",
			check: func(t *testing.T, r reply) {
				if l := r.list(t); len(l) != 0 {
					t.Errorf("%d projects", len(l))
				}
			}},
		{name: "bearer before PATs, no anonymous access", opts: Options{NoPAT: true}, auth: "bearer:admin-token", path: "/jira/rest/api/2/project", code: 401, user: "anonymous"},
		{name: "bearer with PATs", opts: Options{AnonymousRead: true}, auth: "bearer:admin-token", path: "/jira/rest/api/2/project", code: 200, user: "admin"},
		{name: "blocked login is anonymous with a reason", opts: Options{AnonymousRead: true, Users: users}, auth: "basic:carol:carol", path: "/confluence/rest/api/space", code: 200, user: "anonymous", reason: "AUTHENTICATION_DENIED",
			check: func(t *testing.T, r reply) { wantSize(t, r.obj(t)["size"], 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.JiraIssues = 5
			srv, _ := testServer(t, tc.opts)
			r := do(t, call{method: tc.method, url: srv.URL + tc.path, auth: tc.auth})
			if r.code != tc.code {
				t.Fatalf("%s: HTTP %d, want %d: %s", tc.path, r.code, tc.code, r.raw)
			}
			if got := r.header.Get("X-AUSERNAME"); got != tc.user {
				t.Errorf("X-AUSERNAME = %q, want %q", got, tc.user)
			}
			if got := r.header.Get("X-Seraph-LoginReason"); tc.reason != "" && got != tc.reason {
				t.Errorf("X-Seraph-LoginReason = %q, want %q", got, tc.reason)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func wantSize(t *testing.T, got any, want float64) {
	t.Helper()
	if got != want {
		t.Errorf("size %v, want %v", got, want)
	}
}
