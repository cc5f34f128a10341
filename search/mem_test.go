package search

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReembedPages re-embeds an index larger than one page of Reembed:
// every distinct text gets exactly one vector of the new model, shared by
// the chunks that carry it, whatever page it fell in; an embedder failing
// halfway leaves the old vectors and model as they were.
func TestReembedPages(t *testing.T) {
	ctx := context.Background()
	var docs []Document
	distinct := map[string]bool{}
	for i := range 40 {
		d := Document{ID: fmt.Sprintf("confluence:%d", i), Source: SourceConfluence, Container: "ENG",
			Title: fmt.Sprintf("page %d", i), Updated: testTime}
		for j := range 3 {
			// Every fifth page repeats the texts of page 0: shared hashes.
			text := fmt.Sprintf("page %d part %d about rotating certificates and backups", i, j)
			if i%5 == 0 {
				text = fmt.Sprintf("page 0 part %d about rotating certificates and backups", j)
			}
			distinct[text] = true
			d.Chunks = append(d.Chunks, Chunk{Index: j, Text: text})
		}
		docs = append(docs, d)
	}
	// The text Reembed reaches last (it goes in hash order).
	var last string
	for text := range distinct {
		if last == "" || chunkHash(Chunk{Text: text}) > chunkHash(Chunk{Text: last}) {
			last = text
		}
	}
	for _, tc := range []struct {
		name   string
		page   int
		failOn string // the re-embed fails on this text
	}{
		{name: "pages of 7", page: 7},
		{name: "one page", page: 1000},
		{name: "page of 1", page: 1},
		{name: "embedder fails on the last page", page: 7, failOn: last},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emb := newFitEmbedder()
			x, err := Open(ctx, t.TempDir(), Options{Embedder: emb, EmbedBatch: 3})
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			x.reembedPage = tc.page
			if _, err := x.Upsert(ctx, docs); err != nil {
				t.Fatal(err)
			}
			before := storedVectors(t, x)
			old := emb.Model()
			if err := emb.Fit(ctx, texts(docs)); err != nil {
				t.Fatal(err)
			}
			emb.base.failOn = tc.failOn
			n, err := x.Reembed(ctx)
			if tc.failOn != "" {
				if err == nil || !strings.Contains(err.Error(), "embedder refused the text") {
					t.Fatalf("Reembed with a failing embedder = %d, %v; want the embedder's error", n, err)
				}
				if got := storedVectors(t, x); !maps2Equal(got, before) {
					t.Fatal("a failed re-embed changed the stored vectors")
				}
				if st, _ := x.Status(ctx); st.Model != old {
					t.Fatalf("a failed re-embed changed the model to %q, want %q", st.Model, old)
				}
				return
			}
			if err != nil || n != len(distinct) {
				t.Fatalf("Reembed = %d, %v; want %d distinct texts", n, err, len(distinct))
			}
			got := storedVectors(t, x)
			if len(got) != len(distinct) {
				t.Fatalf("%d texts have a vector, want %d", len(got), len(distinct))
			}
			for text, vec := range got {
				want, err := emb.Embed(ctx, []string{text})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(vec, want[0]) {
					t.Fatalf("the vector of %q is not the new model's", text)
				}
			}
			if st, _ := x.Status(ctx); st.Model != emb.Model() || st.Dims != emb.base.dims {
				t.Fatalf("after Reembed: model %q dims %d, want %q %d", st.Model, st.Dims, emb.Model(), emb.base.dims)
			}
			rs, err := x.Search(ctx, Query{Text: "page 0 part 1 rotating certificates", Mode: Vector, K: 1})
			if err != nil || len(rs) == 0 {
				t.Fatalf("search after Reembed: %v, %v", ids(rs), err)
			}
		})
	}
}

// storedVectors maps each chunk text to the vector stored for it; a chunk
// without a vector fails the test.
func storedVectors(t *testing.T, x *Index) map[string][]float32 {
	t.Helper()
	rows, err := x.db.Query(`SELECT c.text, v.vec FROM chunks c LEFT JOIN vectors v ON v.hash = c.hash`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]float32{}
	for rows.Next() {
		var text string
		var blob []byte
		if err := rows.Scan(&text, &blob); err != nil {
			t.Fatal(err)
		}
		if blob == nil {
			t.Fatalf("chunk %q has no vector", text)
		}
		v, err := decodeVector(blob, 0)
		if err != nil {
			t.Fatal(err)
		}
		out[text] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := x.db.QueryRow(`SELECT count(*) FROM vectors`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(out) {
		t.Fatalf("%d vectors stored for %d distinct texts", n, len(out))
	}
	return out
}

func maps2Equal(a, b map[string][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestReloadMemory measures the peak heap while an index whose search
// structures are loaded reloads them in full after a Reembed (what serve
// does when a background sync refits the embedder): about one index's
// worth above the loaded index, not two.
//
//	ATLASBRIDGE_MEM_RELOAD=50000 go test ./search -run ReloadMemory -v
func TestReloadMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ATLASBRIDGE_MEM_RELOAD"))
	if n < 1 {
		t.Skip("set ATLASBRIDGE_MEM_RELOAD=50000 (chunks) to measure")
	}
	ctx := context.Background()
	emb := newFitEmbedder()
	emb.base.dims = 512
	x, err := Open(ctx, t.TempDir(), Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	words := strings.Fields("deploy rollback database migration incident latency certificate backup restore kubernetes pager escalation postgres replica timeout checkout payment release canary monitoring")
	for start := 0; start < n; start += 1000 {
		var docs []Document
		for i := start; i < min(start+1000, n); i++ {
			text := fmt.Sprintf("chunk %d: %s %s %s and %s", i, words[i%20], words[i/20%20], words[i/400%20], words[i/7%20])
			docs = append(docs, Document{ID: fmt.Sprintf("confluence:%d", i), Source: SourceConfluence, Container: "ENG",
				Title: "t", Updated: testTime, Chunks: []Chunk{{Index: 0, Text: text}}})
		}
		if _, err := x.Upsert(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
	// A reader's load, as serve and search do at start.
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := samplePeak()
	r, err := Open(ctx, x.Dir(), Options{Embedder: emb, ReadOnly: true})
	openPeak := stop()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Logf("%d chunks: heap in use before a reader opens %d MiB; peak during its load %d MiB", n, base.HeapInuse>>20, openPeak>>20)

	if _, err := x.Search(ctx, Query{Text: "deploy", K: 1}); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var loaded runtime.MemStats
	runtime.ReadMemStats(&loaded)
	if err := emb.Fit(ctx, func(yield func(string) bool) { yield("refit") }); err != nil {
		t.Fatal(err)
	}
	stop = samplePeak()
	_, err = x.Reembed(ctx)
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d chunks: heap in use with the index loaded %d MiB; peak during Reembed and reload %d MiB",
		n, loaded.HeapInuse>>20, peak>>20)
}

// samplePeak samples the heap in use every 10 ms until the returned
// function is called, which returns the peak.
func samplePeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// TestReloadAfterReembedWhileLoaded re-embeds an index whose search
// structures are loaded: the full reload that follows (the old structures
// dropped first) serves the new vectors.
func TestReloadAfterReembedWhileLoaded(t *testing.T) {
	ctx := context.Background()
	emb := newFitEmbedder()
	x, err := Open(ctx, t.TempDir(), Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	docs := sampleDocs()
	if _, err := x.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	before, err := x.Search(ctx, Query{Text: "rotate certificates", Mode: Vector, K: 3})
	if err != nil || len(before) == 0 {
		t.Fatalf("search before: %v, %v", ids(before), err)
	}
	if err := emb.Fit(ctx, texts(docs)); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Reembed(ctx); err != nil {
		t.Fatal(err)
	}
	x.memMu.RLock()
	m := x.mem
	x.memMu.RUnlock()
	if m == nil || m.model != emb.Model() {
		t.Fatalf("after Reembed the loaded structures are not of model %q", emb.Model())
	}
	after, err := x.Search(ctx, Query{Text: "rotate certificates", Mode: Vector, K: 3})
	if err != nil || len(after) == 0 || after[0].DocID != "confluence:200" {
		t.Fatalf("search after Reembed: %v, %v", ids(after), err)
	}
}
