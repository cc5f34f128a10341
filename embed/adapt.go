package embed

import (
	"container/heap"
	"context"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
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
}

// defaultAdapt is the configuration measured best (see experiment_test.go).
var defaultAdapt = adaptConfig{
	Dims:     128,
	MinDF:    2,
	MaxVocab: 30000,
	MaxDocs:  20000,
	Iters:    3,
	Power:    0.5,
	Mix:      0.5,
	HashIDF:  true,
}

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
	maxIDF    float64
	signature string // short hash of the marshalled model, part of Model()
}

func (m *model) wordIDF(i int32) float64 { return float64(m.idf[i]) }

func (m *model) featureIDF(h uint64) float64 {
	return float64(m.hashIDF[h%idfBuckets]) / 16
}

// docSample keeps the texts with the smallest hashes: a sample of the
// corpus that does not depend on the order of the texts.
type docSample []sampledDoc

type sampledDoc struct {
	hash uint64
	tf   map[string]int32
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

// fitModel learns a model from texts in one pass: document frequencies of
// words and hashed features, and a sample of texts for the SVD.
func fitModel(ctx context.Context, cfg adaptConfig, fc featureConfig, texts iter.Seq[string]) (*model, error) {
	df := map[string]int32{}
	cf := map[string]int64{}
	var total int64
	bucketDF := make([]uint32, idfBuckets)
	sample := &docSample{}
	var toks []token
	var feats []feature
	var seen []uint32
	n := 0
	for text := range texts {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		n++
		toks = tokenize(text, toks[:0])
		tf := map[string]int32{}
		for _, t := range toks {
			if t.stem != "" {
				tf[t.stem]++
			}
		}
		for w, c := range tf {
			df[w]++
			cf[w] += int64(c)
			total += int64(c)
		}
		if cfg.HashIDF {
			feats = extractFeatures(fc, toks, nil, feats)
			seen = seen[:0]
			for _, f := range feats {
				seen = append(seen, uint32(f.hash%idfBuckets))
			}
			slices.Sort(seen)
			for i, b := range seen {
				if i == 0 || seen[i-1] != b {
					bucketDF[b]++
				}
			}
		}
		if len(tf) == 0 {
			continue
		}
		h := hashString(0, text)
		switch {
		case sample.Len() < cfg.MaxDocs:
			heap.Push(sample, sampledDoc{h, tf})
		case h < (*sample)[0].hash:
			(*sample)[0] = sampledDoc{h, tf}
			heap.Fix(sample, 0)
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("no texts to learn from")
	}
	m := &model{cfg: cfg, docs: n}
	m.maxIDF = math.Log(1 + float64(n))
	m.hashIDF = make([]uint8, idfBuckets)
	for b, d := range bucketDF {
		m.hashIDF[b] = quantizeIDF(math.Log(1 + float64(n)/float64(max(d, 1))))
	}

	for w, d := range df {
		if int(d) >= cfg.MinDF {
			m.words = append(m.words, w)
		}
	}
	// The most frequent words, ties broken by the word for determinism.
	slices.SortFunc(m.words, func(a, b string) int {
		if df[a] != df[b] {
			return int(df[b] - df[a])
		}
		return strings.Compare(a, b)
	})
	if len(m.words) > cfg.MaxVocab {
		m.words = m.words[:cfg.MaxVocab]
	}
	slices.Sort(m.words)
	m.index = make(map[string]int32, len(m.words))
	m.idf = make([]float32, len(m.words))
	m.share = make([]float32, len(m.words))
	for i, w := range m.words {
		m.index[w] = int32(i)
		m.idf[i] = float32(math.Log(1 + float64(n)/float64(df[w])))
		m.share[i] = float32(float64(cf[w]) / float64(max(total, 1)))
	}
	if len(m.words) < 2 || sample.Len() < 2 {
		// Too little text for latent vectors: hashed features with IDF only.
		m.cfg.Dims = 0
		return m, nil
	}

	// Term-document matrix of the sample: words × texts, each column a unit
	// vector of (1+log tf)·idf, so long texts do not dominate.
	docs := *sample
	slices.SortFunc(docs, func(a, b sampledDoc) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	type entry struct {
		doc int32
		val float32
	}
	rows := make([][]entry, len(m.words))
	for d, doc := range docs {
		var norm float64
		ids := make([]int32, 0, len(doc.tf))
		for w := range doc.tf {
			if i, ok := m.index[w]; ok {
				ids = append(ids, i)
			}
		}
		slices.Sort(ids)
		vals := make([]float64, len(ids))
		for j, i := range ids {
			v := (1 + math.Log(float64(doc.tf[m.words[i]]))) * float64(m.idf[i])
			vals[j] = v
			norm += v * v
		}
		if norm == 0 {
			continue
		}
		inv := 1 / math.Sqrt(norm)
		for j, i := range ids {
			rows[i] = append(rows[i], entry{int32(d), float32(vals[j] * inv)})
		}
	}
	a := &csr{rows: len(m.words), cols: len(docs), ptr: make([]int32, len(m.words)+1)}
	for i, r := range rows {
		for _, e := range r {
			a.idx = append(a.idx, e.doc)
			a.val = append(a.val, e.val)
		}
		a.ptr[i+1] = int32(len(a.idx))
	}
	u, sv, err := truncatedSVD(ctx, a, cfg.Dims, cfg.Iters)
	if err != nil {
		return nil, err
	}
	k := len(sv)
	m.cfg.Dims = k
	m.vecs = make([]float32, len(m.words)*k)
	for i := range m.words {
		ur := u.row(i)
		row := m.vecs[i*k : (i+1)*k]
		for j := range k {
			row[j] = float32(ur[j] * math.Pow(sv[j]/sv[0], cfg.Power))
		}
	}
	// Quantize now, so that a model fresh from Fit embeds exactly as the
	// same model after MarshalBinary and UnmarshalBinary.
	quantizeRows(m.vecs, k)
	return m, nil
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
// (cfg.Dims long) and reports whether any word had a vector.
func (m *model) latent(toks []token, dst []float32) bool {
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
	return len(ids) > 0
}
