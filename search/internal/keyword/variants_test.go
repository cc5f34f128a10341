package keyword

import (
	"math"
	"slices"
	"testing"
)

func TestVariants(t *testing.T) {
	k := indexOf(t, []string{
		"the column references another table; referencing rows",
		"open a connection to the server",
		"logging and login",
		"a repeatable read transaction",
	})
	for _, tc := range []struct {
		name   string
		query  string
		weight float64
		want   []string
	}{
		{"suffix added", "refer", 0.5, []string{"referenc"}},
		{"suffix added, not the term itself", "connect connection", 0.5, nil},
		{"suffix taken off and another put on", "connective", 0.5, []string{"connection"}},
		{"in no chunk", "refrigerate", 0.5, nil},
		{"four letters or fewer", "log", 0.5, nil},
		{"off", "refer", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range k.Variants(Tokenize(tc.query), tc.weight) {
				if e.Weight != tc.weight {
					t.Errorf("%s weighs %v, want %v", e.Term, e.Weight, tc.weight)
				}
				got = append(got, e.Term)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Variants(%q) = %v, want %v", tc.query, got, tc.want)
			}
		})
	}
}

func TestCompounds(t *testing.T) {
	k := indexOf(t, []string{"login setup backup handover walfile cutoff"})
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"phrasal verbs", "log in, then set up the backup", []string{"login", "setup"}},
		{"capitals and a hyphen", "Hand-Over the pager; Back Up", []string{"handover", "backup"}},
		{"not across punctuation", "the log. In short", nil},
		{"nouns are no compound", "wal files", nil},
		{"a particle after a stop word", "cut it off", nil},
		{"already a term of the question", "login or log in", nil},
		{"not in the index", "sign in", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range k.Compounds(tc.text, Tokenize(tc.text), 0.5) {
				if e.Weight != 0.5 {
					t.Errorf("%s weighs %v, want 0.5", e.Term, e.Weight)
				}
				got = append(got, e.Term)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Compounds(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

// TestExpandedSearches checks that an added term scores its share of an
// original term's BM25 score and counts in no page's Coverage.
func TestExpandedSearches(t *testing.T) {
	k := indexOf(t, []string{"alpha beta", "gamma delta", "epsilon zeta"})
	query := Tokenize("alpha")
	extra := []Expansion{{"gamma", 0.5}, {"alpha", 1}}
	hits := k.SearchExpanded(query, extra, 10, Params{K1: 1.2, B: 0.75}, nil)
	if len(hits) != 2 || hits[0].Chunk != 0 || hits[1].Chunk != 1 {
		t.Fatalf("SearchExpanded = %v, want chunks 0 then 1", hits)
	}
	if r := hits[1].Score / hits[0].Score; math.Abs(r-0.5) > 1e-6 {
		t.Errorf("added term scores %v of the question's, want 0.5 (same idf, length and count)", r)
	}
	pr := k.SearchPagesExpanded(query, extra, 10, Params{K1: 1.2, B: 0.75}, pagesOf(k, [][]int32{{0}, {1}, {2}}))
	defer pr.Release()
	if len(pr.Top) != 2 {
		t.Fatalf("SearchPagesExpanded = %v, want 2 pages", pr.Top)
	}
	if c := pr.Coverage(0); math.Abs(c-1) > 1e-6 {
		t.Errorf("coverage of the page with the question's term = %v, want 1", c)
	}
	if c := pr.Coverage(1); c != 0 {
		t.Errorf("coverage of the page with only the added term = %v, want 0", c)
	}
}
