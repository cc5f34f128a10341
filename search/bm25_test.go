package search

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTopN(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 3, 10, 100} {
		var all []scored
		top := newTopN(n)
		for i := range 500 {
			s := scored{chunk: int32(i), score: float64(rng.IntN(50))} // many ties
			all = append(all, s)
			if top.wants(s.score) {
				top.push(s)
			}
		}
		want := topScored(slices.Clone(all), n)
		if got := top.sorted(); !slices.Equal(got, want) {
			t.Fatalf("n=%d: top = %v, want %v", n, got, want)
		}
	}
}

func TestKeywordIndexRemoveAndCompact(t *testing.T) {
	k := newKeywordIndex()
	texts := []string{"vacuum daemon", "vacuum full", "reindex table", "vacuum vacuum analyze"}
	for i, s := range texts {
		tfs, n := chunkTerms(s)
		for _, tf := range tfs {
			k.add(int32(i), []byte(tf.term), tf.tf)
		}
		k.setLength(int32(i), n)
	}
	chunks := func(ss []scored) []int32 {
		var out []int32
		for _, s := range ss {
			out = append(out, s.chunk)
		}
		return out
	}
	if got := chunks(k.search([]string{"vacuum"}, 10, defaultFusion.bm25, nil)); !slices.Equal(got, []int32{3, 0, 1}) {
		t.Fatalf("vacuum = %v", got)
	}
	if got := chunks(k.search([]string{"vacuum"}, 10, defaultFusion.bm25, func(c int32) bool { return c != 3 })); !slices.Equal(got, []int32{0, 1}) {
		t.Fatalf("vacuum with keep = %v", got)
	}
	k.remove(0)
	k.remove(0) // twice is harmless
	if k.live != 3 {
		t.Fatalf("live = %d", k.live)
	}
	if got := chunks(k.search([]string{"vacuum"}, 10, defaultFusion.bm25, nil)); !slices.Equal(got, []int32{3, 1}) {
		t.Fatalf("after remove = %v", got)
	}
	k.compact([]int32{-1, 0, 1, 2}, 3)
	if got := chunks(k.search([]string{"vacuum"}, 10, defaultFusion.bm25, nil)); !slices.Equal(got, []int32{2, 0}) {
		t.Fatalf("after compact = %v", got)
	}
	if got := chunks(k.search([]string{"reindex", "tabl"}, 10, defaultFusion.bm25, nil)); !slices.Equal(got, []int32{1}) {
		t.Fatalf("reindex after compact = %v", got)
	}
}

func TestKeywordWeightOfLongQueries(t *testing.T) {
	noLong := defaultFusion
	noLong.longQuery = 0
	cases := []struct {
		name  string
		fu    fusion
		terms int
		want  float64
	}{
		{"short", defaultFusion, 4, 2},
		{"at the threshold", defaultFusion, 10, 2},
		{"long", defaultFusion, 11, 0.5},
		{"rule off (Similar)", noLong, 200, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.fu.keywordWeight(tc.terms); got != tc.want {
				t.Errorf("keywordWeight(%d) = %v, want %v", tc.terms, got, tc.want)
			}
		})
	}
}
