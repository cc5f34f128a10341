package search

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/eval"
	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// TestBinaryRecall measures how much of the exhaustive top 100 the
// vector search keeps when its binary scan keeps a given number of
// candidates, on the builtin embedder's vectors of the PostgreSQL manual
// (the dev set's questions and chunk texts as queries) and, with
// ATLASBRIDGE_SCALE set, of the synthetic store of that size:
//
//	ATLASBRIDGE_BINARY_RECALL=1 ATLASBRIDGE_SCALE=100000 ATLASBRIDGE_SCALE_DIR=/tmp/cold/scale go test ./search -run BinaryRecall -v
func TestBinaryRecall(t *testing.T) {
	if os.Getenv("ATLASBRIDGE_BINARY_RECALL") == "" {
		t.Skip("set ATLASBRIDGE_BINARY_RECALL=1 to measure the binary scan's recall")
	}
	ctx := context.Background()
	x := indexPGDocs(ctx, t)
	defer x.Close()
	var queries []string
	cases, err := eval.Load("../eval/testdata/pgdocs-dev.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		queries = append(queries, c.Query)
	}
	corpus := newSynthCorpus(99)
	if _, err := x.Search(ctx, Query{Text: "load", K: 1}); err != nil {
		t.Fatal(err)
	}
	var ords []int32
	for i := range int32(32) {
		ords = append(ords, i*int32(x.mem.liveChunks())/32)
	}
	texts := x.chunkTexts(ctx, x.mem, ords)
	queries = append(queries, texts...)
	measureBinaryRecall(ctx, t, "pgdocs", x, queries)
	if n, err := strconv.Atoi(os.Getenv("ATLASBRIDGE_SCALE")); err == nil {
		dir, _ := scaleStore(t, n, 0)
		y, err := Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer y.Close()
		queries = queries[:0]
		for i := range 64 {
			queries = append(queries, corpus.words(2+i%4))
		}
		measureBinaryRecall(ctx, t, fmt.Sprintf("synthetic %d", n), y, queries)
	}
}

func measureBinaryRecall(ctx context.Context, t *testing.T, name string, x *Index, queries []string) {
	t.Helper()
	if _, err := x.Search(ctx, Query{Text: "load", K: 1}); err != nil {
		t.Fatal(err)
	}
	vs, err := x.emb.Embed(ctx, queries)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	for _, keep := range []int{200, 500, 1000, 2000, 4000} {
		exact, recall := 0, 0.0
		for _, q := range vs {
			want, err := x.mem.vecs.SearchKeeping(ctx, q, n, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.mem.vecs.SearchKeeping(ctx, q, n, keep)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Equal(got, want) {
				exact++
			}
			hit := 0
			for _, w := range want {
				if slices.ContainsFunc(got, func(g rank.Scored) bool { return g.Chunk == w.Chunk }) {
					hit++
				}
			}
			recall += float64(hit) / float64(max(len(want), 1))
		}
		t.Logf("%s, %d chunks: keep %d: top %d exact on %d of %d queries, recall %.4f",
			name, x.mem.liveChunks(), keep, n, exact, len(vs), recall/float64(len(vs)))
	}
}
