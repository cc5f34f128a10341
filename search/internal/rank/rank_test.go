package rank

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTop(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 3, 10, 100} {
		var all []Scored
		top := NewTop(n)
		for i := range 500 {
			s := Scored{Chunk: int32(i), Score: float64(rng.IntN(50))} // many ties
			all = append(all, s)
			if top.Wants(s.Score) {
				top.Push(s)
			}
		}
		want := Best(slices.Clone(all), n)
		if got := top.Sorted(); !slices.Equal(got, want) {
			t.Fatalf("n=%d: top = %v, want %v", n, got, want)
		}
	}
}
