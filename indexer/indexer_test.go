package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// clock is a fake time source shared by the simulator and the indexer.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testTitle keeps the test's pages apart from the sample space's own.
func testTitle(s string) string { return s + " (indexer test)" }

// noRetryAfter drops the simulator's "Retry-After: 1" from 503s so that
// fault-injection tests take milliseconds, not seconds.
type noRetryAfter struct{ rt http.RoundTripper }

func (n noRetryAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := n.rt.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusServiceUnavailable {
		resp.Header.Del("Retry-After")
	}
	return resp, err
}

// world is a simulator with a few known pages and issues, and an index.
type world struct {
	t     *testing.T
	clk   *clock
	srv   *atlassiantest.Server
	conf  *atlassian.Confluence
	jira  *atlassian.Jira
	dir   string
	pages map[string]string // title → id
}

func newWorld(t *testing.T, simOpts sim.Options) *world {
	t.Helper()
	clk := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	if simOpts.Clock == nil {
		simOpts.Clock = clk.Now
	}
	if simOpts.JiraIssues == 0 {
		simOpts.JiraIssues = 30
	}
	simOpts.Seed = 7
	srv := atlassiantest.NewServer(t, simOpts)
	copts := atlassian.Options{Username: "admin", Password: "admin", RetryWait: time.Millisecond, MaxRetryWait: 5 * time.Millisecond, MaxRetries: 8,
		HTTPClient: &http.Client{Transport: noRetryAfter{http.DefaultTransport}}}
	conf, err := atlassian.NewConfluence(srv.ConfluenceURL(), copts)
	if err != nil {
		t.Fatal(err)
	}
	jira, err := atlassian.NewJira(srv.JiraURL(), copts)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, clk: clk, srv: srv, conf: conf, jira: jira, dir: t.TempDir(), pages: map[string]string{}}
	clk.Advance(time.Minute)
	for _, p := range []sim.Page{
		{Space: "ENG", Title: testTitle("Deployment guide"), Labels: []string{"deploy"}, Body: `<h2>Rolling out</h2><p>Use the blue green switch to deploy a release to production.</p><h2>Rollback</h2><p>Flip the load balancer back to the previous colour.</p><ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[kubectl rollout undo deploy/web]]></ac:plain-text-body></ac:structured-macro>`},
		{Space: "ENG", Title: testTitle("VPN setup"), Body: `<p>Install WireGuard and import the profile from the access portal.</p>`},
		{Space: "ENG", Title: testTitle("Database backups"), Body: `<p>Nightly base backups with pgBackRest; restores are rehearsed monthly.</p>`},
	} {
		got, err := srv.AddPage(p)
		if err != nil {
			t.Fatalf("add page %q: %v", p.Title, err)
		}
		w.pages[p.Title] = got.ID
	}
	c, err := srv.AddPage(sim.Page{Type: "comment", ParentID: w.pages[testTitle("VPN setup")], Body: "<p>The portal moved to access.example.com.</p>"})
	if err != nil {
		t.Fatalf("add comment: %v", err)
	}
	w.pages["comment"] = c.ID
	return w
}

// open opens the world's index for writing; closed at cleanup.
func (w *world) open() *search.Index {
	w.t.Helper()
	idx, err := search.Open(context.Background(), w.dir, search.Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{})})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { idx.Close() })
	return idx
}

func (w *world) indexer(idx *search.Index, mod func(*Options)) *Indexer {
	w.t.Helper()
	opts := Options{Confluence: w.conf, Jira: w.jira, Index: idx, Now: w.clk.Now, Logger: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&opts)
	}
	ix, err := New(opts)
	if err != nil {
		w.t.Fatal(err)
	}
	return ix
}

func (w *world) sync(ix *Indexer, run RunOptions) *Summary {
	w.t.Helper()
	w.clk.Advance(time.Minute)
	sum, err := ix.Sync(context.Background(), run)
	if err != nil {
		w.t.Fatalf("sync: %v", err)
	}
	if sum.Failed() {
		for _, c := range sum.Containers {
			if c.Err != nil {
				w.t.Errorf("%s %s: %v", c.Source, c.Container, c.Err)
			}
		}
		w.t.Fatalf("sync failed: %+v", sum)
	}
	return sum
}

// requests returns the simulator's REST request count since the last call.
func (w *world) requests() int64 {
	st := w.srv.Stats()
	w.srv.ResetStats()
	return st["total"]
}

func docIDs(t *testing.T, idx *search.Index, source, container string) map[string]time.Time {
	t.Helper()
	ids, err := idx.DocumentIDs(context.Background(), source, container)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSyncFullThenIncremental(t *testing.T) {
	w := newWorld(t, sim.Options{})
	idx := w.open()
	ix := w.indexer(idx, nil)

	w.requests()
	first := w.sync(ix, RunOptions{})
	// Bodies come 50 to a request, after one listing per container.
	budget := int64(2 + 2 + 1) // the space and project lists, who-am-I, and the Jira field list
	for _, c := range first.Containers {
		budget += 1 + int64(c.Listed+49)/50
	}
	if got := w.requests(); got > budget || int(got) != first.Requests+2 {
		t.Errorf("full sync made %d requests (summary says %d + 2), want at most %d", got, first.Requests, budget)
	}
	confDocs := len(docIDs(t, idx, search.SourceConfluence, "ENG"))
	if confDocs < 5 { // home page + 3 pages + 1 comment
		t.Fatalf("confluence documents = %d, want ≥ 5", confDocs)
	}
	issues := 0
	for _, c := range first.Containers {
		if c.Source == search.SourceJira {
			issues += c.Added
		}
	}
	if issues != 30 {
		t.Errorf("jira issues added = %d, want 30", issues)
	}
	if first.Added != confDocs+30 || first.Updated != 0 || first.Deleted != 0 {
		t.Errorf("first sync = %+v", first)
	}

	// The comment is its own document and says what it is about.
	doc := searchOne(t, idx, "portal moved access example")
	if doc.Key != w.pages["comment"] || doc.Type != "comment" || !strings.Contains(doc.Title, "VPN setup") {
		t.Errorf("comment document = %+v", doc)
	}

	// A sync with nothing changed costs one listing request per container.
	w.requests()
	again := w.sync(ix, RunOptions{})
	reqs := w.requests()
	if again.Added+again.Updated+again.Deleted != 0 {
		t.Errorf("no-change sync changed something: %+v", again)
	}
	containers := len(again.Containers)
	// + 1 space listing + 1 project listing, or 2 who-am-I and 1
	// permission pass of the one space.
	if reqs > int64(containers)+3 {
		t.Errorf("no-change sync made %d requests for %d containers", reqs, containers)
	}

	// An edit is picked up by the next incremental sync, and only it.
	w.clk.Advance(5 * time.Minute)
	p, err := w.srv.GetPage(w.pages[testTitle("VPN setup")])
	if err != nil {
		t.Fatal(err)
	}
	p.Body = "<p>Install WireGuard; the old OpenVPN profiles stop working in June.</p>"
	if _, err := w.srv.UpdatePage(p); err != nil {
		t.Fatal(err)
	}
	w.requests()
	upd := w.sync(ix, RunOptions{})
	if upd.Updated != 1 || upd.Added != 0 {
		t.Errorf("after one edit: %+v", upd)
	}
	// Who-am-I of each product, one listing per container, the
	// permission pass of the space and one fetch: the space and project
	// lists of the previous sync are reused within containerTTL.
	if got, want := w.requests(), int64(2+len(upd.Containers)+1+1); got != want {
		t.Errorf("sync after one edit made %d requests, want %d", got, want)
	}
	if doc := searchOne(t, idx, "OpenVPN profiles stop working"); doc.Key != w.pages[testTitle("VPN setup")] {
		t.Errorf("edited page not found by its new text: %+v", doc)
	}
}

func searchOne(t *testing.T, idx *search.Index, q string) search.Result {
	t.Helper()
	res, err := idx.Search(context.Background(), search.Query{Text: q, K: 1, Mode: search.Keyword})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 {
		t.Fatalf("no result for %q", q)
	}
	return res[0]
}

func TestSyncNoticesDeletionsMovesAndRestrictions(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 5})
	if _, err := w.srv.AddPage(sim.Page{Space: "OPS", Title: "x"}); err == nil {
		// The simulator creates spaces only by import; nothing to do.
		t.Log("simulator created space OPS on AddPage")
	}
	idx := w.open()
	ix := w.indexer(idx, nil)
	w.sync(ix, RunOptions{})
	before := docIDs(t, idx, search.SourceConfluence, "ENG")

	w.clk.Advance(5 * time.Minute)
	if err := w.srv.DeletePage(w.pages[testTitle("Database backups")]); err != nil {
		t.Fatal(err)
	}
	if err := w.srv.RestrictPage(w.pages[testTitle("Deployment guide")], "alice"); err != nil {
		t.Fatal(err)
	}
	issues, _, err := w.jira.Issues.Search(context.Background(), "project = OPS ORDER BY key ASC", &atlassian.SearchIssuesOptions{MaxResults: 1})
	if err != nil || len(issues.Issues) == 0 {
		t.Fatalf("find an issue to delete: %v", err)
	}
	gone := issues.Issues[0].Key
	if err := w.srv.DeleteIssue(gone); err != nil {
		t.Fatal(err)
	}

	// An incremental sync without reconciliation cannot see deletions.
	w.sync(ix, RunOptions{})
	if got := docIDs(t, idx, search.SourceConfluence, "ENG"); len(got) != len(before) {
		t.Errorf("incremental sync removed %d documents without reconciling", len(before)-len(got))
	}

	sum := w.sync(ix, RunOptions{Reconcile: true})
	got := docIDs(t, idx, search.SourceConfluence, "ENG")
	for _, title := range []string{testTitle("Database backups"), testTitle("Deployment guide")} {
		if _, ok := got["confluence:"+w.pages[title]]; ok {
			t.Errorf("%s still indexed after reconcile", title)
		}
	}
	if len(got) != len(before)-2 {
		t.Errorf("after reconcile %d documents, want %d", len(got), len(before)-2)
	}
	if _, ok := docIDs(t, idx, search.SourceJira, "")["jira:"+gone]; ok {
		t.Errorf("deleted issue %s still indexed", gone)
	}
	if sum.Deleted != 3 {
		t.Errorf("deleted = %d, want 3", sum.Deleted)
	}
}

func TestSyncFollowsAMoveToAnotherSpace(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: -1})
	if err := w.srv.GeneratePages("GEN", 3, 1); err != nil {
		t.Fatal(err)
	}
	idx := w.open()
	ix := w.indexer(idx, nil)
	w.sync(ix, RunOptions{})
	id := "confluence:" + w.pages[testTitle("Deployment guide")]
	if _, ok := docIDs(t, idx, search.SourceConfluence, "ENG")[id]; !ok {
		t.Fatal("page not indexed in ENG")
	}
	w.clk.Advance(5 * time.Minute)
	if err := w.srv.MovePage(w.pages[testTitle("Deployment guide")], "GEN"); err != nil {
		t.Fatal(err)
	}
	w.sync(ix, RunOptions{})
	if _, ok := docIDs(t, idx, search.SourceConfluence, "GEN")[id]; !ok {
		t.Error("moved page not indexed in GEN after an incremental sync")
	}
	if _, ok := docIDs(t, idx, search.SourceConfluence, "ENG")[id]; ok {
		t.Error("moved page still indexed in ENG")
	}

	// Narrowing the allow-list drops the space that left it, on reconcile.
	ix = w.indexer(idx, func(o *Options) { o.Spaces = []string{"ENG"} })
	sum := w.sync(ix, RunOptions{Reconcile: true})
	if n := len(docIDs(t, idx, search.SourceConfluence, "GEN")); n != 0 || sum.Deleted == 0 {
		t.Errorf("GEN out of scope: %d documents left, %d deleted", n, sum.Deleted)
	}
}

// An issue moved to another project changes key: the next incremental sync
// indexes it under the new key and drops the document of the old one.
func TestSyncFollowsAnIssueMovedToAnotherProject(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 12})
	idx := w.open()
	ix := w.indexer(idx, nil)
	w.sync(ix, RunOptions{})
	old := w.srv.IssueKeys("OPS")[0]
	if _, ok := docIDs(t, idx, search.SourceJira, "OPS")["jira:"+old]; !ok {
		t.Fatalf("%s not indexed", old)
	}
	before := len(docIDs(t, idx, search.SourceJira, ""))
	w.clk.Advance(5 * time.Minute)
	moved, err := w.srv.MoveIssue(old, "WEB")
	if err != nil {
		t.Fatal(err)
	}
	sum := w.sync(ix, RunOptions{})
	for _, c := range sum.Containers {
		if c.Reconciled {
			t.Fatalf("%s reconciled; the test wants an incremental sync", c.Container)
		}
	}
	if _, ok := docIDs(t, idx, search.SourceJira, "WEB")["jira:"+moved.Key]; !ok {
		t.Errorf("moved issue not indexed as %s in WEB", moved.Key)
	}
	all := docIDs(t, idx, search.SourceJira, "")
	if _, ok := all["jira:"+old]; ok {
		t.Errorf("old key %s still indexed after the move", old)
	}
	if len(all) != before {
		t.Errorf("%d Jira documents after the move, %d before", len(all), before)
	}
	if sum.Deleted != 1 {
		t.Errorf("deleted %d, want 1 (the old key)", sum.Deleted)
	}
}

// An issue moved into a project that no sync has visited yet is found
// there by the project's first sync, which also drops the document of its
// old key: not only the old project's next reconciliation.
func TestSyncFollowsAnIssueMovedToANewProject(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 12})
	idx := w.open()
	ix := w.indexer(idx, nil)
	w.sync(ix, RunOptions{Projects: []string{"OPS"}})
	if n := len(docIDs(t, idx, search.SourceJira, "WEB")); n != 0 {
		t.Fatalf("WEB indexed (%d documents) by a sync of OPS", n)
	}
	old := w.srv.IssueKeys("OPS")[0]
	w.clk.Advance(5 * time.Minute)
	moved, err := w.srv.MoveIssue(old, "WEB")
	if err != nil {
		t.Fatal(err)
	}
	sum := w.sync(ix, RunOptions{Projects: []string{"OPS", "WEB"}})
	for _, c := range sum.Containers {
		if c.Container == "OPS" && c.Reconciled {
			t.Fatal("OPS reconciled; the test wants an incremental sync of it")
		}
	}
	all := docIDs(t, idx, search.SourceJira, "")
	if _, ok := all["jira:"+moved.Key]; !ok {
		t.Errorf("moved issue not indexed as %s", moved.Key)
	}
	if _, ok := all["jira:"+old]; ok {
		t.Errorf("old key %s still indexed after the first sync of the project it moved to", old)
	}
	if sum.Deleted != 1 {
		t.Errorf("deleted %d, want 1 (the old key)", sum.Deleted)
	}
}

func TestSyncLimitsAndFull(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 10})
	idx := w.open()
	ix := w.indexer(idx, nil)

	sum := w.sync(ix, RunOptions{Spaces: []string{"ENG"}})
	for _, c := range sum.Containers {
		if c.Source != search.SourceConfluence {
			t.Errorf("--spaces ENG synced %s %s", c.Source, c.Container)
		}
	}
	if n := len(docIDs(t, idx, search.SourceJira, "")); n != 0 {
		t.Errorf("--spaces ENG indexed %d issues", n)
	}
	w.sync(ix, RunOptions{})
	total := len(docIDs(t, idx, "", ""))

	full := w.sync(ix, RunOptions{Full: true})
	if full.Added != total || full.Unchanged != 0 {
		t.Errorf("full sync: added %d unchanged %d, want %d and 0", full.Added, full.Unchanged, total)
	}
	if n := len(docIDs(t, idx, "", "")); n != total {
		t.Errorf("after full sync %d documents, want %d", n, total)
	}

	// A full sync that cannot reach every server leaves the index alone.
	broken, err := atlassian.NewJira(w.srv.URL+"/nowhere", atlassian.Options{Username: "admin", Password: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	ix = w.indexer(idx, func(o *Options) { o.Jira = broken })
	if _, err := ix.Sync(context.Background(), RunOptions{Full: true}); err == nil || !strings.Contains(err.Error(), "left as it is") {
		t.Errorf("full sync with Jira unreachable: err = %v", err)
	}
	if n := len(docIDs(t, idx, "", "")); n != total {
		t.Errorf("after a refused full sync %d documents, want %d", n, total)
	}

	// A limit outside the allow-list is refused.
	ix = w.indexer(idx, func(o *Options) { o.Spaces = []string{"ENG"} })
	if _, err := ix.Sync(context.Background(), RunOptions{Spaces: []string{"HR"}}); err == nil || !strings.Contains(err.Error(), "CONFLUENCE_SPACES") {
		t.Errorf("sync --spaces outside the allow-list: err = %v", err)
	}
}

func TestSyncSurvivesAFlakyServerAndResumes(t *testing.T) {
	w := newWorld(t, sim.Options{ErrorRate: 0.2, JiraIssues: 60})
	idx := w.open()
	ix := w.indexer(idx, func(o *Options) { o.BatchSize = 4 })

	// Cancel the first sync part way through: what was stored stays, the
	// watermark does not move, the next sync finishes the job.
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	ix.opts.Progress = func(p Progress) {
		if p.Phase == "fetch" && p.Done >= 20 {
			once.Do(cancel)
		}
	}
	sum, err := ix.Sync(ctx, RunOptions{})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sync: err = %v", err)
	}
	partial := len(docIDs(t, idx, "", ""))
	ix.opts.Progress = nil
	w.sync(ix, RunOptions{})
	all := len(docIDs(t, idx, "", ""))
	if all <= partial {
		t.Errorf("resume added nothing: %d then %d", partial, all)
	}

	// The result equals a clean sync of the same world.
	fresh := &world{t: t, clk: w.clk, srv: w.srv, conf: w.conf, jira: w.jira, dir: t.TempDir()}
	ref := fresh.open()
	fresh.sync(fresh.indexer(ref, nil), RunOptions{})
	want := docIDs(t, ref, "", "")
	got := docIDs(t, idx, "", "")
	if len(got) != len(want) {
		t.Errorf("resumed index holds %d documents, a clean sync %d (partial sync: %+v)", len(got), len(want), sum)
	}
	for id, up := range want {
		if !got[id].Equal(up) {
			t.Errorf("%s: updated %v, clean sync %v", id, got[id], up)
		}
	}
}

func TestSyncBusy(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 5, Latency: 20 * time.Millisecond})
	ix := w.indexer(w.open(), nil)
	started := make(chan struct{})
	var once sync.Once
	ix.opts.Progress = func(Progress) { once.Do(func() { close(started) }) }
	done := make(chan error)
	go func() { _, err := ix.Sync(context.Background(), RunOptions{}); done <- err }()
	<-started
	if _, err := ix.Sync(context.Background(), RunOptions{}); !errors.Is(err, ErrBusy) {
		t.Errorf("second concurrent sync: err = %v, want ErrBusy", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no index", Options{}, "no index"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	_ = fmt.Sprint
}

func TestReconcileCatchesAChangeTheWindowMissed(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: -1})
	idx := w.open()
	// CONFLUENCE_TIMEZONE set three hours east of the account's real
	// profile zone (UTC): the incremental window starts after the edit.
	ix := w.indexer(idx, func(o *Options) { o.ConfluenceZone = time.FixedZone("", 3*3600) })
	w.sync(ix, RunOptions{})

	w.clk.Advance(5 * time.Minute)
	p, err := w.srv.GetPage(w.pages[testTitle("VPN setup")])
	if err != nil {
		t.Fatal(err)
	}
	p.Body = "<p>Use the new Tailscale tailnet instead.</p>"
	if _, err := w.srv.UpdatePage(p); err != nil {
		t.Fatal(err)
	}
	if sum := w.sync(ix, RunOptions{}); sum.Updated != 0 {
		t.Fatalf("the incremental window was expected to miss the edit: %+v", sum)
	}
	sum := w.sync(ix, RunOptions{Reconcile: true})
	if sum.Updated != 1 {
		t.Errorf("reconcile updated %d documents, want 1", sum.Updated)
	}
	if doc := searchOne(t, idx, "Tailscale tailnet"); doc.Key != w.pages[testTitle("VPN setup")] {
		t.Errorf("edit not indexed after reconcile: %+v", doc)
	}
}

// Plain incremental syncs find every edit whatever zone the servers write
// their timestamps in and whatever profile zone they read query dates in,
// east or west of UTC, across a daylight-saving change, with no overlap
// and no reconciliation to fall back on.
func TestIncrementalSyncFindsEveryEditInAnyZone(t *testing.T) {
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Skipf("zone database lacks %s: %v", name, err)
		}
		return loc
	}
	for _, tc := range []struct {
		name         string
		server, user *time.Location
		knownZone    bool      // CONFLUENCE_TIMEZONE names the account's zone
		dstChange    time.Time // a daylight-saving change the edits straddle
	}{
		{"account west, server in London, US spring forward", zone("Europe/London"), zone("America/Los_Angeles"), false, time.Date(2025, 3, 9, 10, 0, 0, 0, time.UTC)},
		{"account west, zone known", zone("Europe/London"), zone("America/Los_Angeles"), true, time.Date(2025, 3, 9, 10, 0, 0, 0, time.UTC)},
		{"account east, server in New York, Sydney fall back", zone("America/New_York"), zone("Australia/Sydney"), false, time.Date(2025, 4, 5, 16, 0, 0, 0, time.UTC)},
		{"account east, zone known, fall back", zone("America/New_York"), zone("Australia/Sydney"), true, time.Date(2025, 4, 5, 16, 0, 0, 0, time.UTC)},
		{"account in UTC, server in Berlin, Europe spring forward", zone("Europe/Berlin"), time.UTC, false, time.Date(2025, 3, 30, 1, 0, 0, 0, time.UTC)},
		{"account east, server west, Europe fall back", zone("America/Chicago"), zone("Europe/Helsinki"), true, time.Date(2025, 10, 26, 1, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, sim.Options{JiraIssues: 6, TimeZone: tc.server, UserTimeZone: tc.user})
			idx := w.open()
			ix := w.indexer(idx, func(o *Options) {
				o.Overlap, o.ReconcileEvery, o.ReconcileAfter = -1, -1, -1
				if tc.knownZone {
					o.ConfluenceZone = tc.user
				}
			})
			w.clk.mu.Lock()
			w.clk.t = tc.dstChange.Add(-3 * time.Hour)
			w.clk.mu.Unlock()
			w.sync(ix, RunOptions{})
			keys := w.srv.IssueKeys("OPS")
			if len(keys) == 0 {
				t.Fatal("no issues in OPS")
			}
			ids := []string{w.pages[testTitle("VPN setup")], w.pages[testTitle("Database backups")], w.pages[testTitle("Deployment guide")]}
			// An edit of a page and an issue every 25 minutes for six
			// hours, a sync after each.
			for step := range 15 {
				w.clk.Advance(25 * time.Minute)
				word := fmt.Sprintf("zebra%02d", step)
				p, err := w.srv.GetPage(ids[step%len(ids)])
				if err != nil {
					t.Fatal(err)
				}
				p.Body = "<p>Edited as " + word + ".</p>"
				if _, err := w.srv.UpdatePage(p); err != nil {
					t.Fatal(err)
				}
				key := keys[step%len(keys)]
				if _, err := w.jira.Issues.Update(context.Background(), key, atlassian.IssueInput{Fields: map[string]any{"summary": "Issue edited as " + word}}); err != nil {
					t.Fatal(err)
				}
				sum := w.sync(ix, RunOptions{})
				for _, c := range sum.Containers {
					if c.Reconciled && (c.Container == "ENG" || c.Container == "OPS") {
						t.Fatalf("step %d: %s %s reconciled", step, c.Source, c.Container)
					}
				}
				if sum.Updated != 2 {
					t.Fatalf("step %d at %s: sync updated %d documents, want the page and the issue: %+v", step, w.clk.Now().Format(time.RFC3339), sum.Updated, sum)
				}
			}
		})
	}
}

func TestContainerListingIsReused(t *testing.T) {
	w := newWorld(t, sim.Options{})
	idx := w.open()
	defer idx.Close()
	ix := w.indexer(idx, nil)
	first := w.sync(ix, RunOptions{})
	containers := len(first.Containers)
	w.requests()

	again := w.sync(ix, RunOptions{})
	if got := w.requests(); got != int64(2+containers+1) {
		t.Errorf("no-change sync made %d requests, want who-am-I of each product, one per space or project and the space's permission pass (2+%d+1)", got, containers)
	}
	if again.Added+again.Updated+again.Deleted != 0 {
		t.Errorf("no-change sync changed something: %+v", again)
	}

	// A new space is noticed by a reconciling run at once, or after the TTL.
	if err := w.srv.AddSpace("NEW", "New space"); err != nil {
		t.Fatal(err)
	}
	if got := len(w.sync(ix, RunOptions{}).Containers); got != containers {
		t.Errorf("within the TTL the listing was not reused: %d containers", got)
	}
	if got := len(w.sync(ix, RunOptions{Reconcile: true}).Containers); got != containers+1 {
		t.Errorf("--reconcile did not list the spaces again: %d containers, want %d", got, containers+1)
	}
	if err := w.srv.AddSpace("NEWER", "Newer space"); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(containerTTL)
	if got := len(w.sync(ix, RunOptions{}).Containers); got != containers+2 {
		t.Errorf("after the TTL the spaces were not listed again: %d containers, want %d", got, containers+2)
	}
}

// A full sync built beside the index (Options.Previous) that finds more
// than MaxDrop fewer documents fails with ErrTooManyDrops, so the caller
// keeps the old index; with Force it passes. The identity check reads the
// user from the index being replaced.
func TestFullRebuildDropGuard(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 20})
	idx := w.open()
	w.sync(w.indexer(idx, nil), RunOptions{})
	before := len(docIDs(t, idx, "", ""))
	idx.Close()
	ctx := context.Background()
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	prev, err := search.Open(ctx, w.dir, search.Options{Embedder: emb, ReadOnly: true, Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer prev.Close()

	cases := []struct {
		name    string
		mod     func(*Options)
		run     RunOptions
		wantErr error
	}{
		{"same world", nil, RunOptions{Full: true}, nil},
		{"Jira no longer visible", func(o *Options) { o.Projects = []string{"NONE"} }, RunOptions{Full: true}, ErrTooManyDrops},
		{"Jira no longer visible, forced", func(o *Options) { o.Projects = []string{"NONE"} }, RunOptions{Full: true, Force: true}, nil},
		{"another user", func(o *Options) {
			o.Confluence, o.Jira = w.clientsAs(atlassian.Options{Username: "alice", Password: "alice"})
		}, RunOptions{Full: true}, ErrOtherUser},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rb, err := search.BeginRebuild(ctx, w.dir, search.Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{})})
			if err != nil {
				t.Fatal(err)
			}
			defer rb.Abort()
			ix := w.indexer(rb.Index(), func(o *Options) {
				o.Previous = prev
				if tc.mod != nil {
					tc.mod(o)
				}
			})
			w.clk.Advance(time.Minute)
			_, err = ix.Sync(ctx, tc.run)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("full sync: %v, want %v", err, tc.wantErr)
			}
			if got := len(docIDs(t, prev, "", "")); got != before {
				t.Errorf("the index being replaced changed: %d documents, %d before", got, before)
			}
		})
	}
}
