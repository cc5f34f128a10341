package keyword

import (
	"math"
	"slices"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// Proximity sets how Rerank rewards query terms that occur near each other.
type Proximity struct {
	Top    int     // chunks at the head of the BM25 ranking re-scored; 0 turns it off
	Window int     // two query terms at most this many terms apart are near
	Weight float64 // multiplies the proximity score added to the BM25 score
}

// maxProximityTerms bounds the query terms Rerank pairs (the first
// ones), so that a pasted page costs no more than a long question.
const maxProximityTerms = 64

// Rerank adds to the BM25 score of the first p.Top hits a score for
// the query terms they hold close together, and returns the hits re-sorted.
// For every pair of distinct query terms, a chunk gains the mean of the two
// IDFs times n/(n+1), n being how often the two occur within p.Window terms
// of each other (in either order, stop words not counted): the
// unordered-window feature of Metzler and Croft's sequential dependence
// model. BM25 alone counts words wherever they are, so a page that mentions
// "index" fifty times outranks the one that says "check which indexes are
// actually used". texts returns the texts of the chunks given, in order
// ("" skips a chunk): one call, so that the store is asked once.
func (k *Index) Rerank(hits []rank.Scored, terms []string, p Proximity, texts func([]int32) []string) []rank.Scored {
	if p.Top <= 0 || p.Window <= 0 || len(hits) == 0 {
		return hits
	}
	slot := make(map[string]int, len(terms)) // query term → its index in idf
	var idf []float64
	for _, t := range terms {
		if len(idf) == maxProximityTerms {
			break
		}
		if _, dup := slot[t]; dup {
			continue
		}
		id, ok := k.terms[t]
		if !ok {
			continue // in no chunk: near nothing
		}
		df := float64(k.postings[id].n)
		slot[t] = len(idf)
		idf = append(idf, math.Log(1+(float64(k.live)-df+0.5)/(df+0.5)))
	}
	if len(idf) < 2 {
		return hits
	}
	out := slices.Clone(hits)
	near := make([]int, len(idf)*len(idf)) // pair (a<b) → count, at a*len+b
	var seq []int                          // per term of the chunk: its slot, or -1
	head := make([]int32, min(p.Top, len(out)))
	for i := range head {
		head[i] = out[i].Chunk
	}
	bodies := texts(head)
	for i, body := range bodies {
		if body == "" {
			continue
		}
		seq = seq[:0]
		ForEachTerm(body, func(t string, _, _ int) {
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
			for _, b := range seq[at+1 : min(len(seq), at+1+p.Window)] {
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
		out[i].Score += p.Weight * bonus
	}
	return rank.Best(out, len(out))
}
