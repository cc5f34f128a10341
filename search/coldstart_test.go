package search

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/internal/benchref"
)

// BenchmarkColdStart measures what a one-shot `atlasbridge search` and the
// first semantic_search of a fresh serve wait for: a lazy read-only Open
// (as both do) and the first hybrid query, which maps the snapshot the
// writer left (a kept store without one gets it first, see scaleStore),
// at 10k chunks and the sizes in ATLASBRIDGE_SCALE. The page cache is
// warm: the store was just built or read. It reports the wall time of the
// open and of open + first query, and the process's CPU time for both,
// which a busy machine inflates less; the log gives them as multiples of
// the reference workload (internal/benchref) measured in the same run.
// The one-shot command's peak RSS is measured with /usr/bin/time -v
// (BENCHMARKS.md).
//
//	ATLASBRIDGE_SCALE=100000 ATLASBRIDGE_SCALE_DIR=/tmp/abscale go test ./search -run '^$' -bench ColdStart -benchtime 10x -timeout 60m
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		dir, _ := scaleStore(b, n, 0)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			ref := benchref.Measure(5)
			var open, first, cpu time.Duration
			for b.Loop() {
				settle()
				c0 := cpuTime()
				start := time.Now()
				x, err := Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true, Lazy: true})
				if err != nil {
					b.Fatal(err)
				}
				open += time.Since(start)
				if _, err := x.Search(ctx, Query{Text: "kaka tori", K: 10}); err != nil {
					b.Fatal(err)
				}
				first += time.Since(start)
				cpu += cpuTime() - c0
				x.Close()
			}
			ref = min(ref, benchref.Measure(5))
			per := func(d time.Duration) time.Duration { return d / time.Duration(b.N) }
			b.ReportMetric(float64(per(open).Microseconds())/1000, "open-ms")
			b.ReportMetric(float64(per(first).Microseconds())/1000, "first-ms")
			b.ReportMetric(float64(per(cpu).Microseconds())/1000, "cpu-ms")
			load, _ := os.ReadFile("/proc/loadavg")
			b.Logf("%d chunks, load %s: open + first query %s, its CPU %s", n, strings.Fields(string(load) + " ?")[0],
				benchref.Ratio(per(first), ref), benchref.Ratio(per(cpu), ref))
		})
	}
}
