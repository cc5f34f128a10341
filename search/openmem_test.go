package search

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
)

// TestOpenMemory measures what an open index costs: the time of a
// read-only Open and one hybrid query, the heap in use afterwards, the peak
// heap while opening, and the process's RSS (now and its high-water mark,
// VmHWM, which is what /usr/bin/time reports as maximum resident set
// size). ATLASBRIDGE_MEM_OPEN is either the directory of an index built by
// a real sync (the builtin embedder picks up its stored state) or a number
// of chunks for a synthetic store (kept in ATLASBRIDGE_SCALE_DIR when set).
// With ATLASBRIDGE_MEM_PROFILES=DIR it writes DIR/open-heap.pprof after the
// query (go tool pprof -sample_index=inuse_space). Run it alone, so that the
// high-water mark is this test's:
//
//	ATLASBRIDGE_MEM_OPEN=/path/to/data go test ./search -run OpenMemory -v
//	ATLASBRIDGE_MEM_OPEN=100000 ATLASBRIDGE_SCALE_DIR=/tmp/abscale go test ./search -run OpenMemory -v -timeout 30m
func TestOpenMemory(t *testing.T) {
	arg := os.Getenv("ATLASBRIDGE_MEM_OPEN")
	if arg == "" {
		t.Skip("set ATLASBRIDGE_MEM_OPEN to an index directory or a number of chunks to measure")
	}
	dir := arg
	if n, err := strconv.Atoi(arg); err == nil {
		dir, _ = scaleStore(t, n, 0)
	}
	if _, err := os.Stat(filepath.Join(dir, dbFile)); err != nil {
		t.Fatalf("ATLASBRIDGE_MEM_OPEN: %v", err)
	}
	ctx := context.Background()
	settle()
	before := procStatusKB("VmRSS")
	stop := samplePeak()
	start := time.Now()
	x, err := Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true})
	if err != nil {
		stop()
		t.Fatal(err)
	}
	defer x.Close()
	opened := time.Since(start)
	if _, err := x.Search(ctx, Query{Text: "deploy rollback", K: 10}); err != nil {
		stop()
		t.Fatal(err)
	}
	total := time.Since(start)
	peak := stop()
	hwm, rss := procStatusKB("VmHWM"), procStatusKB("VmRSS")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if p := os.Getenv("ATLASBRIDGE_MEM_PROFILES"); p != "" {
		f, err := os.Create(filepath.Join(p, "open-heap.pprof"))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	st, err := x.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vecMiB := float64(st.Chunks) * float64(st.Dims) * 4 / (1 << 20)
	t.Logf("%d chunks, %d dims (vectors %.0f MiB): open %s, open + 1 query %s", st.Chunks, st.Dims, vecMiB,
		opened.Round(time.Millisecond), total.Round(time.Millisecond))
	t.Logf("heap in use after the query (after GC) %d MiB, peak heap while opening %d MiB; vectors mapped off the heap %d MiB",
		ms.HeapInuse>>20, peak>>20, x.offHeapBytes()>>20)
	t.Logf("RSS before %d MiB, after %d MiB, high-water %d MiB", before>>10, rss>>10, hwm>>10)
}

// procStatusKB reads one kB field of /proc/self/status (-1 where there is
// none).
func procStatusKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return -1
}
