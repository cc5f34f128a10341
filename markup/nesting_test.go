package markup

import (
	"strings"
	"testing"
)

// TestDeepNestingBounded: lists and quotes nested past maxOutputNesting keep all their words
// but no longer indent, so the markdown stays about as long as the text.
func TestDeepNestingBounded(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		html     bool
	}{
		{"storage list", strings.Repeat("<ul><li>level ", 5000) + "deepestword" + strings.Repeat("</li></ul>", 5000), false},
		{"storage ordered in quote", strings.Repeat("<blockquote><ol><li>step ", 2000) + "deepestword" + strings.Repeat("</li></ol></blockquote>", 2000), false},
		{"html list", strings.Repeat("<ul><li>level ", 400) + "deepestword" + strings.Repeat("</li></ul>", 400), true},
		{"html quote", strings.Repeat("<blockquote>q ", 400) + "deepestword" + strings.Repeat("</blockquote>", 400), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			convert := StorageToMarkdown
			if tc.html {
				convert = HTMLToMarkdown
			}
			md, err := convert(tc.in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(md, "deepestword") {
				t.Errorf("the deepest word is lost:\n%.500s", md)
			}
			if words := len(strings.Fields(stripTags(tc.in))); len(md) > 12*words+2000 {
				t.Errorf("%d bytes of markdown for %d words: the nesting still indents", len(md), words)
			}
		})
	}

	// Up to the limit, nesting is kept as it is.
	in := strings.Repeat("<ul><li>x", maxOutputNesting) + strings.Repeat("</li></ul>", maxOutputNesting)
	md, err := StorageToMarkdown(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(md), "\n")
	last := lines[len(lines)-1]
	if got := len(last) - len(strings.TrimLeft(last, " ")); got < 2*(maxOutputNesting-1) {
		t.Errorf("a list %d deep is indented %d at its deepest item:\n%s", maxOutputNesting, got, md)
	}
}

// stripTags drops everything between < and >.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}
