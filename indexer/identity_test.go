package indexer

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// clientsAs returns Confluence and Jira clients of the world's servers
// with other credentials.
func (w *world) clientsAs(opts atlassian.Options) (*atlassian.Confluence, *atlassian.Jira) {
	w.t.Helper()
	opts.MaxRetries = 2
	return w.clientsWith(opts, noRetryAfter{http.DefaultTransport})
}

// A sync the servers answer anonymously, or as another user than the one
// the index was built by, stops before it changes anything.
func TestSyncRefusesAnotherIdentity(t *testing.T) {
	users := append(sim.DefaultUsers(), sim.User{Name: "carol", Password: "carol", LoginDenied: true})
	w := newWorld(t, sim.Options{JiraIssues: 5, AnonymousRead: true, NoPAT: true, Users: users})
	idx := w.open()
	w.sync(w.indexer(idx, nil), RunOptions{})
	before := docIDs(t, idx, "", "")
	for _, tc := range []struct {
		name  string
		creds atlassian.Options
		run   RunOptions
		want  error
	}{
		{"bearer ignored by an old server", atlassian.Options{Token: "admin-token"}, RunOptions{}, ErrAnonymous},
		{"bearer ignored, full", atlassian.Options{Token: "admin-token"}, RunOptions{Full: true}, ErrAnonymous},
		{"bearer ignored, reconcile, force", atlassian.Options{Token: "admin-token"}, RunOptions{Reconcile: true, Force: true}, ErrAnonymous},
		{"no credentials", atlassian.Options{}, RunOptions{Reconcile: true}, ErrAnonymous},
		{"login refused", atlassian.Options{Username: "carol", Password: "carol"}, RunOptions{}, ErrAnonymous},
		{"another user", atlassian.Options{Username: "alice", Password: "alice"}, RunOptions{Reconcile: true}, ErrOtherUser},
		{"another user, full", atlassian.Options{Username: "alice", Password: "alice"}, RunOptions{Full: true}, ErrOtherUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf, jira := w.clientsAs(tc.creds)
			ix := w.indexer(idx, func(o *Options) { o.Confluence, o.Jira = conf, jira })
			_, err := ix.Sync(context.Background(), tc.run)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if after := docIDs(t, idx, "", ""); len(after) != len(before) {
				t.Errorf("%d documents after the refused sync, want %d", len(after), len(before))
			}
		})
	}
	// A full rebuild with --force may change the account.
	conf, jira := w.clientsAs(atlassian.Options{Username: "alice", Password: "alice"})
	ix := w.indexer(idx, func(o *Options) { o.Confluence, o.Jira = conf, jira })
	if _, err := ix.Sync(context.Background(), RunOptions{Full: true, Force: true}); err != nil {
		t.Fatalf("full forced sync as alice: %v", err)
	}
	if _, err := ix.Sync(context.Background(), RunOptions{}); err != nil {
		t.Errorf("incremental sync as alice after the rebuild: %v", err)
	}
}

// A sync that would delete more than MaxDrop of the index needs Force.
func TestSyncRefusesToDropMuchOfTheIndex(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: -1})
	idx := w.open()
	ix := w.indexer(idx, nil)
	w.sync(ix, RunOptions{})
	before := docIDs(t, idx, "", "")
	ids := make([]string, 0, len(before))
	for id := range before {
		ids = append(ids, id)
	}
	// Delete a third of the pages on the server.
	deleted := 0
	for _, id := range ids[:len(ids)/3] {
		if err := w.srv.DeletePage(id[len("confluence:"):]); err == nil {
			deleted++
		}
	}
	if deleted == 0 {
		t.Fatal("no page deleted")
	}
	sum, err := ix.Sync(context.Background(), RunOptions{Reconcile: true})
	if err != nil {
		t.Fatal(err)
	}
	if !refusedDrops(sum) || sum.Deleted != 0 {
		t.Fatalf("reconcile dropping a third of the index: deleted %d, errors %v", sum.Deleted, sum.Containers)
	}
	if n := len(docIDs(t, idx, "", "")); n != len(before) {
		t.Errorf("%d documents left of %d after a refused reconcile", n, len(before))
	}
	sum = w.sync(ix, RunOptions{Reconcile: true, Force: true})
	if sum.Deleted < deleted {
		t.Errorf("forced reconcile deleted %d, want at least %d", sum.Deleted, deleted)
	}
}

// Restricting a page, or its parent, makes no new version; the next
// plain sync still marks the page, its child and its comments restricted.
func TestRestrictionChangesReachTheIndex(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: -1})
	parent := w.pages[testTitle("VPN setup")]
	child, err := w.srv.AddPage(sim.Page{Space: "ENG", Title: testTitle("VPN on Linux"), ParentID: parent, Body: "<p>wg-quick up</p>"})
	if err != nil {
		t.Fatal(err)
	}
	idx := w.open()
	ix := w.indexer(idx, func(o *Options) { o.ReconcileEvery, o.ReconcileAfter = -1, -1 })
	w.sync(ix, RunOptions{})
	restricted := func(id string) bool {
		r, err := idx.Lookup(context.Background(), "confluence:"+id)
		if err != nil {
			t.Fatal(err)
		}
		return r.Restricted
	}
	ids := []string{parent, child.ID, w.pages["comment"]}
	for _, id := range ids {
		if restricted(id) {
			t.Fatalf("%s restricted before any restriction", id)
		}
	}
	if err := w.srv.RestrictPageToGroups(parent, "confluence-administrators"); err != nil {
		t.Fatal(err)
	}
	// The window of the permission pass moves on each sync; within a few
	// syncs of this small space every document was rechecked.
	for range 3 {
		w.sync(ix, RunOptions{})
	}
	for _, id := range ids {
		if !restricted(id) {
			t.Errorf("%s not restricted after its page (or parent) was", id)
		}
	}
	if err := w.srv.RestrictPageToGroups(parent); err != nil {
		t.Fatal(err)
	}
	w.sync(ix, RunOptions{Reconcile: true})
	for _, id := range ids {
		if restricted(id) {
			t.Errorf("%s still restricted after the restriction was lifted and a reconciliation", id)
		}
	}
}

// Mentions stored by user key reach the index as names, with one look-up
// per key.
func TestMentionsIndexedByName(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 3})
	me, _, err := w.conf.Users.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	body := `<p>Owner: <ac:link><ri:user ri:userkey="` + me.UserKey + `"/></ac:link>, second owner <ac:link><ri:user ri:userkey="` + me.UserKey + `"/></ac:link>.</p>` +
		`<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">OPS-1</ac:parameter></ac:structured-macro>`
	if _, err := w.srv.AddPage(sim.Page{Space: "ENG", Title: testTitle("Owners"), Body: body}); err != nil {
		t.Fatal(err)
	}
	idx := w.open()
	w.requests()
	w.sync(w.indexer(idx, nil), RunOptions{})
	if n := w.srv.Stats()["GET /confluence/rest/api/user"]; n != 1 {
		t.Errorf("%d user look-ups for one key mentioned twice, want 1 (cached)", n)
	}
	texts, done := idx.ChunkTexts(context.Background())
	var found string
	for s := range texts {
		if strings.Contains(s, "Owner:") {
			found = s
		}
	}
	if err := done(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Owner: @Ada Admin, second owner @Ada Admin", "[OPS-1]"} {
		if !strings.Contains(found, want) {
			t.Errorf("indexed text lacks %q:\n%s", want, found)
		}
	}
}

// An issue at a security level is indexed as restricted, with its level
// as its readers; a comment limited to a group or role is left out of its
// issue's text, which stays open to all who may open the issue.
func TestJiraRestrictionsIndexed(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 12, SecurityLevels: map[string][]string{"Staff": {"jira-administrators"}}})
	keys := w.srv.IssueKeys("OPS")
	if len(keys) < 3 {
		t.Fatalf("want 3 issues in OPS, have %v", keys)
	}
	if err := w.srv.SetIssueSecurity(keys[0], "Staff"); err != nil {
		t.Fatal(err)
	}
	req, err := w.jira.NewRequest(context.Background(), http.MethodPost, "rest/api/2/issue/"+keys[1]+"/comment", nil,
		map[string]any{"body": "admins only quillfeather", "visibility": map[string]any{"type": "role", "value": "Administrators"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.jira.Do(req, nil); err != nil {
		t.Fatal(err)
	}
	idx := w.open()
	w.sync(w.indexer(idx, nil), RunOptions{})
	readers, err := idx.Readers(context.Background(), []string{"jira:" + keys[0], "jira:" + keys[1], "jira:" + keys[2]})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, false} {
		r, err := idx.Lookup(context.Background(), "jira:"+keys[i])
		if err != nil {
			t.Fatal(err)
		}
		if r.Restricted != want {
			t.Errorf("%s restricted = %v, want %v", keys[i], r.Restricted, want)
		}
		rd, ok := readers["jira:"+keys[i]]
		if !ok || rd.Restricted() != want {
			t.Errorf("%s readers %+v (known %v), want restricted %v", keys[i], rd, ok, want)
		}
	}
	if r := readers["jira:"+keys[0]]; r.SecurityName != "Staff" || r.SecurityID == "" {
		t.Errorf("%s security level stored as %+v, want Staff with its id", keys[0], r)
	}
	texts, done := idx.ChunkTexts(context.Background())
	for s := range texts {
		if strings.Contains(s, "quillfeather") {
			t.Errorf("the restricted comment is indexed:\n%s", s)
		}
	}
	if err := done(); err != nil {
		t.Fatal(err)
	}
}

// A full sync of some spaces builds their documents again over what the
// index holds: one that would lose more than MaxDrop of the index is
// refused, and deletes nothing, without Force.
func TestLimitedFullSyncKeepsTheDropGuard(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: -1})
	idx := w.open()
	ix := w.indexer(idx, nil)
	w.sync(ix, RunOptions{})
	before := docIDs(t, idx, search.SourceConfluence, "")
	deleted := 0
	for id := range before {
		if deleted*3 >= len(before) {
			break
		}
		if err := w.srv.DeletePage(strings.TrimPrefix(id, "confluence:")); err == nil {
			deleted++
		}
	}
	run := RunOptions{Full: true, Spaces: []string{"ENG"}}
	sum, err := ix.Sync(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	if !refusedDrops(sum) || sum.Deleted != 0 {
		t.Fatalf("full sync of ENG losing a third of it: deleted %d, containers %+v", sum.Deleted, sum.Containers)
	}
	if n := len(docIDs(t, idx, search.SourceConfluence, "")); n != len(before) {
		t.Errorf("%d documents left of %d after a refused full sync", n, len(before))
	}
	run.Force = true
	if sum = w.sync(ix, run); sum.Deleted < deleted {
		t.Errorf("forced full sync deleted %d, want at least %d", sum.Deleted, deleted)
	}
}

// refusedDrops reports whether a container of sum stopped at the drop guard.
func refusedDrops(sum *Summary) bool {
	return slices.ContainsFunc(sum.Containers, func(c ContainerSummary) bool { return errors.Is(c.Err, ErrTooManyDrops) })
}
