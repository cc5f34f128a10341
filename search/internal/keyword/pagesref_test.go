package keyword

import (
	"math"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// refPages is Pages as it was: a function from chunk to page.
type refPages struct {
	Of     func(ord int32) int32
	Chunks func(key int32) []int32
	Live   int
}

// searchPagesRef is SearchPages as it was before Pages.Key and its
// pooled scratch, the reference the test compares it with.
func (k *Index) searchPagesRef(terms []string, n int, bp Params, pages refPages) (top []PageHit, coverage func(key int32) float64) {
	if k.live == 0 || n <= 0 || pages.Live <= 0 {
		return nil, func(int32) float64 { return 0 }
	}
	avg := float64(k.totalLen) / float64(pages.Live)
	if avg <= 0 {
		avg = 1
	}
	// Dense accumulators by page key, as Search's by chunk: maps cost
	// several times more for common terms, which touch most pages.
	acc := make([]float32, len(k.length))  // BM25
	tfs := make([]float32, len(k.length))  // one term's frequency
	held := make([]float32, len(k.length)) // idf of the terms the page holds
	lens := make([]float32, len(k.length)) // page length, once known
	var touched, termPages []int32
	var weight float64 // of all the distinct terms
	defer func() {
		for _, p := range touched {
			acc[p], held[p], lens[p] = 0, 0, 0
		}
	}()
	pageLen := func(p int32) float64 {
		if l := lens[p]; l > 0 {
			return float64(l)
		}
		var l float32
		for _, o := range pages.Chunks(p) {
			if int(o) < len(k.length) && k.length[o] > 0 {
				l += float32(k.length[o])
			}
		}
		lens[p] = max(l, 1)
		return float64(lens[p])
	}
	for _, t := range distinct(terms) {
		id, ok := k.terms[t]
		if !ok {
			weight += math.Log(1 + (float64(pages.Live)+0.5)/0.5)
			continue
		}
		termPages = termPages[:0]
		r := postingReader{data: k.postings[id].data}
		for {
			c, tf, ok := r.next()
			if !ok {
				break
			}
			if k.length[c] < 0 {
				continue
			}
			p := pages.Of(c)
			if p < 0 {
				continue
			}
			if tfs[p] == 0 {
				termPages = append(termPages, p)
			}
			tfs[p] += float32(tf)
		}
		df := float64(len(termPages))
		idf := math.Log(1 + (float64(pages.Live)-df+0.5)/(df+0.5))
		weight += max(idf, 0)
		for _, p := range termPages {
			tf := float64(tfs[p])
			tfs[p] = 0
			if idf <= 0 {
				continue
			}
			if acc[p] == 0 {
				touched = append(touched, p)
			}
			acc[p] += float32(idf * tf * (bp.K1 + 1) / (tf + bp.K1*(1-bp.B+bp.B*pageLen(p)/avg)))
			held[p] += float32(idf)
		}
	}
	heap := rank.NewTop(n)
	for _, p := range touched {
		if s := float64(acc[p]); heap.Wants(s) {
			heap.Push(rank.Scored{Chunk: p, Score: s})
		}
	}
	// Coverage outlives the accumulators: kept for the touched pages.
	cov := make(map[int32]float64, len(touched))
	for _, p := range touched {
		cov[p] = float64(held[p]) / weight
	}
	best := heap.Sorted()
	top = make([]PageHit, len(best))
	for i, s := range best {
		top[i] = PageHit{Scored: s, Coverage: cov[s.Chunk]}
	}
	return top, func(key int32) float64 { return cov[key] }
}
