package embed

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a text: the lower-cased surface form and its stem.
// Stop words keep their surface form but have an empty stem.
type token struct {
	word string
	stem string
}

// stemCache remembers stems: a corpus repeats its words, and a map lookup
// costs a fraction of the Porter steps. Not safe for concurrent use.
type stemCache map[string]string

// maxStemCache bounds a stemCache (about 10 MB).
const maxStemCache = 100_000

// tokenize splits text into lower-cased words of letters and digits and
// stems them, with cache when it is not nil. Underscores, dots and other
// punctuation separate words, so "pg_ctl" yields "pg" and "ctl". Stop words
// are kept (with an empty stem) so that callers can tell adjacency apart
// from a stop word in between.
func tokenize(text string, dst []token, cache stemCache) []token {
	return tokenizeUpTo(text, dst, cache, maxStemCache)
}

// tokenizeUpTo is tokenize with a cache of at most limit stems: the fit's
// workers share maxStemCache between them.
func tokenizeUpTo(text string, dst []token, cache stemCache, limit int) []token {
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := strings.ToLower(text[start:end])
		start = -1
		if utf8.RuneCountInString(w) > 40 { // hashes, base64, long ids: noise
			return
		}
		t := token{word: w}
		if st, ok := cache[w]; ok {
			t.stem = st
		} else if !isStopWord(w) {
			t.stem = stem(w)
			if cache != nil && len(cache) < limit {
				// Clone: w may point into a large text.
				cache[strings.Clone(w)] = strings.Clone(t.stem)
			}
		}
		dst = append(dst, t)
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
	return dst
}

// stopWords are function words that carry no topic, plus the words people
// use to phrase a question ("how do I …") that pages never contain.
var stopWords = func() map[string]struct{} {
	words := strings.Fields(`
a about above after again against all also am an and any are aren as at
be because been before being below between both but by
can cannot could couldn did didn do does doesn doing don down during
each either etc few for from further
get gets getting got had hadn has hasn have haven having he her here hers herself him himself his how
i if in into is isn it its itself just let lets me might more most must my myself
no nor not now of off on once only or other ought our ours ourselves out over own
per please same shall she should shouldn so some such than that the their theirs them themselves then
there these they this those through thus to too under until up upon us use used uses using very via
want wants was wasn way we were weren what whatever when where whether which while who whom whose why
will with within without won would wouldn yet you your yours yourself yourselves
`)
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}()

func isStopWord(w string) bool {
	if len(w) < 2 {
		return true
	}
	_, ok := stopWords[w]
	return ok
}

// stem reduces an English word to its stem with the Porter (1980) algorithm.
// Words that are not plain lower-case ASCII letters (numbers, identifiers with
// digits, other scripts) are returned unchanged.
func stem(w string) string {
	if len(w) <= 2 {
		return w
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return w
		}
	}
	p := porter{b: []byte(w)}
	p.step1ab()
	p.step1c()
	p.step2()
	p.step3()
	p.step4()
	p.step5()
	return string(p.b)
}

// porter holds the word being stemmed; j marks the end of the stem that a
// matched suffix would leave (as in Porter's reference implementation).
type porter struct {
	b []byte
	j int
}

// cons reports whether b[i] is a consonant.
func (p *porter) cons(i int) bool {
	switch p.b[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		return i == 0 || !p.cons(i-1)
	}
	return true
}

// m measures the number of vowel-consonant sequences in b[:j+1].
func (p *porter) m() int {
	n, i := 0, 0
	for {
		if i > p.j {
			return n
		}
		if !p.cons(i) {
			break
		}
		i++
	}
	i++
	for {
		for {
			if i > p.j {
				return n
			}
			if p.cons(i) {
				break
			}
			i++
		}
		i++
		n++
		for {
			if i > p.j {
				return n
			}
			if !p.cons(i) {
				break
			}
			i++
		}
		i++
	}
}

// vowelInStem reports whether b[:j+1] contains a vowel.
func (p *porter) vowelInStem() bool {
	for i := 0; i <= p.j; i++ {
		if !p.cons(i) {
			return true
		}
	}
	return false
}

// doublec reports whether b[i-1:i+1] is a double consonant.
func (p *porter) doublec(i int) bool {
	return i >= 1 && p.b[i] == p.b[i-1] && p.cons(i)
}

// cvc reports whether b[i-2:i+1] is consonant-vowel-consonant and the last
// consonant is not w, x or y (hop → hope, but not snow, box, tray).
func (p *porter) cvc(i int) bool {
	if i < 2 || !p.cons(i) || p.cons(i-1) || !p.cons(i-2) {
		return false
	}
	switch p.b[i] {
	case 'w', 'x', 'y':
		return false
	}
	return true
}

// ends reports whether the word ends with s and sets j to the stem's end.
func (p *porter) ends(s string) bool {
	if len(s) > len(p.b) || string(p.b[len(p.b)-len(s):]) != s {
		return false
	}
	p.j = len(p.b) - len(s) - 1
	return true
}

// setto replaces b[j+1:] with s.
func (p *porter) setto(s string) {
	p.b = append(p.b[:p.j+1], s...)
}

// r replaces the suffix with s when the stem's measure is positive.
func (p *porter) r(s string) {
	if p.m() > 0 {
		p.setto(s)
	}
}

func (p *porter) step1ab() {
	k := len(p.b) - 1
	if p.b[k] == 's' {
		switch {
		case p.ends("sses"):
			p.b = p.b[:len(p.b)-2]
		case p.ends("ies"):
			p.setto("i")
		case len(p.b) >= 2 && p.b[len(p.b)-2] != 's':
			p.b = p.b[:len(p.b)-1]
		}
	}
	if p.ends("eed") {
		if p.m() > 0 {
			p.b = p.b[:len(p.b)-1]
		}
		return
	}
	if (p.ends("ed") || p.ends("ing")) && p.vowelInStem() {
		p.b = p.b[:p.j+1]
		switch {
		case p.ends("at"):
			p.setto("ate")
		case p.ends("bl"):
			p.setto("ble")
		case p.ends("iz"):
			p.setto("ize")
		case p.doublec(len(p.b) - 1):
			switch p.b[len(p.b)-1] {
			case 'l', 's', 'z':
			default:
				p.b = p.b[:len(p.b)-1]
			}
		default:
			p.j = len(p.b) - 1
			if p.m() == 1 && p.cvc(len(p.b)-1) {
				p.b = append(p.b, 'e')
			}
		}
	}
}

func (p *porter) step1c() {
	if p.ends("y") && p.vowelInStem() {
		p.b[len(p.b)-1] = 'i'
	}
}

type suffixRule struct{ from, to string }

var step2Rules = []suffixRule{
	{"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"}, {"anci", "ance"},
	{"izer", "ize"}, {"bli", "ble"}, {"alli", "al"}, {"entli", "ent"}, {"eli", "e"},
	{"ousli", "ous"}, {"ization", "ize"}, {"ation", "ate"}, {"ator", "ate"},
	{"alism", "al"}, {"iveness", "ive"}, {"fulness", "ful"}, {"ousness", "ous"},
	{"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"}, {"logi", "log"},
}

var step3Rules = []suffixRule{
	{"icate", "ic"}, {"ative", ""}, {"alize", "al"}, {"iciti", "ic"},
	{"ical", "ic"}, {"ful", ""}, {"ness", ""},
}

func (p *porter) applyRules(rules []suffixRule) {
	for _, rule := range rules {
		if p.ends(rule.from) {
			p.r(rule.to)
			return
		}
	}
}

func (p *porter) step2() { p.applyRules(step2Rules) }
func (p *porter) step3() { p.applyRules(step3Rules) }

var step4Suffixes = []string{
	"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment",
	"ent", "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize",
}

func (p *porter) step4() {
	for _, s := range step4Suffixes {
		if !p.ends(s) {
			continue
		}
		if s == "ion" && (p.j < 0 || (p.b[p.j] != 's' && p.b[p.j] != 't')) {
			return
		}
		if p.m() > 1 {
			p.b = p.b[:p.j+1]
		}
		return
	}
}

func (p *porter) step5() {
	p.j = len(p.b) - 1
	if p.b[len(p.b)-1] == 'e' {
		p.j = len(p.b) - 2
		a := p.m()
		if a > 1 || (a == 1 && !p.cvc(len(p.b)-2)) {
			p.b = p.b[:len(p.b)-1]
		}
	}
	p.j = len(p.b) - 1
	if p.b[len(p.b)-1] == 'l' && p.doublec(len(p.b)-1) && p.m() > 1 {
		p.b = p.b[:len(p.b)-1]
	}
}
