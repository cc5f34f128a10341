package search

import (
	"context"
	"math"
	"slices"
)

// proximityParams set how the keyword ranking rewards query terms that
// occur near each other.
type proximityParams struct {
	top    int     // chunks at the head of the BM25 ranking re-scored; 0 turns it off
	window int     // two query terms at most this many terms apart are near
	weight float64 // multiplies the proximity score added to the BM25 score
}

// proximityRerank adds to the BM25 score of the first p.top hits a score for
// the query terms they hold close together, and returns the hits re-sorted.
// For every pair of distinct query terms, a chunk gains the mean of the two
// IDFs times n/(n+1), n being how often the two occur within p.window terms
// of each other (in either order, stop words not counted): the
// unordered-window feature of Metzler and Croft's sequential dependence
// model. BM25 alone counts words wherever they are, so a page that mentions
// "index" fifty times outranks the one that says "check which indexes are
// actually used". text returns a chunk's text; false skips the chunk.
func (k *keywordIndex) proximityRerank(hits []scored, terms []string, p proximityParams, text func(int32) (string, bool)) []scored {
	if p.top <= 0 || p.window <= 0 || len(hits) == 0 {
		return hits
	}
	slot := make(map[string]int, len(terms)) // query term → its index in idf
	var idf []float64
	for _, t := range terms {
		if _, dup := slot[t]; dup {
			continue
		}
		id, ok := k.terms[t]
		if !ok {
			continue // in no chunk: near nothing
		}
		df := float64(len(k.postings[id]))
		slot[t] = len(idf)
		idf = append(idf, math.Log(1+(float64(k.live)-df+0.5)/(df+0.5)))
	}
	if len(idf) < 2 {
		return hits
	}
	out := slices.Clone(hits)
	near := make([]int, len(idf)*len(idf)) // pair (a<b) → count, at a*len+b
	var seq []int                          // per term of the chunk: its slot, or -1
	for i := range min(p.top, len(out)) {
		body, ok := text(out[i].chunk)
		if !ok {
			continue
		}
		seq = seq[:0]
		forEachTerm(body, func(t string, _, _ int) {
			s, ok := slot[t]
			if !ok {
				s = -1
			}
			seq = append(seq, s)
		})
		clear(near)
		for at, a := range seq {
			if a < 0 {
				continue
			}
			for _, b := range seq[at+1 : min(len(seq), at+1+p.window)] {
				if b >= 0 && b != a {
					near[min(a, b)*len(idf)+max(a, b)]++
				}
			}
		}
		var bonus float64
		for a := range idf {
			for b := a + 1; b < len(idf); b++ {
				if n := float64(near[a*len(idf)+b]); n > 0 {
					bonus += (idf[a] + idf[b]) / 2 * n / (n + 1)
				}
			}
		}
		out[i].score += p.weight * bonus
	}
	return topScored(out, len(out))
}

// chunkText reads the text of chunk ord from the store (chunk texts are not
// kept in memory); false when the chunk is gone.
func (x *Index) chunkText(ctx context.Context, m *memIndex, ord int32) (string, bool) {
	c := m.chunks[ord]
	if c.doc == nil {
		return "", false
	}
	var body string
	err := x.db.QueryRowContext(ctx, `SELECT text FROM chunks WHERE doc_id = ? AND idx = ?`, c.doc.id, c.idx).Scan(&body)
	return body, err == nil
}
