package embed

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
)

// BuiltinOptions configures the builtin embedder.
type BuiltinOptions struct {
	// Dims is the length of the hashed feature vector: 64 to 4096,
	// 512 when zero.
	Dims int
}

// Default and bounds of BuiltinOptions.Dims.
const (
	DefaultBuiltinDims = 512
	minBuiltinDims     = 64
	maxBuiltinDims     = 4096
)

// Builtin is the offline embedder: pure Go, deterministic, no model to
// download, and fast enough to embed a whole index on CPU during a sync
// (BenchmarkBuiltinEmbed; figures in BENCHMARKS.md).
//
// Before Fit it hashes English word stems (Porter, stop words dropped) and
// pairs of adjacent stems, with sublinear term frequency, into Dims signed
// buckets. That is a lossy keyword model: on the PostgreSQL manual it is
// clearly worse than BM25, and fused with BM25 it adds nothing measurable.
//
// Fit learns from the indexed chunks themselves: IDF weights for the hashed
// features, and latent word vectors (128 dimensions) from a truncated SVD of
// the term-chunk matrix, i.e. latent semantic analysis. A text's vector is
// then the hashed part and the IDF-weighted sum of its words' latent
// vectors, each normalised and weighted half and half. Words that occur in
// the same chunks come close, so "bloat" finds "vacuum" although the two
// never appear in one sentence. Fused with BM25 (reciprocal ranks, the
// embedder at half the weight of BM25) it lifts both recall and MRR on the
// question sets over the PostgreSQL manual (experiment_test.go; figures in
// BENCHMARKS.md).
//
// Fit also retrofits the latent vectors to WordNet 3.0 (wordnet.go): each
// word's vector moves towards those of its synonyms and hypernyms that the
// corpus uses, and a word the corpus never uses ("scramble", where the
// manual says "encrypt") borrows theirs. That general knowledge of English
// ships with the binary (about 0.75 MB) and needs no download.
//
// Its limits, honestly: alone it ranks worse than BM25, also on our
// paraphrased questions; its value is what it adds in fusion. WordNet
// knows words and senses, not phrases nor this corpus's jargon, and a
// word's rarer senses add noise. Word order and negation are ignored. It
// is English only (stemmer, stop words, WordNet); other languages fall
// back to exact words. A pretrained model behind the ollama or openai
// kinds will do better where one can be run.
type Builtin struct {
	dims  int
	cfg   featureConfig
	adapt adaptConfig

	fitted atomic.Pointer[model] // nil until Fit or UnmarshalBinary
	pool   sync.Pool             // *scratch, reused between texts
}

// scratch holds the per-text buffers of Embed.
type scratch struct {
	toks  []token
	feats []feature
	stems stemCache
	rels  []oovRelation // of the text's words outside the model's vocabulary
	oov   []string
}

// NewBuiltin returns the builtin embedder. Dims outside 64..4096 are
// clamped into that range.
func NewBuiltin(opts BuiltinOptions) *Builtin {
	d := opts.Dims
	switch {
	case d == 0:
		d = DefaultBuiltinDims
	case d < minBuiltinDims:
		d = minBuiltinDims
	case d > maxBuiltinDims:
		d = maxBuiltinDims
	}
	return newBuiltin(d, defaultFeatures, defaultAdapt)
}

func newBuiltin(dims int, cfg featureConfig, adapt adaptConfig) *Builtin {
	b := &Builtin{dims: dims, cfg: cfg, adapt: adapt}
	b.pool.New = func() any { return &scratch{stems: stemCache{}} }
	return b
}

// Model names the embedder, its version and dimensions, and after Fit the
// learnt model: "builtin/hash-v2-512" before Fit, then e.g.
// "builtin/lsa-v2-512+128-3f9a0c1d2e", the suffix being a hash of the
// model's bytes. The name changes whenever the vectors would: lsa-v2
// models use WordNet's relations (wordnet.go), whose table is part of the
// binary, not of the model's bytes; a model of version 1 keeps its name.
func (b *Builtin) Model() string {
	if m := b.fitted.Load(); m != nil {
		v := 1
		if m.cfg.Related > 0 {
			v = 2
		}
		return fmt.Sprintf("builtin/lsa-v%d-%d+%d-%s", v, b.dims, m.cfg.Dims, m.signature)
	}
	return fmt.Sprintf("builtin/hash-v2-%d", b.dims)
}

// Dims returns the length of the vectors that Embed returns now: the
// hashed dimensions, plus the latent ones after Fit.
func (b *Builtin) Dims() int {
	if m := b.fitted.Load(); m != nil {
		return b.dims + m.cfg.Dims
	}
	return b.dims
}

// Warm loads now what the first text with a word outside the model's
// vocabulary would wait for (WordNet's relations, when the model uses
// them): a server calls it before its first question.
func (b *Builtin) Warm() {
	if m := b.fitted.Load(); m != nil && m.cfg.Related > 0 {
		_, _ = loadRelations()
	}
}

// Embed returns one unit vector per text. It fails on an empty text, and
// when ctx is done.
func (b *Builtin) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := checkTexts(texts); err != nil {
		return nil, fmt.Errorf("embed: builtin: %w", err)
	}
	out := make([][]float32, len(texts))
	m := b.fitted.Load()
	s := b.pool.Get().(*scratch)
	defer b.pool.Put(s)
	for i, t := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("embed: builtin: %w", err)
			}
		}
		out[i] = b.embedOne(m, s, t)
	}
	return out, nil
}

func (b *Builtin) embedOne(m *model, s *scratch, text string) []float32 {
	k := 0
	var idf func(uint64) float64
	if m != nil {
		k = m.cfg.Dims
		if m.cfg.HashIDF {
			idf = m.featureIDF
		}
	}
	vec := make([]float32, b.dims+k)
	hashed, latent := vec[:b.dims], vec[b.dims:]
	s.toks = tokenize(text, s.toks[:0], s.stems)
	s.feats = extractFeatures(b.cfg, s.toks, idf, s.feats)
	if len(s.feats) == 0 {
		s.feats = fallbackFeatures(b.cfg, s.toks, text, s.feats)
	}
	s.rels = s.rels[:0]
	if m != nil {
		s.rels, s.oov = m.unknownRelations(s.toks, s.rels, s.oov)
		if !m.cfg.NoHashOOV {
			s.feats = m.hashOOV(s.rels, s.feats)
		}
	}
	project(hashed, s.feats)
	if k == 0 || !m.latent(s.toks, s.rels, latent) {
		normalize(vec)
		return vec
	}
	// Both halves unit length, then weighted, so that the cosine of two
	// vectors is (1-Mix)·cos(hashed) + Mix·cos(latent).
	normalize(hashed)
	normalize(latent)
	wh, wl := float32(math.Sqrt(1-m.cfg.Mix)), float32(math.Sqrt(m.cfg.Mix))
	for i := range hashed {
		hashed[i] *= wh
	}
	for i := range latent {
		latent[i] *= wl
	}
	normalize(vec)
	return vec
}

// fallbackFeatures gives a text without content words ("to be or not to
// be", "???") a vector of its surface forms, so that no vector is zero.
func fallbackFeatures(cfg featureConfig, toks []token, text string, dst []feature) []feature {
	dst = dst[:0]
	for _, t := range toks {
		dst = append(dst, feature{hashString(kindUnigram, t.word), cfg.Unigram + 1})
	}
	if len(dst) == 0 {
		dst = append(dst, feature{hashString(kindGram, strings.TrimSpace(text)), 1})
	}
	return dst
}

// checkTexts rejects a batch with an empty or blank text: every embedder
// would return a meaningless vector (or an error of its own) for it.
func checkTexts(texts []string) error {
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			return fmt.Errorf("text %d of %d is empty", i, len(texts))
		}
	}
	return nil
}
