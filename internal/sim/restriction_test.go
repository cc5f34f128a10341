package sim

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// PUT …/restriction replaces a page's restrictions, in either body shape, without a new version;
// restrictions inherit to child pages and comments; only an editor may set them.
func TestPutRestrictions(t *testing.T) {
	srv, clk := testServer(t, Options{JiraIssues: -1})
	parent, err := srv.AddPage(Page{Space: "ENG", Title: "Parent", Body: "<p>p</p>"})
	if err != nil {
		t.Fatal(err)
	}
	child, err := srv.AddPage(Page{Space: "ENG", Title: "Child", ParentID: parent.ID, Body: "<p>c</p>"})
	if err != nil {
		t.Fatal(err)
	}
	comment, err := srv.AddPage(Page{Type: "comment", ParentID: child.ID, Body: "<p>note</p>"})
	if err != nil {
		t.Fatal(err)
	}
	conf := srv.ConfluenceURL()
	version := func(id string) (float64, string) {
		m := do(t, call{url: conf + "/rest/api/content/" + id + "?expand=version", auth: "admin"}).obj(t)
		return dig(t, m, "version", "number").(float64), dig(t, m, "version", "when").(string)
	}
	put := func(path, auth string, body any) reply {
		return do(t, call{method: http.MethodPut, url: conf + path, auth: auth, body: body})
	}
	sees := func(auth, id string) bool {
		return do(t, call{url: conf + "/rest/api/content/" + id, auth: auth}).code == http.StatusOK
	}
	n0, when0 := version(parent.ID)
	clk.Advance(time.Minute)

	// Inline arrays: read for admin and the group hr.
	r := put("/rest/api/content/"+parent.ID+"/restriction", "alice", []any{
		map[string]any{"operation": "read", "restrictions": map[string]any{
			"user":  []any{map[string]any{"type": "known", "username": "admin"}},
			"group": []any{map[string]any{"type": "group", "name": "hr"}},
		}},
	})
	if r.code != http.StatusOK {
		t.Fatalf("PUT restriction: HTTP %d: %s", r.code, r.raw)
	}
	if n, when := version(parent.ID); n != n0 || when != when0 {
		t.Errorf("restricting made a new version: %v %s, was %v %s", n, when, n0, when0)
	}
	for _, id := range []string{parent.ID, child.ID, comment.ID} {
		if sees("alice", id) {
			t.Errorf("alice sees %s under a parent restricted to admin and hr", id)
		}
		if !sees("admin", id) {
			t.Errorf("admin does not see %s", id)
		}
	}
	cql := url.QueryEscape(`id = ` + child.ID)
	if m := do(t, call{url: conf + "/rest/api/content/search?cql=" + cql, auth: "alice"}).obj(t); m["size"] != 0.0 {
		t.Errorf("alice finds the child by CQL: %v", m["size"])
	}
	read := do(t, call{url: conf + "/rest/api/content/" + parent.ID + "/restriction/byOperation/read", auth: "admin"}).obj(t)
	if u := dig(t, read, "restrictions", "user", "results", 0, "username"); u != "admin" {
		t.Errorf("byOperation/read user = %v", u)
	}
	if g := dig(t, read, "restrictions", "group", "results", 0, "name"); g != "hr" {
		t.Errorf("byOperation/read group = %v", g)
	}
	anc := do(t, call{url: conf + "/rest/api/content/" + child.ID + "?expand=ancestors.restrictions.read.restrictions.user,ancestors.restrictions.read.restrictions.group", auth: "admin"}).obj(t)
	ancestors := anc["ancestors"].([]any)
	last := ancestors[len(ancestors)-1]
	if u := dig(t, last, "restrictions", "read", "restrictions", "user", "results", 0, "username"); u != "admin" {
		t.Errorf("ancestor's read restriction user = %v", u)
	}

	// The shape of the GET answer, on the experimental path: replaces read with update only.
	r = put("/rest/experimental/content/"+parent.ID+"/restriction", "admin", map[string]any{
		"update": map[string]any{"operation": "update", "restrictions": map[string]any{
			"user": map[string]any{"results": []any{map[string]any{"type": "known", "username": "admin"}}, "size": 1},
		}},
	})
	if r.code != http.StatusOK {
		t.Fatalf("PUT experimental restriction: HTTP %d: %s", r.code, r.raw)
	}
	if !sees("alice", child.ID) {
		t.Error("the read restriction was not replaced")
	}
	// alice may read but not edit now: she may not set restrictions.
	if r := put("/rest/api/content/"+parent.ID+"/restriction", "alice", []any{}); r.code != http.StatusForbidden {
		t.Errorf("non-editor PUT restriction: HTTP %d, want 403", r.code)
	}
	if r := put("/rest/api/content/"+parent.ID+"/restriction", "admin", []any{map[string]any{"operation": "read", "restrictions": map[string]any{"user": []any{map[string]any{"username": "nobody"}}}}}); r.code != http.StatusBadRequest {
		t.Errorf("unknown user: HTTP %d, want 400", r.code)
	}
}

// An update restriction, the page's own or an ancestor's, refuses a page
// update (PUT content) by anyone it leaves out; those it names may edit.
func TestUpdateRestrictionGuardsPageUpdates(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: -1})
	parent, err := srv.AddPage(Page{Space: "ENG", Title: "Runbook index", Body: "<p>p</p>"})
	if err != nil {
		t.Fatal(err)
	}
	child, err := srv.AddPage(Page{Space: "ENG", Title: "Failover runbook", ParentID: parent.ID, Body: "<p>c</p>"})
	if err != nil {
		t.Fatal(err)
	}
	conf := srv.ConfluenceURL() + "/rest/api/content/"
	r := do(t, call{method: http.MethodPut, url: conf + parent.ID + "/restriction", auth: "admin", body: []any{
		map[string]any{"operation": "update", "restrictions": map[string]any{
			"user": []any{map[string]any{"type": "known", "username": "admin"}}}},
	}})
	if r.code != http.StatusOK {
		t.Fatalf("PUT restriction: HTTP %d: %s", r.code, r.raw)
	}
	update := func(auth, id, title string, version float64) reply {
		return do(t, call{method: http.MethodPut, url: conf + id, auth: auth, body: map[string]any{
			"type": "page", "title": title, "version": map[string]any{"number": version},
			"body": map[string]any{"storage": map[string]any{"value": "<p>edited by " + auth + "</p>", "representation": "storage"}}}})
	}
	for _, id := range []string{parent.ID, child.ID} {
		// alice may still read the page, but not change it.
		if r := do(t, call{url: conf + id, auth: "alice"}); r.code != http.StatusOK {
			t.Fatalf("alice cannot read %s: %d", id, r.code)
		}
		title := dig(t, do(t, call{url: conf + id, auth: "admin"}).obj(t), "title").(string)
		if r := update("alice", id, title, 2); r.code != http.StatusForbidden {
			t.Errorf("alice's update of %s: HTTP %d, want 403: %s", id, r.code, r.raw)
		}
		if r := update("admin", id, title, 2); r.code != http.StatusOK {
			t.Errorf("admin's update of %s: HTTP %d: %s", id, r.code, r.raw)
		}
	}
}
