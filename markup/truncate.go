package markup

import (
	"strings"
	"unicode/utf8"
)

// Truncate returns the part of md that starts at byte offset and holds at most maxChars
// characters (runes), cut at the cleanest boundary it can find in the second half of that
// window: a blank line, else a line end, else a sentence end, else a space, else a rune
// boundary. It never cuts inside a UTF-8 sequence, and it ends the part before a fenced code
// block rather than inside it unless the block alone is longer than the window.
//
// truncated reports whether text remains after part; next is the byte offset to pass back to
// read the rest (len(md) when nothing remains). An offset inside a rune is moved to the next
// rune start; an offset outside md is clamped. maxChars <= 0 means no limit.
func Truncate(md string, maxChars, offset int) (part string, truncated bool, next int) {
	if offset < 0 {
		offset = 0
	}
	if offset >= len(md) {
		return "", false, len(md)
	}
	for offset < len(md) && !utf8.RuneStart(md[offset]) {
		offset++
	}
	rest := md[offset:]
	if maxChars <= 0 || utf8.RuneCountInString(rest) <= maxChars {
		return rest, false, len(md)
	}

	// limit is the byte length of the first maxChars runes of rest.
	limit, n := 0, 0
	for limit < len(rest) && n < maxChars {
		_, size := utf8.DecodeRuneInString(rest[limit:])
		limit += size
		n++
	}
	window := rest[:limit]
	floor := len(window) / 2

	cut, resume := limit, limit
	switch {
	case lastIndexFrom(window, "\n\n", floor) >= 0:
		i := lastIndexFrom(window, "\n\n", floor)
		cut, resume = i, i+2
	case lastIndexFrom(window, "\n", floor) >= 0:
		i := lastIndexFrom(window, "\n", floor)
		cut, resume = i, i+1
	case lastSentenceEnd(window, floor) >= 0:
		i := lastSentenceEnd(window, floor)
		cut, resume = i+1, i+2
	case lastIndexFrom(window, " ", floor) >= 0:
		i := lastIndexFrom(window, " ", floor)
		cut, resume = i, i+1
	}
	if open := openFenceStart(rest[:cut]); open > 0 {
		// The cut falls inside a code block that starts after the part does: end the part
		// before the block instead, so code is never split when it need not be.
		cut, resume = open, open
	}
	part = strings.TrimRight(rest[:cut], " \t\n")
	if part == "" {
		// The window held only whitespace before the boundary: cut hard instead.
		part, resume = window, limit
	}
	for resume < len(rest) && rest[resume] == '\n' {
		resume++
	}
	next = offset + resume
	return part, next < len(md), next
}

// openFenceStart returns the offset of the line that opens a code fence left open at the end
// of s, or -1 when every fence in s is closed.
func openFenceStart(s string) int {
	fence, start := "", -1
	for off := 0; off < len(s); {
		end := strings.IndexByte(s[off:], '\n')
		if end < 0 {
			end = len(s) - off
		}
		marker := stripContainers(strings.TrimRight(s[off:off+end], " \t"))
		if f := fenceOf(marker); f != "" {
			switch {
			case fence == "":
				fence, start = f, off
			case len(f) >= len(fence) && f[0] == fence[0] && strings.TrimSpace(marker[len(f):]) == "":
				fence, start = "", -1
			}
		}
		off += end + 1
	}
	return start
}

// lastIndexFrom is strings.LastIndex restricted to matches starting at or after floor.
func lastIndexFrom(s, sep string, floor int) int {
	i := strings.LastIndex(s, sep)
	if i < floor {
		return -1
	}
	return i
}

// lastSentenceEnd finds the last ". ", "! " or "? " at or after floor and returns the index of
// the punctuation.
func lastSentenceEnd(s string, floor int) int {
	best := -1
	for _, sep := range []string{". ", "! ", "? "} {
		if i := strings.LastIndex(s, sep); i >= floor && i > best {
			best = i
		}
	}
	return best
}
