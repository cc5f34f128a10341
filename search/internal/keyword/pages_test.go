package keyword

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// pagesOf groups chunk ordinals: pages[i] lists page i's chunks, and a
// page is keyed by its first chunk. Chunks in skip are left out.
func pagesOf(pages [][]int32, skip ...int32) Pages {
	of := map[int32]int32{}
	byKey := map[int32][]int32{}
	for _, p := range pages {
		for _, c := range p {
			of[c] = p[0]
		}
		byKey[p[0]] = p
	}
	return Pages{
		Of: func(o int32) int32 {
			if slices.Contains(skip, o) {
				return -1
			}
			return of[o]
		},
		Chunks: func(key int32) []int32 { return byKey[key] },
		Live:   len(pages),
	}
}

func TestSearchPages(t *testing.T) {
	// Page 0 (chunks 0-2) speaks of foreign keys across its chunks; page 3
	// (chunk 3) names one term many times; page 4 (chunk 4) neither.
	k := indexOf(t, []string{
		"Constraints › Foreign keys\nA foreign key constraint",
		"Constraints › Foreign keys\nthe referenced column of another table",
		"Constraints › Check\na check constraint on a column",
		"Tables\ntable table table table of rows",
		"Vacuum\nreclaim storage",
	})
	pages := [][]int32{{0, 1, 2}, {3}, {4}}
	terms := Tokenize("make a column refer to a row in another table with a foreign key")
	top, coverage := k.SearchPages(terms, 10, bm25, pagesOf(pages))
	keys := func(hs []PageHit) []int32 {
		var out []int32
		for _, h := range hs {
			out = append(out, h.Chunk)
		}
		return out
	}
	if got := keys(top); !slices.Equal(got, []int32{0, 3}) {
		t.Fatalf("pages = %v, want [0 3]", got)
	}
	if c := top[0].Coverage; c <= top[1].Coverage || c <= 0 || c > 1 {
		t.Errorf("coverages %v, %v: want the page about foreign keys to hold more of the question", c, top[1].Coverage)
	}
	if coverage(0) != top[0].Coverage || coverage(4) != 0 {
		t.Errorf("coverage(0) = %v, coverage(4) = %v", coverage(0), coverage(4))
	}

	// A word found nowhere weighs the most: the same question about
	// kubernetes is held less by every page.
	_, cov2 := k.SearchPages(append(terms, Tokenize("kubernetes")...), 10, bm25, pagesOf(pages))
	if cov2(0) >= coverage(0) {
		t.Errorf("coverage with an unknown word %v, without %v", cov2(0), coverage(0))
	}

	// Chunks left out (filtered) do not count; removed ones neither.
	if got := keys(first(k.SearchPages(terms, 10, bm25, pagesOf(pages, 0, 1, 2)))); !slices.Equal(got, []int32{3}) {
		t.Errorf("with page 0 filtered out: %v", got)
	}
	k.Remove(3)
	if got := keys(first(k.SearchPages(terms, 10, bm25, pagesOf(pages)))); !slices.Equal(got, []int32{0}) {
		t.Errorf("with chunk 3 removed: %v", got)
	}
	if top, cov := k.SearchPages(nil, 10, bm25, pagesOf(pages)); len(top) != 0 || cov(0) != 0 || math.IsNaN(cov(0)) {
		t.Errorf("no terms: %v, coverage %v", top, cov(0))
	}
}

func first(top []PageHit, _ func(int32) float64) []PageHit { return top }

// BenchmarkSearchPages compares the page-level ranking with the chunk-level
// one on 100k chunks of Zipf-distributed words, 10 chunks a page:
//
//	go test ./search/internal/keyword -run '^$' -bench 'Search(Pages|Chunks)$'
func BenchmarkSearchPages(b *testing.B)  { benchSearch(b, true) }
func BenchmarkSearchChunks(b *testing.B) { benchSearch(b, false) }

func benchSearch(b *testing.B, pages bool) {
	const chunks, perPage, vocab = 100000, 10, 20000
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := func() int { return int(math.Floor(math.Pow(float64(vocab), rng.Float64()))) - 1 }
	k := New()
	var sb strings.Builder
	for c := range chunks {
		sb.Reset()
		for range 120 {
			fmt.Fprintf(&sb, "w%d ", zipf())
		}
		if err := k.Add(int32(c), Encode(sb.String())); err != nil {
			b.Fatal(err)
		}
	}
	groups := make([][]int32, 0, chunks/perPage)
	for p := 0; p < chunks; p += perPage {
		g := make([]int32, perPage)
		for i := range g {
			g[i] = int32(p + i)
		}
		groups = append(groups, g)
	}
	pg := Pages{Of: func(o int32) int32 { return o - o%perPage }, Chunks: func(key int32) []int32 { return groups[key/perPage] }, Live: len(groups)}
	queries := make([][]string, 64)
	for i := range queries {
		for range 3 + i%3 {
			queries[i] = append(queries[i], fmt.Sprintf("w%d", zipf()))
		}
	}
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		if pages {
			k.SearchPages(q, 100, bm25, pg)
		} else {
			k.Search(q, 100, bm25, nil)
		}
		i++
	}
}
