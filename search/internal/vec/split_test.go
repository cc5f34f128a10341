package vec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// BenchmarkSplitLayout prototypes a layout for the builtin embedder's
// vectors: the 128 dense latent dimensions of every row together (128
// bytes a row), the 512 hashed ones by column, so that a short query reads
// its few columns and the dense part instead of every row's 640 bytes.
// Exact: the same integer sums as the row scan, which it is measured
// against on the same int8 forms (100k rows, two workers, top 200):
//
//	go test ./search/internal/vec -run '^$' -bench SplitLayout -benchtime 20x
func BenchmarkSplitLayout(b *testing.B) {
	const dims, hashed, n = 640, 512, 100000
	rng := rand.New(rand.NewPCG(17, 18))
	rows := make([]int8, n*dims)
	dense := make([]int8, n*(dims-hashed))
	cols := make([][]int8, hashed)
	for j := range cols {
		cols[j] = make([]int8, n)
	}
	for i := range n {
		v := shortQuery(rng, dims, hashed, 150)
		q := rows[i*dims : (i+1)*dims]
		quantize(q, v)
		copy(dense[i*(dims-hashed):], q[hashed:])
		for j := range hashed {
			cols[j][i] = q[j]
		}
	}
	qf := shortQuery(rng, dims, hashed, 5)
	qq := make([]int16, dims)
	quantizeQuery(qq, qf)
	var idx []int
	for j := range hashed {
		if qq[j] != 0 {
			idx = append(idx, j)
		}
	}
	workers := runtime.GOMAXPROCS(0)
	run := func(b *testing.B, score func(acc []int32, from, to int)) {
		for b.Loop() {
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					from, to := w*n/workers, (w+1)*n/workers
					top := rank.NewTop(200)
					acc := make([]int32, 2048)
					for s := from; s < to; s += len(acc) {
						e := min(s+len(acc), to)
						score(acc[:e-s], s, e)
						for i, a := range acc[:e-s] {
							if sc := float64(a); top.Wants(sc) {
								top.Push(rank.Scored{Chunk: int32(s + i), Score: sc})
							}
						}
					}
				})
			}
			wg.Wait()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/vector")
	}
	rowScan := func(acc []int32, from, to int) {
		for i := from; i < to; i++ {
			acc[i-from] = dotQuant(qq, rows[i*dims:(i+1)*dims])
		}
	}
	splitScan := func(acc []int32, from, to int) {
		const d = dims - hashed
		for i := from; i < to; i++ {
			acc[i-from] = dotQuant(qq[hashed:], dense[i*d:(i+1)*d])
		}
		for _, j := range idx {
			c, v := cols[j][from:to], int32(qq[j])
			for i := range acc {
				acc[i] += v * int32(c[i])
			}
		}
	}
	// Both give the same sums.
	a, c := make([]int32, 2048), make([]int32, 2048)
	rowScan(a, 0, 2048)
	splitScan(c, 0, 2048)
	for i := range a {
		if a[i] != c[i] {
			b.Fatalf("row %d: split %d, rows %d", i, c[i], a[i])
		}
	}
	b.Run("rows", func(b *testing.B) { run(b, rowScan) })
	b.Run(fmt.Sprintf("split-%d-columns", len(idx)), func(b *testing.B) { run(b, splitScan) })
}

// shortQuery is a vector shaped like the builtin embedder's of a few
// words: nz hashed features among the first hashed dimensions, the rest
// dense, unit length.
func shortQuery(rng *rand.Rand, dims, hashed, nz int) []float32 {
	q := make([]float32, dims)
	for range nz {
		q[rng.IntN(hashed)] = float32(rng.NormFloat64())
	}
	for j := hashed; j < dims; j++ {
		q[j] = float32(rng.NormFloat64()) / 4
	}
	normalize(q)
	return q
}

// TestSplitScanIsExact: with vectors shaped like the builtin embedder's,
// a short query's scan of the split copies returns the exhaustive float32
// top 100, with and without a chunk filter, also after vectors were added
// and removed (their shards' copies are remade), and so does a query that
// fills many hashed dimensions (the row scan). The first search of the
// Store makes no copies.
func TestSplitScanIsExact(t *testing.T) {
	const dims, hashed, count, n = 640, 512, 12000, 100
	rng := rand.New(rand.NewPCG(13, 14))
	s := New[int](0, 2048)
	defer s.Release()
	vecs := map[int32][]float32{}
	slots := map[int32]Slot{}
	add := func(from, to int) {
		for i := from; i < to; i++ {
			// Chunks: many hashed features and the dense part.
			v := shortQuery(rng, dims, hashed, 150)
			vecs[int32(i)] = v
			slot, err := s.Add(i%7, int32(i), v)
			if err != nil {
				t.Fatal(err)
			}
			slots[int32(i)] = slot
		}
	}
	check := func(round string) {
		t.Helper()
		for qi := range 12 {
			q := shortQuery(rng, dims, hashed, []int{2, 5, 9, 400}[qi%4])
			qq := make([]int16, dims)
			quantizeQuery(qq, q)
			s.ensureSplit()
			s.waitSplit() // the copies are made in the background
			_, _, short := s.ensureSplit().shortQuery(qq)
			if want := qi%4 != 3; short != want {
				t.Fatalf("%s, query %d: split scan %v, want %v", round, qi, short, want)
			}
			for _, odd := range []bool{false, true} {
				want := rank.NewTop(n)
				for o, v := range vecs {
					if odd && o%2 == 0 {
						continue
					}
					if sc := float64(dot(q, v)); want.Wants(sc) {
						want.Push(rank.Scored{Chunk: o, Score: sc})
					}
				}
				f := Filter[int]{}
				if odd {
					f.Chunk = func(o int32) bool { return o%2 == 1 }
				}
				got, err := s.Search(context.Background(), q, n, f)
				if err != nil {
					t.Fatal(err)
				}
				if w := want.Sorted(); !slices.Equal(got, w) {
					t.Fatalf("%s, query %d (odd chunks only: %v): got %v…, want %v…", round, qi, odd, got[:3], w[:3])
				}
			}
		}
	}
	made := func() {
		t.Helper()
		for i, sh := range s.shards {
			if sh.sp == nil || sh.spStale || sh.sp.rows != len(sh.rows) {
				t.Fatalf("shard %d has no current split copy", i)
			}
		}
	}
	add(0, count)
	if s.ensureSplit() != nil {
		t.Fatal("the first search made the split copies")
	}
	check("first")
	made()
	if sp := s.ensureSplit(); len(sp.sparse) != hashed || len(sp.dense) != dims-hashed {
		t.Fatalf("%d dense and %d sparse dimensions, want %d and %d", len(sp.dense), len(sp.sparse), dims-hashed, hashed)
	}
	for o := int32(0); o < count; o += 3 {
		s.Remove(slots[o])
		delete(vecs, o)
	}
	add(count, count+3000) // into the freed slots, and new ones
	check("after changes")
	made()
}

// TestSearchesDuringTheSplitBuild: the second search starts making the
// split copies and returns without them; searches running while they are
// made (rows) and after (copies) give the same answers, and a change made
// after waits for the build (run with -race).
func TestSearchesDuringTheSplitBuild(t *testing.T) {
	const dims, hashed, count, n = 640, 512, 20000, 20
	rng := rand.New(rand.NewPCG(21, 22))
	s := New[int](0, 2048)
	defer s.Release()
	slots := make([]Slot, count)
	for i := range count {
		slot, err := s.Add(i%5, int32(i), shortQuery(rng, dims, hashed, 150))
		if err != nil {
			t.Fatal(err)
		}
		slots[i] = slot
	}
	queries := make([][]float32, 8)
	for i := range queries {
		queries[i] = shortQuery(rng, dims, hashed, 4)
	}
	ctx := context.Background()
	want := make([][]rank.Scored, len(queries))
	for i, q := range queries {
		got, err := s.Search(ctx, q, n, Filter[int]{})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = got
		if i == 1 && !s.splitBuilding.Load() && !s.splitFresh.Load() {
			t.Fatal("the second search started no build of the split copies")
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for r := range 10 {
				i := (w + r) % len(queries)
				got, err := s.Search(ctx, queries[i], n, Filter[int]{})
				if err != nil {
					t.Error(err)
					return
				}
				if !slices.Equal(got, want[i]) {
					t.Errorf("query %d during or after the build: got %v…, want %v…", i, got[:2], want[i][:2])
					return
				}
			}
		})
	}
	wg.Wait()
	s.waitSplit()
	if !s.splitFresh.Load() {
		t.Fatal("no split copies after the build")
	}
	s.Remove(slots[0]) // the copies skip removed rows: still current
	if _, err := s.Add(0, count, shortQuery(rng, dims, hashed, 150)); err != nil {
		t.Fatal(err)
	}
	if s.splitFresh.Load() {
		t.Fatal("an added vector left the copies marked current")
	}
	if _, err := s.Search(ctx, queries[0], n, Filter[int]{}); err != nil {
		t.Fatal(err)
	}
}

// TestWarmStartsTheSplitBuild: Warm makes the split copies before any
// search (a server's), and the first search then scans them.
func TestWarmStartsTheSplitBuild(t *testing.T) {
	const dims, hashed = 640, 512
	rng := rand.New(rand.NewPCG(31, 32))
	s := New[int](0, 2048)
	defer s.Release()
	for i := range 5000 {
		if _, err := s.Add(i%3, int32(i), shortQuery(rng, dims, hashed, 150)); err != nil {
			t.Fatal(err)
		}
	}
	s.Warm()
	s.Settle()
	if !s.splitFresh.Load() || s.split == nil || len(s.split.sparse) == 0 {
		t.Fatal("Warm made no split copies")
	}
	if s.ensureSplit() == nil {
		t.Fatal("the first search after Warm does not scan the copies")
	}
}
