package vec

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"

	chromem "github.com/philippgille/chromem-go"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// errNoEmbedding keeps chromem-go from ever calling its default (OpenAI)
// embedding function: every vector is given.
func errNoEmbedding(context.Context, string) ([]float32, error) {
	return nil, errors.New("vectors are given, not computed by chromem-go")
}

// BenchmarkVectorScan is the measured reason for this package: chromem-go's
// exhaustive query (one collection, and shards of it) against a plain scan
// of the same 640-dim vectors (the builtin embedder's) in one contiguous
// matrix, with the plain-Go and the AVX2 dot product, and against Store's
// own scan over 20 groups in shards of 2,048:
//
//	go test ./search/internal/vec -run '^$' -bench VectorScan -benchtime 20x
func BenchmarkVectorScan(b *testing.B) {
	const dims = 640
	ctx := context.Background()
	for _, n := range []int{10000, 100000} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		flat := make([]float32, n*dims)
		for i := range flat {
			flat[i] = float32(rng.NormFloat64())
		}
		for i := range n {
			normalize(flat[i*dims : (i+1)*dims])
		}
		q := make([]float32, dims)
		copy(q, flat[:dims])
		db := chromem.NewDB()
		c, err := db.CreateCollection("bench", nil, errNoEmbedding)
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if err := c.AddDocument(ctx, chromem.Document{ID: strconv.Itoa(i), Embedding: flat[i*dims : (i+1)*dims]}); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("chromem/%dk", n/1000), func(b *testing.B) {
			for b.Loop() {
				if _, err := c.QueryEmbedding(ctx, q, 100, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The same vectors in shards of a few thousand.
		for _, size := range []int{1000, 2000, 5000} {
			var shards []*chromem.Collection
			for i := range n {
				if i%size == 0 {
					c, err := db.CreateCollection(fmt.Sprintf("shard%d-%d", size, i), nil, errNoEmbedding)
					if err != nil {
						b.Fatal(err)
					}
					shards = append(shards, c)
				}
				if err := shards[len(shards)-1].AddDocument(ctx, chromem.Document{ID: strconv.Itoa(i), Embedding: flat[i*dims : (i+1)*dims]}); err != nil {
					b.Fatal(err)
				}
			}
			b.Run(fmt.Sprintf("chromem-shards-of-%d/%dk", size, n/1000), func(b *testing.B) {
				for b.Loop() {
					for _, c := range shards {
						if _, err := c.QueryEmbedding(ctx, q, 100, nil, nil); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
		for name, dot := range map[string]func(a, b []float32) float32{"flat-go": dotGeneric, "flat": dot} {
			b.Run(fmt.Sprintf("%s/%dk", name, n/1000), func(b *testing.B) {
				workers := runtime.GOMAXPROCS(0)
				for b.Loop() {
					tops := make([]*rank.Top, workers)
					var wg sync.WaitGroup
					for w := range workers {
						wg.Add(1)
						go func() {
							defer wg.Done()
							top := rank.NewTop(100)
							for i := w * n / workers; i < (w+1)*n/workers; i++ {
								if s := float64(dot(q, flat[i*dims:(i+1)*dims])); top.Wants(s) {
									top.Push(rank.Scored{Chunk: int32(i), Score: s})
								}
							}
							tops[w] = top
						}()
					}
					wg.Wait()
				}
			})
		}
		// The index's store: documents of 5 chunks spread over 20
		// containers, added in turn as a load does.
		s := New[string](0, 2048)
		for i := range n {
			if _, err := s.Add("SP"+strconv.Itoa(i/5%20), int32(i), flat[i*dims:(i+1)*dims]); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("index/%dk", n/1000), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Search(ctx, q, 100, Filter[string]{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		s.Release()
	}
}

func normalize(v []float32) {
	var s float64
	for _, f := range v {
		s += float64(f) * float64(f)
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(s))
	}
}
