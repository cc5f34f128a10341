package sim

import (
	"net/http"
	"testing"
)

func TestGroupMembers(t *testing.T) {
	srv, _ := testServer(t, Options{})
	base := srv.ConfluenceURL() + "/rest/api/group/"
	for _, tc := range []struct {
		name, path string
		code       int
		want       string // a username among the results
		absent     string // one that must not be
	}{
		{"account in its group", "confluence-administrators/member", http.StatusOK, "admin", "alice"},
		{"default group has accounts and people", "confluence-users/member", http.StatusOK, "grace.sre", "admin"},
		{"unknown group", "no-such-group/member", http.StatusNotFound, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, call{url: base + tc.path, auth: "alice"})
			if r.code != tc.code {
				t.Fatalf("status %d, want %d: %s", r.code, tc.code, r.raw)
			}
			if tc.code != http.StatusOK {
				return
			}
			m := r.obj(t)
			names := map[string]map[string]any{}
			for _, u := range m["results"].([]any) {
				o := u.(map[string]any)
				names[o["username"].(string)] = o
			}
			if names[tc.want] == nil || names[tc.absent] != nil {
				t.Fatalf("members %v: want %s, not %s", names, tc.want, tc.absent)
			}
			if u := names[tc.want]; u["type"] != "known" || u["userKey"] == "" || u["displayName"] == tc.want && tc.want == "grace.sre" {
				t.Errorf("user object %v: want type known, a userKey and the display name", u)
			}
		})
	}
	// A member without an account is a user like the others: found by the key the list gave.
	m := do(t, call{url: base + "confluence-users/member?limit=200", auth: "alice"}).obj(t)
	key := ""
	for _, u := range m["results"].([]any) {
		if o := u.(map[string]any); o["username"] == "grace.sre" {
			key = o["userKey"].(string)
		}
	}
	u := do(t, call{url: srv.ConfluenceURL() + "/rest/api/user?key=" + key, auth: "alice"})
	if u.code != http.StatusOK || u.obj(t)["displayName"] != "Grace Singh" {
		t.Fatalf("user by key %q: %d %s", key, u.code, u.raw)
	}
	// Paging: start/limit and a next link while more remain.
	m = do(t, call{url: base + "confluence-users/member?limit=2", auth: "alice"}).obj(t)
	if m["size"].(float64) != 2 || dig(t, m, "_links", "next") == nil {
		t.Fatalf("limit=2: size %v, next %v", m["size"], m["_links"])
	}
}
