package search

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/eval"
	"github.com/atlasbridge/atlasbridge/search/internal/keyword"
	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// TestEvalDiagnose says, per question of a set, where its first acceptable
// page stands in each ranking hybrid fuses (chunk BM25 with proximity,
// page BM25, vector) and in hybrid itself, on an index kept by
// TestEvalKeepIndex: which side misses and by how much.
//
//	ATLASBRIDGE_EVAL_DIAG=1 ATLASBRIDGE_EVAL_INDEX=/tmp/pgidx ATLASBRIDGE_EVAL_SET=set.tsv go test ./search -run EvalDiagnose -v
func TestEvalDiagnose(t *testing.T) {
	dir := os.Getenv("ATLASBRIDGE_EVAL_INDEX")
	if os.Getenv("ATLASBRIDGE_EVAL_DIAG") == "" || dir == "" {
		t.Skip("set ATLASBRIDGE_EVAL_DIAG=1 and ATLASBRIDGE_EVAL_INDEX=DIR to diagnose a set")
	}
	ctx := context.Background()
	names := evalIndexNames(t, dir)
	x, err := Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, err := x.Search(ctx, Query{Text: "warm up"}); err != nil {
		t.Fatal(err)
	}
	for _, set := range strings.Split(os.Getenv("ATLASBRIDGE_EVAL_SET"), ",") {
		cases, err := eval.Load(set)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if c.OutOfCorpus() {
				continue
			}
			place := func(docs []string) int {
				for i, d := range docs {
					if slices.Contains(c.Want, names[d]) {
						return i + 1
					}
				}
				return 0
			}
			rs, err := x.Search(ctx, Query{Text: c.Query, K: 100})
			if err != nil {
				t.Fatal(err)
			}
			var hy []string
			for _, r := range rs {
				hy = append(hy, r.DocID)
			}
			terms := keyword.Tokenize(c.Query)
			vs, err := x.emb.Embed(ctx, []string{c.Query})
			if err != nil {
				t.Fatal(err)
			}
			m := x.mem
			f := newFilter(Query{})
			vec, err := m.vectorSearch(ctx, vs[0], 1000, f)
			if err != nil {
				t.Fatal(err)
			}
			kw := m.kw.Search(terms, 1000, defaultFusion.bm25, nil)
			kw = m.kw.Rerank(kw, terms, defaultFusion.proximity, func(ords []int32) []string { return x.chunkTexts(ctx, m, ords) })
			pr := m.kw.SearchPages(terms, 1000, defaultFusion.bm25, m.pages(f))
			var pg []string
			for _, p := range pr.Top {
				pg = append(pg, m.chunks[p.Chunk].doc.id)
			}
			pr.Release()
			docs := func(ranked []rank.Scored) []string {
				var out []string
				seen := map[string]bool{}
				for _, s := range ranked {
					if d := m.chunks[s.Chunk].doc; d != nil && !seen[d.id] {
						seen[d.id] = true
						out = append(out, d.id)
					}
				}
				return out
			}
			top := ""
			for _, d := range hy[:min(3, len(hy))] {
				top += " " + names[d]
			}
			t.Logf("%s\thy=%d\tkw=%d\tpage=%d\tvec=%d\t%q %v\ttop:%s", filepath.Base(set), place(hy), place(docs(kw)), place(pg), place(docs(vec)), c.Query, terms, top)
		}
	}
}

// BenchmarkSearchExpansions is the cost of the derivational variants and
// phrasal compounds on real questions: the plain-wording tuning set over
// an index kept by TestEvalKeepIndex, hybrid with and without them.
//
//	ATLASBRIDGE_EVAL_INDEX=/tmp/pgidx go test ./search -run '^$' -bench SearchExpansions -benchtime 400x
func BenchmarkSearchExpansions(b *testing.B) {
	dir := os.Getenv("ATLASBRIDGE_EVAL_INDEX")
	if dir == "" {
		b.Skip("set ATLASBRIDGE_EVAL_INDEX=DIR (TestEvalKeepIndex)")
	}
	ctx := context.Background()
	x, err := Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	cases, err := eval.Load("../eval/testdata/pgdocs-plain-tune.tsv")
	if err != nil {
		b.Fatal(err)
	}
	off := defaultFusion
	off.variants, off.compounds = 0, 0
	for _, v := range []struct {
		name string
		fu   fusion
	}{{"without", off}, {"with", defaultFusion}} {
		b.Run(v.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := x.search(ctx, Query{Text: cases[i%len(cases)].Query}, v.fu); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
