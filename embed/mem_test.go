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
