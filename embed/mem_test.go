package embed

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFitMemory reports the peak heap in use while Fit learns n chunks made
// by shuffling the sentences of the PostgreSQL manual (heap sampled every
// 20 ms), the measure behind the fit's share of a first sync's memory:
//
//	ATLASBRIDGE_EMBED_EXPERIMENT=1 ATLASBRIDGE_EMBED_SCALE=168000 go test ./embed -run FitMemory -v
func TestFitMemory(t *testing.T) {
	if os.Getenv(experimentFlag) == "" {
		t.Skipf("set %s=1 to measure the memory of Fit on the PostgreSQL docs", experimentFlag)
	}
	n := 100_000
	if s := os.Getenv("ATLASBRIDGE_EMBED_SCALE"); s != "" {
		fmt.Sscan(s, &n)
	}
	// ATLASBRIDGE_EMBED_UNIQUE=N adds N tokens never seen before to every
	// chunk (ids, hashes: a log-like corpus), the worst case of the counts.
	unique, _ := strconv.Atoi(os.Getenv("ATLASBRIDGE_EMBED_UNIQUE"))
	texts := shuffledManual(t, n, unique)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	b := NewBuiltin(BuiltinOptions{})
	start := time.Now()
	err := b.Fit(context.Background(), texts)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d chunks: fit %v; heap in use before %d MiB, peak %d MiB (+%d MiB); model %s",
		n, time.Since(start).Round(time.Millisecond), base.HeapInuse>>20, peak>>20, (peak-base.HeapInuse)>>20, b.Model())
}

// BenchmarkTruncatedSVD times the SVD of Fit at its largest: 20,000 words
// × 20,000 texts, 100 words a text, 128 dimensions, reporting the bytes
// allocated.
//
//	go test ./embed -run '^$' -bench TruncatedSVD -benchtime 3x
func BenchmarkTruncatedSVD(b *testing.B) {
	const rows, cols, perCol = 20000, 20000, 100
	rng := rand.New(rand.NewPCG(3, 4))
	entries := make([][]int32, rows)
	for c := range cols {
		for range perCol {
			r := rng.IntN(rows)
			entries[r] = append(entries[r], int32(c))
		}
	}
	a := &csr{rows: rows, cols: cols, ptr: make([]int32, rows+1)}
	for r, cs := range entries {
		for _, c := range cs {
			a.idx = append(a.idx, c)
			a.val = append(a.val, rng.Float32())
		}
		a.ptr[r+1] = int32(len(a.idx))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := truncatedSVD(context.Background(), a, 128, 3); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFitCountsStemsPastExactStems fits a corpus with more distinct stems
// than exactStems (unique tokens first, as in a log-like corpus): words
// that come after are still counted from their second text on, with their
// first text included, and words of a single text stay out of the
// vocabulary.
func TestFitCountsStemsPastExactStems(t *testing.T) {
	if testing.Short() {
		t.Skip("fits 300k distinct stems")
	}
	common := "the service restarts the worker when the queue grows beyond its limit "
	var texts []string
	const filler = exactStems/100 + 100 // texts of 100 unique tokens
	for i := range filler {
		var sb strings.Builder
		sb.WriteString(common)
		for j := range 100 {
			fmt.Fprintf(&sb, " zq%s", strconv.FormatInt(int64(i*100+j), 36))
		}
		texts = append(texts, sb.String())
	}
	late := []string{
		common + "kubernetes pods and kubernetes nodes", // twice in one text: one text
		common + "kubernetes rollout",
		common + "kubernetes again, with zeppelin zeppelin", // zeppelin: one text only
		common + "grafana dashboards",
		common + "grafana alerts",
	}
	texts = append(texts, late...)
	m, err := fitModel(context.Background(), defaultAdapt, defaultFeatures, slices.Values(texts))
	if err != nil {
		t.Fatal(err)
	}
	n := float64(len(texts))
	for _, tc := range []struct {
		word string
		df   int // 0: not in the vocabulary
	}{
		{"kubernet", 3},
		{"grafana", 2},
		{"zeppelin", 0},
		{"zq0", 0},
		{"servic", filler + len(late)},
	} {
		i, ok := m.index[tc.word]
		switch {
		case tc.df == 0 && ok:
			t.Errorf("%q is in the vocabulary, want it left out (one text)", tc.word)
		case tc.df > 0 && !ok:
			t.Errorf("%q is not in the vocabulary, want it with df %d", tc.word, tc.df)
		case tc.df > 0:
			want := float32(math.Log(1 + n/float64(tc.df)))
			if m.idf[i] != want {
				t.Errorf("idf of %q = %v, want %v (df %d)", tc.word, m.idf[i], want, tc.df)
			}
		}
	}
}
