package sim

import (
	"errors"
	"net/url"
	"testing"
	"time"
)

// A moved issue keeps its id, takes the next key of its new project and
// still answers under its old key, as Jira's historical keys do.
func TestMoveIssue(t *testing.T) {
	srv, clk := testServer(t, Options{JiraIssues: -1})
	a, err := srv.AddIssue(Issue{Project: "OPS", Summary: "VPN drops", Components: []string{"VPN"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddIssue(Issue{Project: "WEB", Summary: "Login slow"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	moved, err := srv.MoveIssue(a.Key, "WEB")
	if err != nil {
		t.Fatal(err)
	}
	if moved.Key != "WEB-2" || moved.ID != a.ID || moved.Project != "WEB" || len(moved.Components) != 0 {
		t.Fatalf("moved: %+v", moved)
	}
	if !moved.Updated.After(a.Updated) {
		t.Errorf("move did not change updated: %v then %v", a.Updated, moved.Updated)
	}
	if _, err := srv.MoveIssue("OPS-99", "WEB"); !errors.Is(err, ErrNotFound) {
		t.Errorf("move of a missing issue: %v", err)
	}
	if _, err := srv.MoveIssue("WEB-2", "NOPE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("move to a missing project: %v", err)
	}

	api := srv.JiraURL() + "/rest/api/2/"
	// The old key answers the issue under its new key.
	got := do(t, call{url: api + "issue/OPS-1?expand=changelog", auth: "admin"})
	if got.code != 200 {
		t.Fatalf("GET old key: %d %s", got.code, got.raw)
	}
	o := got.obj(t)
	if o["key"] != "WEB-2" || o["id"] != a.ID {
		t.Errorf("old key answered %v %v", o["key"], o["id"])
	}
	items := dig(t, o, "changelog", "histories", 0, "items").([]any)
	if len(items) != 2 || dig(t, items[0], "field") != "Key" || dig(t, items[0], "fromString") != "OPS-1" ||
		dig(t, items[0], "toString") != "WEB-2" || dig(t, items[1], "field") != "project" {
		t.Errorf("changelog of the move: %v", items)
	}

	for _, tc := range []struct {
		jql  string
		want []string
	}{
		{"project = OPS", nil},
		{"project = WEB ORDER BY key ASC", []string{"WEB-1", "WEB-2"}},
		{"key = OPS-1", []string{"WEB-2"}},
		{"project = WEB ORDER BY updated ASC, key ASC", []string{"WEB-1", "WEB-2"}},
	} {
		r := do(t, call{url: api + "search?fields=summary&jql=" + url.QueryEscape(tc.jql), auth: "admin"})
		var keys []string
		for _, is := range dig(t, r.obj(t), "issues").([]any) {
			keys = append(keys, dig(t, is, "key").(string))
		}
		if len(keys) != len(tc.want) || (len(keys) > 0 && keys[0] != tc.want[0]) || (len(keys) > 1 && keys[1] != tc.want[1]) {
			t.Errorf("%s: %v, want %v", tc.jql, keys, tc.want)
		}
	}
	if err := srv.DeleteIssue("OPS-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.GetIssue("WEB-2"); err == nil {
		t.Error("deleted by its old key, still readable by its new one")
	}
}
