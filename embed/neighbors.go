package embed

import (
	"math"
	"slices"
	"strings"
)

// Neighbor is a word of the fitted vocabulary and how close its latent
// vector is to another word's.
type Neighbor struct {
	// Stem is the word as the vocabulary holds it: the stem Stem returns
	// for its surface forms ("larg" for "large" and "larger").
	Stem string
	// Similarity is the cosine of the two latent word vectors, -1 to 1.
	Similarity float64
	// IDF is the word's inverse document frequency in the fitted corpus,
	// ln(1 + texts/texts with the word).
	IDF float64
}

// Stem returns the stem under which the builtin embedder knows word (the
// Porter stem of its lower-cased form), or "" for a stop word and for text
// that is not a single word.
func (b *Builtin) Stem(word string) string {
	toks := tokenize(word, nil, nil)
	if len(toks) != 1 {
		return ""
	}
	return toks[0].stem
}

// Neighbors returns the n words of the fitted vocabulary whose latent
// vectors are most similar to word's (a surface form or a stem), best
// first, the word itself left out. Words that occur in the same chunks of
// the corpus come close: in the PostgreSQL manual "bloat" is a neighbour of
// "vacuum". That is co-occurrence, not synonymy: callers should weigh
// neighbours below the word itself. Neighbors returns nil before Fit, for a
// stop word and for a word the vocabulary lacks.
//
// It compares word with the whole vocabulary (at most 20,000 words of 128
// dimensions), a scan short enough for every call.
func (b *Builtin) Neighbors(word string, n int) []Neighbor {
	m := b.fitted.Load()
	if m == nil || n <= 0 || m.cfg.Dims == 0 {
		return nil
	}
	w := strings.ToLower(strings.TrimSpace(word))
	i, ok := m.index[w]
	if !ok {
		st := b.Stem(w)
		if st == "" {
			return nil
		}
		if i, ok = m.index[st]; !ok {
			return nil
		}
	}
	return m.neighbors(i, n)
}

// Related returns the n words of the fitted vocabulary whose latent vectors
// are most similar to text's latent vector (the IDF-weighted sum of its
// words' vectors, as Embed computes it), best first, the words of text left
// out. Taken together, the words of a question pick out its subject better
// than each alone: in the PostgreSQL manual "store big binary objects"
// relates to "larg" and "largeobject", where "big" alone neighbours test
// suites. Related returns nil before Fit and when no word of text is in the
// vocabulary.
func (b *Builtin) Related(text string, n int) []Neighbor {
	m := b.fitted.Load()
	if m == nil || n <= 0 || m.cfg.Dims == 0 {
		return nil
	}
	toks := tokenize(text, nil, nil)
	q := make([]float32, m.cfg.Dims)
	rels, _ := m.unknownRelations(toks, nil, nil)
	if !m.latent(toks, rels, q) {
		return nil
	}
	skip := make(map[int32]bool, len(toks))
	for _, t := range toks {
		if i, ok := m.index[t.stem]; ok {
			skip[i] = true
		}
	}
	return m.nearest(q, n, skip)
}

// neighbors returns the n rows most similar to row i, best first (ties by
// row, for determinism), i left out.
func (m *model) neighbors(i int32, n int) []Neighbor {
	k := m.cfg.Dims
	return m.nearest(m.vecs[int(i)*k:(int(i)+1)*k], n, map[int32]bool{i: true})
}

// nearest returns the n rows most similar to q, best first (ties by row,
// for determinism), leaving out the rows in skip.
func (m *model) nearest(q []float32, n int, skip map[int32]bool) []Neighbor {
	k := m.cfg.Dims
	norms := m.rowNorms()
	var qn float64
	for _, x := range q {
		qn += float64(x) * float64(x)
	}
	if qn == 0 {
		return nil
	}
	qnorm := float32(math.Sqrt(qn))
	type cand struct {
		row int32
		sim float32
	}
	best := make([]cand, 0, n+1)
	for r := range int32(len(m.words)) {
		if norms[r] == 0 || skip[r] {
			continue
		}
		row := m.vecs[int(r)*k : (int(r)+1)*k]
		var dot float32
		for j, x := range q {
			dot += x * row[j]
		}
		sim := dot / (qnorm * norms[r])
		if len(best) == n && sim <= best[n-1].sim {
			continue
		}
		at, _ := slices.BinarySearchFunc(best, sim, func(c cand, s float32) int {
			if c.sim > s {
				return -1
			}
			return 1 // equal similarity: after the earlier (smaller) row
		})
		best = slices.Insert(best, at, cand{r, sim})
		if len(best) > n {
			best = best[:n]
		}
	}
	out := make([]Neighbor, len(best))
	for j, c := range best {
		out[j] = Neighbor{Stem: m.words[c.row], Similarity: float64(c.sim), IDF: m.wordIDF(c.row)}
	}
	return out
}

// rowNorms returns the Euclidean norm of every word vector, computed once.
func (m *model) rowNorms() []float32 {
	m.normsOnce.Do(func() {
		k := m.cfg.Dims
		m.norms = make([]float32, len(m.words))
		for r := range m.norms {
			var s float64
			for _, x := range m.vecs[r*k : (r+1)*k] {
				s += float64(x) * float64(x)
			}
			m.norms[r] = float32(math.Sqrt(s))
		}
	})
	return m.norms
}
