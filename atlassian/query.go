package atlassian

import (
	"strings"
	"unicode"
)

// Quote returns s as a double-quoted CQL or JQL string literal, with
// backslashes and quotes escaped. Use it for every value taken from a user
// or a model; never paste text into a query.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r) || isNonCharacter(r):
			// dropped: the parsers reject control characters, and JQL
			// counts the Unicode noncharacters among them
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// isNonCharacter reports the Unicode noncharacters U+FDD0–U+FDEF and
// U+xxFFFE/U+xxFFFF of every plane.
func isNonCharacter(r rune) bool {
	return r >= 0xFDD0 && r <= 0xFDEF || r&0xFFFE == 0xFFFE
}

// luceneReserved are the characters that a text ~ clause hands to the
// Lucene query parser of both products, where they mean operators.
const luceneReserved = `+-&|!(){}[]^"~*?:\/`

// TextQuery turns free words into the value of a `text ~` clause that
// matches pages or issues containing those words: Lucene operators and
// reserved words are removed, at most maxTerms words are kept, and the
// result is quoted with Quote. It returns "" when no word is left.
func TextQuery(words string, maxTerms int) string {
	fields := strings.FieldsFunc(words, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(luceneReserved, r) || unicode.IsControl(r) || isNonCharacter(r)
	})
	var kept []string
	for _, f := range fields {
		switch f {
		case "AND", "OR", "NOT", "TO":
			f = strings.ToLower(f)
		}
		kept = append(kept, f)
		if maxTerms > 0 && len(kept) == maxTerms {
			break
		}
	}
	if len(kept) == 0 {
		return ""
	}
	return Quote(strings.Join(kept, " "))
}
