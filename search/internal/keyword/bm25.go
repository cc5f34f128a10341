package keyword

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// Params are BM25's term-frequency saturation K1 and length normalisation
// B.
type Params struct{ K1, B float64 }

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
	ForEachTerm(text, func(t string, _, _ int) {
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

// Encode returns the stored form of the term counts of a chunk's text, which
// Index.Add reads back: opening an index then does not tokenise every chunk
// again.
func Encode(text string) []byte {
	return encodeTerms(chunkTerms(text))
}

// encodeTerms is the stored form of a chunk's term counts:
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
// struct of ordinal and count took eight (see BENCHMARKS.md, open-index
// memory). Ordinals only grow: Add is given them in order and Compact
// renumbers without reordering.
//
// A list Load gave lies in memory the Index may not write (a mapped
// snapshot): postings added to it go to tail, which continues data's
// gaps, so that a reader applying a few changes does not copy every list
// they touch (at a million chunks a common term's list is megabytes).
type postingList struct {
	data []byte
	tail []byte // postings after data's; only while the Index is shared
	last int32  // ordinal of the last posting
	n    int32  // postings, tombstones included (BM25's document frequency)
}

// appendPosting adds chunk ord (at least l.last) with count tf, to the
// tail when data is not the Index's to write.
func (l *postingList) appendPosting(ord int32, tf int, shared bool) {
	gap := uint64(ord - l.last)
	if l.n == 0 {
		gap = uint64(ord)
	}
	dst := &l.data
	if shared {
		dst = &l.tail
	}
	if tf == 1 {
		*dst = binary.AppendUvarint(*dst, gap<<1)
	} else {
		*dst = binary.AppendUvarint(*dst, gap<<1|1)
		*dst = binary.AppendUvarint(*dst, uint64(tf))
	}
	l.last = ord
	l.n++
}

// segments are the list's encoded postings, in order: decode them as one
// stream.
func (l *postingList) segments() [2][]byte { return [2][]byte{l.data, l.tail} }

// postingReader walks a postingList.
type postingReader struct {
	data []byte
	tail []byte // read after data
	ord  int32
}

// next returns the next chunk and its count; ok is false at the end.
func (r *postingReader) next() (ord int32, tf int, ok bool) {
	if len(r.data) == 0 {
		if len(r.tail) == 0 {
			return 0, 0, false
		}
		r.data, r.tail = r.tail, nil
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

// Index is an in-memory BM25 inverted index over chunk ordinals. Removed
// chunks stay in the postings as tombstones (Search skips them) until
// Compact drops them. It is not safe for concurrent writes; Search may run
// concurrently with other Searches.
type Index struct {
	terms    map[string]int32 // term → id
	postings []postingList    // by term id
	length   []int32          // by chunk ordinal; -1 once removed
	live     int
	totalLen int64
	dead     int // removed chunks whose postings are still in place
	// shared says the posting lists may lie in memory the Index does not
	// own (Load): Compact then writes each list anew instead of in place.
	shared bool
	// accs holds Search's scratch memory (*chunkScratch, zeroed) for
	// reuse: a fresh one per query, four bytes per chunk, made the
	// collector run often now that the heap is small.
	accs sync.Pool
	// pages holds SearchPages' scratch memory (*pageScratch) likewise.
	pages sync.Pool
}

// New returns an empty Index.
func New() *Index {
	return &Index{terms: make(map[string]int32)}
}

// Add indexes chunk ord with its terms in their stored form (Encode).
// Ordinals are handed out densely and in increasing order by the caller.
func (k *Index) Add(ord int32, terms []byte) error {
	n, err := decodeTerms(terms, func(t []byte, tf int) { k.add(ord, t, tf) })
	if err != nil {
		return err
	}
	k.setLength(ord, n)
	return nil
}

// Chunks is the number of ordinals the Index knows, removed ones
// included.
func (k *Index) Chunks() int { return len(k.length) }

// Live is the number of chunks indexed and not removed.
func (k *Index) Live() int { return k.live }

// Length is the number of terms of chunk ord, or -1 when it is removed or
// unknown.
func (k *Index) Length(ord int32) int {
	if uint32(ord) >= uint32(len(k.length)) {
		return -1
	}
	return int(k.length[ord])
}

// add indexes one term of chunk ord.
func (k *Index) add(ord int32, term []byte, tf int) {
	id, ok := k.terms[string(term)]
	if !ok {
		id = int32(len(k.postings))
		k.terms[string(term)] = id
		k.postings = append(k.postings, postingList{})
	}
	if tf > math.MaxUint16 {
		tf = math.MaxUint16
	}
	k.postings[id].appendPosting(ord, tf, k.shared)
}

// setLength records chunk ord as live with the given number of terms.
func (k *Index) setLength(ord int32, n int) {
	for int(ord) >= len(k.length) {
		k.length = append(k.length, -1)
	}
	k.length[ord] = int32(n)
	k.live++
	k.totalLen += int64(n)
}

// Remove tombstones chunk ord.
func (k *Index) Remove(ord int32) {
	if int(ord) >= len(k.length) || k.length[ord] < 0 {
		return
	}
	k.totalLen -= int64(k.length[ord])
	k.length[ord] = -1
	k.live--
	k.dead++
}

// NeedsCompaction says whether tombstones make up enough of the postings to
// be worth a rewrite.
func (k *Index) NeedsCompaction() bool {
	return k.dead > 1000 && k.dead > k.live/5
}

// Compact drops tombstoned postings, renumbering chunks through remap
// (old ordinal → new ordinal, -1 for removed; it keeps their order).
func (k *Index) Compact(remap []int32, newCount int) {
	var buf []byte
	for id := range k.postings {
		l := &k.postings[id]
		out := postingList{data: buf[:0]}
		r := postingReader{data: l.data, tail: l.tail}
		for {
			o, tf, ok := r.next()
			if !ok || uint32(o) >= uint32(len(remap)) {
				break
			}
			if n := remap[o]; n >= 0 {
				out.appendPosting(n, tf, false)
			}
		}
		// The rewrite is never longer: copy it back in place, unless
		// the list is not ours to write.
		buf = out.data
		if k.shared {
			l.data = append([]byte(nil), out.data...)
		} else {
			l.data = append(l.data[:0], out.data...)
		}
		l.tail = nil
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
	k.shared = false
}

// Search ranks the live chunks allowed by keep (nil: all) against the query
// terms (Tokenize) and returns the best n, best first.
func (k *Index) Search(terms []string, n int, bp Params, keep func(int32) bool) []rank.Scored {
	return k.SearchExpanded(terms, nil, n, bp, keep)
}

// Expansion is a term added to a query (Feedback) with the share of an
// original term's weight it carries.
type Expansion struct {
	Term   string
	Weight float64
}

// SearchExpanded is Search with further terms, each weighing its share
// of an original term's BM25 score. An extra term that is also a query
// term is not counted twice.
func (k *Index) SearchExpanded(terms []string, extra []Expansion, n int, bp Params, keep func(int32) bool) []rank.Scored {
	if k.live == 0 || n <= 0 {
		return nil
	}
	avg := float64(k.totalLen) / float64(k.live)
	if avg <= 0 {
		avg = 1
	}
	// A dense accumulator: common terms touch a large share of the chunks,
	// where a map costs several times more.
	sc := k.chunkScratch()
	defer func() {
		for _, c := range sc.touched {
			sc.acc[c] = 0
		}
		sc.touched = sc.touched[:0]
		k.accs.Put(sc)
	}()
	terms = distinct(terms)
	for _, t := range terms {
		k.scoreTerm(sc, t, 1, bp, avg)
	}
	for _, e := range extra {
		if e.Weight > 0 && !slices.Contains(terms, e.Term) {
			k.scoreTerm(sc, e.Term, e.Weight, bp, avg)
		}
	}
	top := rank.NewTop(n)
	for _, c := range sc.touched {
		if s := float64(sc.acc[c]); top.Wants(s) && (keep == nil || keep(c)) {
			top.Push(rank.Scored{Chunk: c, Score: s})
		}
	}
	return top.Sorted()
}

// scoreTerm adds w times term t's BM25 score to the accumulator of every
// live chunk holding it.
func (k *Index) scoreTerm(sc *chunkScratch, t string, w float64, bp Params, avg float64) {
	id, ok := k.terms[t]
	if !ok {
		return
	}
	pl := &k.postings[id]
	// df counts tombstones until the next compaction: close enough.
	df := float64(pl.n)
	idf := w * math.Log(1+(float64(k.live)-df+0.5)/(df+0.5))
	if idf <= 0 {
		return
	}
	acc, touched := sc.acc, sc.touched
	norm := bp.K1 * (1 - bp.B)
	per := bp.K1 * bp.B / avg
	// postingReader.next inlined by hand: this loop runs once per
	// posting of every query term, and the call showed in the CPU
	// time of keyword queries.
	var c int32
	for _, data := range pl.segments() {
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
			if uint32(c) >= uint32(len(k.length)) {
				break // a damaged saved index (Load): never written so
			}
			l := k.length[c]
			if l < 0 {
				continue
			}
			tf := float64(n)
			if acc[c] == 0 {
				touched = append(touched, c)
			}
			acc[c] += float32(idf * tf * (bp.K1 + 1) / (tf + norm + per*float64(l)))
		}
	}
	sc.touched = touched
}

// IDF is BM25's inverse document frequency of term t over chunks, 0 for a
// term in no chunk.
func (k *Index) IDF(t string) float64 {
	id, ok := k.terms[t]
	if !ok || k.live == 0 {
		return 0
	}
	df := float64(k.postings[id].n)
	return max(0, math.Log(1+(float64(k.live)-df+0.5)/(df+0.5)))
}

// chunkScratch is Search's memory: a score per chunk ordinal and the
// chunks scored. Reused: the list of chunks a common term touches grew
// anew, by doublings, with every query.
type chunkScratch struct {
	acc     []float32
	touched []int32
}

// chunkScratch returns a zeroed chunkScratch sized for the index.
func (k *Index) chunkScratch() *chunkScratch {
	if s, ok := k.accs.Get().(*chunkScratch); ok && len(s.acc) >= len(k.length) {
		s.acc = s.acc[:len(k.length)]
		return s
	}
	return &chunkScratch{acc: make([]float32, len(k.length))}
}

// derivations are the suffixes by which English derives one word from
// another ("refer", "reference"; "compress", "compression"), in the form
// Tokenize leaves them (a final "e" dropped).
var derivations = []string{"enc", "anc", "ent", "ant", "al", "ion", "ation", "at", "ment", "er", "or", "iz", "ity", "abl", "ibl", "iv", "ic", "ness", "ful", "ual", "ial"}

// Variants returns the index terms derived from a query term by a suffix of
// derivations, or from which it is derived, each weighing weight: the
// light stemmer keeps "refer" and "referenc" apart, which a question and
// the page that answers it often word differently. Terms of four letters
// or fewer have none (too many false kin).
func (k *Index) Variants(terms []string, weight float64) []Expansion {
	if weight <= 0 {
		return nil
	}
	var out []Expansion
	seen := map[string]bool{}
	addTerm := func(t string) {
		if _, ok := k.terms[t]; ok && !seen[t] && !slices.Contains(terms, t) {
			seen[t] = true
			out = append(out, Expansion{t, weight})
		}
	}
	for _, t := range distinct(terms) {
		if len(t) <= 4 {
			continue
		}
		for _, s := range derivations {
			addTerm(t + s)
			if strings.HasSuffix(t, s) && len(t)-len(s) >= 4 {
				base := t[:len(t)-len(s)]
				addTerm(base)
				for _, s2 := range derivations {
					if s2 != s {
						addTerm(base + s2)
					}
				}
			}
		}
	}
	return out
}

// Compounds returns the index terms that a word of text and the particle
// after it make when written as one ("log in", "login"; "set up", "setup";
// "back up", "backup"), each weighing weight. Only phrasal verbs: pairs of
// nouns ("wal files") meet the identifiers of examples ("walfile") more
// often than the word the question meant.
func (k *Index) Compounds(text string, terms []string, weight float64) []Expansion {
	if weight <= 0 {
		return nil
	}
	var out []Expansion
	prev := ""
	wordAt := -1
	flush := func(w string) {
		_, stop := stopWords[w]
		if prev != "" && particles[w] {
			for _, t := range Tokenize(prev + w) {
				if _, ok := k.terms[t]; ok && !slices.Contains(terms, t) && !slices.ContainsFunc(out, func(e Expansion) bool { return e.Term == t }) {
					out = append(out, Expansion{t, weight})
				}
			}
		}
		prev = w
		if stop {
			prev = ""
		}
	}
	for i, r := range text {
		if IsWordRune(r) {
			if wordAt < 0 {
				wordAt = i
			}
			continue
		}
		if wordAt >= 0 {
			flush(strings.ToLower(text[wordAt:i]))
			wordAt = -1
		}
		if r != ' ' && r != '-' {
			prev = "" // words across punctuation are not one
		}
	}
	if wordAt >= 0 {
		flush(strings.ToLower(text[wordAt:]))
	}
	return out
}

// particles are the words that end a phrasal verb ("log in", "set up").
var particles = map[string]bool{"in": true, "up": true, "out": true, "over": true, "off": true, "on": true, "down": true, "back": true}
