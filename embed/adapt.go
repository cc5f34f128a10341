package embed

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"
)

// adaptConfig sets how Fit learns from a corpus.
type adaptConfig struct {
	Dims     int     // latent dimensions (LSA rank)
	MinDF    int     // a word must occur in this many texts to get a vector
	MaxVocab int     // at most this many words (the most frequent) get vectors
	MaxDocs  int     // the SVD sees at most this many texts (a hash sample)
	Iters    int     // power iterations of the randomized SVD
	Power    float64 // word vector = left singular vector · σ^Power
	Mix      float64 // share of the latent part in the cosine, 0..1
	HashIDF  bool    // weight the hashed features by their corpus IDF
	// Related is the weight of a word's WordNet relations (wordnet.go) in
	// its latent vector: 0 ignores them. Fit retrofits the LSA vectors
	// towards those of their synonyms and hypernyms in the vocabulary
	// (Faruqui et al. 2015), and Embed gives a word outside the
	// vocabulary the mean vector of its relations in it.
	Related float64
	// Which uses of the relations are on (all when Related > 0, unless
	// switched off here for the experiments): retrofitting at Fit, latent
	// vectors of unknown words, hashed features of unknown words.
	NoRetrofit, NoLatentOOV, NoHashOOV bool
}

// defaultAdapt is the configuration measured best (see experiment_test.go).
var defaultAdapt = adaptConfig{
	Dims:     128,
	MinDF:    2,
	MaxVocab: 20000,
	MaxDocs:  20000,
	Iters:    3,
	Power:    0.5,
	Mix:      0.5,
	HashIDF:  true,
	Related:  1,
}

// maxDistinctStems bounds the memory of Fit on corpora full of unique
// tokens: later new stems are not counted (they could not reach MinDF and
// the vocabulary anyway, unless the corpus changes subject midway).
const maxDistinctStems = 1 << 21

// exactStems is how many distinct stems Fit counts exactly from their first
// text. Past it (a corpus full of ids, hashes and log lines) a new stem is
// only marked in a bitset of hashes (onceBits) and counted from its second
// text on, with its first text added then: a stem seen once could never
// reach MinDF, and keeping every such stem made the fit's memory grow with
// the corpus (TestFitMemory with ATLASBRIDGE_EMBED_UNIQUE=20; figures in
// BENCHMARKS.md). Corpora with fewer distinct stems are counted exactly.
const exactStems = 1 << 18

// onceBits is the size of the bitset of stems seen in one text only.
const onceBits = 1 << 26

// idfBuckets is the size of the hashed IDF table of the hashed features.
const idfBuckets = 1 << 18

// model is what Fit learns: corpus statistics and latent word vectors.
// It is immutable once built, so Embed may read it without locks.
type model struct {
	cfg       adaptConfig
	docs      int      // texts seen by Fit
	words     []string // vocabulary, sorted
	index     map[string]int32
	idf       []float32 // per word
	share     []float32 // per word: its share of all word occurrences at Fit
	vecs      []float32 // len(words) × cfg.Dims, dequantized
	hashIDF   []uint8   // per bucket of idfBuckets: IDF·16 of hashed features
	signature string    // short hash of the marshalled model, part of Model()

	normsOnce sync.Once
	norms     []float32 // per word: the length of its latent vector (rowNorms)
}

func (m *model) wordIDF(i int32) float64 { return float64(m.idf[i]) }

func (m *model) featureIDF(h uint64) float64 {
	return float64(m.hashIDF[h%idfBuckets]) / 16
}

// docSample keeps the texts with the smallest hashes: a sample of the
// corpus that does not depend on the order of the texts.
type docSample []sampledDoc

// sampledDoc is a text of the sample as (stem id, term frequency) pairs.
type sampledDoc struct {
	hash  uint64
	terms []termCount
}

type termCount struct {
	id uint32
	tf uint32
}

func (s docSample) Len() int           { return len(s) }
func (s docSample) Less(i, j int) bool { return s[i].hash > s[j].hash } // max-heap
func (s docSample) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s *docSample) Push(x any)        { *s = append(*s, x.(sampledDoc)) }
func (s *docSample) Pop() any {
	old := *s
	x := old[len(old)-1]
	*s = old[:len(old)-1]
	return x
}

// wants reports whether a text of this hash would enter the sample.
func (s docSample) wants(max int, hash uint64) bool {
	return len(s) < max || hash < s[0].hash
}

// offer keeps d if it is among the max texts with the smallest hashes.
func (s *docSample) offer(max int, d sampledDoc) {
	switch {
	case s.Len() < max:
		heap.Push(s, d)
	case d.hash < (*s)[0].hash:
		(*s)[0] = d
		heap.Fix(s, 0)
	}
}

// fitModel learns a model from texts in one pass: document frequencies of
// words and hashed features, and a sample of texts for the SVD. Its memory
// is bounded by the number of distinct stems and cfg.MaxDocs, not by the
// corpus.
func fitModel(ctx context.Context, cfg adaptConfig, fc featureConfig, texts iter.Seq[string]) (*model, error) {
	ids := map[string]uint32{} // interned stems
	var stems []string
	var df []int32
	var cf []int64
	var total int64
	bucketDF := make([]uint32, idfBuckets)
	sample := &docSample{}
	var terms []uint32
	var once []uint64    // bitset of onceBits, made when exactStems is reached
	var pending []string // stems of this text past exactStems, not counted yet
	intern := func(stem string) uint32 {
		id := uint32(len(stems))
		st := strings.Clone(stem) // it may point into text
		ids[st] = id
		stems = append(stems, st)
		df = append(df, 0)
		cf = append(cf, 0)
		return id
	}
	n, err := scanTexts(ctx, fc, cfg.HashIDF, texts, func(words []string, buckets []uint32, h uint64) {
		terms = terms[:0]
		for _, w := range words {
			id, ok := ids[w]
			if !ok {
				if len(stems) >= exactStems {
					pending = append(pending, w)
					continue
				}
				id = intern(w)
			}
			terms = append(terms, id)
		}
		if len(pending) > 0 {
			if once == nil {
				once = make([]uint64, onceBits/64)
			}
			// Each stem once per text: its second text promotes it.
			slices.Sort(pending)
			for i, st := range pending {
				if i > 0 && pending[i-1] == st {
					if id, ok := ids[st]; ok {
						terms = append(terms, id)
					}
					continue
				}
				bit := hashString(0x0dce, st) % onceBits
				if once[bit/64]&(1<<(bit%64)) == 0 || len(stems) >= maxDistinctStems {
					once[bit/64] |= 1 << (bit % 64)
					continue // ids, hashes, numbers of a log-like corpus
				}
				id := intern(st)
				df[id], cf[id] = 1, 1 // the text that marked it
				total++
				terms = append(terms, id)
			}
			clear(pending)
			pending = pending[:0]
		}
		slices.Sort(terms)
		var counts []termCount
		keep := sample.wants(cfg.MaxDocs, h)
		for a := 0; a < len(terms); {
			b := a + 1
			for b < len(terms) && terms[b] == terms[a] {
				b++
			}
			df[terms[a]]++
			cf[terms[a]] += int64(b - a)
			total += int64(b - a)
			if keep {
				counts = append(counts, termCount{terms[a], uint32(b - a)})
			}
			a = b
		}
		for _, b := range buckets {
			bucketDF[b]++
		}
		if keep && len(counts) > 0 {
			sample.offer(cfg.MaxDocs, sampledDoc{h, counts})
		}
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("no texts to learn from")
	}
	m := &model{cfg: cfg, docs: n}
	m.hashIDF = make([]uint8, idfBuckets)
	for b, d := range bucketDF {
		m.hashIDF[b] = quantizeIDF(math.Log(1 + float64(n)/float64(max(d, 1))))
	}

	var vocab []uint32 // stem ids
	for id, d := range df {
		if int(d) >= cfg.MinDF {
			vocab = append(vocab, uint32(id))
		}
	}
	// The most frequent stems, ties broken by the stem for determinism.
	slices.SortFunc(vocab, func(a, b uint32) int {
		if df[a] != df[b] {
			return int(df[b] - df[a])
		}
		return strings.Compare(stems[a], stems[b])
	})
	if len(vocab) > cfg.MaxVocab {
		vocab = vocab[:cfg.MaxVocab]
	}
	slices.SortFunc(vocab, func(a, b uint32) int { return strings.Compare(stems[a], stems[b]) })
	row := make(map[uint32]int32, len(vocab)) // stem id → vocabulary row
	m.words = make([]string, len(vocab))
	m.idf = make([]float32, len(vocab))
	m.share = make([]float32, len(vocab))
	for i, id := range vocab {
		row[id] = int32(i)
		m.words[i] = stems[id]
		m.idf[i] = float32(math.Log(1 + float64(n)/float64(df[id])))
		m.share[i] = float32(float64(cf[id]) / float64(max(total, 1)))
	}
	m.buildIndex()
	if len(m.words) < 2 || sample.Len() < 2 {
		// Too little text for latent vectors: hashed features with IDF only.
		m.cfg.Dims = 0
		return m, nil
	}

	// Term-document matrix of the sample: words × texts, each column a unit
	// vector of (1+log tf)·idf, so long texts do not dominate. It is built
	// in place in two passes over the sample (count each row's entries, then
	// fill them in text order), so that no per-row slices (with their append
	// slack) exist next to the matrix; each text's terms are dropped once
	// written.
	docs := *sample
	slices.SortFunc(docs, func(a, b sampledDoc) int { return cmp.Compare(a.hash, b.hash) })
	a := &csr{rows: len(m.words), cols: len(docs), ptr: make([]int32, len(m.words)+1)}
	for _, doc := range docs {
		for _, tc := range doc.terms {
			if r, ok := row[tc.id]; ok {
				a.ptr[r+1]++
			}
		}
	}
	for r := range len(m.words) {
		a.ptr[r+1] += a.ptr[r]
	}
	a.idx = make([]int32, a.ptr[len(m.words)])
	a.val = make([]float32, a.ptr[len(m.words)])
	next := slices.Clone(a.ptr[:len(m.words)])
	var vals []float64
	var rowsOf []int32
	for d := range docs {
		vals, rowsOf = vals[:0], rowsOf[:0]
		var norm float64
		for _, tc := range docs[d].terms {
			r, ok := row[tc.id]
			if !ok {
				continue
			}
			v := (1 + math.Log(float64(tc.tf))) * float64(m.idf[r])
			vals = append(vals, v)
			rowsOf = append(rowsOf, r)
			norm += v * v
		}
		docs[d].terms = nil
		inv := 0.0 // a text without vocabulary words has no entries anyway
		if norm > 0 {
			inv = 1 / math.Sqrt(norm)
		}
		for j, r := range rowsOf {
			a.idx[next[r]] = int32(d)
			a.val[next[r]] = float32(vals[j] * inv)
			next[r]++
		}
	}
	*sample, docs, row, next = nil, nil, nil, nil
	u, sv, err := truncatedSVD(ctx, a, cfg.Dims, cfg.Iters)
	if err != nil {
		return nil, err
	}
	k := len(sv)
	m.cfg.Dims = k
	m.vecs = make([]float32, len(m.words)*k)
	for i := range m.words {
		ur := u.row(i)
		out := m.vecs[i*k : (i+1)*k]
		for j := range k {
			out[j] = float32(ur[j] * math.Pow(sv[j]/sv[0], cfg.Power))
		}
	}
	if cfg.Related > 0 && !cfg.NoRetrofit {
		if err := m.retrofit(cfg.Related); err != nil {
			return nil, err
		}
	}
	// Quantize now, so that a model fresh from Fit embeds exactly as the
	// same model after MarshalBinary and UnmarshalBinary.
	quantizeRows(m.vecs, k)
	return m, nil
}

func (m *model) buildIndex() {
	m.index = make(map[string]int32, len(m.words))
	for i, w := range m.words {
		m.index[w] = int32(i)
	}
}

func quantizeIDF(idf float64) uint8 {
	return uint8(min(math.Round(idf*16), 255))
}

// quantizeRows rounds each row of vecs to 8 bits with a per-row scale, in place.
func quantizeRows(vecs []float32, k int) {
	if k == 0 {
		return
	}
	for i := 0; i+k <= len(vecs); i += k {
		q, scale := quantizeRow(vecs[i : i+k])
		for j := range k {
			vecs[i+j] = float32(q[j]) * scale
		}
	}
}

func quantizeRow(row []float32) ([]int8, float32) {
	var mx float32
	for _, x := range row {
		mx = max(mx, float32(math.Abs(float64(x))))
	}
	q := make([]int8, len(row))
	if mx == 0 {
		return q, 0
	}
	scale := mx / 127
	for j, x := range row {
		q[j] = int8(math.Round(float64(x / scale)))
	}
	return q, scale
}

// latent adds the IDF-weighted latent vectors of the text's words into dst
// (cfg.Dims long), and those of rels (unknownRelations), and reports
// whether any word had a vector.
func (m *model) latent(toks []token, rels []oovRelation, dst []float32) bool {
	k := m.cfg.Dims
	if k == 0 {
		return false
	}
	var buf [512]int32
	ids := buf[:0]
	for _, t := range toks {
		if t.stem == "" {
			continue
		}
		if i, ok := m.index[t.stem]; ok {
			ids = append(ids, i)
		}
	}
	// Sorted, so that the sum is taken in the same order every time and the
	// vector is bit-for-bit deterministic.
	slices.Sort(ids)
	for a := 0; a < len(ids); {
		b := a + 1
		for b < len(ids) && ids[b] == ids[a] {
			b++
		}
		i := ids[a]
		w := float32(m.wordIDF(i) * (1 + math.Log(float64(b-a))))
		row := m.vecs[int(i)*k : (int(i)+1)*k]
		for j, x := range row {
			dst[j] += w * x
		}
		a = b
	}
	if m.cfg.NoLatentOOV {
		rels = nil
	}
	m.latentOOV(rels, dst)
	return len(rels) > 0 || len(ids) > 0
}
