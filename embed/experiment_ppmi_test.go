package embed

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
)

// ppmiCandidate replaces the latent word vectors of the product with those
// of a truncated SVD of the words' positive pointwise mutual information
// within ±window words (Levy & Goldberg's PPMI-SVD), context counts smoothed
// by ^0.75. Experiment only: it counts co-occurrences in a map, which does
// not scale to the 100k chunks the product must handle.
func ppmiCandidate(name string, window int, mix float64) candidate {
	return candidate{name: name, build: func(t testing.TB, chunks []string) func([]string) [][]float32 {
		ac := defaultAdapt
		ac.Mix = mix
		ac.Dims = 0 // statistics only; the vectors come from below
		m, err := fitModel(context.Background(), ac, defaultFeatures, slices.Values(chunks))
		if err != nil {
			t.Fatal(err)
		}
		counts := map[uint64]float64{}
		rowSum := make([]float64, len(m.words))
		colSum := make([]float64, len(m.words))
		var ids []int32
		for _, c := range chunks {
			ids = ids[:0]
			for _, tok := range tokenize(c, nil, nil) {
				if tok.stem == "" {
					continue
				}
				if i, ok := m.index[tok.stem]; ok {
					ids = append(ids, i)
				}
			}
			for i, a := range ids {
				for j := max(0, i-window); j < min(len(ids), i+window+1); j++ {
					if j == i {
						continue
					}
					counts[uint64(a)<<32|uint64(ids[j])]++
					rowSum[a]++
					colSum[ids[j]]++
				}
			}
		}
		var total, smooth float64
		for i := range colSum {
			total += rowSum[i]
			smooth += math.Pow(colSum[i], 0.75)
		}
		type cell struct {
			col int32
			v   float32
		}
		rows := make([][]cell, len(m.words))
		for key, n := range counts {
			r, c := int32(key>>32), int32(key&0xffffffff)
			pmi := math.Log(n / total / (rowSum[r] / total * math.Pow(colSum[c], 0.75) / smooth))
			if pmi > 0 {
				rows[r] = append(rows[r], cell{c, float32(pmi)})
			}
		}
		a := &csr{rows: len(m.words), cols: len(m.words), ptr: make([]int32, len(m.words)+1)}
		for r := range rows {
			slices.SortFunc(rows[r], func(x, y cell) int { return int(x.col - y.col) })
			for _, e := range rows[r] {
				a.idx = append(a.idx, e.col)
				a.val = append(a.val, e.v)
			}
			a.ptr[r+1] = int32(len(a.idx))
		}
		u, sv, err := truncatedSVD(context.Background(), a, 128, 3)
		if err != nil {
			t.Fatal(err)
		}
		k := len(sv)
		m.cfg.Dims, m.cfg.Mix = k, mix
		m.vecs = make([]float32, len(m.words)*k)
		for i := range m.words {
			for j := range k {
				m.vecs[i*k+j] = float32(u.row(i)[j] * math.Sqrt(sv[j]/sv[0]))
			}
		}
		quantizeRows(m.vecs, k)
		m.signature = fmt.Sprintf("ppmi%d", window)
		b := NewBuiltin(BuiltinOptions{})
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
