package embed

import "slices"

// hypernymWeight is the weight of a hypernym relative to a synonym: "stop"
// is a kind of "end", but "halt" is the same thing.
const hypernymWeight = 0.5

// retrofitIters is the number of retrofitting sweeps; the vectors settle
// after a few.
const retrofitIters = 10

// relatedRows returns, for the vocabulary word stem, the rows of its
// WordNet relations in the vocabulary and their weights.
func (m *model) relatedRows(rel *relations, stem string, rows []int32, ws []float64) ([]int32, []float64) {
	rel.related(stem, func(r string, hyper bool) {
		if j, ok := m.index[r]; ok {
			w := 1.0
			if hyper {
				w = hypernymWeight
			}
			rows, ws = append(rows, j), append(ws, w)
		}
	})
	return rows, ws
}

// retrofit moves every word's latent vector towards those of its relations
// in the vocabulary: q_i = (q̂_i + β Σ w_ij q_j / Σ w_ij) / (1 + β), in
// Jacobi sweeps (each reads the previous one), so the result does not
// depend on the order of the words.
func (m *model) retrofit(beta float64) error {
	rel, err := loadRelations()
	if err != nil {
		return err
	}
	k := m.cfg.Dims
	type edges struct {
		rows []int32
		ws   []float64
	}
	graph := make([]edges, len(m.words))
	any := false
	for i, w := range m.words {
		rows, ws := m.relatedRows(rel, w, nil, nil)
		graph[i] = edges{rows, ws}
		any = any || len(rows) > 0
	}
	if !any {
		return nil
	}
	orig := slices.Clone(m.vecs)
	cur := slices.Clone(m.vecs)
	next := m.vecs
	for range retrofitIters {
		for i, e := range graph {
			out := next[i*k : (i+1)*k]
			copy(out, orig[i*k:(i+1)*k])
			if len(e.rows) == 0 {
				continue
			}
			var sum float64
			for _, w := range e.ws {
				sum += w
			}
			for n, j := range e.rows {
				f := float32(beta * e.ws[n] / sum)
				for d, x := range cur[int(j)*k : (int(j)+1)*k] {
					out[d] += f * x
				}
			}
			inv := float32(1 / (1 + beta))
			for d := range out {
				out[d] *= inv
			}
		}
		cur, next = next, cur
	}
	copy(m.vecs, cur)
	return nil
}

// latentOOV adds to dst, for each stem outside the vocabulary, the mean
// latent vector of its relations in it, weighted by their mean IDF: "scramble"
// finds "encrypt" although the corpus never says "scramble". It reports
// whether any stem had such relations.
func (m *model) latentOOV(stems []string, dst []float32) bool {
	if len(stems) == 0 {
		return false
	}
	rel, err := loadRelations()
	if err != nil {
		return false // the table is part of the binary: TestWordNetTable
	}
	slices.Sort(stems)
	stems = slices.Compact(stems)
	k := m.cfg.Dims
	found := false
	var rows []int32
	var ws []float64
	for _, st := range stems {
		rows, ws = m.relatedRows(rel, st, rows[:0], ws[:0])
		if len(rows) == 0 {
			continue
		}
		found = true
		var sum, idf float64
		for n, j := range rows {
			sum += ws[n]
			idf += ws[n] * m.wordIDF(j)
		}
		idf /= sum
		for n, j := range rows {
			f := float32(m.cfg.Related / (1 + m.cfg.Related) * idf * ws[n] / sum)
			for d, x := range m.vecs[int(j)*k : (int(j)+1)*k] {
				dst[d] += f * x
			}
		}
	}
	return found
}

// hashOOV adds to feats, for each stem outside the vocabulary, hashed
// features of its relations in it, sharing the weight the stem would have
// had, times Related/(1+Related): a word the corpus never uses matches
// nothing, its synonyms that the corpus uses may.
func (m *model) hashOOV(toks []token, feats []feature) []feature {
	var stems []string
	for _, t := range toks {
		if t.stem == "" {
			continue
		}
		if _, ok := m.index[t.stem]; !ok {
			stems = append(stems, t.stem)
		}
	}
	if len(stems) == 0 {
		return feats
	}
	rel, err := loadRelations()
	if err != nil {
		return feats
	}
	slices.Sort(stems)
	stems = slices.Compact(stems)
	var rows []int32
	var ws []float64
	share := m.cfg.Related / (1 + m.cfg.Related)
	for _, st := range stems {
		rows, ws = m.relatedRows(rel, st, rows[:0], ws[:0])
		var sum float64
		for _, w := range ws {
			sum += w
		}
		for n, j := range rows {
			h := hashString(kindUnigram, m.words[j])
			w := share * ws[n] / sum
			if m.cfg.HashIDF {
				w *= m.featureIDF(h)
			}
			feats = append(feats, feature{h, w})
		}
	}
	return feats
}
