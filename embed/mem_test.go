package embed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
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
	chunks := loadCorpus(t, pgDocDir)
	var sentences []string
	for _, c := range chunks {
		for _, s := range strings.Split(c.text, ". ") {
			if len(strings.Fields(s)) >= 4 {
				sentences = append(sentences, s)
			}
		}
	}
	n := 100_000
	if s := os.Getenv("ATLASBRIDGE_EMBED_SCALE"); s != "" {
		fmt.Sscan(s, &n)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	texts := func(yield func(string) bool) {
		var sb strings.Builder
		for range n {
			sb.Reset()
			for sb.Len() < 1800 { // ~300 words
				sb.WriteString(sentences[rng.IntN(len(sentences))])
				sb.WriteString(". ")
			}
			if !yield(sb.String()) {
				return
			}
		}
	}
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
