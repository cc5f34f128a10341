// Package rank keeps the best-scored chunks of a ranking: the n best of a
// stream (Top) and a deterministic sort (Best). The vector scan, the keyword
// index and the index's fusion share it, so that they break ties alike.
package rank

import "sort"

// Scored is a chunk, by its ordinal in the index, with a score: higher is
// better.
type Scored struct {
	Chunk int32
	Score float64
}

// Top keeps the n best chunks offered to it: a min-heap on score, ties
// broken by the lower ordinal.
type Top struct {
	n int
	h []Scored
}

// NewTop returns a Top that keeps n chunks.
func NewTop(n int) *Top { return &Top{n: n, h: make([]Scored, 0, min(n, 1024))} }

func worse(a, b Scored) bool { return a.Score < b.Score || a.Score == b.Score && a.Chunk > b.Chunk }

// Wants says whether a score could enter the top n: callers skip Push, and
// whatever made the Scored, when it cannot.
func (t *Top) Wants(s float64) bool { return len(t.h) < t.n || s > t.h[0].Score }

// Push offers s.
func (t *Top) Push(s Scored) {
	if len(t.h) < t.n {
		t.h = append(t.h, s)
		for i := len(t.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !worse(t.h[i], t.h[p]) {
				break
			}
			t.h[i], t.h[p] = t.h[p], t.h[i]
			i = p
		}
		return
	}
	if !worse(t.h[0], s) {
		return
	}
	t.h[0] = s
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(t.h) && worse(t.h[l], t.h[m]) {
			m = l
		}
		if r < len(t.h) && worse(t.h[r], t.h[m]) {
			m = r
		}
		if m == i {
			break
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// Kept returns the chunks kept so far, in no particular order, for merging
// one Top into another. It shares t's memory.
func (t *Top) Kept() []Scored { return t.h }

// Sorted returns the kept chunks, best first.
func (t *Top) Sorted() []Scored { return Best(t.h, t.n) }

// Best sorts s in place by score, best first (ties by chunk, for
// determinism), and returns its first n.
func Best(s []Scored, n int) []Scored {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Score != s[j].Score {
			return s[i].Score > s[j].Score
		}
		return s[i].Chunk < s[j].Chunk
	})
	if len(s) > n {
		s = s[:n]
	}
	return s
}
