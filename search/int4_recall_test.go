package search

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/eval"
	"github.com/atlasbridge/atlasbridge/search/internal/rank"
	"github.com/atlasbridge/atlasbridge/search/internal/vec"
)

// TestInt4Recall measures how much of the exhaustive top 100 survives an
// int4 first stage (the int8 forms rounded to 15 levels) keeping the best
// keep candidates, rescored exactly:
//
//	ATLASBRIDGE_INT4_RECALL=1 ATLASBRIDGE_SCALE=100000 ATLASBRIDGE_SCALE_DIR=/tmp/cold/scale go test ./search -run Int4Recall -v
func TestInt4Recall(t *testing.T) {
	if os.Getenv("ATLASBRIDGE_INT4_RECALL") == "" {
		t.Skip("set ATLASBRIDGE_INT4_RECALL=1")
	}
	ctx := context.Background()
	x := indexPGDocs(ctx, t)
	defer x.Close()
	if _, err := x.Search(ctx, Query{Text: "load", K: 1}); err != nil {
		t.Fatal(err)
	}
	cases, err := eval.Load("../eval/testdata/pgdocs-dev.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var queries []string
	for _, c := range cases {
		queries = append(queries, c.Query)
	}
	int4Recall(ctx, t, "pgdocs", x, queries)
	if n, err := strconv.Atoi(os.Getenv("ATLASBRIDGE_SCALE")); err == nil {
		dir, _ := scaleStore(t, n, 0)
		y, err := Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer y.Close()
		if _, err := y.Search(ctx, Query{Text: "load", K: 1}); err != nil {
			t.Fatal(err)
		}
		corpus := newSynthCorpus(99)
		queries = queries[:0]
		for i := range 64 {
			queries = append(queries, corpus.words(2+i%4))
		}
		int4Recall(ctx, t, fmt.Sprintf("synthetic %d", n), y, queries)
	}
}

func int4Recall(ctx context.Context, t *testing.T, name string, x *Index, queries []string) {
	m := x.mem
	type v4 struct {
		ord   int32
		q     []int8
		scale float64
	}
	var all []v4
	for o, c := range m.chunks {
		if c.doc == nil {
			continue
		}
		q8, s8 := m.vecs.Quantized(c.slot)
		q4 := make([]int8, len(q8))
		for i, v := range q8 {
			q4[i] = int8(math.Round(float64(v) * 7 / 127))
		}
		all = append(all, v4{int32(o), q4, float64(s8) * 127 / 7})
	}
	vs, err := x.emb.Embed(ctx, queries)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	buf := make([]float32, m.vecs.Dims())
	for _, keep := range []int{200, 500, 1000, 2000} {
		exact, recall := 0, 0.0
		for _, q := range vs {
			want, err := m.vecs.Search(ctx, q, n, vec.Filter[container]{})
			if err != nil {
				t.Fatal(err)
			}
			top := rank.NewTop(keep)
			for _, a := range all {
				var s float64
				for j, v := range a.q {
					s += float64(q[j]) * float64(v)
				}
				if s *= a.scale; top.Wants(s) {
					top.Push(rank.Scored{Chunk: a.ord, Score: s})
				}
			}
			fin := rank.NewTop(n)
			for _, c := range top.Kept() {
				v, err := m.vecs.Vector(m.chunks[c.Chunk].slot, buf)
				if err != nil {
					t.Fatal(err)
				}
				var s float32
				for j := range v {
					s += v[j] * q[j]
				}
				fin.Push(rank.Scored{Chunk: c.Chunk, Score: float64(s)})
			}
			got := fin.Sorted()
			same := len(got) == len(want)
			hit := 0
			for i, w := range want {
				if i < len(got) && got[i].Chunk != w.Chunk {
					same = false
				}
				if slices.ContainsFunc(got, func(g rank.Scored) bool { return g.Chunk == w.Chunk }) {
					hit++
				}
			}
			if same {
				exact++
			}
			recall += float64(hit) / float64(max(len(want), 1))
		}
		t.Logf("%s, %d chunks: int4 keep %d: top %d same chunks in order on %d of %d queries, recall %.4f",
			name, len(all), keep, n, exact, len(vs), recall/float64(len(vs)))
	}
}
