package keyword

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

func TestProximityRerank(t *testing.T) {
	texts := []string{
		// 0: every query word, more often, but far apart: BM25's favourite.
		"index alpha bravo charlie delta check echo foxtrot golf hotel actually india juliet " +
			"kilo lima whether mike november oscar papa used quebec romeo sierra tango index " +
			"uniform victor whiskey xray yankee zulu alpha bravo charlie delta echo",
		// 1: says it, once: "check which indexes are actually used".
		"alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike " +
			"november oscar papa check which indexes are actually used quebec romeo sierra " +
			"tango uniform victor whiskey xray yankee zulu alpha bravo charlie delta echo",
		// 2: the same words close together in another order.
		"alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike " +
			"november oscar papa used actually, these indexes check quebec romeo sierra " +
			"tango uniform victor whiskey xray yankee zulu alpha bravo charlie delta echo",
		// Unrelated chunks, so that the query words have a useful IDF.
		"vacuum reclaims storage occupied by dead tuples",
		"replication streams WAL to a standby server",
		"roles own database objects and have privileges",
	}
	var many []string // more distinct words than proximity pairs up
	for i := range maxProximityTerms + 10 {
		many = append(many, fmt.Sprintf("w%d", i))
	}
	texts = append(texts, strings.Join(many, " "))
	k := indexOf(t, texts)
	text := func(ords []int32) []string {
		out := make([]string, len(ords))
		for i, o := range ords {
			out[i] = texts[o]
		}
		return out
	}
	query := Tokenize("check whether my indexes are actually used")
	plain := k.Search(query, 10, bm25, nil)
	if plain[0].Chunk != 0 {
		t.Fatalf("BM25 ranks chunk %d first; the test wants chunk 0 there: %v", plain[0].Chunk, plain)
	}
	order := func(ss []rank.Scored) []int32 {
		var out []int32
		for _, s := range ss {
			out = append(out, s.Chunk)
		}
		return out
	}
	on := Proximity{Top: 10, Window: 3, Weight: 0.7}
	cases := []struct {
		name  string
		terms []string
		p     Proximity
		text  func([]int32) []string
		first []int32 // the head of the ranking wanted, in any order
	}{
		{"near terms win", query, on, text, []int32{1, 2}},
		{"off", query, Proximity{}, text, []int32{0}},
		{"window of one: adjacent terms, either order", query, Proximity{Top: 10, Window: 1, Weight: 2}, text, []int32{1, 2}},
		{"window of one, weight too small", query, Proximity{Top: 10, Window: 1, Weight: 0.1}, text, []int32{0}},
		{"only the head is re-scored", query, Proximity{Top: 1, Window: 3, Weight: 0.7}, text, []int32{0}},
		{"one query term: nothing to pair", Tokenize("indexes"), on, text, order(k.Search(Tokenize("indexes"), 10, bm25, nil))[:1]},
		{"texts gone", query, on, func(ords []int32) []string { return make([]string, len(ords)) }, []int32{0}},
		{"unknown terms ignored", append(Tokenize("zebra giraffe"), query...), on, text, []int32{1, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := k.Search(tc.terms, 10, bm25, nil)
			before := slices.Clone(in)
			got := k.Rerank(in, tc.terms, tc.p, tc.text)
			if !slices.Equal(in, before) {
				t.Errorf("the input ranking was modified")
			}
			if len(got) != len(in) {
				t.Fatalf("%d hits in, %d out", len(in), len(got))
			}
			head := order(got)[:len(tc.first)]
			slices.Sort(head)
			if !slices.Equal(head, tc.first) {
				g := order(got)
				t.Errorf("ranking %v, want it to start with %v (BM25 alone: %v)", g, tc.first, order(in))
			}
			for i := 1; i < len(got); i++ {
				if got[i].Score > got[i-1].Score {
					t.Fatalf("not sorted: %v", got)
				}
			}
		})
	}
	// A pasted page: only the first maxProximityTerms distinct terms pair up.
	long := Tokenize(strings.Join(many, " ") + " check indexes actually used")
	var first []string
	for _, term := range long {
		if _, known := k.terms[term]; known && !slices.Contains(first, term) && len(first) < maxProximityTerms {
			first = append(first, term)
		}
	}
	hits := k.Search(long, 10, bm25, nil)
	if got, want := k.Rerank(hits, long, on, text), k.Rerank(hits, first, on, text); !slices.Equal(got, want) {
		t.Errorf("long query: %v, want the ranking of its first %d terms %v", got, maxProximityTerms, want)
	}
	if got := k.Rerank(nil, query, on, text); got != nil {
		t.Errorf("no hits: got %v", got)
	}
}

// FuzzProximityRerank checks that any query and chunk text give back the
// same hits, re-sorted, none scored lower than BM25 did.
func FuzzProximityRerank(f *testing.F) {
	f.Add("check whether my indexes are actually used", "check which indexes are actually used")
	f.Add("a a a", "a a a a")
	f.Add("ünïcödé wörds wörds", "wörds ünïcödé\x00\xff")
	f.Fuzz(func(t *testing.T, query, body string) {
		texts := []string{body, "vacuum reclaims storage", body + " " + query}
		k := indexOf(t, texts)
		terms := Tokenize(query)
		hits := k.Search(terms, 10, bm25, nil)
		got := k.Rerank(hits, terms, Proximity{Top: 2, Window: 3, Weight: 1}, func(ords []int32) []string {
			out := make([]string, len(ords))
			for i, o := range ords {
				out[i] = texts[o]
			}
			return out
		})
		if len(got) != len(hits) {
			t.Fatalf("%d hits in, %d out", len(hits), len(got))
		}
		before := map[int32]float64{}
		for _, h := range hits {
			before[h.Chunk] = h.Score
		}
		for i, g := range got {
			s, ok := before[g.Chunk]
			if !ok || g.Score < s || math.IsNaN(g.Score) {
				t.Fatalf("hit %d = %+v; BM25 gave %v (present %v)", i, g, s, ok)
			}
			if i > 0 && g.Score > got[i-1].Score {
				t.Fatalf("not sorted: %v", got)
			}
		}
	})
}
