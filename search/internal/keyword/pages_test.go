package keyword

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// pagesOf groups the chunk ordinals of k: pages[i] lists page i's chunks,
// and a page is keyed by its first chunk. Pages keyed in skip are filtered
// out.
func pagesOf(k *Index, pages [][]int32, skip ...int32) Pages {
	key := make([]int32, k.Chunks())
	for i := range key {
		key[i] = -1
	}
	lens := make([]int32, k.Chunks())
	for _, p := range pages {
		for _, c := range p {
			key[c] = p[0]
			lens[p[0]] += int32(max(k.Length(c), 0))
		}
	}
	return Pages{
		Key:   key,
		Allow: func(k int32) bool { return !slices.Contains(skip, k) },
		Len:   lens,
		Live:  len(pages),
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
	r := k.SearchPages(terms, 10, bm25, pagesOf(k, pages))
	top := r.Top
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
	if r.Coverage(0) != top[0].Coverage || r.Coverage(4) != 0 {
		t.Errorf("coverage(0) = %v, coverage(4) = %v", r.Coverage(0), r.Coverage(4))
	}

	// A word found nowhere weighs the most: the same question about
	// kubernetes is held less by every page.
	r2 := k.SearchPages(append(terms, Tokenize("kubernetes")...), 10, bm25, pagesOf(k, pages))
	if r2.Coverage(0) >= r.Coverage(0) {
		t.Errorf("coverage with an unknown word %v, without %v", r2.Coverage(0), r.Coverage(0))
	}
	r.Release()
	r2.Release()
	if r.Coverage(0) != 0 {
		t.Errorf("coverage after Release: %v", r.Coverage(0))
	}

	// Chunks left out (filtered) do not count; removed ones neither.
	if got := keys(k.SearchPages(terms, 10, bm25, pagesOf(k, pages, 0)).Top); !slices.Equal(got, []int32{3}) {
		t.Errorf("with page 0 filtered out: %v", got)
	}
	k.Remove(3)
	if got := keys(k.SearchPages(terms, 10, bm25, pagesOf(k, pages)).Top); !slices.Equal(got, []int32{0}) {
		t.Errorf("with chunk 3 removed: %v", got)
	}
	if r := k.SearchPages(nil, 10, bm25, pagesOf(k, pages)); len(r.Top) != 0 || r.Coverage(0) != 0 || math.IsNaN(r.Coverage(0)) {
		t.Errorf("no terms: %v, coverage %v", r.Top, r.Coverage(0))
	}
}

// zipfCorpus is an index of n chunks of 120 Zipf-distributed words from a
// vocabulary of 20,000, and queries of 3 to 5 of those words.
func zipfCorpus(tb testing.TB, n int, seed uint64) (*Index, [][]string) {
	tb.Helper()
	const vocab = 20000
	rng := rand.New(rand.NewPCG(seed, 2))
	zipf := func() int { return int(math.Floor(math.Pow(float64(vocab), rng.Float64()))) - 1 }
	k := New()
	var sb strings.Builder
	for c := range n {
		sb.Reset()
		for range 120 {
			fmt.Fprintf(&sb, "w%d ", zipf())
		}
		if err := k.Add(int32(c), Encode(sb.String())); err != nil {
			tb.Fatal(err)
		}
	}
	queries := make([][]string, 64)
	for i := range queries {
		for range 3 + i%3 {
			queries[i] = append(queries[i], fmt.Sprintf("w%d", zipf()))
		}
	}
	return k, queries
}

// TestSearchPagesSameAsBefore checks that SearchPages ranks exactly as
// its reference (searchPagesRef, the implementation before Pages.Key):
// same pages, scores and coverages, on a generated corpus of pages of 1 to
// 15 chunks, some removed, with and without a filter, the scratch memory
// reused between queries.
func TestSearchPagesSameAsBefore(t *testing.T) {
	k, queries := zipfCorpus(t, 6000, 3)
	rng := rand.New(rand.NewPCG(5, 6))
	var groups [][]int32
	for c := int32(0); c < int32(k.Chunks()); {
		g := []int32{}
		for range 1 + rng.IntN(15) {
			if c < int32(k.Chunks()) {
				g = append(g, c)
				c++
			}
		}
		groups = append(groups, g)
	}
	// Remove every 7th page whole, as the index removes a document.
	var live [][]int32
	for i, g := range groups {
		if i%7 == 3 {
			for _, c := range g {
				k.Remove(c)
			}
			continue
		}
		live = append(live, g)
	}
	byKey := map[int32][]int32{}
	for _, g := range live {
		byKey[g[0]] = g
	}
	queries = append(queries, []string{"w1", "w1", "w0", "nowhere"}, []string{"nowhere"}, nil)
	for _, filtered := range []bool{false, true} {
		allow := func(int32) bool { return true }
		if filtered {
			allow = func(key int32) bool { return key%3 != 0 }
		}
		pg := pagesOf(k, live)
		ref := refPages{
			Of: func(o int32) int32 {
				if int(o) >= len(pg.Key) || pg.Key[o] < 0 || !allow(pg.Key[o]) {
					return -1
				}
				return pg.Key[o]
			},
			Chunks: func(key int32) []int32 { return byKey[key] },
			Live:   pg.Live,
		}
		cur := pg
		if filtered {
			cur.Allow = allow
		}
		for qi, q := range queries {
			for _, n := range []int{1, 10, 100} {
				want, wantCov := k.searchPagesRef(q, n, bm25, ref)
				got := k.SearchPages(q, n, bm25, cur)
				if len(got.Top) != len(want) {
					t.Fatalf("filtered %v, query %d %v, n %d: %d pages, want %d", filtered, qi, q, n, len(got.Top), len(want))
				}
				for i := range want {
					if got.Top[i] != want[i] {
						t.Fatalf("filtered %v, query %d %v, n %d, place %d: %+v, want %+v", filtered, qi, q, n, i, got.Top[i], want[i])
					}
				}
				for key := range byKey {
					if g, w := got.Coverage(key), wantCov(key); g != w {
						t.Fatalf("filtered %v, query %d %v: coverage of page %d %v, want %v", filtered, qi, q, key, g, w)
					}
				}
				got.Release()
			}
		}
	}
}

// BenchmarkSearchPages compares the page-level ranking with the chunk-level
// one on 100k chunks of Zipf-distributed words, 10 chunks a page:
//
//	go test ./search/internal/keyword -run '^$' -bench 'Search(Pages|Chunks)$' -benchmem
func BenchmarkSearchPages(b *testing.B)  { benchSearch(b, true) }
func BenchmarkSearchChunks(b *testing.B) { benchSearch(b, false) }

func benchSearch(b *testing.B, pages bool) {
	const chunks, perPage = 100000, 10
	k, queries := zipfCorpus(b, chunks, 1)
	groups := make([][]int32, 0, chunks/perPage)
	for p := 0; p < chunks; p += perPage {
		g := make([]int32, perPage)
		for i := range g {
			g[i] = int32(p + i)
		}
		groups = append(groups, g)
	}
	pg := pagesOf(k, groups)
	pg.Allow = nil
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		if pages {
			k.SearchPages(q, 100, bm25, pg).Release()
		} else {
			k.Search(q, 100, bm25, nil)
		}
		i++
	}
}
