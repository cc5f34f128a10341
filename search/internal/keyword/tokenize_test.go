package keyword

import (
	"slices"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Create a new database", []string{"creat", "new", "databas"}},
		{"creates created creating", []string{"creat", "creat", "creat"}},
		{"Indexes, indexed; INDEXING", []string{"index", "index", "index"}},
		{"stopped running queries quickly", []string{"stop", "run", "query", "quick"}},
		{"pg_ctl promote -D /var/lib", []string{"pg", "ctl", "promot", "var", "lib"}},
		{"PostgreSQL 15 and x86_64", []string{"postgresql", "15", "x86", "64"}},
		{"the of and is", nil},
		{"Übergröße straße", []string{"übergröße", "straße"}},
		{"status class process", []string{"status", "class", "process"}},
		{"a " + strings.Repeat("x", 80) + " b9", []string{"b9"}},
		{"", nil},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := Tokenize(tc.in); !slices.Equal(got, tc.want) {
				t.Fatalf("Tokenize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTermsRoundTrip(t *testing.T) {
	b := Encode("vacuum the vacuum daemon; autovacuum vacuums")
	got := map[string]int{}
	length, err := decodeTerms(b, func(term []byte, tf int) { got[string(term)] = tf })
	if err != nil || length != 5 {
		t.Fatalf("decode: length %d, %v", length, err)
	}
	if want := map[string]int{"vacuum": 3, "daemon": 1, "autovacuum": 1}; len(got) != len(want) || got["vacuum"] != 3 || got["daemon"] != 1 {
		t.Fatalf("terms = %v, want %v", got, want)
	}
	for _, bad := range [][]byte{nil, {0x80}, {5, 9, 'a'}, append(slices.Clone(b[:len(b)-1]), 0x80)} {
		if _, err := decodeTerms(bad, func([]byte, int) {}); err == nil {
			t.Errorf("decodeTerms(%v) accepted a bad list", bad)
		}
	}
}
