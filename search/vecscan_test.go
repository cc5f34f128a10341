package search

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/atlasbridge/atlasbridge/embed"
)

func TestDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 64, 65, 100, 512, 640, 1000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			a, b := make([]float32, n), make([]float32, n+3) // b longer: only len(a) counts
			var want, mag float64
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
			for i := range a {
				a[i] = float32(rng.NormFloat64())
				want += float64(a[i]) * float64(b[i])
				mag += math.Abs(float64(a[i]) * float64(b[i]))
			}
			tol := 1e-5 * (mag + 1)
			for name, got := range map[string]float32{"dot": dot(a, b), "dotGeneric": dotGeneric(a, b)} {
				if math.Abs(float64(got)-want) > tol {
					t.Errorf("%s of %d floats = %v, want %v", name, n, got, want)
				}
			}
		})
	}
}

// scaledEmbedder returns the hash embedder's vectors times 3: not unit
// length, as a remote embedder's may be.
type scaledEmbedder struct{ *hashEmbedder }

func (e *scaledEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	vs, err := e.hashEmbedder.Embed(ctx, texts)
	for _, v := range vs {
		for i := range v {
			v[i] *= 3
		}
	}
	return vs, err
}

// checkShards verifies the shards against the chunks: every live chunk is
// one row of its shard, the row knows its ordinal, and the row's vector is
// the very slice chromem-go holds for the document (no second copy).
func checkShards(t *testing.T, m *memIndex) {
	t.Helper()
	ctx := context.Background()
	rows := 0
	for name, set := range m.colls {
		for _, s := range set.shards {
			if n := s.coll.Count(); n != s.live() {
				t.Fatalf("%s: chromem-go holds %d documents, the shard %d", name, n, s.live())
			}
			if len(s.rows) > m.shardSize {
				t.Fatalf("%s: %d slots, at most %d wanted", name, len(s.rows), m.shardSize)
			}
			free := make(map[int32]bool)
			for _, i := range s.free {
				if free[i] || s.rows[i].ord != -1 {
					t.Fatalf("%s: free list %v names slot %d (ord %d) wrongly", name, s.free, i, s.rows[i].ord)
				}
				free[i] = true
			}
			rows += s.live()
			var first []float32
			for i, r := range s.rows {
				if r.ord < 0 {
					if !free[int32(i)] {
						t.Fatalf("%s: slot %d is neither used nor free", name, i)
					}
					continue
				}
				c := m.chunks[r.ord]
				if c.doc == nil || c.shard != s || int(c.row) != i {
					t.Fatalf("%s: slot %d (chunk %d) does not match its chunk record %+v", name, i, r.ord, c)
				}
				if !isUnit(r.vec) {
					t.Fatalf("%s: slot %d is not a unit vector", name, i)
				}
				first = r.vec
			}
			if first == nil {
				continue
			}
			// QueryEmbedding hands out chromem-go's own slices.
			res, err := s.coll.QueryEmbedding(ctx, first, s.live(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			held := make(map[*float32]bool, len(res))
			for _, r := range res {
				held[&r.Embedding[0]] = true
			}
			for i, r := range s.rows {
				if r.ord >= 0 && !held[&r.vec[0]] {
					t.Fatalf("%s: slot %d scans a vector chromem-go does not hold (a second copy)", name, i)
				}
			}
		}
	}
	if rows != m.liveChunks() {
		t.Fatalf("%d rows in shards, %d live chunks", rows, m.liveChunks())
	}
}

// chromemRanking is what chromem-go's own query over every shard of the
// allowed containers returns, as chunk ordinals best first, among the chunks
// keep allows.
func chromemRanking(t *testing.T, m *memIndex, q []float32, f *filter) []scored {
	t.Helper()
	byID := make(map[string]int32)
	for o, c := range m.chunks {
		if c.doc != nil {
			byID[chunkID(c.doc.id, c.idx)] = int32(o)
		}
	}
	var all []scored
	for _, set := range m.colls {
		if !f.allowsContainer(set.source, set.container) {
			continue
		}
		for _, s := range set.shards {
			n := s.coll.Count()
			if n == 0 {
				continue
			}
			res, err := s.coll.QueryEmbedding(context.Background(), q, n, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				o := byID[r.ID]
				if f.check(m.chunks[o].doc) {
					all = append(all, scored{chunk: o, score: float64(r.Similarity)})
				}
			}
		}
	}
	return topScored(all, len(all))
}

// sameRanking compares two rankings of chunks: equal scores (within float
// rounding) and the same chunks, except that chunks whose scores tie may
// trade places.
func sameRanking(t *testing.T, got, want []scored) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d chunks, chromem-go ranks %d", len(got), len(want))
	}
	const eps = 1e-5
	for i := range got {
		if math.Abs(got[i].score-want[i].score) > eps {
			t.Fatalf("rank %d: score %v, chromem-go %v", i, got[i].score, want[i].score)
		}
		if got[i].chunk == want[i].chunk {
			continue
		}
		// A tie: the chunk must appear in want at an equal score.
		found := false
		for _, w := range want {
			if w.chunk == got[i].chunk && math.Abs(w.score-got[i].score) <= eps {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("rank %d: chunk %d (%v), chromem-go has chunk %d (%v)", i, got[i].chunk, got[i].score, want[i].chunk, want[i].score)
		}
	}
}

// TestVectorScanMatchesChromem checks the index's scan against chromem-go's
// own query of the same collections, with and without filters, after
// updates and deletions have moved rows around and compaction renumbered
// the chunks, and with an embedder whose vectors are not unit length.
func TestVectorScanMatchesChromem(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		emb  func() embed.Embedder
	}{
		{"unit vectors", func() embed.Embedder { return newHashEmbedder() }},
		{"scaled vectors", func() embed.Embedder { return &scaledEmbedder{newHashEmbedder()} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w := openWriter(t, dir, tc.emb())
			corpus := newSynthCorpus(11)
			corpus.spaces = 4
			docs := corpus.docs(0, 120) // 600 chunks
			if _, err := w.Upsert(ctx, docs); err != nil {
				t.Fatal(err)
			}
			r, err := Open(ctx, dir, Options{Embedder: tc.emb(), ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			r.shardSize = 50 // several shards per container
			r.memMu.Lock()
			r.mem = nil
			r.memMu.Unlock()
			if err := r.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			queries := []Query{
				{},
				{Spaces: []string{"SP1"}},
				{Sources: []string{"jira"}},
				{Labels: []string{"l1", "l3"}},
				{Labels: []string{"l2"}, Spaces: []string{"SP2"}, Statuses: []string{"done", ""}},
				{UpdatedAfter: testTime.Add(-30 * time.Minute)},
				{Labels: []string{"nope"}},
			}
			check := func(stage string) {
				t.Helper()
				r.memMu.RLock()
				defer r.memMu.RUnlock()
				m := r.mem
				checkShards(t, m)
				for qi, q := range queries {
					text := corpus.words(4)
					vs, err := r.emb.Embed(ctx, []string{text})
					if err != nil {
						t.Fatal(err)
					}
					for _, pool := range []int{1, 10, 100, 10000} {
						f := newFilter(q)
						got, err := m.vectorSearch(ctx, vs[0], pool, f)
						if err != nil {
							t.Fatal(err)
						}
						want := chromemRanking(t, m, vs[0], newFilter(q))
						if len(want) > pool {
							want = want[:pool]
						}
						t.Run(stage+"/"+strconv.Itoa(qi)+"/"+strconv.Itoa(pool), func(t *testing.T) { sameRanking(t, got, want) })
					}
				}
			}
			check("loaded")

			// Updates and deletions move rows (each document's chunks are
			// removed and added again); enough of them compact the chunks.
			for round := range 4 {
				for i := range docs {
					if i%3 == round%3 {
						docs[i].Chunks = docs[i].Chunks[:1+(i+round)%5]
						docs[i].Chunks[0].Text += " r" + strconv.Itoa(round)
					}
				}
				if _, err := w.Upsert(ctx, docs); err != nil {
					t.Fatal(err)
				}
				if err := w.Delete(ctx, []string{docs[round*7].ID}); err != nil {
					t.Fatal(err)
				}
				if err := r.Reload(ctx); err != nil {
					t.Fatal(err)
				}
				check("round" + strconv.Itoa(round))
			}
		})
	}
}

// TestVectorScoresAreCosines: Vector mode reports cosine similarities even
// when neither the embedder's vectors nor its query are unit length (the
// live fallback compares them with a threshold).
func TestVectorScoresAreCosines(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, &scaledEmbedder{newHashEmbedder()})
	if _, err := w.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	rs, err := w.Search(ctx, Query{Text: sampleDocs()[2].Chunks[0].Text, Mode: Vector})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 || rs[0].DocID != "confluence:300" || math.Abs(rs[0].Score-1) > 1e-5 {
		t.Fatalf("best result %v, want confluence:300 with cosine 1", rs)
	}
	for _, r := range rs {
		if r.Score > 1+1e-5 || r.Score < -1-1e-5 {
			t.Fatalf("score %v of %s is not a cosine", r.Score, r.DocID)
		}
	}
}

// TestVectorScanIsCanceled: a canceled context stops the scan, a query of
// the wrong length is refused.
func TestVectorScanIsCanceled(t *testing.T) {
	ctx := context.Background()
	m := newMemIndex(8)
	d := &docRec{id: "confluence:1", source: SourceConfluence, container: "A"}
	m.docs[d.id] = d
	for i := range 64 {
		v := make([]float32, 4)
		v[i%4] = 1
		if err := m.addChunk(ctx, d, int32(i), encodeTerms(nil, 0), v); err != nil {
			t.Fatal(err)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.vectorSearch(canceled, []float32{1, 0, 0, 0}, 10, newFilter(Query{})); err == nil {
		t.Fatal("a canceled scan succeeded")
	}
	got, err := m.vectorSearch(ctx, []float32{1, 0, 0, 0}, 10, newFilter(Query{}))
	if err != nil || len(got) != 10 || got[0].score != 1 || got[9].score != 1 {
		t.Fatalf("scan = %v, %v; want ten chunks of score 1", got, err)
	}
	m.dims = 4
	if _, err := m.vectorSearch(ctx, []float32{1, 0, 0}, 10, newFilter(Query{})); err == nil {
		t.Fatal("a query of 3 dimensions against 4 succeeded")
	}
}

// TestShardSlots: a shard's vectors lie in blocks of consecutive slots
// (doubling from minBlock to maxBlock), removed chunks free their slots and
// the next chunks of the shard take them instead of new memory.
func TestShardSlots(t *testing.T) {
	ctx := context.Background()
	const dims = 16
	m := newMemIndex(0)
	vec := func(i int) []float32 {
		v := make([]float32, dims)
		v[i%dims] = 1
		return v
	}
	add := func(id string, chunks int) {
		t.Helper()
		d := &docRec{id: id, source: SourceConfluence, container: "A"}
		m.docs[id] = d
		for c := range chunks {
			if err := m.addChunk(ctx, d, int32(c), encodeTerms(nil, 0), vec(c)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 120 {
		add("confluence:"+strconv.Itoa(i), 5) // 600 chunks
	}
	s := m.colls["confluence/A"].shards[0]
	// Blocks of 8, 16, 32, 64, 128, 256 and 256 slots: memory order may
	// only break where a block starts (two blocks may happen to be adjacent).
	starts := map[int]bool{8: true, 24: true, 56: true, 120: true, 248: true, 504: true}
	if len(s.rows) != 600 {
		t.Fatalf("%d slots, want 600", len(s.rows))
	}
	for i := 1; i < len(s.rows); i++ {
		if uintptr(unsafe.Pointer(&s.rows[i].vec[0]))-uintptr(unsafe.Pointer(&s.rows[i-1].vec[0])) != 4*dims && !starts[i] {
			t.Fatalf("slot %d is not next to slot %d in memory, within a block", i, i-1)
		}
	}
	for i := range 10 {
		if err := m.removeDoc(ctx, "confluence:"+strconv.Itoa(i*7)); err != nil {
			t.Fatal(err)
		}
	}
	if s.live() != 550 || len(s.free) != 50 || s.coll.Count() != 550 {
		t.Fatalf("after removing 50 chunks: %d live, %d free, chromem-go %d", s.live(), len(s.free), s.coll.Count())
	}
	add("confluence:new", 40)
	if len(s.rows) != 600 || len(s.free) != 10 {
		t.Fatalf("40 new chunks: %d slots, %d free; want the freed slots reused", len(s.rows), len(s.free))
	}
	checkShards(t, m)
	got, err := m.vectorSearch(ctx, vec(3), 1000, newFilter(Query{}))
	if err != nil || len(got) != 590 {
		t.Fatalf("scan found %d chunks (%v), want 590", len(got), err)
	}
}
