package embed

import (
	"slices"
	"testing"
)

// topicOf says which topic of topicCorpus a stem belongs to (-1: none).
func topicOf(stem string) int {
	for i, words := range [][]string{
		{"vacuum", "dead", "tupl", "reclaim", "storag", "bloat", "autovacuum", "freez", "tabl", "space"},
		{"replic", "standbi", "primari", "failov", "stream", "wal", "archiv", "promot", "replica", "lag"},
		{"password", "authent", "ldap", "certif", "login", "role", "kerbero", "hba", "trust", "grant"},
	} {
		if slices.Contains(words, stem) {
			return i
		}
	}
	return -1
}

func TestNeighbors(t *testing.T) {
	b := fitted(t, topicCorpus(300, 1))
	cases := []struct {
		name, word string
		n          int
		topic      int // every neighbour is of this topic; -1: want none
	}{
		{"surface form", "bloated", 5, 0},
		{"stem", "bloat", 5, 0},
		{"upper case", "Standby", 5, 1},
		{"other topic", "kerberos", 3, 2},
		{"stop word", "the", 5, -1},
		{"unknown word", "zebra", 5, -1},
		{"n zero", "vacuum", 0, -1},
		{"two words", "vacuum bloat", 5, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := b.Neighbors(tc.word, tc.n)
			if tc.topic < 0 {
				if got != nil {
					t.Fatalf("Neighbors(%q, %d) = %v, want nil", tc.word, tc.n, got)
				}
				return
			}
			if len(got) != tc.n {
				t.Fatalf("Neighbors(%q, %d) = %d neighbours: %v", tc.word, tc.n, len(got), got)
			}
			self := b.Stem(tc.word)
			for i, nb := range got {
				if nb.Stem == self || topicOf(nb.Stem) != tc.topic {
					t.Errorf("neighbour %d of %q is %q (topic %d, self %q), want topic %d", i, tc.word, nb.Stem, topicOf(nb.Stem), self, tc.topic)
				}
				if nb.Similarity > 1.0001 || nb.Similarity < -1.0001 || nb.IDF <= 0 {
					t.Errorf("neighbour %+v: similarity out of -1..1 or IDF not positive", nb)
				}
				if i > 0 && nb.Similarity > got[i-1].Similarity {
					t.Errorf("neighbours not best first: %v", got)
				}
			}
		})
	}
	if got := NewBuiltin(BuiltinOptions{}).Neighbors("vacuum", 5); got != nil {
		t.Errorf("Neighbors before Fit = %v, want nil", got)
	}
}

func TestRelated(t *testing.T) {
	b := fitted(t, topicCorpus(300, 1))
	got := b.Related("promote the standby", 4)
	if len(got) != 4 {
		t.Fatalf("Related = %v, want 4 words", got)
	}
	for _, nb := range got {
		if nb.Stem == "promot" || nb.Stem == "standbi" || topicOf(nb.Stem) != 1 {
			t.Errorf("Related(promote the standby) has %q: want other replication words only", nb.Stem)
		}
	}
	for _, text := range []string{"", "the of and", "zebra giraffe"} {
		if got := b.Related(text, 4); got != nil {
			t.Errorf("Related(%q) = %v, want nil", text, got)
		}
	}
	if got := NewBuiltin(BuiltinOptions{}).Related("promote the standby", 4); got != nil {
		t.Errorf("Related before Fit = %v, want nil", got)
	}
}

func TestBuiltinStem(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	for _, tc := range []struct{ in, want string }{
		{"Indexes", "index"}, {"large", "larg"}, {"the", ""}, {"two words", ""}, {"", ""}, {"pg15", "pg15"},
	} {
		if got := b.Stem(tc.in); got != tc.want {
			t.Errorf("Stem(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
