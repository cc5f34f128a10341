package vec

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

func TestDotQuant(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 48, 64, 100, 640, 1536, 3072} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			for _, extreme := range []bool{false, true} {
				a, b := make([]int16, n), make([]int8, n+5) // b longer: only len(a) counts
				var want int64
				for i := range b {
					b[i] = int8(rng.IntN(255) - 127)
				}
				// The largest query values quantizeQuery makes for n
				// values: their sum must not overflow.
				top := int(min(math.MaxInt16, math.MaxInt32/(127*float64(max(n, 1)))))
				for i := range a {
					a[i] = int16(rng.IntN(2*top+1) - top)
					if extreme {
						a[i], b[i] = int16(top), 127
					}
					want += int64(a[i]) * int64(b[i])
				}
				for name, got := range map[string]int32{"dotQuant": dotQuant(a, b), "dotQuantGeneric": dotQuantGeneric(a, b)} {
					if int64(got) != want {
						t.Errorf("%s of %d values (extreme %v) = %d, want %d", name, n, extreme, got, want)
					}
				}
			}
		})
	}
}

func TestQuantize(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	v := make([]float32, 640)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	normalize(v)
	q := make([]int8, len(v))
	s := quantize(q, v)
	for i := range v {
		if d := math.Abs(float64(v[i] - s*float32(q[i]))); d > float64(s)/2+1e-7 {
			t.Fatalf("value %d: %v back as %v", i, v[i], s*float32(q[i]))
		}
	}
	if s := quantize(q, make([]float32, len(v))); s != 0 || slices.ContainsFunc(q, func(x int8) bool { return x != 0 }) {
		t.Fatal("a zero vector is not zero in int8")
	}
}

// TestQuantizedSearchIsExact: the int8 scan with its exact rescoring
// returns the same chunks, in the same order and with the same scores, as
// an exhaustive float32 ranking.
func TestQuantizedSearchIsExact(t *testing.T) {
	const dims, count, n = 640, 20000, 100
	rng := rand.New(rand.NewPCG(9, 10))
	s := New[int](0, 2048)
	defer s.Release()
	vecs := make([][]float32, count)
	for i := range vecs {
		v := make([]float32, dims)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		normalize(v)
		vecs[i] = v
		if _, err := s.Add(i%7, int32(i), v); err != nil {
			t.Fatal(err)
		}
	}
	for qi := range 20 {
		q := slices.Clone(vecs[rng.IntN(count)])
		for j := range q {
			q[j] += float32(rng.NormFloat64())
		}
		normalize(q)
		want := rank.NewTop(n)
		for i, v := range vecs {
			if sc := float64(dot(q, v)); want.Wants(sc) {
				want.Push(rank.Scored{Chunk: int32(i), Score: sc})
			}
		}
		got, err := s.Search(context.Background(), q, n, Filter[int]{})
		if err != nil {
			t.Fatal(err)
		}
		if w := want.Sorted(); !slices.Equal(got, w) {
			t.Fatalf("query %d: got %v…, want %v…", qi, got[:3], w[:3])
		}
	}
}
