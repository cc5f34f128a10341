package embed

import (
	"cmp"
	"math"
	"slices"
)

// featureConfig says which sparse features of a text the hashing part of
// the builtin embedder counts, and how much each kind weighs.
type featureConfig struct {
	Unigram   float64 // weight of a word stem
	Bigram    float64 // weight of two adjacent content stems
	CharGram  float64 // total weight of one word's character n-grams
	MinGram   int     // shortest character n-gram (bytes, with < > word marks)
	MaxGram   int     // longest character n-gram
	Sublinear bool    // 1+log(tf) instead of tf
}

// defaultFeatures is the configuration measured best on our evaluation sets
// (see experiment_test.go).
// Character n-grams cost three quarters of the embedding time and did not
// change the results, so they are off. Changing this, the tokenizer, the
// stemmer or the hashing changes every vector: bump the versions in
// Builtin.Model (hash-vN, lsa-vN) with it.
var defaultFeatures = featureConfig{
	Unigram:   1,
	Bigram:    0.5,
	Sublinear: true,
}

// Feature kinds seed the hash so that the word "ion" and the n-gram "ion"
// land in different buckets.
const (
	kindUnigram = 1
	kindBigram  = 2
	kindGram    = 3
)

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashString(seed uint64, s string) uint64 {
	h := uint64(fnvOffset) ^ seed*0x9E3779B97F4A7C15
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return mix64(h)
}

func hashPair(a, b uint64) uint64 {
	return mix64(a*0x9E3779B97F4A7C15 ^ (b + 0x632BE59BD9B4E5B5))
}

// mix64 spreads the bits of an FNV hash (its low bits are weak) with the
// splitmix64 finaliser.
func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 27
	h *= 0x94D049BB133111EB
	h ^= h >> 31
	return h
}

// feature is one hashed sparse feature and its weight in a text.
type feature struct {
	hash   uint64
	weight float64
}

// extractFeatures returns the hashed features of tokens, merged by hash, with
// the weights of cfg; counts become 1+log(tf) when cfg.Sublinear is set.
// idf, when not nil, scales each feature by its inverse document frequency.
func extractFeatures(cfg featureConfig, toks []token, idf func(uint64) float64, dst []feature) []feature {
	dst = dst[:0]
	var prev uint64
	havePrev := false
	for _, t := range toks {
		if t.stem == "" {
			// A stop word keeps the stems on both sides adjacent:
			// "log in with accounts" → "log account".
			continue
		}
		h := hashString(kindUnigram, t.stem)
		if cfg.Unigram > 0 {
			dst = append(dst, feature{h, cfg.Unigram})
		}
		if cfg.Bigram > 0 && havePrev {
			dst = append(dst, feature{hashPair(prev, h), cfg.Bigram})
		}
		prev, havePrev = h, true
		if cfg.CharGram > 0 {
			dst = appendCharGrams(dst, cfg, t.word)
		}
	}
	if len(dst) == 0 {
		return dst
	}
	slices.SortFunc(dst, func(a, b feature) int { return cmp.Compare(a.hash, b.hash) })
	// Merge equal hashes; within a kind the weight per occurrence is the
	// same, so the sum divided by the first weight is the term frequency.
	out := dst[:0]
	for i := 0; i < len(dst); {
		j := i + 1
		sum := dst[i].weight
		for j < len(dst) && dst[j].hash == dst[i].hash {
			sum += dst[j].weight
			j++
		}
		w := sum
		if cfg.Sublinear && j-i > 1 {
			unit := sum / float64(j-i)
			w = unit * (1 + math.Log(float64(j-i)))
		}
		if idf != nil {
			w *= idf(dst[i].hash)
		}
		out = append(out, feature{dst[i].hash, w})
		i = j
	}
	return out
}

// appendCharGrams adds the character n-grams of "<word>", sharing weight
// cfg.CharGram among them so that long words do not dominate.
func appendCharGrams(dst []feature, cfg featureConfig, word string) []feature {
	var buf [64]byte
	b := append(buf[:0], '<')
	b = append(b, word...)
	b = append(b, '>')
	n := 0
	for size := cfg.MinGram; size <= cfg.MaxGram; size++ {
		if len(b) >= size {
			n += len(b) - size + 1
		}
	}
	if n == 0 {
		return dst
	}
	w := cfg.CharGram / float64(n)
	for size := cfg.MinGram; size <= cfg.MaxGram; size++ {
		for i := 0; i+size <= len(b); i++ {
			dst = append(dst, feature{hashBytes(kindGram, b[i:i+size]), w})
		}
	}
	return dst
}

func hashBytes(seed uint64, s []byte) uint64 {
	h := uint64(fnvOffset) ^ seed*0x9E3779B97F4A7C15
	for _, c := range s {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return mix64(h)
}

// project adds the features into vec by signed hashing: the bucket comes
// from the low bits of the hash, the sign from the top bit, so collisions
// cancel out on average instead of piling up.
func project(vec []float32, feats []feature) {
	d := uint64(len(vec))
	for _, f := range feats {
		w := float32(f.weight)
		if f.hash>>63 == 1 {
			w = -w
		}
		vec[f.hash%d] += w
	}
}

// normalize scales v to unit L2 length in place; a zero vector stays zero.
func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}
