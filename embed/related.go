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

// oovRelation is a relation in the vocabulary of a word outside it.
type oovRelation struct {
	row int32
	w   float64 // the relation's share of its word: a word's shares sum to 1
	idf float64 // the word's IDF: the mean of its relations', by share
}

// unknownRelations returns the relations in the vocabulary of the words
// of toks outside it (each word once), looked up once per text for
// latentOOV and hashOOV. oov is scratch space. Nothing without Related.
func (m *model) unknownRelations(toks []token, dst []oovRelation, oov []string) ([]oovRelation, []string) {
	dst, oov = dst[:0], oov[:0]
	if m.cfg.Related <= 0 {
		return dst, oov
	}
	for _, t := range toks {
		if t.stem == "" {
			continue
		}
		if _, ok := m.index[t.stem]; !ok {
			oov = append(oov, t.stem)
		}
	}
	if len(oov) == 0 {
		return dst, oov
	}
	rel, err := loadRelations()
	if err != nil {
		return dst, oov // the table is part of the binary: TestWordNetTable
	}
	slices.Sort(oov)
	oov = slices.Compact(oov)
	for _, st := range oov {
		start := len(dst)
		rel.related(st, func(r string, hyper bool) {
			if j, ok := m.index[r]; ok {
				w := 1.0
				if hyper {
					w = hypernymWeight
				}
				dst = append(dst, oovRelation{row: j, w: w})
			}
		})
		var sum, idf float64
		for _, r := range dst[start:] {
			sum += r.w
			idf += r.w * m.wordIDF(r.row)
		}
		for n := range dst[start:] {
			dst[start+n].w /= sum
			dst[start+n].idf = idf / sum
		}
	}
	return dst, oov
}

// latentOOV adds to dst, for each word outside the vocabulary, the mean
// latent vector of its relations in it, weighted by their mean IDF:
// "scramble" finds "encrypt" although the corpus never says "scramble".
func (m *model) latentOOV(rels []oovRelation, dst []float32) {
	k := m.cfg.Dims
	share := m.cfg.Related / (1 + m.cfg.Related)
	for _, r := range rels {
		f := float32(share * r.idf * r.w)
		for d, x := range m.vecs[int(r.row)*k : (int(r.row)+1)*k] {
			dst[d] += f * x
		}
	}
}

// hashOOV adds to feats, for each word outside the vocabulary, hashed
// features of its relations in it, sharing the weight the word would have
// had, times Related/(1+Related): a word the corpus never uses matches
// nothing, its synonyms that the corpus uses may.
func (m *model) hashOOV(rels []oovRelation, feats []feature) []feature {
	share := m.cfg.Related / (1 + m.cfg.Related)
	for _, r := range rels {
		h := hashString(kindUnigram, m.words[r.row])
		w := share * r.w
		if m.cfg.HashIDF {
			w *= m.featureIDF(h)
		}
		feats = append(feats, feature{h, w})
	}
	return feats
}
