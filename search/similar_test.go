package search

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/embed"
)

func TestSimilar(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		doc       string
		q         Query
		wantFirst string
		wantIDs   []string // exact set, sorted; nil: not checked
	}{
		{name: "issue finds the runbook", doc: "jira:OPS-1", wantFirst: "confluence:100"},
		{name: "incident finds the page", doc: "jira:WEB-7", wantFirst: "confluence:200"},
		{name: "page finds the issue", doc: "confluence:200", q: Query{Sources: []string{"jira"}}, wantFirst: "jira:WEB-7",
			wantIDs: []string{"jira:OPS-1", "jira:WEB-7"}},
		{name: "filters apply", doc: "jira:OPS-1", q: Query{Spaces: []string{"OPS"}, Projects: []string{"WEB"}},
			wantIDs: []string{"confluence:100", "confluence:200", "jira:WEB-7"}},
		{name: "k", doc: "jira:OPS-1", q: Query{K: 1}, wantFirst: "confluence:100", wantIDs: []string{"confluence:100"}},
		{name: "text ignored", doc: "jira:OPS-1", q: Query{Text: "certificates"}, wantFirst: "confluence:100"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := x.Similar(ctx, tc.doc, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(rs)
			if slices.Contains(got, tc.doc) {
				t.Fatalf("%s is similar to itself: %v", tc.doc, got)
			}
			if tc.wantFirst != "" && (len(got) == 0 || got[0] != tc.wantFirst) {
				t.Fatalf("results = %v, want %s first", got, tc.wantFirst)
			}
			if tc.wantIDs != nil {
				slices.Sort(got)
				if !slices.Equal(got, tc.wantIDs) {
					t.Fatalf("results = %v, want %v", got, tc.wantIDs)
				}
			}
			for _, r := range rs {
				if r.Title == "" || r.URL == "" || r.Snippet == "" {
					t.Errorf("incomplete result %+v", r)
				}
			}
		})
	}
}

func TestSimilarErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	x := openWriter(t, dir, newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Similar(ctx, "jira:NOPE-1", Query{}); !errors.Is(err, ErrNotIndexed) || !strings.Contains(err.Error(), "jira:NOPE-1") {
		t.Errorf("unknown document: %v", err)
	}
	if _, err := x.Similar(ctx, "jira:OPS-1", Query{K: -1}); err == nil || !strings.Contains(err.Error(), "K is -1") {
		t.Errorf("negative K: %v", err)
	}
	if _, err := x.Similar(ctx, "jira:OPS-1", Query{Mode: "fuzzy"}); err == nil || !strings.Contains(err.Error(), "unknown search mode") {
		t.Errorf("bad mode: %v", err)
	}
	x.Close()
	if _, err := x.Similar(ctx, "jira:OPS-1", Query{}); !errors.Is(err, ErrClosed) {
		t.Errorf("closed index: %v", err)
	}
}

// A reader sees what a writer committed after it opened, Similar included.
func TestSimilarFollowsCommits(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, newHashEmbedder())
	docs := sampleDocs()
	if _, err := w.Upsert(ctx, docs[:3]); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir, newHashEmbedder())
	if _, err := r.Similar(ctx, "jira:OPS-1", Query{}); !errors.Is(err, ErrNotIndexed) {
		t.Fatalf("before the commit: %v", err)
	}
	if _, err := w.Upsert(ctx, docs[3:]); err != nil {
		t.Fatal(err)
	}
	rs, err := r.Similar(ctx, "jira:OPS-1", Query{K: 3})
	if err != nil || len(rs) == 0 || rs[0].DocID != "confluence:100" {
		t.Fatalf("after the commit: %v, %v", ids(rs), err)
	}
}

func TestLookup(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	r, err := x.Lookup(ctx, "jira:OPS-1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Key != "OPS-1" || r.Container != "OPS" || r.Title != "Agent crashes on startup" || r.Status != "Open" ||
		r.Type != "Bug" || !r.Updated.Equal(testTime) || !slices.Equal(r.Labels, []string{"linux"}) {
		t.Errorf("lookup = %+v", r)
	}
	if _, err := x.Lookup(ctx, "confluence:999"); !errors.Is(err, ErrNotIndexed) {
		t.Errorf("unknown document: %v", err)
	}
	x.Close()
	if _, err := x.Lookup(ctx, "jira:OPS-1"); !errors.Is(err, ErrClosed) {
		t.Errorf("closed index: %v", err)
	}
}

func TestCutWords(t *testing.T) {
	cases := []struct {
		s    string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"one two three", 9, "one two"},
		{"one two three", 7, "one two"},
		{"unbreakable", 4, "unbr"},
		{"ééé", 3, "é"}, // never inside a rune
	}
	for _, tc := range cases {
		if got := cutWords(tc.s, tc.max); got != tc.want {
			t.Errorf("cutWords(%q, %d) = %q, want %q", tc.s, tc.max, got, tc.want)
		}
	}
}

func TestDocID(t *testing.T) {
	if got := DocID(SourceJira, "ops-7"); got != "jira:OPS-7" {
		t.Errorf("jira: %s", got)
	}
	if got := DocID(SourceConfluence, "65601"); got != "confluence:65601" {
		t.Errorf("confluence: %s", got)
	}
}

// BenchmarkSimilar measures Similar (a document's ~2,000 bytes as the
// query) against Search with a short question, on a synthetic index of
// ATLASBRIDGE_SIMILAR_CHUNKS chunks (default 10,000; built once per run):
//
//	ATLASBRIDGE_SIMILAR_CHUNKS=100000 go test ./search -run '^$' -bench Similar -benchtime 50x
func BenchmarkSimilar(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("ATLASBRIDGE_SIMILAR_CHUNKS")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	buildSynthetic(b, dir, n, 0)
	ctx := context.Background()
	x, err := Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	question := newSynthCorpus(7).words(8)
	b.Run("similar", func(b *testing.B) {
		i := 0
		for b.Loop() {
			id := synthID(i * 7 % (n / 5))
			i++
			rs, err := x.Similar(ctx, id, Query{K: 10})
			if err != nil || len(rs) != 10 {
				b.Fatal(len(rs), err)
			}
		}
	})
	b.Run("search", func(b *testing.B) {
		for b.Loop() {
			if _, err := x.Search(ctx, Query{Text: question, K: 10}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSimilarSnippetsFollowTheTitle: the snippets of similar documents are
// centred on the words of the document's title, not on the boilerplate its
// body shares with every document of its kind.
func TestSimilarSnippetsFollowTheTitle(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	boiler := strings.Repeat("Steps to reproduce: open the dashboard, wait for the nightly job, check the logs of the service. ", 4)
	doc := func(key, title, body string) Document {
		return Document{ID: "jira:" + key, Source: SourceJira, Container: "OPS", Key: key, Title: title,
			URL: "https://jira.example/browse/" + key, Updated: testTime, Type: "Bug", Status: "Open",
			Chunks: []Chunk{{Index: 0, Text: body}}}
	}
	if _, err := x.Upsert(ctx, []Document{
		doc("OPS-1", "Payments gateway timeout", boiler+"The payments gateway times out after thirty seconds."),
		doc("OPS-2", "Payments gateway timeout again", boiler+"Again the payments gateway timeout hit checkout."),
		doc("OPS-3", "Search index lag", boiler+"The search index lags behind by an hour."),
	}); err != nil {
		t.Fatal(err)
	}
	rs, err := x.Similar(ctx, "jira:OPS-1", Query{SnippetSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 || rs[0].DocID != "jira:OPS-2" {
		t.Fatalf("results %v, want jira:OPS-2 first", ids(rs))
	}
	if !strings.Contains(strings.ToLower(rs[0].Snippet), "gateway") {
		t.Errorf("snippet %q is not about the title's words", rs[0].Snippet)
	}
}
