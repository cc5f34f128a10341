package search

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"unsafe"
)

// TestVecArena checks the blocks the arena hands out: zeroed, cache-line
// aligned, never overlapping, usable after a free, and what it maps.
func TestVecArena(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int // floats per block, in order
	}{
		{name: "small blocks", sizes: []int{8 * 64, 16 * 64, 32 * 64, 3, 1}},
		{name: "block larger than a region", sizes: []int{minRegion, 5}},
		{name: "many blocks over several regions", sizes: repeat(256*640, 20)},
		{name: "empty block", sizes: []int{0, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &vecArena{}
			defer a.free()
			var blocks [][]float32
			for _, n := range tc.sizes {
				b := a.alloc(n)
				if len(b) != n || cap(b) != n {
					t.Fatalf("alloc(%d): len %d cap %d", n, len(b), cap(b))
				}
				if n == 0 {
					continue
				}
				if p := uintptr(unsafe.Pointer(&b[0])); p%(4*vecAlign) != 0 {
					t.Fatalf("alloc(%d) at %#x: not aligned to %d bytes", n, p, 4*vecAlign)
				}
				for i, f := range b {
					if f != 0 {
						t.Fatalf("alloc(%d)[%d] = %v, want 0", n, i, f)
					}
				}
				for i := range b {
					b[i] = float32(len(blocks) + 1)
				}
				blocks = append(blocks, b)
			}
			for i, b := range blocks {
				for _, f := range b {
					if f != float32(i+1) {
						t.Fatalf("block %d was overwritten by a later block", i)
					}
				}
			}
			if mapRegionWorks() && a.size() == 0 {
				t.Fatal("nothing mapped")
			}
			a.free()
			if a.size() != 0 {
				t.Fatalf("%d bytes mapped after free", a.size())
			}
			if b := a.alloc(10); len(b) != 10 || b[9] != 0 {
				t.Fatal("alloc after free")
			}
		})
	}
}

func repeat(n, times int) []int {
	out := make([]int, times)
	for i := range out {
		out[i] = n
	}
	return out
}

func mapRegionWorks() bool {
	b, err := mapRegion(minRegion)
	if err != nil {
		return false
	}
	unmapRegion(b)
	return true
}

// TestVectorsOffHeap checks that a loaded index keeps its vectors in its
// arena, that Close gives them back, and that a reload after a change of
// the store releases the old arena.
func TestVectorsOffHeap(t *testing.T) {
	if !mapRegionWorks() {
		t.Skip("no anonymous memory mappings here: vectors stay on the heap")
	}
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
	inArena := func(v []float32) bool {
		p := uintptr(unsafe.Pointer(&v[0]))
		for _, b := range m.arena.regions {
			start := uintptr(unsafe.Pointer(&b[0]))
			if p >= start && p < start+uintptr(len(b)) {
				return true
			}
		}
		return false
	}
	n := 0
	for _, set := range m.colls {
		for _, s := range set.shards {
			for _, row := range s.rows {
				if row.ord >= 0 {
					n++
					if !inArena(row.vec) {
						t.Fatalf("the vector of chunk %d is not in the arena", row.ord)
					}
				}
			}
		}
	}
	if n != 1000 {
		t.Fatalf("%d vectors loaded, want 1000", n)
	}
	// A reset makes the reader load everything again: the old arena goes.
	if err := w.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Upsert(ctx, corpus.docs(0, 10)); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if m.arena.size() != 0 {
		t.Fatal("a full reload kept the old arena mapped")
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
