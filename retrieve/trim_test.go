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

// BenchmarkSearchTrimmed is the latency of one query over the sample space
// with the simulator on loopback: for the configured account, for the
// syncing account as a caller, and for another caller (one batched check),
// the user-name cache warm (or cold: a new Searcher per query, which asks
// the caller's user name first).
func BenchmarkSearchTrimmed(b *testing.B) {
	w, _ := restrictedWorld(b)
	opts := retrieve.Options{Index: w.idx, Live: &retrieve.Live{Confluence: w.conf}, NoFallback: true}
	warm := retrieve.New(opts)
	for _, bc := range []struct {
		name string
		ctx  context.Context
		cold bool
	}{{"service", context.Background(), false}, {"caller=syncer/warm", as("admin"), false}, {"caller=other/warm", as("alice"), false},
		{"caller=syncer/cold", as("admin"), true}, {"caller=other/cold", as("alice"), true}} {
		b.Run(bc.name, func(b *testing.B) {
			if _, err := warm.Search(bc.ctx, ledger); err != nil {
				b.Fatal(err)
			}
			w.srv.ResetStats()
			for b.Loop() {
				s := warm
				if bc.cold {
					s = retrieve.New(opts) // never closed: it would close the shared index
				}
				if _, err := s.Search(bc.ctx, ledger); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.srv.Stats()["total"])/float64(b.N), "requests/op")
		})
	}
}
