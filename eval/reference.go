package eval

import (
	"context"
	"math"
	"sort"
	"strings"
	"unicode"
)

// RefPage is a page as the page-level BM25 reference sees it.
type RefPage struct {
	Name     string // what a question set calls it
	Title    string
	Headings []string
	Body     string
}

// PageBM25 is the reference a search is held against: plain BM25 (k1 1.2,
// b 0.75) over whole pages, the title, headings and body as one text,
// words lower-cased, common English words dropped and a final plural "s"
// folded. It is written apart from the product's ranking, on purpose: a
// search that fuses several signals must not rank below this one alone.
type PageBM25 struct {
	names  []string
	tf     []map[string]int
	length []float64
	df     map[string]int
	avg    float64
}

// Reference mode name in reports.
const ReferenceMode = "page-bm25"

// NewPageBM25 indexes pages.
func NewPageBM25(pages []RefPage) *PageBM25 {
	b := &PageBM25{df: map[string]int{}}
	var total float64
	for _, p := range pages {
		text := p.Title + "\n" + strings.Join(p.Headings, "\n") + "\n" + p.Body
		tf := map[string]int{}
		n := 0
		for _, w := range refWords(text) {
			tf[w]++
			n++
		}
		for w := range tf {
			b.df[w]++
		}
		b.names = append(b.names, p.Name)
		b.tf = append(b.tf, tf)
		b.length = append(b.length, float64(n))
		total += float64(n)
	}
	if len(pages) > 0 {
		b.avg = total / float64(len(pages))
	}
	return b
}

// Rank is a Ranker: the names of the 10 best pages for query.
func (b *PageBM25) Rank(_ context.Context, query string) ([]string, error) {
	const k1, bb = 1.2, 0.75
	terms := map[string]bool{}
	for _, w := range refWords(query) {
		terms[w] = true
	}
	type scored struct {
		i int
		s float64
	}
	var hits []scored
	n := float64(len(b.names))
	for i, tf := range b.tf {
		var s float64
		for t := range terms {
			f := float64(tf[t])
			if f == 0 {
				continue
			}
			df := float64(b.df[t])
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			s += idf * f * (k1 + 1) / (f + k1*(1-bb+bb*b.length[i]/b.avg))
		}
		if s > 0 {
			hits = append(hits, scored{i, s})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].s != hits[j].s {
			return hits[i].s > hits[j].s
		}
		return b.names[hits[i].i] < b.names[hits[j].i]
	})
	out := make([]string, 0, 10)
	for _, h := range hits[:min(10, len(hits))] {
		out = append(out, b.names[h.i])
	}
	return out, nil
}

// refWords splits text as the reference does.
func refWords(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if refStop[w] || len(w) < 2 {
			continue
		}
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			w = w[:len(w)-1]
		}
		out = append(out, w)
	}
	return out
}

var refStop = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be but by can do does for from how i if in into is it
		its me my no not of on or so such than that the their then there these they this to was what when where
		which who why will with you your`) {
		m[w] = true
	}
	return m
}()
