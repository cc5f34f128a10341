package search

import (
	"context"
	"runtime"
	"slices"
	"testing"

	"github.com/atlasbridge/atlasbridge/search/internal/vec"
)

// TestVectorsOffHeap checks that a loaded index keeps its vectors outside
// the heap, that a reload after a reset releases the old ones, and that
// Close gives them back.
func TestVectorsOffHeap(t *testing.T) {
	probe := vec.New[int](4, 8)
	if _, err := probe.Add(0, 0, []float32{1, 0, 0, 0}); err != nil || probe.MappedBytes() == 0 {
		t.Skip("no anonymous memory mappings here: vectors stay on the heap")
	}
	probe.Release()
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, newHashEmbedder())
	corpus := newSynthCorpus(3)
	if _, err := w.Upsert(ctx, corpus.docs(0, 200)); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, dir, Options{Embedder: newHashEmbedder(), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	mapped := r.offHeapBytes()
	if mapped < 1000*64*4 {
		t.Fatalf("%d bytes mapped for 1,000 vectors of 64 floats", mapped)
	}
	r.memMu.RLock()
	m := r.mem
	r.memMu.RUnlock()
	// A reset makes the reader load everything again: the old vectors go.
	if err := w.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Upsert(ctx, corpus.docs(0, 10)); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if m.vecs.MappedBytes() != 0 {
		t.Fatal("a full reload kept the old vectors mapped")
	}
	if rs, err := r.Search(ctx, Query{Text: corpus.words(3), K: 3}); err != nil || len(rs) == 0 {
		t.Fatalf("search after the reload: %v, %v", ids(rs), err)
	}
	r.Close()
	if r.offHeapBytes() != 0 {
		t.Fatal("Close left vectors mapped")
	}
	runtime.KeepAlive(m)
}

// TestSearchReadsHitsFromStore checks that what a result shows comes from
// the store as it is when the hit is read, after the ranking: a document
// removed from the store since (here behind the change log's back, as a
// concurrent sync's commit between ranking and reading would look) is
// left out, and a hit whose chunk is gone keeps its document's fields
// without a snippet.
func TestSearchReadsHitsFromStore(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		exec    string   // run on the store behind the reader's back
		wantIDs []string // in any order: a missing text changes the proximity rerank
		snippet bool     // confluence:200 keeps a snippet
	}{
		{name: "unchanged", wantIDs: []string{"confluence:200", "jira:WEB-7"}, snippet: true},
		{name: "document gone", exec: `DELETE FROM documents WHERE id = 'confluence:200'`, wantIDs: []string{"jira:WEB-7"}},
		{name: "chunk gone", exec: `DELETE FROM chunks WHERE doc_id = 'confluence:200'`, wantIDs: []string{"confluence:200", "jira:WEB-7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w := openWriter(t, dir, newHashEmbedder())
			if _, err := w.Upsert(ctx, sampleDocs()); err != nil {
				t.Fatal(err)
			}
			r := openReader(t, dir, newHashEmbedder())
			if tc.exec != "" {
				if _, err := w.db.ExecContext(ctx, tc.exec); err != nil {
					t.Fatal(err)
				}
			}
			rs, err := r.Search(ctx, Query{Text: "certificates expired TLS", Mode: Keyword, K: 5})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rs); !slices.Equal(slices.Sorted(slices.Values(got)), tc.wantIDs) {
				t.Fatalf("results %v, want %v", got, tc.wantIDs)
			}
			for _, res := range rs {
				if res.DocID != "confluence:200" {
					continue
				}
				if res.Title != "Rotate certificates" || res.URL != "https://wiki.example/pages/200" || res.Key != "200" ||
					!slices.Equal(res.Labels, []string{"security"}) || res.Score <= 0 || !res.KeywordHit {
					t.Fatalf("confluence:200 read back as %+v", res)
				}
				if (res.Snippet != "") != tc.snippet || (res.Heading == "Certificates") != tc.snippet {
					t.Fatalf("snippet %q heading %q; want a snippet: %v", res.Snippet, res.Heading, tc.snippet)
				}
			}
		})
	}
}
