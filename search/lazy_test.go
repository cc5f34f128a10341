package search

import (
	"context"
	"errors"
	"testing"
)

func TestLazyOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, newHashEmbedder())
	if _, err := w.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		lazy, loaded bool // loaded: right after Open
	}{
		{"eager", false, true},
		{"lazy", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(ctx, dir, Options{Embedder: newHashEmbedder(), ReadOnly: true, Lazy: tc.lazy})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			loaded := func() bool {
				r.memMu.RLock()
				defer r.memMu.RUnlock()
				return r.mem != nil
			}
			if loaded() != tc.loaded {
				t.Fatalf("loaded after Open = %v, want %v", loaded(), tc.loaded)
			}
			st, err := r.Status(ctx)
			if err != nil || st.Documents != 5 || st.Chunks != 6 {
				t.Fatalf("Status = %+v, %v; want 5 documents, 6 chunks", st, err)
			}
			if _, err := r.Lookup(ctx, "jira:OPS-1"); err != nil {
				t.Fatal(err)
			}
			if loaded() != tc.loaded {
				t.Fatal("Status or Lookup loaded the search structures")
			}
			rs, err := r.Search(ctx, Query{Text: "rotate certificates"})
			if err != nil || len(rs) == 0 || rs[0].DocID != "confluence:200" {
				t.Fatalf("Search = %v, %v", ids(rs), err)
			}
			if !loaded() {
				t.Fatal("not loaded after Search")
			}
		})
	}
}

// TestLazyOpenReportsDamageAtFirstSearch: a lazy open of a store with a
// damaged vector succeeds and answers Status; the first Search reports the
// damage with the fix, as an eager open does at once.
func TestLazyOpenReportsDamageAtFirstSearch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, newHashEmbedder())
	if _, err := w.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.ExecContext(ctx, `UPDATE vectors SET vec = x'0102'`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dir, Options{Embedder: newHashEmbedder(), ReadOnly: true}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("eager open: %v, want ErrCorrupt", err)
	}
	r, err := Open(ctx, dir, Options{Embedder: newHashEmbedder(), ReadOnly: true, Lazy: true})
	if err != nil {
		t.Fatalf("lazy open: %v", err)
	}
	defer r.Close()
	if st, err := r.Status(ctx); err != nil || st.Documents != 5 {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if _, err := r.Search(ctx, Query{Text: "agent"}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("first Search: %v, want ErrCorrupt", err)
	}
}

// TestWarmLoadsAndDerives: Warm loads a lazily opened index and derives
// the page ranking's keys, which a snapshot leaves to the first search.
func TestWarmLoadsAndDerives(t *testing.T) {
	dir := t.TempDir()
	writeCorpus(t, dir, append(sampleDocs(), newSynthCorpus(4).docs(0, 20)...))
	x, err := Open(context.Background(), dir, Options{Embedder: newHashEmbedder(), ReadOnly: true, Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	x.Settle()
	x.memMu.RLock()
	defer x.memMu.RUnlock()
	if x.mem == nil {
		t.Fatal("Warm did not load the index")
	}
	p := &x.mem.pageKey
	if p.stale || len(p.key) != len(x.mem.chunks) || len(p.key) == 0 {
		t.Fatalf("page keys for %d of %d chunks (stale %v)", len(p.key), len(x.mem.chunks), p.stale)
	}
}
