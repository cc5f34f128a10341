package search

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// keywordIndexOf indexes texts as chunks 0, 1, 2…
func keywordIndexOf(texts []string) *keywordIndex {
	k := newKeywordIndex()
	for i, s := range texts {
		tfs, n := chunkTerms(s)
		for _, tf := range tfs {
			k.add(int32(i), []byte(tf.term), tf.tf)
		}
		k.setLength(int32(i), n)
	}
	return k
}

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
	k := keywordIndexOf(texts)
	text := func(ords []int32) []string {
		out := make([]string, len(ords))
		for i, o := range ords {
			out[i] = texts[o]
		}
		return out
	}
	query := tokenize("check whether my indexes are actually used")
	bm25 := k.search(query, 10, defaultFusion.bm25, nil)
	if bm25[0].chunk != 0 {
		t.Fatalf("BM25 ranks chunk %d first; the test wants chunk 0 there: %v", bm25[0].chunk, bm25)
	}
	order := func(ss []scored) []int32 {
		var out []int32
		for _, s := range ss {
			out = append(out, s.chunk)
		}
		return out
	}
	on := proximityParams{top: 10, window: 3, weight: 0.7}
	cases := []struct {
		name  string
		terms []string
		p     proximityParams
		text  func([]int32) []string
		first []int32 // the head of the ranking wanted, in any order
	}{
		{"near terms win", query, on, text, []int32{1, 2}},
		{"off", query, proximityParams{}, text, []int32{0}},
		{"window of one: adjacent terms, either order", query, proximityParams{top: 10, window: 1, weight: 2}, text, []int32{1, 2}},
		{"window of one, weight too small", query, proximityParams{top: 10, window: 1, weight: 0.1}, text, []int32{0}},
		{"only the head is re-scored", query, proximityParams{top: 1, window: 3, weight: 0.7}, text, []int32{0}},
		{"one query term: nothing to pair", tokenize("indexes"), on, text, order(k.search(tokenize("indexes"), 10, defaultFusion.bm25, nil))[:1]},
		{"texts gone", query, on, func(ords []int32) []string { return make([]string, len(ords)) }, []int32{0}},
		{"unknown terms ignored", append(tokenize("zebra giraffe"), query...), on, text, []int32{1, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := k.search(tc.terms, 10, defaultFusion.bm25, nil)
			before := slices.Clone(in)
			got := k.proximityRerank(in, tc.terms, tc.p, tc.text)
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
				if got[i].score > got[i-1].score {
					t.Fatalf("not sorted: %v", got)
				}
			}
		})
	}
	// A pasted page: only the first maxProximityTerms distinct terms pair up.
	long := tokenize(strings.Join(many, " ") + " check indexes actually used")
	var first []string
	for _, term := range long {
		if _, known := k.terms[term]; known && !slices.Contains(first, term) && len(first) < maxProximityTerms {
			first = append(first, term)
		}
	}
	hits := k.search(long, 10, defaultFusion.bm25, nil)
	if got, want := k.proximityRerank(hits, long, on, text), k.proximityRerank(hits, first, on, text); !slices.Equal(got, want) {
		t.Errorf("long query: %v, want the ranking of its first %d terms %v", got, maxProximityTerms, want)
	}
	if got := k.proximityRerank(nil, query, on, text); got != nil {
		t.Errorf("no hits: got %v", got)
	}
}

// TestSearchRewardsProximity runs the re-ranking through Index.Search: the
// chunk texts come from the store.
func TestSearchRewardsProximity(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	docs := []Document{
		{ID: "confluence:1", Source: SourceConfluence, Container: "PG", Key: "1", Title: "Index types", URL: "u1", Updated: testTime, Type: "page",
			Chunks: []Chunk{{Index: 0, Text: "index alpha bravo charlie delta check echo foxtrot golf hotel actually india juliet " +
				"kilo lima whether mike november oscar papa used quebec romeo sierra tango index " +
				"uniform victor whiskey xray yankee zulu alpha bravo charlie delta echo"}}},
		{ID: "confluence:2", Source: SourceConfluence, Container: "PG", Key: "2", Title: "Examining usage", URL: "u2", Updated: testTime, Type: "page",
			Chunks: []Chunk{{Index: 0, Text: "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike " +
				"november oscar papa check which indexes are actually used quebec romeo sierra " +
				"tango uniform victor whiskey xray yankee zulu alpha bravo charlie delta echo"}}},
		{ID: "confluence:3", Source: SourceConfluence, Container: "PG", Key: "3", Title: "Vacuum", URL: "u3", Updated: testTime, Type: "page",
			Chunks: []Chunk{{Index: 0, Text: "Vacuum reclaims storage occupied by dead tuples."}}},
		{ID: "confluence:4", Source: SourceConfluence, Container: "PG", Key: "4", Title: "Replication", URL: "u4", Updated: testTime, Type: "page",
			Chunks: []Chunk{{Index: 0, Text: "Replication streams WAL to a standby server."}}},
	}
	if _, err := x.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	q := Query{Text: "check whether my indexes are actually used", Mode: Keyword}
	off := defaultFusion
	off.proximity = proximityParams{}
	for _, tc := range []struct {
		name string
		fu   fusion
		want string
	}{{"BM25 alone", off, "confluence:1"}, {"with proximity", defaultFusion, "confluence:2"}} {
		rs, err := x.search(ctx, q, tc.fu)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 || rs[0].DocID != tc.want {
			t.Errorf("%s: first result %v, want %s", tc.name, rs, tc.want)
		}
	}
}

func TestChunkTexts(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Search(ctx, Query{Text: "certificate"}); err != nil { // loads the memory index
		t.Fatal(err)
	}
	x.memMu.RLock()
	defer x.memMu.RUnlock()
	m := x.mem
	want := map[int32]string{}
	var ords []int32
	for _, d := range sampleDocs() {
		rec := m.docs[d.ID]
		if rec == nil || len(rec.ords) != len(d.Chunks) {
			t.Fatalf("document %s not in memory with its %d chunks", d.ID, len(d.Chunks))
		}
		for _, o := range rec.ords {
			want[o] = d.Chunks[m.chunks[o].idx].Text
			ords = append(ords, o)
		}
	}
	slices.Reverse(ords) // any order
	got := x.chunkTexts(ctx, m, ords)
	for i, o := range ords {
		if got[i] != want[o] {
			t.Errorf("chunk %d: text %q, want %q", o, got[i], want[o])
		}
	}
	if got := x.chunkTexts(ctx, m, nil); len(got) != 0 {
		t.Errorf("no chunks: %v", got)
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
		k := keywordIndexOf(texts)
		terms := tokenize(query)
		hits := k.search(terms, 10, defaultFusion.bm25, nil)
		got := k.proximityRerank(hits, terms, proximityParams{top: 2, window: 3, weight: 1}, func(ords []int32) []string {
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
			before[h.chunk] = h.score
		}
		for i, g := range got {
			s, ok := before[g.chunk]
			if !ok || g.score < s || math.IsNaN(g.score) {
				t.Fatalf("hit %d = %+v; BM25 gave %v (present %v)", i, g, s, ok)
			}
			if i > 0 && g.score > got[i-1].score {
				t.Fatalf("not sorted: %v", got)
			}
		}
	})
}
