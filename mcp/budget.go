package mcp

import (
	"strings"
	"unicode/utf8"
)

// The answers that list hits have a byte budget, so that ten hits cost at
// most 1,600 bytes of tool output (confluence_search_pages,
// jira_search_issues, semantic_search, find_similar_issues; issue 3)
// whatever the titles and excerpts are like. Identifiers, dates and URLs
// are kept whole; the text of the hits shares what is left, cut by fit.
// The semantic tools ask the search for snippets of the size they will
// show (snippetBytes), so that fit seldom cuts one.

// Budget of a list of hits: budgetBase bytes for what the answer says once
// (total, URL templates, shared fields, paging) and budgetPerHit bytes for
// each hit, on average.
const (
	budgetBase   = 200
	budgetPerHit = 140
)

// hitsBudget is the byte budget of an answer of n hits: 1,600 for ten,
// and as much for fewer (a short list need not be cut).
func hitsBudget(n int) int { return budgetBase + budgetPerHit*max(n, 10) }

// A trim is a set of text fields that fit cuts together, water-filling:
// every field is cut to the same length in runes, the longest first, and
// fields already shorter keep all their text.
type trim struct {
	fields []*string
	// floor is the shortest useful cut, in runes. A field of a droppable
	// trim whose cut would be shorter is emptied (an excerpt of three
	// words helps nobody); other fields are never cut below it.
	floor int
	drop  bool
	// tail empties whole fields instead, the last one first, and keeps
	// the others whole: for hits in rank order, the best keep their text.
	tail bool
}

// fit cuts the fields of the trims, one trim after the other, until v
// encodes (as jsonResult sends it) in at most limit bytes, and reports
// whether it got there. Each trim is cut only as far as needed: the
// longest cut that fits, found by bisection. Sizes are reckoned from the
// encoded length of each field, so v is encoded only twice.
func fit(v any, limit int, trims ...trim) bool {
	size := encodedSize(v)
	if size <= limit {
		return true
	}
	for _, t := range trims {
		full := make([]string, len(t.fields))
		longest, rest := 0, size
		for i, f := range t.fields {
			full[i] = *f
			longest = max(longest, utf8.RuneCountInString(*f))
			rest -= jsonStringLen(*f)
		}
		// value is field i cut to n runes, or for a tail trim, field i
		// when the first n are kept.
		value := func(i, n int) string {
			if t.tail {
				if i < n {
					return full[i]
				}
				return ""
			}
			return cutText(full[i], n, t.floor, t.drop)
		}
		sizeAt := func(n int) int {
			total := rest
			for i := range t.fields {
				total += jsonStringLen(value(i, n))
			}
			return total
		}
		apply := func(n int) {
			for i, f := range t.fields {
				*f = value(i, n)
			}
		}
		lowest := t.floor
		switch {
		case t.tail:
			lowest, longest = 0, len(t.fields)
		case t.drop:
			lowest = 0
		}
		if lowest >= longest {
			continue // nothing in this trim can be cut
		}
		if size = sizeAt(lowest); size > limit {
			apply(lowest) // as far as this trim may cut: on to the next one
			continue
		}
		// lowest fits and longest (all the text) does not.
		good, bad := lowest, longest
		for bad-good > 1 {
			mid := (good + bad) / 2
			if sizeAt(mid) <= limit {
				good = mid
			} else {
				bad = mid
			}
		}
		apply(good)
		break
	}
	return encodedSize(v) <= limit
}

// invalidByteLen is what encoding/json writes for a byte that is not
// UTF-8, asked of the encoder itself: the escape \ufffd up to Go 1.26,
// the character U+FFFD itself from Go 1.27 on.
var invalidByteLen = func() int {
	b, _ := encode("\xff") // a string always encodes
	return len(b) - len(`""`)
}()

// jsonStringLen is the length of s encoded as a JSON string by
// encoding/json without HTML escaping: quotes, escapes and all.
func jsonStringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			case c < 0x20:
				n += 6 // \u00XX
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += invalidByteLen
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// cutText cuts s to n runes (with an ellipsis, at a word boundary when one
// is near), or empties it when n is under floor and drop is set.
func cutText(s string, n, floor int, drop bool) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < floor {
		if drop {
			return ""
		}
		n = floor
	}
	return cutLine(s, n)
}

// cutLine cuts s, which has more than n runes, to n runes ending with an
// ellipsis, at a word boundary in the last fifth when there is one (as
// oneLine does, without folding s again: fit calls it often).
func cutLine(s string, n int) string {
	if n <= 0 {
		return ""
	}
	cut, floor := n-1, n*4/5
	idx, end, space := 0, len(s), -1
	for i, r := range s {
		if r == ' ' && idx > floor {
			space = i
		}
		if idx == cut {
			end = i
			break
		}
		idx++
	}
	if space >= 0 {
		end = space
	}
	return strings.TrimRight(s[:end], " ,;:") + "…"
}
