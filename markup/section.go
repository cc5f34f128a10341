package markup

import (
	"fmt"
	"strings"
)

// SectionMarkdown returns the editable markdown of one section of a page: the first heading
// whose text is heading (case and emphasis ignored) and everything under it up to the next
// heading of the same or a higher level. Pass the edited result to ApplyMarkdown with
// ApplyOptions.Section set to the same heading.
func SectionMarkdown(storage, heading string, opts Options) (string, error) {
	p := buildPage(storage, opts)
	from, to, err := p.section(heading)
	if err != nil {
		return "", err
	}
	return joinChunks(p.chunks[from:to]), nil
}

// section finds the chunks [from, to) of the section under heading.
func (p *page) section(heading string) (from, to int, err error) {
	want := headingKey(heading)
	from = -1
	level := 0
	for i, c := range p.chunks {
		if c.leaf == nil {
			continue
		}
		if s := chunkShape(c.md); s[0] == 'h' && len(s) == 2 && headingKey(strings.TrimLeft(c.md, "#")) == want {
			from, level = i, int(s[1]-'0')
			break
		}
	}
	if from < 0 {
		return 0, 0, fmt.Errorf("%w: no heading %q on the page", ErrNoSection, heading)
	}
	depth := 0
	for to = from + 1; to < len(p.chunks); to++ {
		c := p.chunks[to]
		switch {
		case c.open != nil:
			depth++
		case c.close != nil:
			depth--
		}
		if depth < 0 {
			break
		}
		if s := chunkShape(c.md); c.leaf != nil && depth == 0 && s[0] == 'h' && len(s) == 2 && int(s[1]-'0') <= level {
			break
		}
	}
	// Markers of blocks that open inside the section and close after it stay outside.
	for depth > 0 && to > from+1 {
		to--
		if c := p.chunks[to]; c.open != nil {
			depth--
		}
	}
	return from, to, nil
}

// spliceSection returns the page's markdown with the section under heading replaced by md.
// When md does not start with a heading, the section's heading is kept.
func (p *page) spliceSection(heading, md string) (string, error) {
	from, to, err := p.section(heading)
	if err != nil {
		return "", err
	}
	sub := splitChunks(md)
	if len(sub) == 0 || chunkShape(sub[0])[0] != 'h' || len(chunkShape(sub[0])) != 2 {
		sub = append([]string{p.chunks[from].md}, sub...)
	}
	var all []string
	for _, c := range p.chunks[:from] {
		all = append(all, c.md)
	}
	all = append(all, sub...)
	for _, c := range p.chunks[to:] {
		all = append(all, c.md)
	}
	return strings.Join(all, "\n\n") + "\n", nil
}

// headingKey is a heading's text for comparison: without the emphasis and escapes markdown
// adds, white space collapsed, lower case.
func headingKey(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '*', '_', '`', '\\':
			return -1
		}
		return r
	}, s)
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func joinChunks(cs []chunk) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			if c.leaf == nil || cs[i-1].leaf == nil {
				b.WriteString("\n")
			} else {
				b.WriteString("\n\n")
			}
		}
		b.WriteString(c.md)
	}
	if b.Len() > 0 {
		b.WriteByte('\n')
	}
	return b.String()
}
