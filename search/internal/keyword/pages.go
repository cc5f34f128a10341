package keyword

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// Pages groups chunks into the pages (documents) they belong to, for
// SearchPages. A page is named by one of its chunk ordinals (its key), so
// that the index's dense per-ordinal accumulators serve pages too.
type Pages struct {
	// Key gives, by chunk ordinal, the key of the page the chunk belongs
	// to, or -1 for a chunk to ignore (removed). The caller keeps it with
	// its index: looking the page up per posting through the caller's
	// records was most of the ranking's cost.
	Key []int32
	// Allow, when not nil, says whether the page with the given key may
	// be ranked (the query's filters). It is asked once per page a query
	// term reaches.
	Allow func(key int32) bool
	// Len gives, by page key, the page's length: the sum of its chunks'
	// (Index.Length), kept by the caller with Key.
	Len []int32
	// Live is the number of pages indexed.
	Live int
}

// PageHit is a page's score in SearchPages.
type PageHit struct {
	rank.Scored // Chunk is the page's key
	// Coverage is the share of the query's weight the page holds: the
	// inverse document frequencies of the distinct terms it contains over
	// those of all of them, a term found nowhere weighing the most.
	Coverage float64
}

// PageRanking is the outcome of SearchPages: the best pages, and the
// coverage of any page until Release.
type PageRanking struct {
	Top []PageHit
	s   *pageScratch
}

// Coverage is the Coverage of the page with the given key, ranked or not.
// It is 0 after Release.
func (r *PageRanking) Coverage(key int32) float64 {
	if r == nil || r.s == nil || uint32(key) >= uint32(len(r.s.held)) {
		return 0
	}
	h := r.s.held[key]
	if h == 0 {
		return 0
	}
	return float64(h) / r.s.weight
}

// Release gives the ranking's memory back for the next query; Top stays
// valid.
func (r *PageRanking) Release() {
	if r == nil || r.s == nil {
		return
	}
	s := r.s
	r.s = nil
	s.reset()
	s.k.pages.Put(s)
}

// pageScratch is the memory of one SearchPages, dense by page key (a chunk
// ordinal) and reused across queries: a fresh set per query was a good
// share of its time, in allocation and collection.
type pageScratch struct {
	k         *Index
	acc       []float32 // BM25
	tfs       []float32 // one term's frequency
	held      []float32 // idf of the terms the page holds
	lens      []float32 // page length once known (> 0), or -1: not allowed
	touched   []int32   // pages with a score (acc, held set)
	seen      []int32   // pages with lens set
	termPages []int32
	weight    float64 // of all the distinct terms
}

// reset zeroes what the last query set.
func (s *pageScratch) reset() {
	for _, p := range s.touched {
		s.acc[p], s.held[p] = 0, 0
	}
	for _, p := range s.seen {
		s.lens[p] = 0
	}
	s.touched, s.seen, s.termPages = s.touched[:0], s.seen[:0], s.termPages[:0]
	s.weight = 0
}

// scratch returns a pageScratch sized for the index's ordinals.
func (k *Index) scratch() *pageScratch {
	s, _ := k.pages.Get().(*pageScratch)
	if s == nil || len(s.acc) < len(k.length) {
		n := len(k.length)
		s = &pageScratch{k: k, acc: make([]float32, n), tfs: make([]float32, n), held: make([]float32, n), lens: make([]float32, n)}
	}
	return s
}

// admit meets page p for the first time in a query: it asks pages.Allow and
// notes the page's length, and says whether the page counts.
func (s *pageScratch) admit(p int32, pages Pages) bool {
	s.seen = append(s.seen, p)
	if pages.Allow != nil && !pages.Allow(p) {
		s.lens[p] = -1
		return false
	}
	var l float32
	if int(p) < len(pages.Len) {
		l = float32(pages.Len[p])
	}
	s.lens[p] = max(l, 1)
	return true
}

// SearchPages ranks whole pages against the query terms with BM25 over each
// page's chunks taken together: a term's frequency is summed over the
// chunks, a page's length is the sum of theirs and a term's document
// frequency counts pages. Every chunk starts with its breadcrumb (title)
// and heading path, so a page's title terms count once per chunk and a
// heading's once per chunk of its section: BM25F's field weights, in
// proportion to how much of the page they head. It finds the page that is
// about the question as a whole where chunk-level BM25 finds the best
// passage. It returns the best n pages with their Coverage; the caller
// calls Release once done with the ranking's Coverage.
func (k *Index) SearchPages(terms []string, n int, bp Params, pages Pages) *PageRanking {
	return k.SearchPagesExpanded(terms, nil, n, bp, pages)
}

// SearchPagesExpanded is SearchPages with further terms, each weighing its
// share of an original term's score. They count in no Coverage: it says
// how much of the question a page holds.
func (k *Index) SearchPagesExpanded(terms []string, extra []Expansion, n int, bp Params, pages Pages) *PageRanking {
	if k.live == 0 || n <= 0 || pages.Live <= 0 {
		return &PageRanking{}
	}
	avg := float64(k.totalLen) / float64(pages.Live)
	if avg <= 0 {
		avg = 1
	}
	s := k.scratch()
	acc, tfs, held, lens := s.acc, s.tfs, s.held, s.lens
	key := pages.Key
	if len(key) > len(k.length) {
		key = key[:len(k.length)]
	}
	terms = distinct(terms)
	all := make([]Expansion, 0, len(terms)+len(extra))
	for _, t := range terms {
		all = append(all, Expansion{t, 1})
	}
	for _, e := range extra {
		if e.Weight > 0 && !slices.Contains(terms, e.Term) {
			all = append(all, e)
		}
	}
	for i, e := range all {
		t, own := e.Term, i < len(terms)
		id, ok := k.terms[t]
		if !ok {
			if own {
				s.weight += math.Log(1 + (float64(pages.Live)+0.5)/0.5)
			}
			continue
		}
		termPages := s.termPages[:0]
		// The postings decoded inline, as in Search: this loop runs once
		// per posting of every query term.
		var c int32
		for _, data := range k.postings[id].segments() {
			for i := 0; i < len(data); {
				v := uint64(data[i])
				i++
				if v >= 0x80 {
					var w int
					if v, w = binary.Uvarint(data[i-1:]); w <= 0 {
						break // cannot happen: appendPosting wrote it
					}
					i += w - 1
				}
				c += int32(v >> 1)
				tf := uint64(1)
				if v&1 != 0 {
					var w int
					if tf, w = binary.Uvarint(data[i:]); w <= 0 {
						break
					}
					i += w
				}
				if uint32(c) >= uint32(len(key)) {
					break // a damaged saved index, or a stale key
				}
				p := key[c]
				if p < 0 || uint32(p) >= uint32(len(lens)) || k.length[c] < 0 {
					continue
				}
				if lens[p] <= 0 && (lens[p] < 0 || !s.admit(p, pages)) {
					continue
				}
				if tfs[p] == 0 {
					termPages = append(termPages, p)
				}
				tfs[p] += float32(tf)
			}
		}
		s.termPages = termPages
		df := float64(len(termPages))
		idf := math.Log(1 + (float64(pages.Live)-df+0.5)/(df+0.5))
		if own {
			s.weight += max(idf, 0)
		}
		w := idf * e.Weight
		for _, p := range termPages {
			tf := float64(tfs[p])
			tfs[p] = 0
			if idf <= 0 {
				continue
			}
			if acc[p] == 0 {
				s.touched = append(s.touched, p)
			}
			acc[p] += float32(w * tf * (bp.K1 + 1) / (tf + bp.K1*(1-bp.B+bp.B*float64(lens[p])/avg)))
			if own {
				held[p] += float32(idf)
			}
		}
	}
	heap := rank.NewTop(n)
	for _, p := range s.touched {
		if sc := float64(acc[p]); heap.Wants(sc) {
			heap.Push(rank.Scored{Chunk: p, Score: sc})
		}
	}
	r := &PageRanking{s: s}
	best := heap.Sorted()
	r.Top = make([]PageHit, len(best))
	for i, b := range best {
		r.Top[i] = PageHit{Scored: b, Coverage: r.Coverage(b.Chunk)}
	}
	return r
}
