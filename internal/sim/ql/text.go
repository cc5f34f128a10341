package ql

import (
	"path"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// TextIndex is a text analysed once for ~ matching: its terms in order, stop words dropped,
// stemmed. Build it with IndexText and keep it with the record (see TextIndexer). Terms are held
// as sorted 64-bit hashes: a lookup is a binary search over a few cache lines and touches no
// string memory.
type TextIndex struct {
	seq   []uint64 // hash of each analysed term in text order; 0 where a stop word was
	terms []uint64 // sorted distinct hashes of the terms and of their unstemmed forms
	vocab []string // distinct terms, stemmed and unstemmed, for wildcards
}

// TextIndexer is an optional interface for records: returning a cached *TextIndex per field
// spares Match from re-analysing Record.Text on every query. Return nil to fall back to Text.
type TextIndexer interface {
	TextIndex(field string) *TextIndex
}

// TextCache remembers the analysis of texts, keyed by the text itself, so that records that do
// not implement TextIndexer are analysed once rather than on every Match (set Env.Texts). It is
// safe for concurrent use; past its limit it empties itself and starts again, which bounds the
// memory that edited texts leave behind.
type TextCache struct {
	mu    sync.Mutex
	limit int
	m     map[string]*TextIndex
}

// NewTextCache returns a cache holding at most limit texts (at least 1).
func NewTextCache(limit int) *TextCache {
	return &TextCache{limit: max(limit, 1), m: map[string]*TextIndex{}}
}

// Index returns the analysis of s, computing it on first use.
func (c *TextCache) Index(s string) *TextIndex {
	c.mu.Lock()
	ix, ok := c.m[s]
	c.mu.Unlock()
	if ok {
		return ix
	}
	ix = IndexText(s)
	c.mu.Lock()
	if len(c.m) >= c.limit {
		clear(c.m)
	}
	c.m[s] = ix
	c.mu.Unlock()
	return ix
}

// IndexText analyses s the way ~ reads text.
func IndexText(s string) *TextIndex {
	ix := &TextIndex{}
	forEachWord(s, func(w string, stop bool) {
		if stop {
			ix.seq = append(ix.seq, 0)
			return
		}
		st := stem(w)
		ix.seq = append(ix.seq, termHash(st))
		ix.vocab = append(ix.vocab, st)
		if st != w {
			ix.vocab = append(ix.vocab, w)
		}
	})
	slices.Sort(ix.vocab)
	ix.vocab = slices.Clip(slices.Compact(ix.vocab))
	ix.terms = make([]uint64, len(ix.vocab))
	for i, w := range ix.vocab {
		ix.terms[i] = termHash(w)
	}
	slices.Sort(ix.terms)
	ix.terms = slices.Clip(slices.Compact(ix.terms))
	ix.seq = slices.Clip(ix.seq)
	return ix
}

// termHash is FNV-1a, never 0 (0 marks a stop word's position).
func termHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	if h == 0 {
		h = 1
	}
	return h
}

// Len is the number of analysed positions (stop words included, as gaps).
func (ix *TextIndex) Len() int { return len(ix.seq) }

// stopWords is Lucene's English stop set, which Jira and Confluence analysers drop.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "but": true,
	"by": true, "for": true, "if": true, "in": true, "into": true, "is": true, "it": true, "no": true,
	"not": true, "of": true, "on": true, "or": true, "such": true, "that": true, "the": true,
	"their": true, "then": true, "there": true, "these": true, "they": true, "this": true, "to": true,
	"was": true, "will": true, "with": true,
}

// forEachWord calls f with each lower-case run of letters and digits of s, saying whether it is a
// stop word. Stop words are not searchable but keep their position, as in Lucene, so a phrase
// does not match across them.
func forEachWord(s string, f func(w string, stop bool)) {
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := strings.ToLower(s[start:end])
		start = -1
		f(w, stopWords[w])
	}
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(s))
}

// stem is a light English stemmer: plurals, -ing, -ed and a final e, so that "run", "runs" and
// "running", or "configure", "configured" and "configures", meet.
func stem(w string) string {
	if len(w) <= 3 || !isASCIILetters(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "zes"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	switch {
	case strings.HasSuffix(w, "ing") && len(w) > 5:
		w = undouble(w[:len(w)-3])
	case strings.HasSuffix(w, "ed") && len(w) > 4:
		w = undouble(w[:len(w)-2])
	}
	if len(w) >= 4 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	return w
}

func isASCIILetters(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// undouble turns "runn" into "run" and "stopp" into "stop", keeping ll, ss and zz.
func undouble(w string) string {
	n := len(w)
	if n >= 2 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiouylsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

// textTerm is one analysed query term. A wildcard term (with * or ?) is a lower-case glob matched
// against the index's vocabulary, not stemmed.
type textTerm struct {
	text string // "" for a stop word's position inside a phrase: any term fits
	hash uint64 // termHash(text) of a plain term
	wild bool
}

// textItem is one required (or, when neg, forbidden) part of a ~ query: any of its alternatives
// (phrases joined by OR) must occur.
type textItem struct {
	alts [][]textTerm
	neg  bool
}

// textQuery is a compiled ~ operand.
type textQuery struct{ items []textItem }

// parseTextQuery reads the Lucene-like syntax of a ~ operand: words, "quoted phrases", * and ?
// wildcards in words, -word or NOT word to exclude, a OR b for alternatives; AND and + are the
// default.
func parseTextQuery(s string) *textQuery {
	q := &textQuery{}
	neg, or := false, false
	add := func(terms []textTerm) {
		if len(terms) == 0 {
			neg, or = false, false
			return
		}
		if or && len(q.items) > 0 && !q.items[len(q.items)-1].neg && !neg {
			last := &q.items[len(q.items)-1]
			last.alts = append(last.alts, terms)
		} else {
			q.items = append(q.items, textItem{alts: [][]textTerm{terms}, neg: neg})
		}
		neg, or = false, false
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		if r == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			var phrase string
			if end < 0 {
				phrase, i = s[i+1:], len(s)
			} else {
				phrase, i = s[i+1:i+1+end], i+2+end
			}
			add(analyse(phrase, false))
			continue
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if unicode.IsSpace(r) || r == '"' {
				break
			}
			j += size
		}
		word := s[i:j]
		i = j
		switch word {
		case "OR", "||":
			or = true
			continue
		case "AND", "&&", "+":
			continue
		case "NOT", "!", "-":
			neg = true
			continue
		}
		switch word[0] {
		case '-', '!':
			neg, word = true, word[1:]
		case '+':
			word = word[1:]
		}
		// Lucene's fuzzy (~2) and boost (^3) suffixes do not change what must occur.
		if k := strings.IndexAny(word, "~^"); k >= 0 {
			word = word[:k]
		}
		add(analyse(word, true))
	}
	return q
}

// analyse turns a query word or phrase into terms, stop words kept as inner gaps. With wild,
// runs containing * or ? become glob terms (Lucene does not take wildcards inside phrases).
func analyse(w string, wild bool) []textTerm {
	var terms []textTerm
	plain := func(t string, stop bool) {
		if stop {
			terms = append(terms, textTerm{})
			return
		}
		st := stem(t)
		terms = append(terms, textTerm{text: st, hash: termHash(st)})
	}
	if !wild {
		forEachWord(w, plain)
	} else {
		inRun := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '*' || r == '?' }
		for _, run := range strings.FieldsFunc(w, func(r rune) bool { return !inRun(r) }) {
			switch {
			case !strings.ContainsAny(run, "*?"):
				forEachWord(run, plain)
			case strings.Trim(run, "*?") != "":
				terms = append(terms, textTerm{text: strings.ToLower(run), wild: true})
			}
		}
	}
	for len(terms) > 0 && terms[0].text == "" {
		terms = terms[1:]
	}
	for len(terms) > 0 && terms[len(terms)-1].text == "" {
		terms = terms[:len(terms)-1]
	}
	return terms
}

// globMatch reports whether w matches a pattern of letters, digits, * and ?.
func globMatch(pattern, w string) bool {
	ok, err := path.Match(pattern, w)
	return ok && err == nil
}

// positive reports whether the query requires anything; a query of stop words only matches
// nothing, as in Lucene.
func (q *textQuery) positive() bool {
	for _, it := range q.items {
		if !it.neg {
			return true
		}
	}
	return false
}

func (q *textQuery) match(ix *TextIndex) bool {
	if !q.positive() {
		return false
	}
	for _, it := range q.items {
		found := false
		for _, phrase := range it.alts {
			if ix.hasPhrase(phrase) {
				found = true
				break
			}
		}
		if found == it.neg {
			return false
		}
	}
	return true
}

func (ix *TextIndex) hasTerm(t textTerm) bool {
	if t.text == "" {
		return true
	}
	if !t.wild {
		_, ok := slices.BinarySearch(ix.terms, t.hash)
		return ok
	}
	for _, w := range ix.vocab {
		if globMatch(t.text, w) {
			return true
		}
	}
	return false
}

// wildHashes lists the hashes a wildcard term may take at a position of seq (which holds stems).
func (ix *TextIndex) wildHashes(t textTerm) []uint64 {
	var hs []uint64
	for _, w := range ix.vocab {
		if globMatch(t.text, w) {
			hs = append(hs, termHash(w), termHash(stem(w)))
		}
	}
	return hs
}

func (ix *TextIndex) hasPhrase(p []textTerm) bool {
	for _, t := range p {
		if !ix.hasTerm(t) {
			return false
		}
	}
	if len(p) == 1 {
		return true
	}
	var allowed [][]uint64
	for k, t := range p {
		if t.wild {
			if allowed == nil {
				allowed = make([][]uint64, len(p))
			}
			allowed[k] = ix.wildHashes(t)
		}
	}
	for i := 0; i+len(p) <= len(ix.seq); i++ {
		ok := true
		for k, t := range p {
			h := ix.seq[i+k]
			switch {
			case t.text == "":
			case t.wild:
				ok = slices.Contains(allowed[k], h)
			default:
				ok = h == t.hash
			}
			if !ok {
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
