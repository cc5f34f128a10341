package markup

import (
	"strings"
	"unicode/utf8"
)

// Clean strips characters a reader cannot see but a model still reads: zero-width and bidi
// control characters (U+200B–U+200F, U+202A–U+202E, U+2060–U+2064, U+2066–U+2069, U+FEFF,
// U+00AD), C0 controls other than newline and tab, DEL and C1 controls. Carriage returns become
// newlines and invalid UTF-8 becomes U+FFFD. A zero-width joiner between two pictographs is
// kept, because it is part of an emoji sequence rather than hidden text.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	b.Grow(len(s))
	prev := rune(0)
	for i, r := range s {
		switch {
		case r == '\r':
			b.WriteByte('\n')
		case r == 0x200D:
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			if isPictograph(prev) && isPictograph(next) {
				b.WriteRune(r)
			}
		case isInvisible(r):
			// dropped
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

// isClean reports whether Clean would return s unchanged, so the common case costs one scan
// and no allocation.
func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				return false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if isInvisible(r) || r == 0x200D {
			return false
		}
		i += size - 1
	}
	return true
}

func isInvisible(r rune) bool {
	switch {
	case r < 0x20:
		return r != '\n' && r != '\t'
	case r < 0x7f:
		return false
	case r <= 0x9f:
		return true // DEL and C1 controls
	case r == 0xAD, r == 0xFEFF:
		return true
	case r == 0xFFFE, r == 0xFFFF:
		return true // noncharacters XML forbids, like the controls
	case r >= 0x200B && r <= 0x200F:
		return true
	case r >= 0x202A && r <= 0x202E:
		return true
	case r >= 0x2060 && r <= 0x2064:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// isPictograph is a coarse test for the runes that emoji ZWJ sequences join: the symbol and
// pictograph blocks, plus the variation selector that often precedes the joiner.
func isPictograph(r rune) bool {
	return (r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) || r == 0xFE0F ||
		(r >= 0x2300 && r <= 0x23FF) || r == 0x2640 || r == 0x2642
}
