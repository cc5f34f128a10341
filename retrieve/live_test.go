package retrieve_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/indexer"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

type world struct {
	srv  *atlassiantest.Server
	conf *atlassian.Confluence
	jira *atlassian.Jira
	idx  *search.Index
}

// newWorld starts the simulator (sample space ENG + generated issues) and,
// with synced, syncs only the ENG space into a fresh index.
func newWorld(t *testing.T, synced bool) *world {
	t.Helper()
	w := &world{srv: atlassiantest.NewServer(t, sim.Options{JiraIssues: 40, Seed: 5})}
	opts := atlassian.Options{Token: "admin-token", MaxRetries: -1}
	var err error
	if w.conf, err = atlassian.NewConfluence(w.srv.ConfluenceURL(), opts); err != nil {
		t.Fatal(err)
	}
	if w.jira, err = atlassian.NewJira(w.srv.JiraURL(), opts); err != nil {
		t.Fatal(err)
	}
	if synced {
		w.sync(t)
	}
	return w
}

// sync syncs w's Confluence into a fresh index, w.idx.
func (w *world) sync(t testing.TB) {
	t.Helper()
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	var err error
	w.idx, err = search.Open(context.Background(), t.TempDir(), search.Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.idx.Close() })
	ix, err := indexer.New(indexer.Options{Confluence: w.conf, Index: w.idx, Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Sync(context.Background(), indexer.RunOptions{}); err != nil {
		t.Fatal(err)
	}
}

func origins(hits []retrieve.Hit) map[string]int {
	m := map[string]int{}
	for _, h := range hits {
		m[h.Origin]++
	}
	return m
}

func TestSearcherFallback(t *testing.T) {
	synced := newWorld(t, true)
	empty := newWorld(t, false)
	// A first sync stopped before it embedded what it stored.
	unembedded := newWorld(t, false)
	idx, err := search.Open(t.Context(), t.TempDir(), search.Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if _, err := idx.UpsertWithoutVectors(t.Context(), []search.Document{{ID: "confluence:1", Source: search.SourceConfluence,
		Container: "ENG", Key: "1", Title: "Pager", URL: "https://wiki.example/1", Updated: time.Now(),
		Chunks: []search.Chunk{{Text: "Rotate the on-call pager every Monday."}}}}); err != nil {
		t.Fatal(err)
	}
	unembedded.idx = idx
	tests := []struct {
		name         string
		w            *world
		q            search.Query
		wantFallback string // substring; "" = no fallback
		wantOrigin   string // an origin that must appear
	}{
		{"no index", empty, search.Query{Text: "rotate the on-call pager", K: 5}, "no index yet", retrieve.OriginLive},
		{"first sync not embedded yet", unembedded, search.Query{Text: "rotate the on-call pager", K: 5}, "no index yet", retrieve.OriginLive},
		{"covered and confident", synced, search.Query{Text: "on-call pager rotation handover", K: 5, Sources: []string{"confluence"}}, "", retrieve.OriginIndex},
		{"project not indexed", synced, search.Query{Text: "database backup", K: 5, Projects: []string{"OPS"}}, "project OPS is not indexed", retrieve.OriginLive},
		{"weak match", synced, search.Query{Text: "zyzzyva quokka", K: 5}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := retrieve.New(retrieve.Options{Index: tc.w.idx, Live: &retrieve.Live{Confluence: tc.w.conf, Jira: tc.w.jira}})
			ans, err := s.Search(t.Context(), retrieve.Query{Query: tc.q})
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "weak match" {
				if ans.Fallback == "" {
					t.Fatalf("no fallback for a question no page answers; hits %+v", ans.Hits)
				}
				return
			}
			if tc.wantFallback == "" && ans.Fallback != "" || !strings.Contains(ans.Fallback, tc.wantFallback) {
				t.Fatalf("fallback = %q, want %q", ans.Fallback, tc.wantFallback)
			}
			if origins(ans.Hits)[tc.wantOrigin] == 0 {
				t.Fatalf("no %s hit in %+v (notes %v)", tc.wantOrigin, ans.Hits, ans.Notes)
			}
			if tc.w == unembedded && !slices.ContainsFunc(ans.Notes, func(n string) bool { return strings.Contains(n, "not ready") }) {
				t.Errorf("notes %q do not say the index is not ready", ans.Notes)
			}
			for _, h := range ans.Hits {
				if h.Title == "" || h.URL == "" || h.Key == "" || h.Container == "" || !strings.HasPrefix(h.URL, tc.w.srv.URL) {
					t.Errorf("incomplete hit %+v", h)
				}
			}
		})
	}
}

func TestSearcherNoWordInIndex(t *testing.T) {
	w := newWorld(t, true)
	// A negative MinScore turns the score test off: only the keyword probe is left.
	s := retrieve.New(retrieve.Options{Index: w.idx, Live: &retrieve.Live{Confluence: w.conf}, MinScore: -1, MaxAge: -1})
	ans, err := s.Search(t.Context(), retrieve.Query{Query: search.Query{Text: "zyzzyva quokka", K: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ans.Fallback, "no indexed text contains the words") {
		t.Fatalf("fallback = %q", ans.Fallback)
	}
	ans, err = s.Search(t.Context(), retrieve.Query{Query: search.Query{Text: "pager rotation handover", K: 5}})
	if err != nil || ans.Fallback != "" {
		t.Fatalf("fallback = %q, %v for a question the index answers", ans.Fallback, err)
	}
}

func TestSearcherServerDown(t *testing.T) {
	w := newWorld(t, true)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	conf, _ := atlassian.NewConfluence(down.URL+"/confluence", atlassian.Options{MaxRetries: -1})
	s := retrieve.New(retrieve.Options{Index: w.idx, Live: &retrieve.Live{Confluence: conf}, MaxAge: time.Nanosecond})
	ans, err := s.Search(t.Context(), retrieve.Query{Query: search.Query{Text: "deploy and roll back a release", K: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Fallback == "" || len(ans.Notes) == 0 || !strings.Contains(ans.Notes[0], "live Confluence search failed") {
		t.Fatalf("fallback %q, notes %v", ans.Fallback, ans.Notes)
	}
	if origins(ans.Hits)[retrieve.OriginIndex] == 0 {
		t.Fatal("index hits lost when the server is down")
	}
}

// TestSearcherServerHangs: a server that accepts and never answers costs
// LiveTimeout and a note; the index's hits come back.
func TestSearcherServerHangs(t *testing.T) {
	w := newWorld(t, true)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	conf, _ := atlassian.NewConfluence(hang.URL+"/confluence", atlassian.Options{Timeout: time.Minute})
	s := retrieve.New(retrieve.Options{Index: w.idx, Live: &retrieve.Live{Confluence: conf}, MaxAge: time.Nanosecond,
		LiveTimeout: 300 * time.Millisecond})
	t0 := time.Now()
	ans, err := s.Search(t.Context(), retrieve.Query{Query: search.Query{Text: "deploy and roll back a release", K: 5}, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("the search waited %s for a hanging server (LiveTimeout 300ms)", d)
	}
	if origins(ans.Hits)[retrieve.OriginIndex] == 0 || len(ans.Notes) == 0 {
		t.Fatalf("hits %v, notes %v", origins(ans.Hits), ans.Notes)
	}
}

func TestSearcherVerify(t *testing.T) {
	w := newWorld(t, true)
	s := retrieve.New(retrieve.Options{Index: w.idx, Live: &retrieve.Live{Confluence: w.conf}, MaxAge: -1, MinScore: -1})
	q := retrieve.Query{Query: search.Query{Text: "VPN setup for remote access", K: 3, Sources: []string{"confluence"}}, Verify: true}
	before, err := s.Search(t.Context(), q)
	if err != nil || len(before.Hits) < 2 {
		t.Fatalf("hits = %+v, %v", before.Hits, err)
	}
	gone, changed := before.Hits[0], before.Hits[1]
	if err := w.srv.DeletePage(gone.Key); err != nil {
		t.Fatal(err)
	}
	p, err := w.srv.GetPage(changed.Key)
	if err != nil {
		t.Fatal(err)
	}
	p.Body += "<p>edited after the sync</p>"
	p.Updated = time.Now().Add(time.Hour)
	if _, err := w.srv.UpdatePage(p); err != nil {
		t.Fatal(err)
	}
	// Verification is per query: without it the index answers as synced.
	plain, err := s.Search(t.Context(), retrieve.Query{Query: q.Query})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(plain.Hits, func(h retrieve.Hit) bool { return h.Key == gone.Key && !h.Stale }) || len(plain.Notes) != 0 {
		t.Fatalf("without Verify: hits %+v, notes %v; want the deleted page as indexed", plain.Hits, plain.Notes)
	}
	after, err := s.Search(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range after.Hits {
		if h.Key == gone.Key {
			t.Fatalf("deleted page %s still returned", gone.Key)
		}
		if h.Key == changed.Key && !h.Stale {
			t.Errorf("changed page %s not marked stale", changed.Key)
		}
	}
	if len(after.Notes) == 0 || !strings.Contains(after.Notes[0], "deleted or hidden") {
		t.Fatalf("notes = %v", after.Notes)
	}
}

// TestSearcherOpensIndexWhenDue: without an index the Searcher says why,
// tries Open again at most once every ReopenEvery, answers from the
// servers meanwhile, and picks the index up once a sync has made it; after
// Close it stays without one.
func TestSearcherOpensIndexWhenDue(t *testing.T) {
	w := newWorld(t, false)
	dir := t.TempDir()
	now := time.Date(2025, 1, 15, 9, 0, 0, 0, time.UTC)
	opens := 0
	open := func(ctx context.Context) (*search.Index, error) {
		opens++
		return search.Open(ctx, dir, search.Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true})
	}
	s := retrieve.New(retrieve.Options{Open: open, ReopenEvery: time.Minute, Live: &retrieve.Live{Confluence: w.conf},
		Now: func() time.Time { return now }})
	defer s.Close()
	if _, err := s.Index(t.Context()); !errors.Is(err, search.ErrNoIndex) || opens != 1 {
		t.Fatalf("no index yet: %v after %d opens", err, opens)
	}
	q := retrieve.Query{Query: search.Query{Text: "rotate the on-call pager", K: 5}}
	ans, err := s.Search(t.Context(), q)
	if err != nil || ans.Fallback == "" || origins(ans.Hits)[retrieve.OriginLive] == 0 || opens != 1 {
		t.Fatalf("without an index: %+v, %v after %d opens (want live hits, no new open)", ans, err, opens)
	}

	// A sync makes the index; the Searcher opens it once the minute is up.
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	x, err := search.Open(t.Context(), dir, search.Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := indexer.New(indexer.Options{Confluence: w.conf, Index: x, Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Sync(t.Context(), indexer.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	x.Close()
	if _, err := s.Index(t.Context()); err == nil || opens != 1 {
		t.Fatalf("opened before ReopenEvery passed: %v, %d opens", err, opens)
	}
	now = now.Add(time.Minute)
	if err := s.Preload(t.Context()); err != nil || opens != 2 {
		t.Fatalf("preload after the sync: %v, %d opens", err, opens)
	}
	ans, err = s.Search(t.Context(), retrieve.Query{Query: search.Query{Text: "on-call pager rotation handover", K: 5, Sources: []string{"confluence"}}})
	if err != nil || origins(ans.Hits)[retrieve.OriginIndex] == 0 {
		t.Fatalf("with the index: %+v, %v", ans, err)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if _, err := s.Index(t.Context()); !errors.Is(err, search.ErrNoIndex) || opens != 2 {
		t.Fatalf("after Close: %v, %d opens", err, opens)
	}
}

func TestLiveQueriesAreEscaped(t *testing.T) {
	l := &retrieve.Live{Spaces: []string{"ENG", "OPS"}}
	words := retrieve.QueryWords(`how do I "reset" my password" OR space = SECRET OR text ~ "x`, 8)
	cql, ok := l.ConfluenceCQL(search.Query{Labels: []string{`a"b`}}, words, false)
	if !ok {
		t.Fatal("no CQL")
	}
	want := `text ~ "reset password space secret text" AND type in (page, blogpost) AND space in ("ENG", "OPS") AND label in ("a\"b")`
	if cql != want {
		t.Fatalf("cql =\n%s\nwant\n%s", cql, want)
	}
	if _, ok := l.ConfluenceCQL(search.Query{Spaces: []string{"HR"}}, words, false); ok {
		t.Fatal("a space outside the allow-list was searched")
	}
	jql, _ := (&retrieve.Live{}).JiraJQL(search.Query{Statuses: []string{"In Progress"}, UpdatedAfter: time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)}, []string{"login", "timeout"}, true)
	if want := `(text ~ "login" OR text ~ "timeout") AND status in ("In Progress") AND updated >= "2024/01/31"`; jql != want {
		t.Fatalf("jql = %s", jql)
	}
}

func TestQueryWords(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"How do we rotate the on-call pager?", 0, "rotate call pager"},
		{"bugs like ABC-123 about login timeouts", 0, "bugs like abc 123 login timeouts"},
		{"a b c", 0, ""},
		{"alpha beta gamma delta epsilon", 2, "epsilon"},
	}
	for _, tc := range tests {
		got := strings.Join(retrieve.QueryWords(tc.in, tc.max), " ")
		if tc.max == 2 {
			if n := len(retrieve.QueryWords(tc.in, tc.max)); n != 2 || !strings.Contains(got, "epsilon") {
				t.Errorf("QueryWords(%q, 2) = %q", tc.in, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("QueryWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSearcherWeakAnswer: a question about something the index lacks, in
// words some pages share, is called weak and asks the servers; one the
// index answers is not.
func TestSearcherWeakAnswer(t *testing.T) {
	w := newWorld(t, true)
	s := retrieve.New(retrieve.Options{Index: w.idx, Live: &retrieve.Live{Confluence: w.conf}, MaxAge: -1})
	tests := []struct {
		q    string
		weak bool
	}{
		{"how many vacation days does a new employee get", true},
		{"renew the TLS certificate on the AWS load balancer", true},
		{"deploy and roll back a release", false},
		{"on-call pager rotation handover", false},
	}
	for _, tc := range tests {
		ans, err := s.Search(t.Context(), retrieve.Query{Query: search.Query{Text: tc.q, K: 5}})
		if err != nil {
			t.Fatal(err)
		}
		if ans.Weak != tc.weak || ans.Weak != (ans.Fallback != "") {
			t.Errorf("%q: weak %v (confidence %.2f), fallback %q; want weak %v", tc.q, ans.Weak, ans.Confidence, ans.Fallback, tc.weak)
		}
		if ans.Weak && !strings.Contains(ans.Fallback, "hold little of the question") {
			t.Errorf("%q: fallback %q", tc.q, ans.Fallback)
		}
	}
}
