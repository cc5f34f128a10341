package retrieve_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

const hiddenTitle = "Zephyrquartz ledger reconciliation"

// restrictedWorld is the sample space ENG with one more page, restricted
// to admin, synced by admin.
func restrictedWorld(t testing.TB) (*world, string) {
	t.Helper()
	w := &world{srv: atlassiantest.NewServer(t, sim.Options{JiraIssues: -1, Seed: 5})}
	p, err := w.srv.AddPage(sim.Page{Space: "ENG", Title: hiddenTitle,
		Body: "<p>The zephyrquartz reconciliation moves the quarterly ledger between the vaults.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.srv.RestrictPage(p.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if w.conf, err = atlassian.NewConfluence(w.srv.ConfluenceURL(), atlassian.Options{Token: "admin-token", MaxRetries: -1}); err != nil {
		t.Fatal(err)
	}
	w.sync(t)
	return w, p.ID
}

func as(user string) context.Context {
	cr := &atlassian.Credentials{Token: user + "-token"}
	return atlassian.WithCaller(context.Background(), atlassian.Caller{Confluence: cr, Jira: cr})
}

var ledger = retrieve.Query{Query: search.Query{Text: "zephyrquartz quarterly ledger reconciliation", K: 5}}

// TestSearcherTrimsToCaller: the index's hits reach a caller only when the
// server lets that caller open them, and the account that synced the
// index pays no request for it.
func TestSearcherTrimsToCaller(t *testing.T) {
	w, id := restrictedWorld(t)
	s := retrieve.New(retrieve.Options{Index: w.idx, Live: &retrieve.Live{Confluence: w.conf}, NoFallback: true})
	tests := []struct {
		name     string
		ctx      context.Context
		found    bool
		requests int64 // on a warm cache
	}{
		{"configured account", context.Background(), true, 0},
		{"the syncing account as a caller", as("admin"), true, 0},
		{"another caller", as("alice"), false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Without a configured account or a caller nothing is trimmed.
			if got, want := s.Trims(tc.ctx), tc.ctx != context.Background(); got != want {
				t.Errorf("Trims = %v, want %v", got, want)
			}
			if _, err := s.Search(tc.ctx, ledger); err != nil { // warms the cache of user names
				t.Fatal(err)
			}
			w.srv.ResetStats()
			ans, err := s.Search(tc.ctx, ledger)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.srv.Stats()["total"]; got != tc.requests {
				t.Errorf("%d requests to the server, want %d: %v", got, tc.requests, w.srv.Stats())
			}
			found := false
			for _, h := range ans.Hits {
				found = found || h.Key == id
				if h.Origin != retrieve.OriginIndex {
					t.Errorf("hit %s from %s, want the index", h.Key, h.Origin)
				}
			}
			if found != tc.found {
				t.Errorf("restricted page found = %v, want %v; hits %+v", found, tc.found, ans.Hits)
			}
			if len(ans.Hits) == 0 {
				t.Errorf("no hit at all: the visible pages of the ledger were trimmed too")
			}
			if strings.Contains(strings.Join(ans.Notes, " "), "Zephyrquartz") {
				t.Errorf("a note names the hidden page: %v", ans.Notes)
			}
		})
	}
}

// TestSearcherTrimFailsClosed: when the server cannot say what a caller
// may open, none of the index's hits of that product reach the caller, and
// the answer says so without naming one.
func TestSearcherTrimFailsClosed(t *testing.T) {
	w, _ := restrictedWorld(t)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	conf, err := atlassian.NewConfluence(down.URL+"/confluence", atlassian.Options{Token: "admin-token", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	s := retrieve.New(retrieve.Options{Index: w.idx, Live: &retrieve.Live{Confluence: conf}, NoFallback: true})
	for _, user := range []string{"alice", "admin"} {
		ans, err := s.Search(as(user), retrieve.Query{Query: ledger.Query, Verify: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(ans.Hits) != 0 {
			t.Errorf("%s: %d unverified index hits reached the caller: %+v", user, len(ans.Hits), ans.Hits)
		}
		notes := strings.Join(ans.Notes, "\n")
		if !strings.Contains(notes, "could not be asked") {
			t.Errorf("%s: the answer does not say results were left out: %q", user, notes)
		}
		if strings.Contains(notes, "Zephyrquartz") || strings.Contains(notes, "ledger") {
			t.Errorf("%s: a note names a dropped hit: %q", user, notes)
		}
	}
	// The configured account is not trimmed: the index is its own.
	ans, err := s.Search(context.Background(), ledger)
	if err != nil || len(ans.Hits) == 0 {
		t.Fatalf("the configured account lost its hits: %v, %+v", err, ans)
	}
}

// accountSearcher is how the CLI and a stdio server search: as the
// configured account user, remembering it in dir, with the servers at base.
func accountSearcher(t testing.TB, idx *search.Index, base, user, dir string) *retrieve.Searcher {
	t.Helper()
	cr := &atlassian.Credentials{Token: user + "-token"}
	conf, err := atlassian.NewConfluence(base, atlassian.Options{Token: cr.Token, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return retrieve.New(retrieve.Options{Index: idx, Live: &retrieve.Live{Confluence: conf}, NoFallback: true,
		Account: &atlassian.Caller{Confluence: cr}, StateDir: dir})
}

// TestTrimConfiguredAccount: the configured account is trimmed like a
// caller. A new Searcher (a CLI run) finds the account remembered in its
// state dir: the syncing account pays no request, another one only the
// batched check, and a hit its stored readers shut it out of is dropped
// before the check. With the servers down, the syncing account keeps
// everything and another keeps only open pages of a space it opened
// before, with a note that counts the rest.
func TestTrimConfiguredAccount(t *testing.T) {
	w, id := restrictedWorld(t)
	dir := t.TempDir()
	found := func(ans retrieve.Answer) (hidden bool, n int) {
		for _, h := range ans.Hits {
			hidden = hidden || h.Key == id
		}
		return hidden, len(ans.Hits)
	}
	for _, tc := range []struct {
		user     string
		hidden   bool
		requests int64 // second run, remembered
	}{{"admin", true, 0}, {"alice", false, 1}} {
		for run := range 2 {
			w.srv.ResetStats()
			sr := accountSearcher(t, w.idx, w.srv.ConfluenceURL(), tc.user, dir)
			if !sr.Trims(context.Background()) {
				t.Errorf("%s: a configured account is not trimmed", tc.user)
			}
			ans, err := sr.Search(context.Background(), ledger)
			if err != nil {
				t.Fatal(err)
			}
			hidden, n := found(ans)
			if hidden != tc.hidden || n == 0 {
				t.Errorf("%s, run %d: restricted page found %v (want %v), %d hits", tc.user, run, hidden, tc.hidden, n)
			}
			if got := w.srv.Stats()["total"]; run == 1 && got != tc.requests {
				t.Errorf("%s, run %d: %d requests, want %d: %v", tc.user, run, got, tc.requests, w.srv.Stats())
			}
			if ids := w.srv.Stats()["GET /confluence/rest/api/content/search"]; tc.user == "alice" && ids != 1 {
				t.Errorf("alice: %d batched checks, want 1", ids)
			}
		}
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	ans, err := accountSearcher(t, w.idx, down.URL+"/confluence", "admin", dir).Search(context.Background(), ledger)
	if hidden, _ := found(ans); err != nil || !hidden || len(ans.Notes) > 0 {
		t.Errorf("offline, the syncing account: restricted page found %v, notes %v, err %v", hidden, ans.Notes, err)
	}
	ans, err = accountSearcher(t, w.idx, down.URL+"/confluence", "alice", dir).Search(context.Background(), ledger)
	if err != nil {
		t.Fatal(err)
	}
	if hidden, n := found(ans); hidden || n == 0 {
		t.Errorf("offline, alice: restricted page found %v, %d hits (want the open pages)", hidden, n)
	}
	if notes := strings.Join(ans.Notes, " "); strings.Contains(notes, "Zephyrquartz") {
		t.Errorf("offline, a note names the hidden page: %v", ans.Notes)
	}
}

// BenchmarkSearchTrimmed is the latency of one query over the sample space
// with the simulator on loopback: for the configured account, for the
// syncing account as a caller, and for another caller (one batched check),
// the identity cache warm (or cold: a new Searcher per query, which asks
// the caller's user name and groups first). The cli/ cases are a new
// Searcher per query trimmed to its configured account, as `atlasbridge
// search` runs, with the identity remembered in its state dir.
func BenchmarkSearchTrimmed(b *testing.B) {
	w, _ := restrictedWorld(b)
	opts := retrieve.Options{Index: w.idx, Live: &retrieve.Live{Confluence: w.conf}, NoFallback: true}
	warm := retrieve.New(opts)
	dir := b.TempDir()
	for _, bc := range []struct {
		name    string
		ctx     context.Context
		cold    bool
		account string
	}{{"service", context.Background(), false, ""}, {"caller=syncer/warm", as("admin"), false, ""}, {"caller=other/warm", as("alice"), false, ""},
		{"caller=syncer/cold", as("admin"), true, ""}, {"caller=other/cold", as("alice"), true, ""},
		{"cli/caller=syncer/cold", context.Background(), true, "admin"}, {"cli/caller=other/cold", context.Background(), true, "alice"}} {
		b.Run(bc.name, func(b *testing.B) {
			next := func() *retrieve.Searcher {
				switch {
				case bc.account != "":
					return accountSearcher(b, w.idx, w.srv.ConfluenceURL(), bc.account, dir)
				case bc.cold:
					return retrieve.New(opts)
				}
				return warm
			}
			// Never closed: a Searcher closes its index, which they share.
			if _, err := next().Search(bc.ctx, ledger); err != nil {
				b.Fatal(err)
			}
			w.srv.ResetStats()
			for b.Loop() {
				if _, err := next().Search(bc.ctx, ledger); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.srv.Stats()["total"])/float64(b.N), "requests/op")
		})
	}
}
