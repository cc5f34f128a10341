package markup

import (
	"fmt"
	"strings"
)

// newline is the line end of the page: wiki fields written from Windows keep CR LF.
func (p *page) newline() string {
	if p.crlf {
		return "\r\n"
	}
	return "\n"
}

// convertWiki writes edited markdown as wiki markup, putting back the atoms of pool.
func (p *page) convertWiki(md string, pool []int, prefer *leaf) (string, error) {
	refs := &atomRefs{}
	md, err := p.substitute(md, pool, prefer, refs)
	if err != nil {
		return "", err
	}
	out := strings.TrimRight(markdownToWiki(md, refs), "\n")
	out = refs.expand(out, func(i int) string { return refs.src[i] })
	if p.crlf {
		out = strings.ReplaceAll(out, "\n", "\r\n")
	}
	return out, nil
}

// wikiToken is the wiki markup of a placeholder an edit added: ⟦@name⟧ is a mention, any
// other ⟦…⟧ the macro tag {…}.
func wikiToken(tok string) string {
	body := strings.TrimSuffix(strings.TrimPrefix(tok, tokOpen), tokClose)
	body = strings.ReplaceAll(body, `\|`, "|")
	if who, ok := strings.CutPrefix(body, "@"); ok {
		return "[~" + strings.TrimSpace(who) + "]"
	}
	return "{" + body + "}"
}

// newWikiContainer opens and closes a "::: kind options" block the edit added.
func newWikiContainer(kind, arg, _ string) (pre, suf string, err error) {
	if !wikiBodyMacros[kind] {
		return "", "", fmt.Errorf("%w: \"::: %s\" is not in the text and cannot be created (new blocks may be ::: panel, quote)", ErrUnknownPlaceholder, kind)
	}
	open := "{" + kind
	if arg != "" {
		open += ":" + arg
	}
	return open + "}\n", "\n{" + kind + "}", nil
}

// retitleWiki returns the opening line of a wiki block with its options set to arg.
func (p *page) retitleWiki(c *container, arg string) string {
	nl := c.prefix[strings.IndexByte(c.prefix, '}')+1:]
	open := "{" + c.kind
	if arg != "" {
		open += ":" + arg
	}
	return open + "}" + nl
}

// rewriteWikiCode writes the edited code of a {code} or {noformat} block into it, keeping its
// opening tag (language and options) unless the fence's language changed.
func (p *page) rewriteWikiCode(l *leaf, md string) (string, bool) {
	doc, src := parseMarkdown(md)
	var code, lang string
	if fb, ok := doc.FirstChild().(interface {
		Language([]byte) []byte
	}); ok && doc.FirstChild().NextSibling() == nil {
		code = codeText(doc.FirstChild(), src)
		lang = strings.ToLower(strings.TrimSpace(string(fb.Language(src))))
	} else {
		return "", false
	}
	c := l.wcode
	open := c.open
	if c.name == "code" && lang != wikiCodeLanguage(c.open) {
		if wl := wikiLanguage(lang); wl != "" {
			open = "{code:" + wl + "}"
		}
	}
	body := p.src[c.bodyFrom:c.bodyTo]
	lead := body[:len(body)-len(strings.TrimLeft(body, "\r\n"))]
	trail := body[len(strings.TrimRight(body, "\r\n")):]
	if p.crlf {
		code = strings.ReplaceAll(code, "\n", "\r\n")
	}
	return p.src[l.start:c.bodyFrom-len(c.open)] + open + lead + code + trail + p.src[c.bodyTo:l.end], true
}

// patchWikiAtom applies an edit confined to one placeholder or link of a wiki leaf to it.
func (p *page) patchWikiAtom(l *leaf, md string) (string, bool) {
	a, repl, ok := p.editedAtom(l, md)
	if !ok {
		return "", false
	}
	var out string
	switch {
	case tokenPattern.FindString(repl) == repl && strings.HasPrefix(a.md, tokOpen):
		out = wikiToken(repl)
	case strings.HasPrefix(a.src, "[") && !strings.HasPrefix(a.src, "[~"):
		m := mdLinkPattern.FindStringSubmatch(repl)
		if m == nil || m[0] != repl || !plainLabel(m[1]) || !strings.HasSuffix(a.md, "]("+m[2]+")") {
			return "", false
		}
		out = "[" + escapeWiki(unescapeLabel(m[1])) + "|" + wikiLinkTarget(a.src) + "]"
	default:
		return "", false
	}
	return p.src[l.start:a.off] + out + p.src[a.off+len(a.src):l.end], true
}

// wikiLinkTarget is the target of a [label|target] or [target] link.
func wikiLinkTarget(src string) string {
	target := strings.TrimSuffix(strings.TrimPrefix(src, "["), "]")
	if _, t, ok := strings.Cut(target, "|"); ok {
		target = t
	}
	return strings.TrimSpace(target)
}

// commonEnds returns the lengths of the common prefix and, after it, the common suffix.
func commonEnds(a, b string) (pre, suf int) {
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	return pre, suf
}

// wikiText is the text of a wiki leaf for word patches: its raw bytes with its atoms blanked
// out, so a word is never found inside a link or a macro tag.
func (p *page) wikiText(l *leaf) []shownText {
	t := shownText{}
	raw := []byte(p.src[l.start:l.end])
	for _, i := range l.atoms {
		a := p.atoms[i]
		for k := a.off - l.start; k < a.off-l.start+len(a.src) && k < len(raw); k++ {
			raw[k] = 0
		}
	}
	t.text = string(raw)
	for i := range raw {
		t.offs = append(t.offs, l.start+i)
		t.ends = append(t.ends, l.start+i+1)
	}
	t.cdata = true // wiki text is written as it is
	return []shownText{t}
}

// lostWikiElements lists the elements of wiki text before that after lacks: mentions,
// images, links, macro tags, blocks and code blocks with their options.
func lostWikiElements(before, after string) []string {
	return missing(wikiFeatures(before), wikiFeatures(after))
}

func wikiFeatures(wiki string) []feature {
	p := buildWikiPage(wiki)
	var out []feature
	for _, a := range p.atoms {
		switch {
		case a.src == `\\`:
		case strings.HasPrefix(a.src, "[~"):
			out = append(out, feature{"user\x00" + a.src, "mention " + a.src})
		case strings.HasPrefix(a.src, "["):
			target := wikiLinkTarget(a.src)
			out = append(out, feature{"link\x00" + target, "link to " + target})
		case strings.HasPrefix(a.src, "!"):
			out = append(out, feature{"image\x00" + a.src, "image " + a.src})
		default:
			out = append(out, feature{"macro\x00" + a.src, "macro " + a.src})
		}
	}
	for _, c := range p.conts {
		out = append(out, feature{"block\x00" + c.kind, "{" + c.kind + "} block"})
	}
	for _, l := range p.leaves {
		if l.wcode != nil {
			out = append(out, feature{"code\x00" + l.wcode.open, l.wcode.open + " block"})
		}
	}
	return out
}

// keepWikiQuote writes a one-line quote that was "bq. …" in that form again (MarkdownToWiki
// writes every quote as a {quote} block).
func (p *page) keepWikiQuote(l *leaf, out string) string {
	if !strings.HasPrefix(strings.TrimLeft(p.src[l.start:l.end], " \t"), "bq. ") {
		return out
	}
	nl := p.newline()
	body, ok := strings.CutPrefix(out, "{quote}"+nl)
	if !ok {
		return out
	}
	body, ok = strings.CutSuffix(body, nl+"{quote}")
	if !ok || strings.Contains(body, "\n") {
		return out
	}
	return "bq. " + body
}
