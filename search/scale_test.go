package search

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/internal/benchref"
	"github.com/atlasbridge/atlasbridge/search/internal/keyword"
)

// synthCorpus makes n chunks of ~120 Zipf-distributed pseudo-words in
// documents of 5 chunks spread over 20 containers, deterministically.
type synthCorpus struct {
	spaces int // containers the documents spread over (20 unless set)
	vocab  []string
	zipf   *rand.Zipf
	rng    *rand.Rand
}

func newSynthCorpus(seed uint64) *synthCorpus {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	syl := []string{"ka", "to", "ri", "mo", "lu", "sen", "pa", "vi", "dor", "gal", "ne", "shu", "tra", "bel", "qui", "zon"}
	seen := map[string]bool{}
	var vocab []string
	for len(vocab) < 30000 {
		var sb strings.Builder
		for range 2 + rng.IntN(3) {
			sb.WriteString(syl[rng.IntN(len(syl))])
		}
		if w := sb.String(); !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	return &synthCorpus{vocab: vocab, rng: rng, zipf: rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1))}
}

func (s *synthCorpus) words(n int) string {
	var sb strings.Builder
	for i := range n {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(s.vocab[s.zipf.Uint64()])
	}
	return sb.String()
}

func (s *synthCorpus) docs(from, count int) []Document {
	out := make([]Document, 0, count)
	for i := from; i < from+count; i++ {
		spaces := max(s.spaces, 1)
		if s.spaces == 0 {
			spaces = 20
		}
		src, cont := SourceConfluence, "SP"+strconv.Itoa(i%spaces)
		if i%3 == 0 && spaces > 1 {
			src, cont = SourceJira, "PR"+strconv.Itoa(i%spaces)
		}
		d := Document{ID: synthIDIn(i, spaces), Source: src, Container: cont, Key: strconv.Itoa(i),
			Title: s.words(4), URL: "https://x.example/" + strconv.Itoa(i), Updated: testTime.Add(-time.Duration(i) * time.Minute),
			Labels: []string{"l" + strconv.Itoa(i%7)}, Type: "page", Status: []string{"", "Open", "Done"}[i%3]}
		for c := range 5 {
			d.Chunks = append(d.Chunks, Chunk{Index: c, Heading: "H" + strconv.Itoa(c), Text: d.Title + " " + s.words(120)})
		}
		out = append(out, d)
	}
	return out
}

// synthID is the id of the i-th synthetic document.
func synthID(i int) string {
	return synthIDIn(i, 20)
}

func synthIDIn(i, spaces int) string {
	if i%3 == 0 && spaces > 1 {
		return SourceJira + ":" + strconv.Itoa(i)
	}
	return SourceConfluence + ":" + strconv.Itoa(i)
}

// buildSynthetic writes n chunks (n/5 documents, spread over spaces
// containers; 0 means 20) into dir with the builtin embedder, fitted on the
// first 10,000 chunks as the indexer would on a first sync. A fresh
// embed.NewBuiltin gets that state back at Open.
func buildSynthetic(tb testing.TB, dir string, n, spaces int) {
	tb.Helper()
	ctx := context.Background()
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	corpus := newSynthCorpus(1)
	corpus.spaces = spaces
	if err := emb.Fit(ctx, texts(corpus.docs(0, min(2000, n/5)))); err != nil {
		tb.Fatal(err)
	}
	x, err := Open(ctx, dir, Options{Embedder: emb})
	if err != nil {
		tb.Fatal(err)
	}
	defer x.Close()
	corpus = newSynthCorpus(1)
	corpus.spaces = spaces
	const batch = 400
	for from := 0; from < n/5; from += batch {
		if _, err := x.Upsert(ctx, corpus.docs(from, min(batch, n/5-from))); err != nil {
			tb.Fatal(err)
		}
	}
}

func rssKB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return -1
}

func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}

// TestScale measures build time, open time, memory and query latency (wall
// time, and CPU time per query, which a busy machine inflates less) at the
// sizes in ATLASBRIDGE_SCALE (comma separated chunk counts, e.g.
// "10000,100000"), over 20 spaces and projects, or one space with
// ATLASBRIDGE_SCALE_SPACES=1:
//
//	ATLASBRIDGE_SCALE=10000,100000 go test ./search -run TestScale -v -timeout 30m
func TestScale(t *testing.T) {
	sizes := os.Getenv("ATLASBRIDGE_SCALE")
	if sizes == "" {
		t.Skip("set ATLASBRIDGE_SCALE=10000,100000 to measure")
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 5 {
			t.Fatalf("bad size %q", s)
		}
		t.Run(strconv.Itoa(n), func(t *testing.T) { measureScale(t, n) })
	}
}

func measureScale(t *testing.T, n int) {
	ctx := context.Background()
	spaces, _ := strconv.Atoi(os.Getenv("ATLASBRIDGE_SCALE_SPACES"))
	dir, built := scaleStore(t, n, spaces)
	fi, _ := os.Stat(dir + "/" + dbFile)

	settle()
	rss0 := rssKB()
	start := time.Now()
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	x, err := Open(ctx, dir, Options{Embedder: emb, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	open := time.Since(start)
	st, err := x.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	settle()
	rss1 := rssKB()
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("n=%d spaces=%d loadavg=%s model=%s dims=%d", n, spaces, strings.Fields(string(load) + " ?")[0], st.Model, st.Dims)
	t.Logf("n=%d build=%s db=%.1f MB open=%v rss+%.1f MB",
		n, built, float64(fi.Size())/1e6, open.Round(time.Millisecond), float64(rss1-rss0)/1024)

	// The keyword index alone: from persisted term counts vs tokenising text.
	for _, persisted := range []bool{true, false} {
		if !persisted && n > 100000 {
			break
		}
		start := time.Now()
		kw, err := loadKeywordOnly(ctx, x, persisted)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("n=%d keyword index from %s: %v (%d chunks)", n, map[bool]string{true: "persisted term counts", false: "re-tokenised text"}[persisted],
			time.Since(start).Round(time.Millisecond), kw.Live())
	}

	corpus := newSynthCorpus(99)
	queries := make([]string, 200)
	if n > 100000 {
		queries = queries[:20]
	}
	for i := range queries {
		queries[i] = corpus.words(2 + i%4)
	}
	// The garbage of the load and of the keyword-only indexes above would
	// be collected during the first mode measured.
	warmUp(t, x, queries)
	for _, mode := range []Mode{Hybrid, Vector, Keyword} {
		for _, filtered := range []bool{false, true} {
			var lat []time.Duration
			cpu0 := cpuTime()
			for _, q := range queries {
				query := Query{Text: q, K: 10, Mode: mode}
				if filtered {
					query.Labels = []string{"l1", "l2"}
					if spaces != 1 {
						query.Spaces = []string{"SP1", "SP2", "SP3"}
					}
				}
				s := time.Now()
				if _, err := x.Search(ctx, query); err != nil {
					t.Fatal(err)
				}
				lat = append(lat, time.Since(s))
			}
			cpu := (cpuTime() - cpu0) / time.Duration(len(queries))
			slices.Sort(lat)
			t.Logf("n=%d mode=%-7s filtered=%-5v p50=%v p95=%v p99=%v max=%v cpu/query=%v", n, mode, filtered,
				percentile(lat, 50).Round(10*time.Microsecond), percentile(lat, 95).Round(10*time.Microsecond),
				percentile(lat, 99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond),
				cpu.Round(10*time.Microsecond))
		}
	}
}

// scaleStore returns the directory of a synthetic store of n chunks over
// spaces containers, building it unless ATLASBRIDGE_SCALE_DIR (which keeps
// the stores between runs) already holds one; built says how long that took.
func scaleStore(tb testing.TB, n, spaces int) (dir, built string) {
	tb.Helper()
	dir = tb.TempDir()
	if keep := os.Getenv("ATLASBRIDGE_SCALE_DIR"); keep != "" {
		dir = filepath.Join(keep, fmt.Sprintf("builtin-%d-%d", n, spaces))
	}
	if _, err := os.Stat(filepath.Join(dir, dbFile)); err == nil {
		// A store kept from a build before snapshots gets one, as its
		// next sync would give it.
		w, err := Open(context.Background(), dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{})})
		if err != nil {
			tb.Fatal(err)
		}
		if err := w.Close(); err != nil {
			tb.Fatal(err)
		}
		return dir, "reused"
	}
	start := time.Now()
	buildSynthetic(tb, dir, n, spaces)
	d := time.Since(start)
	return dir, fmt.Sprintf("%v (%.0f chunks/s)", d.Round(time.Millisecond), float64(n)/d.Seconds())
}

// percentile is the p-th percentile of sorted latencies (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// BenchmarkSearchLatency reports the p50 and p99 wall time of Index.Search
// (k=10; without filters, and with 3 of 20 spaces and 2 of 7 labels) over
// 64 synthetic queries, at 10k chunks and at the sizes in ATLASBRIDGE_SCALE
// (the stores are kept in ATLASBRIDGE_SCALE_DIR when set):
//
//	go test ./search -run '^$' -bench SearchLatency -benchtime 400x
//	ATLASBRIDGE_SCALE=100000 ATLASBRIDGE_SCALE_DIR=/tmp/abscale go test ./search -run '^$' -bench SearchLatency -benchtime 400x -timeout 30m
func BenchmarkSearchLatency(b *testing.B) {
	sizes := benchSizes()
	ctx := context.Background()
	corpus := newSynthCorpus(99)
	queries := make([]string, 64)
	for i := range queries {
		queries[i] = corpus.words(2 + i%4)
	}
	// The reference workload, for the p50s as ratios.
	ref := benchref.Measure(5)
	for _, n := range sizes {
		dir, _ := scaleStore(b, n, 0)
		x, err := Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		warmUp(b, x, queries)
		for _, mode := range []Mode{Hybrid, Vector} {
			for _, filtered := range []bool{false, true} {
				name := fmt.Sprintf("%dk/%s", n/1000, mode)
				if filtered {
					name += "/filtered"
				}
				b.Run(name, func(b *testing.B) {
					lat := make([]time.Duration, 0, b.N)
					cpu0 := cpuTime()
					i := 0
					for b.Loop() {
						q := Query{Text: queries[i%len(queries)], K: 10, Mode: mode}
						if filtered {
							q.Spaces, q.Labels = []string{"SP1", "SP2", "SP3"}, []string{"l1", "l2"}
						}
						s := time.Now()
						if _, err := x.Search(ctx, q); err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(s))
						i++
					}
					// CPU time per query: a busy machine inflates it less.
					b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(len(lat)), "cpu-ms")
					slices.Sort(lat)
					b.ReportMetric(float64(percentile(lat, 50).Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(percentile(lat, 99).Microseconds())/1000, "p99-ms")
					b.Logf("p50 %s", benchref.Ratio(percentile(lat, 50), ref))
				})
			}
		}
		x.Close()
	}
}

// benchSizes are the store sizes a benchmark measures: 10k chunks and
// those in ATLASBRIDGE_SCALE.
func benchSizes() []int {
	sizes := []int{10000}
	for _, s := range strings.Split(os.Getenv("ATLASBRIDGE_SCALE"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 5 && n != 10000 {
			sizes = append(sizes, n)
		}
	}
	return sizes
}

// warmUp collects the garbage of loading and runs a few queries, so that
// neither lands in the first latencies measured.
func warmUp(tb testing.TB, x *Index, queries []string) {
	tb.Helper()
	settle()
	for _, q := range queries[:min(10, len(queries))] {
		if _, err := x.Search(context.Background(), Query{Text: q}); err != nil {
			tb.Fatal(err)
		}
	}
	x.Settle() // the second query started the split copies
}

// loadKeywordOnly builds just a keyword index from the store, from the
// persisted term counts or by tokenising every chunk again.
func loadKeywordOnly(ctx context.Context, x *Index, persisted bool) (*keyword.Index, error) {
	col := "terms"
	if !persisted {
		col = "text"
	}
	rows, err := x.db.QueryContext(ctx, `SELECT `+col+` FROM chunks`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	kw := keyword.New()
	var ord int32
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		if !persisted {
			b = keyword.Encode(string(b))
		}
		if err := kw.Add(ord, b); err != nil {
			return nil, err
		}
		ord++
	}
	return kw, rows.Err()
}

// BenchmarkSearch measures one query at 10k chunks (100k with
// ATLASBRIDGE_BENCH_LARGE=1):
//
//	go test ./search -run '^$' -bench Search -benchtime 200x
func BenchmarkSearch(b *testing.B) {
	sizes := []int{10000}
	if os.Getenv("ATLASBRIDGE_BENCH_LARGE") != "" {
		sizes = append(sizes, 100000)
	}
	ctx := context.Background()
	for _, n := range sizes {
		dir := b.TempDir()
		buildSynthetic(b, dir, n, 0)
		x, err := Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		corpus := newSynthCorpus(7)
		queries := make([]string, 64)
		for i := range queries {
			queries[i] = corpus.words(3)
		}
		for _, mode := range []Mode{Hybrid, Vector, Keyword} {
			b.Run(fmt.Sprintf("%dk/%s", n/1000, mode), func(b *testing.B) {
				i := 0
				for b.Loop() {
					if _, err := x.Search(ctx, Query{Text: queries[i%len(queries)], Mode: mode}); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
		x.Close()
	}
}
