package search

import (
	"context"
	"math"
	"slices"
	"strings"
)

// proximityParams set how the keyword ranking rewards query terms that
// occur near each other.
type proximityParams struct {
	top    int     // chunks at the head of the BM25 ranking re-scored; 0 turns it off
	window int     // two query terms at most this many terms apart are near
	weight float64 // multiplies the proximity score added to the BM25 score
}

// maxProximityTerms bounds the query terms proximityRerank pairs (the first
// ones), so that a pasted page costs no more than a long question.
const maxProximityTerms = 64

// proximityRerank adds to the BM25 score of the first p.top hits a score for
// the query terms they hold close together, and returns the hits re-sorted.
// For every pair of distinct query terms, a chunk gains the mean of the two
// IDFs times n/(n+1), n being how often the two occur within p.window terms
// of each other (in either order, stop words not counted): the
// unordered-window feature of Metzler and Croft's sequential dependence
// model. BM25 alone counts words wherever they are, so a page that mentions
// "index" fifty times outranks the one that says "check which indexes are
// actually used". texts returns the texts of the chunks given, in order
// ("" skips a chunk): one call, so that the store is asked once.
func (k *keywordIndex) proximityRerank(hits []scored, terms []string, p proximityParams, texts func([]int32) []string) []scored {
	if p.top <= 0 || p.window <= 0 || len(hits) == 0 {
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
	head := make([]int32, min(p.top, len(out)))
	for i := range head {
		head[i] = out[i].chunk
	}
	bodies := texts(head)
	for i, body := range bodies {
		if body == "" {
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

// chunkTexts reads the texts of chunks ords from the store in one query
// (chunk texts are not kept in memory): "" for a chunk that is gone.
func (x *Index) chunkTexts(ctx context.Context, m *memIndex, ords []int32) []string {
	out := make([]string, len(ords))
	if len(ords) == 0 {
		return out
	}
	var q strings.Builder
	q.WriteString(`SELECT doc_id, idx, text FROM chunks WHERE (doc_id, idx) IN (VALUES `)
	args := make([]any, 0, 2*len(ords))
	at := make(map[chunkKey]int, len(ords))
	for i, o := range ords {
		c := m.chunks[o]
		if c.doc == nil {
			continue
		}
		if len(args) > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?)")
		args = append(args, c.doc.id, c.idx)
		at[chunkKey{c.doc.id, c.idx}] = i
	}
	if len(args) == 0 {
		return out
	}
	q.WriteString(")")
	rows, err := x.db.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var k chunkKey
		var body string
		if rows.Scan(&k.doc, &k.idx, &body) == nil {
			if i, ok := at[k]; ok {
				out[i] = body
			}
		}
	}
	return out
}

// chunkKey names a chunk in the store.
type chunkKey struct {
	doc string
	idx int32
}
