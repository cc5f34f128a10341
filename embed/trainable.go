package embed

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
)

// Trainable embedders learn from the corpus during sync and persist what
// they learnt with the index.
//
// The indexer's protocol:
//
//  1. On the first sync (no stored model), after the crawl and chunking and
//     before embedding, call Fit with every chunk text of the index (all
//     spaces and projects that share one vector collection). Then
//     MarshalBinary and store the bytes with the index, next to Model().
//  2. On every start, create the embedder with the same options and call
//     UnmarshalBinary with the stored bytes before embedding anything.
//     Model() then equals the stored name again.
//  3. After an incremental sync, call Drift with all chunk texts of the
//     index. Above a threshold (0.2 is a good start: samples of the fitted
//     corpus stay below 0.1), Fit again, store the new model and re-embed
//     every chunk: Fit changes Model(), and vectors of two models must
//     never be mixed. Do not store vectors embedded while Fit runs.
//
// Before Fit or UnmarshalBinary the embedder still works, with a model name
// of its own.
type Trainable interface {
	Embedder
	// Fit learns from texts, ranging over them once. It replaces what was
	// learnt before and changes Model().
	Fit(ctx context.Context, texts iter.Seq[string]) error
	// MarshalBinary returns what Fit learnt (an error before Fit).
	MarshalBinary() ([]byte, error)
	// UnmarshalBinary restores what MarshalBinary returned.
	UnmarshalBinary(data []byte) error
	// Drift says how far texts have moved from the corpus of Fit: 0 for
	// the same word distribution, 1 for one that shares no word. It is 1
	// before Fit.
	Drift(texts iter.Seq[string]) float64
}

var _ Trainable = (*Builtin)(nil)

// Fit learns the corpus statistics and latent word vectors from texts (the
// chunks of the index), ranging over them once. The SVD sees a sample of at
// most 20,000 texts (those with the smallest hashes, so the result does not
// depend on their order nor on the number of cores). Its memory stops
// growing with the corpus past the sample, also when every chunk carries
// tokens found nowhere else (see exactStems). TestFitAtScale and
// TestFitMemory measure its time, memory and model size, BenchmarkFitManual
// its CPU time on the PostgreSQL manual; the figures are in BENCHMARKS.md.
func (b *Builtin) Fit(ctx context.Context, texts iter.Seq[string]) error {
	m, err := fitModel(ctx, b.adapt, b.cfg, texts)
	if err != nil {
		return fmt.Errorf("embed: builtin: fit: %w", err)
	}
	data := m.marshal(b.dims)
	m.signature = signature(data)
	b.fitted.Store(m)
	return nil
}

// MarshalBinary returns the learnt model: about 150 bytes per word of its
// vocabulary (at most 20,000 words) and 256 KiB of hashed IDF: a few
// megabytes at most.
func (b *Builtin) MarshalBinary() ([]byte, error) {
	m := b.fitted.Load()
	if m == nil {
		return nil, errors.New("embed: builtin: nothing to marshal: Fit was not called")
	}
	return m.marshal(b.dims), nil
}

// UnmarshalBinary restores a model from MarshalBinary. It fails on data that
// is damaged, of another format version, or fitted for other Dims.
func (b *Builtin) UnmarshalBinary(data []byte) error {
	m, dims, err := unmarshalModel(data)
	if err != nil {
		return fmt.Errorf("embed: builtin: load model: %w", err)
	}
	if dims != b.dims {
		return fmt.Errorf("embed: builtin: load model: it was fitted for %d dims, this embedder has %d", dims, b.dims)
	}
	m.signature = signature(data)
	b.fitted.Store(m)
	return nil
}

// Drift is the total variation distance between the word distribution of
// texts and that of the corpus given to Fit, over the driftWords most
// frequent words of that corpus and one bucket for all other words (new
// ones included). The coarse buckets keep the noise of a sample small:
// samples of the fitted corpus stay far below the texts of another subject
// (figures in BENCHMARKS.md). Pass all the chunks of the index, not only the
// changed ones: a handful of pages on one subject drifts far from any whole
// corpus.
func (b *Builtin) Drift(texts iter.Seq[string]) float64 {
	m := b.fitted.Load()
	if m == nil {
		return 1
	}
	top := m.topWords()
	counts := make([]float64, len(m.words))
	var total float64
	var toks []token
	cache := stemCache{}
	for text := range texts {
		toks = tokenize(text, toks[:0], cache)
		for _, t := range toks {
			if t.stem == "" {
				continue
			}
			total++
			if i, ok := m.index[t.stem]; ok {
				counts[i]++
			}
		}
	}
	if total == 0 {
		return 1
	}
	var d, nowTop, fitTop float64
	for _, i := range top {
		now, fit := counts[i]/total, float64(m.share[i])
		d += math.Abs(now - fit)
		nowTop += now
		fitTop += fit
	}
	d += math.Abs((1 - nowTop) - (1 - fitTop))
	return min(max(d/2, 0), 1)
}

// driftWords is how many of the most frequent words Drift compares one by one.
const driftWords = 1000

// topWords returns the vocabulary rows of the driftWords most frequent words.
func (m *model) topWords() []int {
	rows := make([]int, len(m.words))
	for i := range rows {
		rows[i] = i
	}
	slices.SortFunc(rows, func(a, b int) int {
		if m.share[a] != m.share[b] {
			if m.share[a] > m.share[b] {
				return -1
			}
			return 1
		}
		return a - b
	})
	return rows[:min(driftWords, len(rows))]
}

// signature names a model by a hash of its bytes.
func signature(data []byte) string {
	var h uint64 = fnvOffset
	for _, c := range data {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return fmt.Sprintf("%010x", mix64(h)>>24)
}

// The persisted form, little-endian:
//
//	magic "ABEMBLSA", version uvarint
//	hash dims, latent dims, docs, vocabulary size, hashIDF flag: uvarints
//	mix, power: float64 bits
//	related: float64 bits (version 2 on; 0 in version 1)
//	per word: length uvarint + bytes, idf float32, share float32,
//	          scale float32, latent dims × int8
//	hashed IDF table: idfBuckets bytes (when the flag is 1)
const (
	modelMagic   = "ABEMBLSA"
	modelVersion = 2
)

func (m *model) marshal(hashDims int) []byte {
	var buf bytes.Buffer
	buf.WriteString(modelMagic)
	putUvarint(&buf, modelVersion)
	putUvarint(&buf, uint64(hashDims))
	putUvarint(&buf, uint64(m.cfg.Dims))
	putUvarint(&buf, uint64(m.docs))
	putUvarint(&buf, uint64(len(m.words)))
	flag := uint64(0)
	if m.cfg.HashIDF {
		flag = 1
	}
	putUvarint(&buf, flag)
	binary.Write(&buf, binary.LittleEndian, math.Float64bits(m.cfg.Mix))
	binary.Write(&buf, binary.LittleEndian, math.Float64bits(m.cfg.Power))
	binary.Write(&buf, binary.LittleEndian, math.Float64bits(m.cfg.Related))
	k := m.cfg.Dims
	for i, w := range m.words {
		putUvarint(&buf, uint64(len(w)))
		buf.WriteString(w)
		binary.Write(&buf, binary.LittleEndian, m.idf[i])
		binary.Write(&buf, binary.LittleEndian, m.share[i])
		if k > 0 {
			q, scale := quantizeRow(m.vecs[i*k : (i+1)*k])
			binary.Write(&buf, binary.LittleEndian, scale)
			binary.Write(&buf, binary.LittleEndian, q)
		}
	}
	if m.cfg.HashIDF {
		buf.Write(m.hashIDF)
	}
	return buf.Bytes()
}

func putUvarint(buf *bytes.Buffer, v uint64) {
	var tmp [binary.MaxVarintLen64]byte
	buf.Write(tmp[:binary.PutUvarint(tmp[:], v)])
}

// modelReader reads the persisted form and remembers the first error.
type modelReader struct {
	r   *bytes.Reader
	err error
}

func (r *modelReader) uvarint(what string, limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(r.r)
	if err != nil {
		r.err = fmt.Errorf("%s: %w", what, truncated(err))
		return 0
	}
	if v > limit {
		r.err = fmt.Errorf("%s %d out of range (max %d)", what, v, limit)
		return 0
	}
	return v
}

func (r *modelReader) read(what string, v any) {
	if r.err != nil {
		return
	}
	if err := binary.Read(r.r, binary.LittleEndian, v); err != nil {
		r.err = fmt.Errorf("%s: %w", what, truncated(err))
	}
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("data ends early (truncated?)")
	}
	return err
}

func unmarshalModel(data []byte) (*model, int, error) {
	if !bytes.HasPrefix(data, []byte(modelMagic)) {
		return nil, 0, errors.New("not a builtin embedder model (bad magic)")
	}
	r := &modelReader{r: bytes.NewReader(data[len(modelMagic):])}
	// Version 1 (before WordNet) still loads, and embeds as it did.
	version := r.uvarint("version", math.MaxUint32)
	if r.err == nil && (version < 1 || version > modelVersion) {
		return nil, 0, fmt.Errorf("model format version %d, this build reads 1 to %d: refit", version, modelVersion)
	}
	hashDims := int(r.uvarint("hash dims", maxBuiltinDims))
	k := int(r.uvarint("latent dims", 4096))
	docs := int(r.uvarint("texts", math.MaxInt32))
	nWords := int(r.uvarint("vocabulary size", 1<<24))
	flag := r.uvarint("IDF flag", 1)
	var mixBits, powBits, relBits uint64
	r.read("mix", &mixBits)
	r.read("power", &powBits)
	if version >= 2 {
		r.read("related", &relBits)
	}
	if r.err != nil {
		return nil, 0, r.err
	}
	m := &model{docs: docs}
	m.cfg.Dims = k
	m.cfg.HashIDF = flag == 1
	m.cfg.Mix = math.Float64frombits(mixBits)
	m.cfg.Power = math.Float64frombits(powBits)
	m.cfg.Related = math.Float64frombits(relBits)
	if !(m.cfg.Mix >= 0 && m.cfg.Mix <= 1) {
		return nil, 0, fmt.Errorf("mix %v out of range", m.cfg.Mix)
	}
	if !(m.cfg.Related >= 0 && m.cfg.Related <= 100) {
		return nil, 0, fmt.Errorf("related weight %v out of range", m.cfg.Related)
	}
	// Each word takes at least 9 bytes, plus its scale and vector: refuse
	// sizes the data cannot hold before allocating for them.
	perWord := 9
	if k > 0 {
		perWord += 4 + k
	}
	if nWords > r.r.Len()/perWord {
		return nil, 0, errors.New("vocabulary size larger than the data (truncated?)")
	}
	m.words = make([]string, nWords)
	m.idf = make([]float32, nWords)
	m.share = make([]float32, nWords)
	m.vecs = make([]float32, nWords*k)
	q := make([]int8, k)
	for i := range nWords {
		n := r.uvarint("word length", 256)
		if r.err != nil {
			break
		}
		w := make([]byte, n)
		r.read("word", w)
		m.words[i] = string(w)
		r.read("idf", &m.idf[i])
		r.read("share", &m.share[i])
		if k > 0 {
			var scale float32
			r.read("scale", &scale)
			if r.err == nil && !(scale >= 0 && scale < 1e6) {
				r.err = fmt.Errorf("bad scale of word %d", i)
			}
			r.read("vector", q)
			for j, x := range q {
				m.vecs[i*k+j] = float32(x) * scale
			}
		}
		if r.err == nil && i > 0 && m.words[i-1] >= m.words[i] {
			r.err = fmt.Errorf("vocabulary not sorted at word %d", i)
		}
	}
	if m.cfg.HashIDF {
		m.hashIDF = make([]uint8, idfBuckets)
		r.read("hashed IDF", m.hashIDF)
	}
	if r.err != nil {
		return nil, 0, r.err
	}
	if r.r.Len() != 0 {
		return nil, 0, fmt.Errorf("%d bytes of trailing data", r.r.Len())
	}
	if slices.ContainsFunc(m.idf, func(x float32) bool { return !(x >= 0 && x < 100) }) {
		return nil, 0, errors.New("bad IDF values")
	}
	if slices.ContainsFunc(m.share, func(x float32) bool { return !(x >= 0 && x <= 1) }) {
		return nil, 0, errors.New("bad word shares")
	}
	m.buildIndex()
	return m, hashDims, nil
}
