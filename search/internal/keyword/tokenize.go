package keyword

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tokenize splits text into keyword-index terms: lower-cased runs of letters
// and digits, stop words dropped, lightly stemmed. It is the only tokeniser
// of the keyword index and is deliberately not shared with the embedders, so
// either can change without invalidating the other.
func Tokenize(text string) []string {
	var terms []string
	ForEachTerm(text, func(t string, _, _ int) { terms = append(terms, t) })
	return terms
}

// ForEachTerm calls fn with every term of text (as Tokenize gives them) and
// the byte range of the word it came from, in order.
func ForEachTerm(text string, fn func(term string, start, end int)) {
	start := -1
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if IsWordRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			emitTerm(text, start, i, fn)
			start = -1
		}
		i += size
	}
	if start >= 0 {
		emitTerm(text, start, len(text), fn)
	}
}

// IsWordRune says whether r belongs to a word, as Tokenize splits text.
func IsWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func emitTerm(text string, start, end int, fn func(string, int, int)) {
	if end-start > 64 {
		return // hashes, base64 and the like: noise for the keyword index
	}
	w := strings.ToLower(text[start:end])
	if len(w) < 2 && !(w[0] >= '0' && w[0] <= '9') {
		return
	}
	if _, stop := stopWords[w]; stop {
		return
	}
	fn(stem(w), start, end)
}

// stem is a light English stemmer: plurals, -ed, -ing, -ly and a final -e,
// so that "create", "creates", "created" and "creating" meet at "creat".
// It never touches words of three letters or fewer, nor words with digits.
func stem(w string) string {
	if len(w) <= 3 {
		return w
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= '0' && c <= '9' || c >= utf8.RuneSelf {
			return w
		}
	}
	switch {
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") &&
		!strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	switch {
	case strings.HasSuffix(w, "ing") && len(w) >= 6 && hasVowel(w[:len(w)-3]):
		w = undouble(w[:len(w)-3])
	case strings.HasSuffix(w, "ed") && len(w) >= 5 && hasVowel(w[:len(w)-2]):
		w = undouble(w[:len(w)-2])
	case strings.HasSuffix(w, "ly") && len(w) >= 6:
		w = w[:len(w)-2]
	}
	if strings.HasSuffix(w, "e") && len(w) >= 5 {
		w = w[:len(w)-1]
	}
	return w
}

func hasVowel(s string) bool { return strings.ContainsAny(s, "aeiouy") }

// undouble turns "stopp" into "stop" and "runn" into "run", keeping the
// doubles that English keeps ("install", "pass", "buzz").
func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] && !strings.ContainsRune("aeioulsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

// stopWords are dropped from documents and queries alike.
var stopWords = func() map[string]struct{} {
	m := make(map[string]struct{})
	for _, w := range strings.Fields(`a about above after again against all am an and any are as at be
		because been before being below between both but by can could did do does doing down during
		each few for from further had has have having he her here hers herself him himself his how i
		if in into is it its itself just me more most my myself no nor not now of off on once only or
		other our ours ourselves out over own same she should so some such than that the their theirs
		them themselves then there these they this those through to too under until up very was we
		were what when where which while who whom why will with would you your yours yourself
		yourselves shall may might must also e g ie eg etc`) {
		m[w] = struct{}{}
	}
	return m
}()

// distinct returns terms without repeats, in first-seen order: a query
// term counts once.
func distinct(terms []string) []string {
	seen := make(map[string]bool, len(terms))
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
