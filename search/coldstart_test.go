package search

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
// which a busy machine inflates less, and the wall time of the second
// query; the log gives the first two as multiples of
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
			var open, first, cpu, second time.Duration
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
				// A serve's second query makes the split copies of the
				// int8 forms (vec.Store.ensureSplit).
				start = time.Now()
				if _, err := x.Search(ctx, Query{Text: "mo lu sen", K: 10}); err != nil {
					b.Fatal(err)
				}
				second += time.Since(start)
				x.Close()
			}
			ref = min(ref, benchref.Measure(5))
			per := func(d time.Duration) time.Duration { return d / time.Duration(b.N) }
			b.ReportMetric(float64(per(open).Microseconds())/1000, "open-ms")
			b.ReportMetric(float64(per(first).Microseconds())/1000, "first-ms")
			b.ReportMetric(float64(per(cpu).Microseconds())/1000, "cpu-ms")
			b.ReportMetric(float64(per(second).Microseconds())/1000, "second-ms")
			load, _ := os.ReadFile("/proc/loadavg")
			b.Logf("%d chunks, load %s: open + first query %s, its CPU %s", n, strings.Fields(string(load) + " ?")[0],
				benchref.Ratio(per(first), ref), benchref.Ratio(per(cpu), ref))
		})
	}
}

// BenchmarkSnapshotAfterSmallSync measures what a sync that changed 100
// documents (500 chunks) of a kept synthetic store costs: its Close, which
// leaves the snapshot as it was (snapshotCanWait), and a reader's lazy open
// and first hybrid query, which apply those changes from the store; then
// the same after the snapshot is rewritten, as every such Close did before.
// Each round works on a copy of the store (sizes in ATLASBRIDGE_SCALE):
//
//	ATLASBRIDGE_SCALE=100000 ATLASBRIDGE_SCALE_DIR=/tmp/abscale go test ./search -run '^$' -bench SnapshotAfterSmallSync -benchtime 2x -timeout 60m
func BenchmarkSnapshotAfterSmallSync(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		src, _ := scaleStore(b, n, 0)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			var closeKept, firstKept, rewrite, firstNew, cpuKept, cpuNew time.Duration
			first := func(dir string, cpu *time.Duration) time.Duration {
				settle()
				c0 := cpuTime()
				defer func() { *cpu += cpuTime() - c0 }()
				start := time.Now()
				x, err := Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true, Lazy: true})
				if err != nil {
					b.Fatal(err)
				}
				defer x.Close()
				if _, err := x.Search(ctx, Query{Text: "kaka tori", K: 10}); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			for b.Loop() {
				dir := b.TempDir()
				copyFiles(b, src, dir)
				w, err := Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{})})
				if err != nil {
					b.Fatal(err)
				}
				corpus := newSynthCorpus(2)
				docs := corpus.docs(0, 100)
				for i := range docs {
					docs[i].ID = synthID(i * 7) // replaced in place
				}
				if _, err := w.Upsert(ctx, docs); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				closeKept += time.Since(start)
				firstKept += first(dir, &cpuKept)

				w, err = Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{})})
				if err != nil {
					b.Fatal(err)
				}
				dims, err := w.storedDims(ctx)
				if err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				if err := w.writeSnapshotFromStore(ctx, dims); err != nil {
					b.Fatal(err)
				}
				rewrite += time.Since(start)
				w.Close()
				firstNew += first(dir, &cpuNew)
			}
			per := func(d time.Duration) float64 { return float64((d / time.Duration(b.N)).Microseconds()) / 1000 }
			ref := benchref.Measure(5)
			b.Logf("reader's open + first query, CPU: snapshot left %s, rewritten %s",
				benchref.Ratio(cpuKept/time.Duration(b.N), ref), benchref.Ratio(cpuNew/time.Duration(b.N), ref))
			b.ReportMetric(per(closeKept), "close-ms")
			b.ReportMetric(per(firstKept), "first-ms")
			b.ReportMetric(per(rewrite), "rewrite-ms")
			b.ReportMetric(per(firstNew), "first-rewritten-ms")
			b.ReportMetric(per(cpuKept), "first-cpu-ms")
			b.ReportMetric(per(cpuNew), "first-rewritten-cpu-ms")
		})
	}
}

// copyFiles copies the regular files of directory src into dst.
func copyFiles(tb testing.TB, src, dst string) {
	tb.Helper()
	ents, err := os.ReadDir(src)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || e.Name() == "lock" {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err == nil {
			_, err = io.Copy(out, in)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		in.Close()
		if err != nil {
			tb.Fatal(err)
		}
	}
}
