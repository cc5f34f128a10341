package indexer

import (
	"context"
	"fmt"
	"testing"

	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// TestReadersFollowRestrictions: the index keeps who may read each page:
// the parent's restriction reaches its child, a second restriction on the
// child adds a level (a change of readers alone, with no new version and
// no change of the restricted flag), and readers that were unknown (an
// index from before readers were stored) are filled in by the permission
// pass.
func TestReadersFollowRestrictions(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: -1})
	parent := w.pages[testTitle("VPN setup")]
	child, err := w.srv.AddPage(sim.Page{Space: "ENG", Title: testTitle("VPN on Linux"), ParentID: parent, Body: "<p>wg-quick up</p>"})
	if err != nil {
		t.Fatal(err)
	}
	idx := w.open()
	ix := w.indexer(idx, func(o *Options) { o.ReconcileEvery, o.ReconcileAfter = -1, -1 })
	ctx := context.Background()
	readers := func(id string) (search.Readers, bool) {
		t.Helper()
		got, err := idx.Readers(ctx, []string{"confluence:" + id})
		if err != nil {
			t.Fatal(err)
		}
		r, ok := got["confluence:"+id]
		return r, ok
	}
	syncs := func() {
		// The permission pass's window moves on each sync; within a few
		// syncs of this small space every document was rechecked.
		for range 3 {
			w.sync(ix, RunOptions{})
		}
	}
	w.sync(ix, RunOptions{})
	if r, ok := readers(child.ID); !ok || r.Restricted() {
		t.Fatalf("child before any restriction: %+v (known %v), want known and open", r, ok)
	}

	if err := w.srv.RestrictPageToGroups(parent, "confluence-administrators"); err != nil {
		t.Fatal(err)
	}
	syncs()
	want := search.Readers{Levels: []search.ReadLevel{{Groups: []string{"confluence-administrators"}}}}
	if r, _ := readers(child.ID); !r.Equal(want) {
		t.Errorf("child under a restricted parent: readers %+v, want %+v", r, want)
	}

	if err := w.srv.RestrictPage(child.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	syncs()
	r, _ := readers(child.ID)
	if len(r.Levels) != 2 || !r.Denies("alice", []string{"confluence-administrators"}, true) || r.Denies("admin", []string{"confluence-administrators"}, true) {
		t.Errorf("child restricted to admin under a parent restricted to a group: readers %+v, want both levels", r)
	}

	if err := idx.SetReaders(ctx, map[string]*search.Readers{"confluence:" + parent: nil}); err != nil {
		t.Fatal(err)
	}
	if _, ok := readers(parent); ok {
		t.Fatal("SetReaders(nil) left the readers known")
	}
	syncs()
	if r, ok := readers(parent); !ok || !r.Equal(want) {
		t.Errorf("unknown readers after a permission pass: %+v (known %v), want %+v", r, ok, want)
	}
}

// TestJiraUnknownReadersFilledIn: an issue whose readers the index does not
// know (indexed before readers were stored) gets them from the next
// sync's permission pass, security level included, and a sync with all of
// them known asks Jira nothing more for it.
func TestJiraUnknownReadersFilledIn(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 6, SecurityLevels: map[string][]string{"Staff": {"jira-administrators"}}})
	key := w.srv.IssueKeys("OPS")[0]
	if err := w.srv.SetIssueSecurity(key, "Staff"); err != nil {
		t.Fatal(err)
	}
	idx := w.open()
	ix := w.indexer(idx, func(o *Options) { o.ReconcileEvery, o.ReconcileAfter = -1, -1 })
	w.sync(ix, RunOptions{})
	ctx := context.Background()
	if err := idx.SetReaders(ctx, map[string]*search.Readers{"jira:" + key: nil}); err != nil {
		t.Fatal(err)
	}
	w.requests()
	w.sync(ix, RunOptions{})
	got, err := idx.Readers(ctx, []string{"jira:" + key})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := got["jira:"+key]; !ok || r.SecurityName != "Staff" {
		t.Errorf("readers of %s after a sync: %+v (known %v), want its level Staff", key, r, ok)
	}
	before := w.srv.Stats()["POST /jira/rest/api/2/search"] + w.srv.Stats()["GET /jira/rest/api/2/search"]
	w.sync(ix, RunOptions{})
	after := w.srv.Stats()["POST /jira/rest/api/2/search"] + w.srv.Stats()["GET /jira/rest/api/2/search"]
	st, err := idx.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	projects := int64(0)
	for _, c := range st.Containers {
		if c.Source == search.SourceJira {
			projects++
		}
	}
	if n := after - before; n != projects {
		t.Errorf("a sync with every reader known made %d Jira searches, want one listing per project (%d)", n, projects)
	}
}

// TestRestrictedParentReachesItsTree: the sync whose permission window
// finds a page newly restricted also gives every page below it the
// inherited restriction, though the tree is larger than the window and
// none of its pages has a new version.
func TestRestrictedParentReachesItsTree(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: -1})
	top, err := w.srv.AddPage(sim.Page{Space: "ENG", Title: testTitle("Payroll handbook"), Body: "<p>How we pay.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	var below []string
	parent := top.ID
	for i := range permissionWindow + 20 {
		if i == permissionWindow { // a second level: inherited through two
			parent = below[0]
		}
		p, err := w.srv.AddPage(sim.Page{Space: "ENG", Title: testTitle(fmt.Sprintf("Payroll step %d", i)), ParentID: parent, Body: "<p>Step.</p>"})
		if err != nil {
			t.Fatal(err)
		}
		below = append(below, p.ID)
	}
	idx := w.open()
	ix := w.indexer(idx, func(o *Options) { o.ReconcileEvery, o.ReconcileAfter = -1, -1 })
	ctx := context.Background()
	w.sync(ix, RunOptions{})
	if err := w.srv.RestrictPageToGroups(top.ID, "confluence-administrators"); err != nil {
		t.Fatal(err)
	}
	restricted := func(ids ...string) int {
		t.Helper()
		full := make([]string, len(ids))
		for i, id := range ids {
			full[i] = "confluence:" + id
		}
		got, err := idx.Readers(ctx, full)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range got {
			if r.Restricted() {
				n++
			}
		}
		return n
	}
	for sync := 1; restricted(top.ID) == 0; sync++ {
		if sync > 10 {
			t.Fatal("the permission window never reached the restricted page")
		}
		w.sync(ix, RunOptions{})
	}
	if n := restricted(below...); n != len(below) {
		t.Errorf("the sync that saw the parent restricted left %d of the %d pages below it open", len(below)-n, len(below))
	}
}
