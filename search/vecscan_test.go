package search

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	chromem "github.com/philippgille/chromem-go"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

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

// chromemCollections loads every vector of the store into chromem-go
// collections, one per space or project, each document named by its
// chunk's ordinal in m.
func chromemCollections(t *testing.T, x *Index, m *memIndex) map[container]*chromem.Collection {
	t.Helper()
	ctx := context.Background()
	ords := make(map[string]int32)
	for o, c := range m.chunks {
		if c.doc != nil {
			ords[c.doc.id+"#"+strconv.Itoa(int(c.idx))] = int32(o)
		}
	}
	rows, err := x.db.QueryContext(ctx, `SELECT c.doc_id, c.idx, d.source, d.container, v.vec
		FROM chunks c JOIN documents d ON d.id = c.doc_id JOIN vectors v ON v.hash = c.hash`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	db := chromem.NewDB()
	colls := make(map[container]*chromem.Collection)
	n := 0
	for rows.Next() {
		var doc, src, cont string
		var idx int
		var blob []byte
		if err := rows.Scan(&doc, &idx, &src, &cont, &blob); err != nil {
			t.Fatal(err)
		}
		v, err := decodeVector(blob, 0)
		if err != nil {
			t.Fatal(err)
		}
		o, ok := ords[doc+"#"+strconv.Itoa(idx)]
		if !ok {
			t.Fatalf("chunk %s#%d of the store is not loaded", doc, idx)
		}
		key := container{src, cont}
		c := colls[key]
		if c == nil {
			noEmbedding := func(context.Context, string) ([]float32, error) { return nil, errors.New("vectors are given") }
			if c, err = db.CreateCollection(src+"/"+cont, nil, noEmbedding); err != nil {
				t.Fatal(err)
			}
			colls[key] = c
		}
		if err := c.AddDocument(ctx, chromem.Document{ID: strconv.Itoa(int(o)), Embedding: v}); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != m.liveChunks() {
		t.Fatalf("%d vectors in the store, %d chunks loaded", n, m.liveChunks())
	}
	return colls
}

// chromemRanking is what chromem-go's own query of the collections of the
// containers f allows returns, as chunk ordinals best first, among the
// chunks f allows.
func chromemRanking(t *testing.T, m *memIndex, colls map[container]*chromem.Collection, q []float32, f *filter) []rank.Scored {
	t.Helper()
	var all []rank.Scored
	for key, c := range colls {
		if !f.allowsContainer(key.source, key.name) {
			continue
		}
		res, err := c.QueryEmbedding(context.Background(), q, c.Count(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			o, err := strconv.Atoi(r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if f.check(m.chunks[o].doc) {
				all = append(all, rank.Scored{Chunk: int32(o), Score: float64(r.Similarity)})
			}
		}
	}
	return rank.Best(all, len(all))
}

// sameRanking compares two rankings of chunks: equal scores (within float
// rounding) and the same chunks, except that chunks whose scores tie may
// trade places. want may go on beyond got.
func sameRanking(t *testing.T, got, want []rank.Scored) {
	t.Helper()
	const eps = 1e-5
	for i := range got {
		if math.Abs(got[i].Score-want[i].Score) > eps {
			t.Fatalf("rank %d: score %v, chromem-go %v", i, got[i].Score, want[i].Score)
		}
		if got[i].Chunk == want[i].Chunk {
			continue
		}
		// A tie: the chunk must appear in want at an equal score.
		if !slices.ContainsFunc(want, func(w rank.Scored) bool {
			return w.Chunk == got[i].Chunk && math.Abs(w.Score-got[i].Score) <= eps
		}) {
			t.Fatalf("rank %d: chunk %d (%v), chromem-go has chunk %d (%v)", i, got[i].Chunk, got[i].Score, want[i].Chunk, want[i].Score)
		}
	}
}

// TestVectorScanMatchesChromem checks the index's vector ranking against
// chromem-go's query of collections built from the same stored vectors,
// with and without filters, after updates and deletions have moved rows
// around and compaction renumbered the chunks, and with an embedder whose
// vectors are not unit length (both normalise them).
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
			r.mem.release()
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
				colls := chromemCollections(t, r, m)
				for qi, q := range queries {
					text := corpus.words(4)
					vs, err := r.emb.Embed(ctx, []string{text})
					if err != nil {
						t.Fatal(err)
					}
					want := chromemRanking(t, m, colls, vs[0], newFilter(q))
					for _, pool := range []int{1, 10, 100, 10000} {
						got, err := m.vectorSearch(ctx, vs[0], pool, newFilter(q))
						if err != nil {
							t.Fatal(err)
						}
						t.Run(stage+"/"+strconv.Itoa(qi)+"/"+strconv.Itoa(pool), func(t *testing.T) {
							if len(got) != min(pool, len(want)) {
								t.Fatalf("%d chunks, chromem-go ranks %d", len(got), min(pool, len(want)))
							}
							sameRanking(t, got, want)
						})
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
