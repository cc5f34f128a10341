package mcp

import (
	"unicode/utf8"
)

// The answers that list hits (confluence_search_pages, jira_search_issues,
// semantic_search, find_similar_issues) have a byte budget, so that ten
// hits cost at most 1,600 bytes of tool output whatever the titles and
// excerpts are like (issue 3). Identifiers, dates and URLs are kept whole;
// the text of the hits shares what is left, cut by fit.

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
}

// fit cuts the fields of the trims, one trim after the other, until size()
// is at most limit, and reports whether it got there. Each trim is cut only
// as far as needed: the longest cut that fits, found by bisection. size
// must measure the answer as it will be sent (its encoded length).
func fit(size func() int, limit int, trims ...trim) bool {
	if size() <= limit {
		return true
	}
	for _, t := range trims {
		full := make([]string, len(t.fields))
		longest := 0
		for i, f := range t.fields {
			full[i] = *f
			longest = max(longest, utf8.RuneCountInString(*f))
		}
		apply := func(n int) {
			for i, f := range t.fields {
				*f = cutText(full[i], n, t.floor, t.drop)
			}
		}
		lowest := t.floor
		if t.drop {
			lowest = 0
		}
		if lowest >= longest {
			continue // nothing in this trim can be cut
		}
		apply(lowest)
		if size() > limit {
			continue // cut as far as allowed: on to the next trim
		}
		// lowest fits and longest (the full text) does not.
		good, bad := lowest, longest
		for bad-good > 1 {
			mid := (good + bad) / 2
			apply(mid)
			if size() <= limit {
				good = mid
			} else {
				bad = mid
			}
		}
		apply(good)
		return true
	}
	return size() <= limit
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
	if n <= 0 {
		return ""
	}
	return oneLine(s, n)
}
