package mcp

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/internal/benchref"
	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

// BenchmarkSemanticSearchScale measures semantic_search end to end through
// the in-process MCP client (the tool's arguments in, its JSON answer out)
// on an index of your choosing, as serve opens it (read-only, builtin
// embedder), without the live fallback: p50, p99 and CPU time per call,
// and the p50 as a ratio against the reference workload. The queries are
// 2 to 5 words of 64 of the index's documents. It runs only with
// ATLASBRIDGE_BENCH_INDEX set to an index directory, e.g. the 100k-chunk
// synthetic store BenchmarkSearchLatency in package search keeps:
//
//	ATLASBRIDGE_SCALE=100000 ATLASBRIDGE_SCALE_DIR=/tmp/abscale go test ./search -run '^$' -bench 'SearchLatency/100k/hybrid$' -benchtime 1x
//	ATLASBRIDGE_BENCH_INDEX=/tmp/abscale/builtin-100000-0 go test ./mcp -run '^$' -bench SemanticSearchScale -benchtime 400x -benchmem
func BenchmarkSemanticSearchScale(b *testing.B) {
	dir := os.Getenv("ATLASBRIDGE_BENCH_INDEX")
	if dir == "" {
		b.Skip("set ATLASBRIDGE_BENCH_INDEX to an index directory")
	}
	idx, err := search.Open(b.Context(), dir, search.Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	queries := benchQueries(b, idx)
	w := newSemWorld(b, false) // only for the server's clients
	sr := retrieve.New(retrieve.Options{Index: idx})
	defer sr.Close()
	srv, err := New(Options{Confluence: w.conf, Jira: w.jira, Version: "test", Searcher: sr})
	if err != nil {
		b.Fatal(err)
	}
	cli := connect(b, srv, "")
	call := func(q string) {
		if text, isErr, err := callTool(cli, "semantic_search", map[string]any{"query": q}); err != nil || isErr {
			b.Fatalf("%q: %v %.200s", q, err, text)
		}
	}
	for _, q := range queries[:10] {
		call(q) // the first search derives what the snapshot leaves out
	}
	idx.Settle() // the second started the split copies in the background
	ref := benchref.Measure(5)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	cpu0 := benchref.CPUTime()
	i := 0
	for b.Loop() {
		t0 := time.Now()
		call(queries[i%len(queries)])
		lat = append(lat, time.Since(t0))
		i++
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(benchref.CPUTime()-cpu0)/float64(len(lat)), "cpu-ms")
	slices.Sort(lat)
	p50 := lat[len(lat)/2]
	b.ReportMetric(ms(p50), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.Logf("p50 %s", benchref.Ratio(p50, ref))
}

// benchQueries takes 2 to 5 words from each of the first 64 documents of
// idx.
func benchQueries(tb testing.TB, idx *search.Index) []string {
	tb.Helper()
	var out []string
	enough := errors.New("enough")
	err := idx.Pages(tb.Context(), func(p search.Page) error {
		words := strings.Fields(p.Body)
		n := 2 + len(out)%4
		if len(words) < n {
			return nil
		}
		step := len(words) / n
		var q []string
		for j := range n {
			q = append(q, words[j*step])
		}
		out = append(out, strings.Join(q, " "))
		if len(out) == 64 {
			return enough
		}
		return nil
	})
	if err != nil && !errors.Is(err, enough) {
		tb.Fatal(err)
	}
	if len(out) < 10 {
		tb.Fatalf("%d queries from the index: want at least 10", len(out))
	}
	return out
}
