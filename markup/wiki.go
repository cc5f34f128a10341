package markup

import (
	"regexp"
	"strings"
)

// EditableWiki renders Jira wiki markup (the raw text of a description or comment) as
// markdown that ApplyWiki can write back without loss. Emphasis, headings, lists, tables,
// links, images, quotes and code read as markdown; what markdown cannot say is a placeholder:
// {color:red} is ⟦color:red⟧ and its end ⟦color⟧, any other {macro} is ⟦macro⟧, a mention
// [~jsmith] is ⟦@jsmith⟧. A {panel}, {quote} or other macro whose start and end tags stand on
// lines of their own is a "::: panel options" … ":::" block with editable content; {code} and
// {noformat} are fenced code blocks. Images and links keep their options and targets through
// an edit when their markdown is left as it is.
func EditableWiki(wiki string) string {
	return buildWikiPage(wiki).markdown()
}

// ApplyWiki writes an edit of EditableWiki's markdown back into wiki markup: current is the
// field's raw wiki text now, submitted the edited markdown. Unchanged blocks keep their bytes,
// word edits are patched into the text they came from, and changed blocks are converted with
// MarkdownToWiki, their placeholders, links and images put back. A result that lacks an
// element current has (a mention, image, link, colour, macro, panel, code block with its
// options) fails with a *LossError unless opts.AllowLoss is set; opts.Section works as for
// ApplyMarkdown. The embedded Options are not used.
func ApplyWiki(current, submitted string, opts ApplyOptions) (string, error) {
	return applyTo(buildWikiPage(current), current, submitted, opts)
}

// wikiCode is a {code} or {noformat} leaf: its opening tag and body.
type wikiCode struct {
	name             string // "code" or "noformat"
	open             string // "{code:java|title=X}"
	bodyFrom, bodyTo int
}

var (
	wikiHeading  = regexp.MustCompile(`^h([1-6])\.\s`)
	wikiListLine = regexp.MustCompile(`^\s*[*#-]+\s`)
	wikiBlockTag = regexp.MustCompile(`^\{([a-zA-Z][a-zA-Z0-9-]*)(:[^{}]*)?\}\s*$`)
	wikiCodeOpen = regexp.MustCompile(`^\{(code|noformat)(:[^{}]*)?\}`)
)

func buildWikiPage(wiki string) *page {
	p := &page{src: wiki, wiki: true, crlf: strings.Contains(wiki, "\r\n")}
	p.root = &container{}
	lines := wikiLines(wiki)
	p.segmentWiki(p.root, lines, 0, len(wiki))
	return p
}

// wikiLine is a line of the source without its line end.
type wikiLine struct{ start, end int }

func wikiLines(s string) []wikiLine {
	var out []wikiLine
	for at := 0; at < len(s); {
		i := strings.IndexByte(s[at:], '\n')
		next := len(s)
		end := len(s)
		if i >= 0 {
			end, next = at+i, at+i+1
		}
		if end > at && s[end-1] == '\r' {
			end--
		}
		out = append(out, wikiLine{at, end})
		at = next
	}
	return out
}

// segmentWiki splits lines (the content of c, from offset from to offset to) into leaves and
// containers.
func (p *page) segmentWiki(c *container, lines []wikiLine, from, to int) {
	s := p.src
	glue := from
	text := func(l wikiLine) string { return s[l.start:l.end] }
	blank := func(l wikiLine) bool { return strings.TrimSpace(text(l)) == "" }
	for i := 0; i < len(lines); {
		ln := lines[i]
		t := text(ln)
		if blank(ln) {
			i++
			continue
		}
		// {code} and {noformat}: up to their closing tag.
		if m := wikiCodeOpen.FindStringSubmatchIndex(strings.TrimLeft(t, " \t")); m != nil {
			name := t[len(t)-len(strings.TrimLeft(t, " \t"))+m[2] : len(t)-len(strings.TrimLeft(t, " \t"))+m[3]]
			openEnd := ln.start + len(t) - len(strings.TrimLeft(t, " \t")) + m[1]
			closeTag := "{" + name + "}"
			if k := strings.Index(s[openEnd:to], closeTag); k >= 0 {
				bodyTo := openEnd + k
				end := bodyTo + len(closeTag)
				j := i
				for j < len(lines) && lines[j].start <= end {
					j++
				}
				lastEnd := lines[j-1].end
				if strings.TrimSpace(s[end:lastEnd]) == "" {
					l := &leaf{start: lines[i].start, end: end, parent: c,
						wcode: &wikiCode{name: name, open: s[openEnd-(m[1]-m[0]) : openEnd], bodyFrom: openEnd, bodyTo: bodyTo}}
					l.md = p.wikiFence(l.wcode)
					p.attach(c, l, glue, len(p.atoms))
					glue = end
					i = j
					continue
				}
			}
		}
		// A block macro whose tags stand alone on their lines: a container.
		if m := wikiBlockTag.FindStringSubmatch(strings.TrimSpace(t)); m != nil && wikiBodyMacros[strings.ToLower(m[1])] {
			closeTag := "{" + m[1] + "}"
			depth := 0
			for j := i + 1; j < len(lines); j++ {
				tj := strings.TrimSpace(text(lines[j]))
				if mj := wikiBlockTag.FindStringSubmatch(tj); mj != nil && mj[1] == m[1] && mj[2] != "" {
					depth++
				}
				if tj == closeTag {
					if depth > 0 {
						depth--
						continue
					}
					arg := strings.TrimPrefix(m[2], ":")
					sub := &container{kind: strings.ToLower(m[1]), arg: arg, parent: c}
					sub.glue = s[glue:ln.start]
					contentFrom := lines[i+1].start
					if i+1 == j {
						contentFrom = lines[j].start
					}
					sub.prefix = s[ln.start:contentFrom]
					c.items = append(c.items, sub)
					p.conts = append(p.conts, sub)
					sub.openChunk = len(p.chunks)
					p.chunks = append(p.chunks, chunk{md: sub.marker(), open: sub})
					p.segmentWiki(sub, lines[i+1:j], contentFrom, lines[j].start)
					sub.suffix += s[lines[j].start:lines[j].end]
					p.chunks = append(p.chunks, chunk{md: fenceMark, close: sub})
					glue = lines[j].end
					i = j + 1
					goto next
				}
			}
		}
		{
			// A leaf: a heading, a quote line or a rule alone; a list, a table or a
			// paragraph up to a blank line or a block of another kind.
			j := i + 1
			kind := wikiLineKind(t)
			if kind == "p" || kind == "list" || kind == "table" {
				for j < len(lines) && !blank(lines[j]) {
					k := wikiLineKind(text(lines[j]))
					if k == "h" || k == "bq" || k == "hr" || k == "code" || k == "block" ||
						(k != kind && !(kind == "list" && k == "p")) {
						break
					}
					j++
				}
			}
			l := &leaf{start: ln.start, end: lines[j-1].end, parent: c}
			firstAtom := len(p.atoms)
			p.renderWikiLeaf(l, kind)
			if l.md != "" {
				p.attach(c, l, glue, firstAtom)
				glue = l.end
			} else {
				p.atoms = p.atoms[:firstAtom]
			}
			i = j
		}
	next:
	}
	c.suffix = s[glue:to] + c.suffix
}

// wikiBodyMacros are the macros whose start and end tags enclose wiki content; any other
// tag ({toc}, {anchor:x}) stands alone, however often it repeats.
var wikiBodyMacros = map[string]bool{
	"panel": true, "quote": true, "info": true, "note": true, "tip": true, "warning": true,
	"section": true, "column": true, "expand": true,
}

// wikiLineKind classifies a line by what it starts.
func wikiLineKind(t string) string {
	tt := strings.TrimLeft(t, " \t")
	switch {
	case wikiHeading.MatchString(tt):
		return "h"
	case strings.HasPrefix(tt, "bq. "):
		return "bq"
	case strings.TrimSpace(tt) == "----":
		return "hr"
	case wikiCodeOpen.MatchString(tt):
		return "code"
	case wikiBlockTag.MatchString(strings.TrimSpace(tt)) && wikiBodyMacros[strings.ToLower(wikiBlockTag.FindStringSubmatch(strings.TrimSpace(tt))[1])]:
		return "block"
	case strings.HasPrefix(tt, "|"):
		return "table"
	case wikiListLine.MatchString(t):
		return "list"
	}
	return "p"
}

// wikiFence renders a {code} or {noformat} block as a fenced block: the info string is the
// code's language, or "noformat".
func (p *page) wikiFence(c *wikiCode) string {
	body := strings.Trim(strings.ReplaceAll(p.src[c.bodyFrom:c.bodyTo], "\r\n", "\n"), "\n")
	body = strings.ReplaceAll(Clean(body), "\uF002", "")
	info := c.name
	if c.name == "code" {
		info = wikiCodeLanguage(c.open)
	}
	fence := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	return fence + info + "\n" + body + "\n" + fence
}

// wikiCodeLanguage is the language of a {code:…} tag: its first option without "=".
func wikiCodeLanguage(open string) string {
	opts := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(open, "{code"), ":"), "}")
	for _, o := range strings.Split(opts, "|") {
		if o = strings.TrimSpace(o); o != "" && !strings.Contains(o, "=") {
			return strings.ToLower(o)
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(o), "language="); ok {
			return strings.ToLower(v)
		}
	}
	return ""
}

// renderWikiLeaf writes the markdown of a leaf of the given kind, registering its atoms.
func (p *page) renderWikiLeaf(l *leaf, kind string) {
	s := p.src
	lines := wikiLines(s[l.start:l.end])
	var out []string
	for _, ln := range lines {
		from, to := l.start+ln.start, l.start+ln.end
		t := s[from:to]
		switch kind {
		case "h":
			m := wikiHeading.FindStringSubmatchIndex(strings.TrimLeft(t, " \t"))
			lead := len(t) - len(strings.TrimLeft(t, " \t"))
			level := int(t[lead+m[2]] - '0')
			out = append(out, strings.Repeat("#", level)+" "+p.wikiInline(from+lead+m[1], to))
		case "bq":
			lead := len(t) - len(strings.TrimLeft(t, " \t"))
			out = append(out, "> "+p.wikiInline(from+lead+4, to))
		case "hr":
			out = append(out, "---")
		case "table":
			out = append(out, p.wikiTableRow(from, to))
			if len(out) == 1 {
				out = append(out, tableRule(out[0]))
			}
		case "list":
			if m := wikiListLine.FindStringIndex(t); m != nil {
				marks := strings.TrimSpace(t[:m[1]])
				indent := strings.Repeat("  ", len(marks)-1)
				bullet := "- "
				if marks[len(marks)-1] == '#' {
					bullet = "1. "
				}
				out = append(out, indent+bullet+p.wikiInline(from+m[1], to))
			} else {
				out = append(out, "  "+p.wikiInline(from, to))
			}
		default:
			line := p.wikiInline(from, to)
			if len(out) == 0 {
				line = escapeBlockStart(line)
			}
			out = append(out, line)
		}
	}
	l.md = finishLeaf(strings.Join(out, "\n"))
}

// escapeBlockStart escapes what would make a paragraph's first line another block.
func escapeBlockStart(s string) string {
	switch {
	case s == "":
		return s
	case strings.HasPrefix(s, ">"), strings.HasPrefix(s, "#"), strings.HasPrefix(s, "+ "),
		strings.HasPrefix(s, "- "), strings.HasPrefix(s, "="):
		return `\` + s
	case isListLine(s):
		i := strings.IndexAny(s, ".)")
		return s[:i] + `\` + s[i:]
	}
	return s
}

// wikiTableRow renders "||head||head||" or "|cell|cell|" as a markdown table row.
func (p *page) wikiTableRow(from, to int) string {
	s := p.src
	t := s[from:to]
	lead := len(t) - len(strings.TrimLeft(t, " \t"))
	at := from + lead
	var cells []string
	for at < to {
		for at < to && s[at] == '|' {
			at++
		}
		if at >= to {
			break
		}
		end := wikiCellEnd(s, at, to)
		cells = append(cells, strings.TrimSpace(p.wikiInline(at, end)))
		at = end
	}
	return "| " + strings.Join(cells, " | ") + " |"
}

// wikiCellEnd finds the "|" that ends a cell, skipping those inside [links] and !images!.
func wikiCellEnd(s string, at, to int) int {
	depth := 0
	for i := at; i < to; i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case '|':
			if depth == 0 {
				return i
			}
		}
	}
	return to
}

func tableRule(header string) string {
	n := strings.Count(header, " | ") + 1
	return "|" + strings.Repeat("---|", n)
}

// wikiInline renders the wiki text s[from:to] as inline markdown, registering atoms.
func (p *page) wikiInline(from, to int) string {
	s := p.src
	var b strings.Builder
	atom := func(md string, start, end int) {
		md = atomLine(md)
		p.atoms = append(p.atoms, piece{md: rawEscaper.Replace(md), src: s[start:end], off: start})
		b.WriteString(rawEscaper.Replace(md))
	}
	for i := from; i < to; {
		c := s[i]
		switch {
		case c == '\\' && i+1 < to && s[i+1] == '\\':
			atom("<br>", i, i+2)
			i += 2
			continue
		case c == '\\' && i+1 < to:
			b.WriteString(mdEscapeText(s[i+1 : i+2]))
			i += 2
			continue
		case c == '{' && strings.HasPrefix(s[i:to], "{{"):
			if k := strings.Index(s[i+2:to], "}}"); k > 0 {
				code := s[i+2 : i+2+k]
				fence := strings.Repeat("`", longestRun(code, '`')+1)
				pad := ""
				if strings.HasPrefix(code, "`") || strings.HasSuffix(code, "`") {
					pad = " "
				}
				b.WriteString(fence + pad + code + pad + fence)
				i += 2 + k + 2
				continue
			}
		case c == '{':
			if k := strings.IndexByte(s[i:to], '}'); k > 1 && !strings.ContainsAny(s[i+1:i+k], "{\n") {
				atom(tokOpen+tokenText(s[i+1:i+k])+tokClose, i, i+k+1)
				i += k + 1
				continue
			}
		case c == '[':
			if k := strings.IndexByte(s[i:to], ']'); k > 1 && !strings.ContainsAny(s[i+1:i+k], "[\n") {
				inner := s[i+1 : i+k]
				if who, ok := strings.CutPrefix(inner, "~"); ok {
					atom(tokOpen+"@"+tokenText(who)+tokClose, i, i+k+1)
				} else {
					label, target, found := strings.Cut(inner, "|")
					if !found {
						target = label
						label = strings.TrimLeft(label, "^#")
					}
					atom("["+escapeLabel(strings.TrimSpace(label))+"]("+escapeDest(strings.TrimSpace(target))+")", i, i+k+1)
				}
				i += k + 1
				continue
			}
		case c == '!' && (i == from || !isWordByte(s[i-1])):
			if k := strings.IndexByte(s[i+1:to], '!'); k > 0 && !strings.ContainsAny(s[i+1:i+1+k], " \t") {
				src, _, _ := strings.Cut(s[i+1:i+1+k], "|")
				atom("!["+escapeLabel(src[strings.LastIndex(src, "/")+1:])+"]("+escapeDest(src)+")", i, i+k+2)
				i += k + 2
				continue
			}
		case strings.IndexByte("*_-+^~", c) >= 0 && (i == from || !isWordByte(s[i-1])) && i+1 < to && s[i+1] != ' ':
			if end := wikiSpanEnd(s, i, to); end > 0 {
				inner := p.wikiInline(i+1, end)
				open, close := wikiSpanMarks(c)
				b.WriteString(open + inner + close)
				i = end + 1
				continue
			}
		}
		if c < 0x80 {
			b.WriteString(mdEscapeText(s[i : i+1]))
			i++
			continue
		}
		r, size := decodeRune(s[i:to])
		if r == '⟦' {
			b.WriteString(escapedTok)
		} else if !isInvisible(r) && !(r >= 0xE000 && r <= 0xE01F) {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// wikiSpanEnd finds the mark that closes the span opened at s[i]: the same character, after a
// non-space and before a boundary, on the same line.
func wikiSpanEnd(s string, i, to int) int {
	c := s[i]
	for j := i + 2; j < to; j++ {
		if s[j] == '\n' {
			return -1
		}
		if s[j] == c && s[j-1] != ' ' && s[j-1] != '\\' && (j+1 == to || !isWordByte(s[j+1])) {
			return j
		}
	}
	return -1
}

func wikiSpanMarks(c byte) (string, string) {
	switch c {
	case '*':
		return "**", "**"
	case '_':
		return "*", "*"
	case '-':
		return "~~", "~~"
	case '+':
		return "<u>", "</u>"
	case '^':
		return "<sup>", "</sup>"
	}
	return "<sub>", "</sub>"
}

// mdEscapeText escapes an ASCII character markdown would read as syntax.
func mdEscapeText(c string) string {
	if strings.Contains("\\`*_[]<>#|~!", c) {
		return `\` + c
	}
	return c
}
