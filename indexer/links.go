package indexer

import (
	"regexp"
	"strings"
)

// linkTarget matches the destination part of a markdown link or image,
// "](…)", allowing one level of parentheses inside it.
var linkTarget = regexp.MustCompile(`\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+"[^"]*")?\)`)

// plainLinks drops the destinations of markdown links and images outside
// code blocks, keeping their text: "[Foreign keys](https://wiki/…)" becomes
// "[Foreign keys]". A URL says where a link goes, not what the text is
// about; embedded, its host, port and path words are noise that differs
// between servers (and would make the same page embed differently behind
// another base URL).
func plainLinks(md string) string {
	if !strings.Contains(md, "](") {
		return md
	}
	var b strings.Builder
	b.Grow(len(md))
	fence := ""
	for line := range strings.Lines(md) {
		trimmed := strings.TrimLeft(line, " ")
		if fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")) {
			fence = trimmed[:3]
		} else if fence != "" && strings.HasPrefix(trimmed, fence) {
			fence = ""
		} else if fence == "" && strings.Contains(line, "](") {
			line = linkTarget.ReplaceAllString(line, "]")
		}
		b.WriteString(line)
	}
	return b.String()
}
