package embed

import (
	"slices"
	"testing"
)

func TestStem(t *testing.T) {
	// Expected values from Porter's published vocabulary/output lists.
	cases := []struct{ in, want string }{
		{"caresses", "caress"}, {"ponies", "poni"}, {"cats", "cat"}, {"agreed", "agre"},
		{"plastered", "plaster"}, {"motoring", "motor"}, {"sing", "sing"}, {"hopping", "hop"},
		{"falling", "fall"}, {"filing", "file"}, {"happy", "happi"}, {"relational", "relat"},
		{"conditional", "condit"}, {"digitizer", "digit"}, {"operator", "oper"},
		{"hopefulness", "hope"}, {"electrical", "electr"}, {"adjustment", "adjust"},
		{"adoption", "adopt"}, {"effective", "effect"}, {"controll", "control"},
		{"generalizations", "gener"}, {"indexes", "index"}, {"vacuuming", "vacuum"},
		{"pg15", "pg15"}, {"ab", "ab"}, {"größe", "größe"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := stem(tc.in); got != tc.want {
				t.Errorf("stem(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		stems []string
	}{
		{"stop words and question words", "How do I rebuild the Indexes?", []string{"", "", "", "rebuild", "", "index"}},
		{"identifiers split", "pg_ctl -D data", []string{"pg", "ctl", "", "data"}},
		{"single letters dropped as stop", "a b c", []string{"", "", ""}},
		{"unicode letters", "Größe über", []string{"größe", "über"}},
		{"empty", "  ", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tok := range tokenize(tc.in, nil, nil) {
				got = append(got, tok.stem)
			}
			if !slices.Equal(got, tc.stems) {
				t.Errorf("tokenize(%q) stems = %q, want %q", tc.in, got, tc.stems)
			}
		})
	}
}
