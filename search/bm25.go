package search

import (
	"encoding/binary"
	"errors"
	"math"
	"sort"
	"sync"
)

// bm25Params are BM25's term-frequency saturation k1 and length
// normalisation b.
type bm25Params struct{ k1, b float64 }

// termFreq is one term of a chunk with its count.
type termFreq struct {
	term string
	tf   int
}

// chunkTerms counts the terms of a chunk's text, in first-seen order, and
// returns the number of terms (the chunk's length for BM25).
func chunkTerms(text string) ([]termFreq, int) {
	idx := make(map[string]int)
	var out []termFreq
	n := 0
	forEachTerm(text, func(t string, _, _ int) {
		n++
		if i, ok := idx[t]; ok {
			out[i].tf++
			return
		}
		idx[t] = len(out)
		out = append(out, termFreq{term: t, tf: 1})
	})
	return out, n
}

// encodeTerms is the persisted form of a chunk's term counts, so that opening
// an index does not have to tokenise every chunk again:
// uvarint(length) then, per term, uvarint(len) bytes uvarint(tf).
func encodeTerms(tfs []termFreq, length int) []byte {
	b := binary.AppendUvarint(nil, uint64(length))
	for _, t := range tfs {
		b = binary.AppendUvarint(b, uint64(len(t.term)))
		b = append(b, t.term...)
		b = binary.AppendUvarint(b, uint64(t.tf))
	}
	return b
}

var errBadTerms = errors.New("malformed term list")

func decodeTerms(b []byte, fn func(term []byte, tf int)) (int, error) {
	length, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, errBadTerms
	}
	b = b[n:]
	for len(b) > 0 {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return 0, errBadTerms
		}
		term := b[n : n+int(l)]
		b = b[n+int(l):]
		tf, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, errBadTerms
		}
		b = b[n:]
		fn(term, int(tf))
	}
	return int(length), nil
}

// postingList is the chunks containing one term, in increasing ordinal
// order, delta-encoded: per chunk uvarint(gap<<1 | tf≠1) where gap is the
// ordinal minus the previous one (the first: minus 0), followed by
// uvarint(tf) when tf is not 1. Most postings take one or two bytes where a
// struct of ordinal and count took eight (keyword index at 168k chunks:
// 86 → 28 MB). Ordinals only grow: addChunk hands them out in order and
// compact renumbers without reordering.
type postingList struct {
	data []byte
	last int32 // ordinal of the last posting
	n    int32 // postings, tombstones included (BM25's document frequency)
}

// appendPosting adds chunk ord (at least l.last) with count tf.
func (l *postingList) appendPosting(ord int32, tf int) {
	gap := uint64(ord - l.last)
	if l.n == 0 {
		gap = uint64(ord)
	}
	if tf == 1 {
		l.data = binary.AppendUvarint(l.data, gap<<1)
	} else {
		l.data = binary.AppendUvarint(l.data, gap<<1|1)
		l.data = binary.AppendUvarint(l.data, uint64(tf))
	}
	l.last = ord
	l.n++
}

// postingReader walks a postingList.
type postingReader struct {
	data []byte
	ord  int32
}

// next returns the next chunk and its count; ok is false at the end.
func (r *postingReader) next() (ord int32, tf int, ok bool) {
	if len(r.data) == 0 {
		return 0, 0, false
	}
	var v uint64
	if b := r.data[0]; b < 0x80 {
		v, r.data = uint64(b), r.data[1:]
	} else {
		var n int
		v, n = binary.Uvarint(r.data)
		if n <= 0 {
			r.data = nil // cannot happen: appendPosting wrote it
			return 0, 0, false
		}
		r.data = r.data[n:]
	}
	r.ord += int32(v >> 1)
	tf = 1
	if v&1 != 0 {
		t, n := binary.Uvarint(r.data)
		if n <= 0 {
			r.data = nil
			return 0, 0, false
		}
		tf, r.data = int(t), r.data[n:]
	}
	return r.ord, tf, true
}

// keywordIndex is an in-memory BM25 inverted index over chunk ordinals.
// Removed chunks stay in the postings as tombstones (the caller's live
// check skips them) until compact drops them.
type keywordIndex struct {
	terms    map[string]int32 // term → id
	postings []postingList    // by term id
	length   []int32          // by chunk ordinal; -1 once removed
	live     int
	totalLen int64
	dead     int // removed chunks whose postings are still in place
	// accs holds search's score accumulators (*[]float32, zeroed) for
	// reuse: a fresh one per query (400 KB at 100k chunks) made the
	// collector run often now that the heap is small.
	accs sync.Pool
}

func newKeywordIndex() *keywordIndex {
	return &keywordIndex{terms: make(map[string]int32)}
}

// add indexes chunk ord (ords are handed out densely and in increasing
// order by the caller).
func (k *keywordIndex) add(ord int32, term []byte, tf int) {
	id, ok := k.terms[string(term)]
	if !ok {
		id = int32(len(k.postings))
		k.terms[string(term)] = id
		k.postings = append(k.postings, postingList{})
	}
	if tf > math.MaxUint16 {
		tf = math.MaxUint16
	}
	k.postings[id].appendPosting(ord, tf)
}

// setLength records chunk ord as live with the given number of terms.
func (k *keywordIndex) setLength(ord int32, n int) {
	for int(ord) >= len(k.length) {
		k.length = append(k.length, -1)
	}
	k.length[ord] = int32(n)
	k.live++
	k.totalLen += int64(n)
}

// remove tombstones chunk ord.
func (k *keywordIndex) remove(ord int32) {
	if int(ord) >= len(k.length) || k.length[ord] < 0 {
		return
	}
	k.totalLen -= int64(k.length[ord])
	k.length[ord] = -1
	k.live--
	k.dead++
}

// needsCompaction says whether tombstones make up enough of the postings to
// be worth a rewrite.
func (k *keywordIndex) needsCompaction() bool {
	return k.dead > 1000 && k.dead > k.live/5
}

// compact drops tombstoned postings, renumbering chunks through remap
// (old ordinal → new ordinal, -1 for removed; it keeps their order).
func (k *keywordIndex) compact(remap []int32, newCount int) {
	var buf []byte
	for id := range k.postings {
		l := &k.postings[id]
		out := postingList{data: buf[:0]}
		r := postingReader{data: l.data}
		for {
			o, tf, ok := r.next()
			if !ok {
				break
			}
			if n := remap[o]; n >= 0 {
				out.appendPosting(n, tf)
			}
		}
		// The rewrite is never longer: copy it back in place.
		buf = out.data
		l.data = append(l.data[:0], out.data...)
		l.last, l.n = out.last, out.n
	}
	length := make([]int32, newCount)
	for old, n := range remap {
		if n >= 0 {
			length[n] = k.length[old]
		}
	}
	k.length = length
	k.dead = 0
}

// scored is a chunk with a score, for ranking.
type scored struct {
	chunk int32
	score float64
}

// search ranks the live chunks allowed by keep against the query terms and
// returns the best n, best first.
func (k *keywordIndex) search(terms []string, n int, bp bm25Params, keep func(int32) bool) []scored {
	if k.live == 0 || n <= 0 {
		return nil
	}
	avg := float64(k.totalLen) / float64(k.live)
	if avg <= 0 {
		avg = 1
	}
	// A dense accumulator: common terms touch a large share of the chunks,
	// where a map costs several times more.
	acc := k.accumulator()
	var touched []int32
	defer func() {
		for _, c := range touched {
			acc[c] = 0
		}
		k.accs.Put(&acc)
	}()
	seen := make(map[string]bool, len(terms))
	for _, t := range terms {
		if seen[t] {
			continue
		}
		seen[t] = true
		id, ok := k.terms[t]
		if !ok {
			continue
		}
		pl := &k.postings[id]
		// df counts tombstones until the next compaction: close enough.
		df := float64(pl.n)
		idf := math.Log(1 + (float64(k.live)-df+0.5)/(df+0.5))
		if idf <= 0 {
			continue
		}
		norm := bp.k1 * (1 - bp.b)
		per := bp.k1 * bp.b / avg
		// postingReader.next inlined by hand: this loop runs once per
		// posting of every query term (100k-chunk keyword query: 1.2 →
		// 0.7 ms of CPU).
		data := pl.data
		var c int32
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
			n := uint64(1)
			if v&1 != 0 {
				var w int
				if n, w = binary.Uvarint(data[i:]); w <= 0 {
					break
				}
				i += w
			}
			l := k.length[c]
			if l < 0 {
				continue
			}
			tf := float64(n)
			if acc[c] == 0 {
				touched = append(touched, c)
			}
			acc[c] += float32(idf * tf * (bp.k1 + 1) / (tf + norm + per*float64(l)))
		}
	}
	top := newTopN(n)
	for _, c := range touched {
		if s := float64(acc[c]); top.wants(s) && (keep == nil || keep(c)) {
			top.push(scored{chunk: c, score: s})
		}
	}
	return top.sorted()
}

// accumulator returns a zeroed accumulator of a score per chunk ordinal.
func (k *keywordIndex) accumulator() []float32 {
	if p, ok := k.accs.Get().(*[]float32); ok && len(*p) >= len(k.length) {
		return (*p)[:len(k.length)]
	}
	return make([]float32, len(k.length))
}

// topN keeps the n best scored chunks seen (a min-heap on score).
type topN struct {
	n int
	h []scored
}

func newTopN(n int) *topN { return &topN{n: n, h: make([]scored, 0, min(n, 1024))} }

func worse(a, b scored) bool { return a.score < b.score || a.score == b.score && a.chunk > b.chunk }

// wants says whether a score could enter the top n.
func (t *topN) wants(s float64) bool { return len(t.h) < t.n || s > t.h[0].score }

func (t *topN) push(s scored) {
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

// sorted returns the kept chunks, best first.
func (t *topN) sorted() []scored { return topScored(t.h, t.n) }

// topScored sorts by score, best first (ties by chunk for determinism), and
// keeps n.
func topScored(s []scored, n int) []scored {
	sort.Slice(s, func(i, j int) bool {
		if s[i].score != s[j].score {
			return s[i].score > s[j].score
		}
		return s[i].chunk < s[j].chunk
	})
	if len(s) > n {
		s = s[:n]
	}
	return s
}
