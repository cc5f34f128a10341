package embed

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// adaptCandidate fits a builtin embedder with the given configuration on
// the corpus chunks before embedding.
func adaptCandidate(name string, dims int, fc featureConfig, ac adaptConfig) candidate {
	return candidate{name: name, build: func(t testing.TB, chunks []string) func([]string) [][]float32 {
		b := newBuiltin(dims, fc, ac)
		m, err := fitModel(context.Background(), ac, fc, slices.Values(chunks))
		if err != nil {
			t.Fatal(err)
		}
		b.fitted.Store(m)
		return func(texts []string) [][]float32 {
			v, err := b.Embed(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}}
}

func extraCandidates() []candidate {
	var cs []candidate
	idfOnly := defaultAdapt
	idfOnly.Mix = 0
	idfOnly.Dims = 0
	cs = append(cs, adaptCandidate("hash+idf 512", 512, defaultFeatures, idfOnly))
	wordsIDF := idfOnly
	cs = append(cs, adaptCandidate("hash words+idf 512", 512, featureConfig{Unigram: 1, Sublinear: true}, wordsIDF))
	words := featureConfig{Unigram: 1, Bigram: 0.5, Sublinear: true}
	for _, v := range []struct {
		name string
		fc   featureConfig
		edit func(*adaptConfig)
	}{
		{"v noidf", defaultFeatures, func(a *adaptConfig) { a.HashIDF = false }},
		{"v pow0", defaultFeatures, func(a *adaptConfig) { a.Power = 0 }},
		{"v pow1", defaultFeatures, func(a *adaptConfig) { a.Power = 1 }},
		{"v words", words, func(a *adaptConfig) {}},
		{"v words noidf", words, func(a *adaptConfig) { a.HashIDF = false }},
		{"v mindf3 vocab20k", defaultFeatures, func(a *adaptConfig) { a.MinDF, a.MaxVocab = 3, 20000 }},
		{"w base", words, func(a *adaptConfig) {}},
	} {
		ac := defaultAdapt
		v.edit(&ac)
		cs = append(cs, adaptCandidate(v.name, 512, v.fc, ac))
	}
	for _, k := range []int{64, 128, 256} {
		for _, mix := range []float64{0.5, 0.7, 1} {
			ac := defaultAdapt
			ac.Dims, ac.Mix = k, mix
			cs = append(cs, adaptCandidate(fmt.Sprintf("g k%d mix%.1f", k, mix), 512, words, ac))
		}
	}
	return cs
}
