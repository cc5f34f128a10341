package vec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

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

func TestPlanDotIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, dims := range []int{0, 1, 15, 16, 17, 40, 64, 100, 640, 1536} {
		for _, nz := range []int{0, 1, 3, 8, 30, dims / 2, dims} {
			if dims == 0 && nz > 0 {
				continue
			}
			t.Run(fmt.Sprintf("%d-%d", dims, nz), func(t *testing.T) {
				for range 20 {
					q := make([]int16, dims)
					for range nz {
						q[rng.IntN(dims)] = int16(rng.IntN(4001) - 2000)
					}
					if dims >= 64 && rng.IntN(2) == 0 {
						// A dense run too, as the latent dimensions are.
						from := rng.IntN(dims - 48)
						for j := from; j < from+48; j++ {
							q[j] = int16(rng.IntN(4001) - 2000)
						}
					}
					b := make([]int8, dims)
					for i := range b {
						b[i] = int8(rng.IntN(255) - 127)
					}
					p := newPlan(q)
					if got, want := p.dot(b), dotQuantGeneric(q, b); got != want {
						t.Fatalf("plan (full %v, %d runs, %d single) gives %d, want %d", p.full, len(p.runs), len(p.idx), got, want)
					}
				}
			})
		}
	}
}

// TestSparseQuerySearchIsExact: a short query's scan, which multiplies
// only its non-zero parts, returns the exhaustive float32 top 100, with
// and without a chunk filter.
func TestSparseQuerySearchIsExact(t *testing.T) {
	const dims, hashed, count, n = 640, 512, 20000, 100
	rng := rand.New(rand.NewPCG(13, 14))
	s := New[int](0, 2048)
	defer s.Release()
	vecs := make([][]float32, count)
	for i := range vecs {
		// Chunks: many hashed features and the dense part.
		v := shortQuery(rng, dims, hashed, 150)
		vecs[i] = v
		if _, err := s.Add(i%7, int32(i), v); err != nil {
			t.Fatal(err)
		}
	}
	for qi := range 20 {
		q := shortQuery(rng, dims, hashed, 2+qi%8)
		qq := make([]int16, dims)
		quantizeQuery(qq, q)
		if newPlan(qq).full {
			t.Fatalf("query %d: the plan multiplies every dimension", qi)
		}
		for _, odd := range []bool{false, true} {
			want := rank.NewTop(n)
			for i, v := range vecs {
				if odd && i%2 == 0 {
					continue
				}
				if sc := float64(dot(q, v)); want.Wants(sc) {
					want.Push(rank.Scored{Chunk: int32(i), Score: sc})
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
				t.Fatalf("query %d (odd chunks only: %v): got %v…, want %v…", qi, odd, got[:3], w[:3])
			}
		}
	}
}

// BenchmarkShortQueryScan is the scan of 100k 640-dim vectors shaped like
// the builtin embedder's for a query of a few words (planned: only its
// non-zero parts) and for a dense query of the same vectors:
//
//	go test ./search/internal/vec -run '^$' -bench ShortQueryScan -benchtime 20x
func BenchmarkShortQueryScan(b *testing.B) {
	const dims, hashed, n = 640, 512, 100000
	rng := rand.New(rand.NewPCG(15, 16))
	s := New[string](0, 2048)
	defer s.Release()
	for i := range n {
		if _, err := s.Add("SP"+strconv.Itoa(i/5%20), int32(i), shortQuery(rng, dims, hashed, 150)); err != nil {
			b.Fatal(err)
		}
	}
	short := shortQuery(rng, dims, hashed, 5)
	dense := shortQuery(rng, dims, dims, dims)
	for _, c := range []struct {
		name string
		q    []float32
		all  bool
	}{{"short", short, false}, {"short-unplanned", short, true}, {"dense", dense, false}} {
		b.Run(c.name, func(b *testing.B) {
			planAll = c.all
			defer func() { planAll = false }()
			for b.Loop() {
				if _, err := s.Search(context.Background(), c.q, 100, Filter[string]{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/vector")
		})
	}
}
