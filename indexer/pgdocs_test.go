package indexer

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/internal/benchref"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// pgdocsDir is Debian's postgresql-doc-15 HTML, the target corpus of the
// sync benchmark.
const pgdocsDir = "/usr/share/doc/postgresql-doc-15/html"

// TestPGDocsSync measures a full sync of the PostgreSQL 15 documentation
// imported into the simulator as one space plus 500 generated issues (seed
// 7: issue 14's world), with the builtin embedder, and a no-change re-sync.
// It is a measurement, not a unit test:
//
//	ATLASBRIDGE_BENCH_PGDOCS=1 go test ./indexer -run PGDocs -v
//
// ATLASBRIDGE_BENCH_NOFIT=1 leaves the builtin embedder unfitted, to measure
// the crawl pipeline without the one-off fit and re-embed;
// ATLASBRIDGE_BENCH_LATENCY=100ms makes the simulator answer every request
// that much later, as a server across a network does.
func TestPGDocsSync(t *testing.T) {
	if os.Getenv("ATLASBRIDGE_BENCH_PGDOCS") == "" {
		t.Skip("set ATLASBRIDGE_BENCH_PGDOCS=1 to measure the pgdocs sync")
	}
	if _, err := os.Stat(pgdocsDir); err != nil {
		t.Skipf("%s missing (apt-get install postgresql-doc-15): %v", pgdocsDir, err)
	}
	ctx := context.Background()
	t0 := time.Now()
	clk := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	var latency time.Duration
	if v := os.Getenv("ATLASBRIDGE_BENCH_LATENCY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("ATLASBRIDGE_BENCH_LATENCY: %v", err)
		}
		latency = d
	}
	srv := atlassiantest.NewServer(t, sim.Options{Spaces: []sim.SpaceImport{{Key: "PG", Name: "PostgreSQL 15", HTMLDir: pgdocsDir}},
		JiraIssues: 500, Seed: 7, Clock: clk.Now, Latency: latency})
	t.Logf("simulator import: %s", time.Since(t0).Round(time.Millisecond))
	conf, err := atlassian.NewConfluence(srv.ConfluenceURL(), atlassian.Options{Username: "admin", Password: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	jira, err := atlassian.NewJira(srv.JiraURL(), atlassian.Options{Username: "admin", Password: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	metered := NewMeteredEmbedder(embed.NewBuiltin(embed.BuiltinOptions{}), runtime.GOMAXPROCS(0))
	idx, err := search.Open(ctx, t.TempDir(), search.Options{Embedder: metered.ForIndex()})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	// The wall time and embedding time of the crawl end where the fit
	// begins: the split of the wall time between crawl and fit.
	var fitAt time.Time
	var crawlEmbed, crawlCPU time.Duration
	var crawlTexts int
	opts := Options{Confluence: conf, Jira: jira, Index: idx, Embedder: metered.ForIndex(), Now: clk.Now,
		Progress: func(p Progress) {
			if p.Phase == "fit" && fitAt.IsZero() {
				fitAt = time.Now()
				crawlCPU = benchref.CPUTime()
				crawlEmbed, crawlTexts = metered.Took()
			}
		}}
	if os.Getenv("ATLASBRIDGE_BENCH_NOFIT") != "" {
		opts.Embedder = nil // the crawl pipeline alone, with the hashing embedder
	}
	ix, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetStats()
	runtime.GC()
	ref := benchref.Measure(7)
	cpu0 := benchref.CPUTime()
	began := time.Now()
	sum, err := ix.Sync(ctx, RunOptions{})
	cpu := benchref.CPUTime() - cpu0
	ref = min(ref, benchref.Measure(7)) // before and after: the least disturbed
	if err != nil || sum.Failed() {
		t.Fatalf("sync: %v %+v", err, sum)
	}
	reqs := srv.Stats()["total"]
	embedTook, texts := metered.Took()
	pages := sum.Added
	st := sum.Stages
	t.Logf("full sync: %d documents, %d chunks embedded, %s wall → %.0f documents/s; %d requests",
		pages, texts, sum.Duration.Round(time.Millisecond), float64(pages)/sum.Duration.Seconds(), reqs)
	// The machine is shared: the process's CPU time says what an idle
	// machine would do (the simulator's share included, so it is low).
	cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	t.Logf("CPU %.1fs over the sync (simulator included): on %d idle cores %.0f–%.0f pages/s (fully sequential – fully parallel)",
		cpu.Seconds(), cores, float64(pages)/cpu.Seconds(), float64(pages)/(cpu.Seconds()/float64(cores)))
	t.Logf("stages (summed over workers): list %s · fetch %s · convert %s · chunk %s · fit %s · embed %s · store %s; model %s",
		st.List.Round(time.Millisecond), st.Fetch.Round(time.Millisecond), st.Convert.Round(time.Millisecond),
		st.Chunk.Round(time.Millisecond), st.Fit.Round(time.Millisecond), embedTook.Round(time.Millisecond),
		(st.Store - embedTook).Round(time.Millisecond), metered.Model())
	if !fitAt.IsZero() {
		crawl := fitAt.Sub(began)
		t.Logf("wall: crawl %s (CPU %s; embedding %d texts: %s) · fit %s · re-embed and the rest %s (embedding %d texts: %s)",
			crawl.Round(time.Millisecond), (crawlCPU - cpu0).Round(time.Millisecond), crawlTexts, crawlEmbed.Round(time.Millisecond), st.Fit.Round(time.Millisecond),
			(sum.Duration - crawl - st.Fit).Round(time.Millisecond), texts-crawlTexts, (embedTook - crawlEmbed).Round(time.Millisecond))
	}
	// The same figures as multiples of a fixed workload timed in this run:
	// they tell a slower machine (or a busier one) from a slower program.
	// Documents per run of the reference workload: documents/s times the
	// reference's seconds, the same on a machine twice as slow.
	t.Logf("against the reference workload: sync %s, fit %s, CPU %s; %.2f documents per reference run (wall), %.2f per reference run of CPU",
		benchref.Ratio(sum.Duration, ref), benchref.Ratio(st.Fit, ref), benchref.Ratio(cpu, ref),
		float64(pages)/sum.Duration.Seconds()*ref.Seconds(), float64(pages)/cpu.Seconds()*ref.Seconds())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("memory: heap in use %d MiB, total allocated %d MiB, peak RSS %s", ms.HeapInuse>>20, ms.TotalAlloc>>20, peakRSS())
	if pages < 1500 {
		t.Errorf("only %d documents synced", pages)
	}

	// Steady state: two hours later one page changes; a sync picks it up,
	// and the next sync, with nothing changed, lists once.
	clk.Advance(2 * time.Hour)
	p, err := srv.GetPage(sim.PageID("PG", "sql-select.html"))
	if err != nil {
		t.Fatal(err)
	}
	p.Body += "<p>One more paragraph.</p>"
	if _, err := srv.UpdatePage(p); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	srv.ResetStats()
	one, err := ix.Sync(ctx, RunOptions{})
	if err != nil || one.Failed() || one.Updated != 1 {
		t.Fatalf("sync after one edit: %v %+v", err, one)
	}
	t.Logf("sync after one edit: %d requests, %s, %d updated, %d chunks embedded",
		srv.Stats()["total"], one.Duration.Round(time.Millisecond), one.Updated, one.Chunks)

	clk.Advance(15 * time.Minute)
	srv.ResetStats()
	again, err := ix.Sync(ctx, RunOptions{})
	if err != nil || again.Failed() {
		t.Fatalf("re-sync: %v %+v", err, again)
	}
	n := srv.Stats()["total"]
	t.Logf("no-change re-sync: %d requests, %s, %d changed; requests by kind %v",
		n, again.Duration.Round(time.Millisecond), again.Added+again.Updated, srv.Stats())
	// Who-am-I of both products (2), one listing per space or project (4)
	// and the permission pass's rechecks of view restrictions (6 here).
	if n > 12 || again.Added+again.Updated != 0 {
		t.Errorf("no-change re-sync made %d requests and changed %d, want ≤ 12 and 0", n, again.Added+again.Updated)
	}
}

// peakRSS reads the peak resident set size of the process (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}

// TestLargeSync measures a full sync of generated pages up to about 100k
// chunks (ATLASBRIDGE_BENCH_PAGES pages, default 12000) and the memory it
// takes. The simulator runs in the same process, so the peak RSS includes
// the simulated wiki; the heap after the sync, with the sim's share
// subtracted, is the indexer's.
//
//	ATLASBRIDGE_BENCH_LARGE=1 go test ./indexer -run LargeSync -v -timeout 30m
func TestLargeSync(t *testing.T) {
	if os.Getenv("ATLASBRIDGE_BENCH_LARGE") == "" {
		t.Skip("set ATLASBRIDGE_BENCH_LARGE=1 to measure a sync at ~100k chunks")
	}
	n := 12000
	if v := os.Getenv("ATLASBRIDGE_BENCH_PAGES"); v != "" {
		fmt.Sscan(v, &n)
	}
	ctx := context.Background()
	srv := atlassiantest.NewServer(t, sim.Options{Spaces: []sim.SpaceImport{}, JiraIssues: -1})
	if err := srv.GeneratePages("GEN", n, 1); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	conf, err := atlassian.NewConfluence(srv.ConfluenceURL(), atlassian.Options{Username: "admin", Password: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	metered := NewMeteredEmbedder(embed.NewBuiltin(embed.BuiltinOptions{}), runtime.GOMAXPROCS(0))
	idx, err := search.Open(ctx, t.TempDir(), search.Options{Embedder: metered.ForIndex()})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	opts := Options{Confluence: conf, Index: idx, Embedder: metered.ForIndex()}
	if os.Getenv("ATLASBRIDGE_BENCH_NOFIT") != "" {
		opts.Embedder = nil
	}
	ix, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ix.Sync(ctx, RunOptions{})
	if err != nil || sum.Failed() {
		t.Fatalf("sync: %v %+v", err, sum)
	}
	embedTook, texts := metered.Took()
	st, err := idx.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("%d pages → %d chunks (%d embedded) in %s: %.0f pages/s; fit %s, embed %s, store %s; index on disk %d MiB; model %s",
		sum.Added, st.Chunks, texts, sum.Duration.Round(time.Millisecond), float64(sum.Added)/sum.Duration.Seconds(),
		sum.Stages.Fit.Round(time.Millisecond), embedTook.Round(time.Millisecond), (sum.Stages.Store - embedTook).Round(time.Millisecond),
		st.Bytes>>20, metered.Model())
	t.Logf("memory: simulator heap %d MiB; heap after sync %d MiB (+%d MiB); peak RSS of the process %s",
		before.HeapInuse>>20, after.HeapInuse>>20, (int64(after.HeapInuse)-int64(before.HeapInuse))>>20, peakRSS())
}
