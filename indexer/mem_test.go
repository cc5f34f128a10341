package indexer

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search"
)

// TestSyncMemory measures where the memory of a first sync goes: a sync of
// ATLASBRIDGE_MEM_SYNC documents (half generated pages, half issues, as
// TestBenchSync in cmd/atlasbridge) from cmd/atlassim running in another
// process, so that only the indexer's memory is counted. A sampler reads the
// heap and the RSS every 100 ms and keeps the peak of each phase (crawl,
// fit, re-embed); with ATLASBRIDGE_MEM_PROFILES=DIR it also writes a heap
// profile each time the heap in use reaches a new high (go tool pprof
// -sample_index=inuse_space DIR/heap-….pprof).
//
//	ATLASBRIDGE_MEM_SYNC=100000 go test ./indexer -run SyncMemory -v -timeout 30m
func TestSyncMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ATLASBRIDGE_MEM_SYNC"))
	if n < 2 {
		t.Skip("set ATLASBRIDGE_MEM_SYNC=10000 to measure a first sync's memory")
	}
	profiles := os.Getenv("ATLASBRIDGE_MEM_PROFILES")
	base := atlassiantest.StartProcess(t, "--pages", strconv.Itoa(n/2), "--jira-issues", strconv.Itoa(n-n/2), "--seed", "1", "--token", "mem-token")
	copts := atlassian.Options{Token: "mem-token", MaxConcurrent: 8}
	conf, err := atlassian.NewConfluence(base+"/confluence", copts)
	if err != nil {
		t.Fatal(err)
	}
	jira, err := atlassian.NewJira(base+"/jira", copts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	metered := NewMeteredEmbedder(embed.NewBuiltin(embed.BuiltinOptions{}), runtime.GOMAXPROCS(0))
	s := &memSampler{dir: profiles, phase: "open", peaks: map[string]memPeak{}}
	emb := &phaseTrainable{Trainable: metered.ForIndex().(embed.Trainable), s: s}
	idx, err := search.Open(ctx, t.TempDir(), search.Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	ix, err := New(Options{Confluence: conf, Jira: jira, Index: idx, Embedder: emb,
		Progress: func(p Progress) {
			if p.Phase == "fetch" || p.Phase == "list" {
				s.set("crawl")
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	stop := s.run()
	sum, err := ix.Sync(ctx, RunOptions{})
	stop()
	if err != nil || sum.Failed() {
		t.Fatalf("sync: %v %+v", err, sum)
	}
	st, err := idx.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("n=%d: %d documents, %d chunks, %d embedded, in %s = %.0f documents/s; fit %s; peak RSS %s",
		n, sum.Added, st.Chunks, sum.Chunks, sum.Duration.Round(time.Millisecond),
		float64(sum.Added)/sum.Duration.Seconds(), sum.Stages.Fit.Round(time.Millisecond), peakRSS())
	for _, ph := range s.order {
		p := s.peaks[ph]
		t.Logf("  %-8s heap in use ≤ %4d MiB, RSS ≤ %4d MiB, %s", ph, p.heap>>20, p.rss>>20, p.took.Round(time.Millisecond))
	}
}

// phaseTrainable tells the sampler when Fit runs and when it returned (the
// re-embedding follows).
type phaseTrainable struct {
	embed.Trainable
	s *memSampler
}

func (p *phaseTrainable) Fit(ctx context.Context, texts iter.Seq[string]) error {
	p.s.set("fit")
	defer p.s.set("reembed")
	return p.Trainable.Fit(ctx, texts)
}

type memPeak struct {
	heap, rss uint64
	since     time.Time
	took      time.Duration
}

// memSampler keeps the peak heap and RSS of each phase of a sync.
type memSampler struct {
	dir   string
	mu    sync.Mutex
	phase string
	order []string
	peaks map[string]memPeak
	high  uint64 // heap in use at the last profile written
}

func (s *memSampler) set(phase string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phase != phase {
		if p, ok := s.peaks[s.phase]; ok {
			p.took = time.Since(p.since)
			s.peaks[s.phase] = p
		}
		s.phase = phase
	}
}

func (s *memSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss := currentRSS()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.peaks[s.phase]
	if !ok {
		p.since = time.Now()
		s.order = append(s.order, s.phase)
	}
	p.heap, p.rss = max(p.heap, ms.HeapInuse), max(p.rss, rss)
	p.took = time.Since(p.since)
	s.peaks[s.phase] = p
	if s.dir != "" && ms.HeapInuse > s.high+s.high/20 {
		s.high = ms.HeapInuse
		name := filepath.Join(s.dir, fmt.Sprintf("heap-%s-%04dMiB.pprof", s.phase, ms.HeapInuse>>20))
		if f, err := os.Create(name); err == nil {
			pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
}

// run samples every 100 ms until the returned function is called.
func (s *memSampler) run() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			s.sample()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); wg.Wait(); s.set("") }
}

// currentRSS reads the resident set size of the process (Linux; 0 elsewhere).
func currentRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
