package markup

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
)

// atomRefs are the atoms an edited block refers to. In the markdown being converted each
// atom found is replaced by a reference, atomOpenRune + hex digits + atomEndRune, which
// goldmark reads as text; the storage writer keeps references in text and they are expanded
// to the atom's bytes after the output was checked, while code and attributes get the atom's
// markdown back.
type atomRefs struct {
	src   []string // storage bytes of reference i
	md    []string // its markdown
	block []bool   // it may stand alone in place of a paragraph
}

func (r *atomRefs) add(src, md string, block bool) string {
	r.src = append(r.src, src)
	r.md = append(r.md, md)
	r.block = append(r.block, block)
	return refString(len(r.src) - 1)
}

func refString(i int) string {
	var b strings.Builder
	b.WriteRune(atomOpenRune)
	for _, d := range strconv.FormatInt(int64(i), 16) {
		v := d - '0'
		if d >= 'a' {
			v = d - 'a' + 10
		}
		b.WriteRune(atomDigit0 + v)
	}
	b.WriteRune(atomEndRune)
	return b.String()
}

// expand replaces the references in s with fn(i), and marked literal brackets with ⟦.
func (r *atomRefs) expand(s string, fn func(int) string) string {
	if !strings.ContainsAny(s, string([]rune{atomOpenRune, litTokRune})) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c, size := decodeRune(s[i:])
		switch {
		case c == litTokRune:
			b.WriteString(tokOpen)
			i += size
		case c == atomOpenRune:
			j := i + size
			n := 0
			ok := false
			for j < len(s) {
				d, dsz := decodeRune(s[j:])
				j += dsz
				if d == atomEndRune {
					ok = true
					break
				}
				if d < atomDigit0 || d > atomDigit0+15 {
					break
				}
				n = n*16 + int(d-atomDigit0)
			}
			if ok && n < len(r.src) {
				b.WriteString(fn(n))
			}
			i = j
		default:
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	return b.String()
}

// text resolves references to the atoms' markdown, for code and attributes.
func (r *atomRefs) text(s string) string {
	return r.expand(s, func(i int) string { return strings.ReplaceAll(r.md[i], `\|`, "|") })
}

// blockParagraph reports a paragraph that holds nothing but one reference to a block atom,
// such as a macro that stood alone: it is written without a <p> around it.
func (r *atomRefs) blockParagraph(n *ast.Paragraph, src []byte) bool {
	if n.Lines().Len() != 1 {
		return false
	}
	v := bytes.TrimSpace(n.Lines().Value(src))
	found := -1
	rest := r.expand(string(v), func(i int) string {
		if found == -1 {
			found = i
		} else {
			found = -2
		}
		return ""
	})
	return found >= 0 && rest == "" && r.block[found]
}

func decodeRune(s string) (rune, int) {
	for i, r := range s {
		if i == 0 {
			size := len(string(r))
			if r == '\uFFFD' && !strings.HasPrefix(s, "\uFFFD") {
				size = 1
			}
			return r, size
		}
	}
	return 0, 1
}

// convert writes edited markdown as storage, putting back the atoms of pool (indexes into
// p.atoms, best candidates first) wherever their markdown still appears, and creating the
// placeholders of pool's kinds that the edit added.
func (p *page) convert(md string, pool []int, prefer *leaf) (string, error) {
	if p.wiki {
		return p.convertWiki(md, pool, prefer)
	}
	refs := &atomRefs{}
	md, err := p.substitute(md, pool, prefer, refs)
	if err != nil {
		return "", err
	}
	doc, src := parseMarkdown(md)
	w := &storageWriter{src: src, opts: p.opts, refs: refs, taskID: p.maxTaskID()}
	w.blocks(doc)
	out := w.b.String()
	if err := checkWellFormed(out); err != nil {
		return "", fmt.Errorf("markup: apply markdown: %w", err)
	}
	return refs.expand(out, func(i int) string { return refs.src[i] }), nil
}

// maxTaskID is the highest numeric task id of the page, so that tasks an edit adds get new ids.
func (p *page) maxTaskID() int {
	best := 0
	var walk func(*xnode)
	walk = func(n *xnode) {
		for _, c := range n.children {
			if c.isElement("ac:task-id") {
				if v, err := strconv.Atoi(strings.TrimSpace(textBelow(p.src, c))); err == nil && v > best {
					best = v
				}
			}
			walk(c)
		}
	}
	walk(parseX(p.src))
	return best
}

// substitute replaces, in md, the atoms of pool it shows and the placeholders it adds with
// references, and escaped brackets with their mark.
func (p *page) substitute(md string, pool []int, prefer *leaf, refs *atomRefs) (string, error) {
	md = strings.ReplaceAll(md, escapedTok, string(litTokRune))
	type span struct {
		start, end int
		ref        string
	}
	var spans []span
	covered := func(s, e int) bool {
		for _, sp := range spans {
			if s < sp.end && e > sp.start {
				return true
			}
		}
		return false
	}
	// Candidates per markdown text, in pool order; longer texts first, so a link is found
	// before a token inside its label.
	byMD := map[string][]int{}
	var texts []string
	for _, i := range pool {
		at := &p.atoms[i]
		if at.used || at.md == "" {
			continue
		}
		if _, ok := byMD[at.md]; !ok {
			texts = append(texts, at.md)
		}
		byMD[at.md] = append(byMD[at.md], i)
	}
	sort.SliceStable(texts, func(i, j int) bool { return len(texts[i]) > len(texts[j]) })
	for _, t := range texts {
		cands := byMD[t]
		for from := 0; len(cands) > 0; {
			k := strings.Index(md[from:], t)
			if k < 0 {
				break
			}
			s, e := from+k, from+k+len(t)
			from = e
			if covered(s, e) {
				continue
			}
			at := &p.atoms[cands[0]]
			cands = cands[1:]
			at.used = true
			block := at.node != nil && len(at.leaf.nodes) == 1 && at.leaf.nodes[0] == at.node
			spans = append(spans, span{s, e, refs.add(at.src, at.md, block)})
		}
	}
	// A link or placeholder of the leaf whose text the edit changed keeps its target.
	if prefer != nil && !p.wiki {
		for _, m := range mdLinkPattern.FindAllStringSubmatchIndex(md, -1) {
			if covered(m[0], m[1]) {
				continue
			}
			label, dest := md[m[2]:m[3]], md[m[4]:m[5]]
			if i := p.leafAtom(pool, prefer, func(at *piece) bool {
				return at.node.name == "ac:link" && strings.HasSuffix(at.md, "]("+dest+")")
			}); i >= 0 && plainLabel(label) {
				at := &p.atoms[i]
				at.used = true
				spans = append(spans, span{m[0], m[1], refs.add(p.relabel(at.node, unescapeLabel(label)), md[m[0]:m[1]], false)})
			}
		}
	}
	for _, m := range tokenPattern.FindAllStringIndex(md, -1) {
		if covered(m[0], m[1]) || prefer == nil || p.wiki {
			continue
		}
		tok := md[m[0]:m[1]]
		kind, detail, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(tok, tokOpen), tokClose), ":")
		i := p.leafAtom(pool, prefer, func(at *piece) bool { return strings.HasPrefix(at.md, tokOpen+kind+":") })
		if i < 0 {
			continue
		}
		if xml, ok := p.modify(&p.atoms[i], kind, strings.ReplaceAll(detail, `\|`, "|")); ok {
			p.atoms[i].used = true
			spans = append(spans, span{m[0], m[1], refs.add(xml, tok, false)})
		}
	}
	// Placeholders the page did not have: create the kinds that can be created.
	for _, m := range tokenPattern.FindAllStringIndex(md, -1) {
		if covered(m[0], m[1]) {
			continue
		}
		tok := md[m[0]:m[1]]
		if p.wiki {
			spans = append(spans, span{m[0], m[1], refs.add(wikiToken(tok), tok, false)})
			continue
		}
		xml, block, err := newTokenXML(tok)
		if err != nil {
			return "", err
		}
		spans = append(spans, span{m[0], m[1], refs.add(xml, tok, block)})
	}
	if len(spans) == 0 {
		return md, nil
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		b.WriteString(md[last:sp.start])
		b.WriteString(sp.ref)
		last = sp.end
	}
	b.WriteString(md[last:])
	return b.String(), nil
}

// leafAtom returns the first unused atom of pool that belongs to l and satisfies ok, or -1.
func (p *page) leafAtom(pool []int, l *leaf, ok func(*piece) bool) int {
	for _, i := range pool {
		if at := &p.atoms[i]; !at.used && at.leaf == l && ok(at) {
			return i
		}
	}
	return -1
}

// mdLinkPattern finds inline links: [label](destination).
var mdLinkPattern = regexp.MustCompile(`\[((?:[^\[\]\\\n]|\\.)*)\]\(([^()\s]+|<[^<>\n]*>)\)`)

// plainLabel reports a link label without markdown other than backslash escapes.
func plainLabel(s string) bool {
	return !strings.ContainsAny(unescapeLabel(s), "`*_<>[]⟦⟧") && !strings.ContainsRune(s, atomOpenRune)
}

func unescapeLabel(s string) string {
	return string(resolveText([]byte(s)))
}

// relabel returns the bytes of link n with its text set to label.
func (p *page) relabel(n *xnode, label string) string {
	cdata := "<ac:plain-text-link-body><![CDATA[" + strings.ReplaceAll(label, "]]>", "]]]]><![CDATA[>") + "]]></ac:plain-text-link-body>"
	if n.openEnd == n.end {
		tag := p.src[n.start:n.openEnd]
		return strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(tag, ">"), "/"), " ") + ">" + cdata + "</ac:link>"
	}
	var b strings.Builder
	b.WriteString(p.src[n.start:n.openEnd])
	done := false
	for _, c := range n.children {
		switch {
		case c.isElement("ac:plain-text-link-body"):
			b.WriteString(cdata)
			done = true
		case c.isElement("ac:link-body"):
			b.WriteString(p.src[c.start:c.openEnd])
			xmlText(&b, label)
			b.WriteString(p.src[c.closeBeg:c.end])
			done = true
		default:
			b.WriteString(c.src(p.src))
		}
	}
	if !done {
		b.WriteString(cdata)
	}
	b.WriteString(p.src[n.closeBeg:n.end])
	return b.String()
}

// modify returns the bytes of the atom with the detail its placeholder shows changed: a
// link's text, a status's title and colour, a placeholder's text.
func (p *page) modify(at *piece, kind, detail string) (string, bool) {
	n := at.node
	if strings.HasPrefix(kind, "@") && n.name == "ac:link" && detail != "" {
		return p.relabel(n, detail), true // a mention's own text
	}
	switch kind {
	case "link":
		if n.name == "ac:link" {
			return p.relabel(n, detail), true
		}
	case "placeholder":
		if n.openEnd == n.end {
			return "", false
		}
		var b strings.Builder
		b.WriteString(p.src[n.start:n.openEnd])
		xmlText(&b, detail)
		b.WriteString(p.src[n.closeBeg:n.end])
		return b.String(), true
	case "status":
		title, colour := detail, ""
		if i := strings.LastIndex(detail, "("); i >= 0 && strings.HasSuffix(detail, ")") {
			title, colour = strings.TrimSpace(detail[:i]), strings.TrimSpace(detail[i+1:len(detail)-1])
		}
		out := p.src[n.start:n.end]
		out = setMacroParam(out, "title", title)
		return setMacroParam(out, "colour", colour), true
	}
	return "", false
}

// setMacroParam sets (or, with an empty value, removes) a parameter of the macro whose bytes
// are macro.
func setMacroParam(macro, key, val string) string {
	t := parseX(macro)
	if len(t.children) == 0 || t.children[0].kind != xElement {
		return macro
	}
	m := t.children[0]
	var b strings.Builder
	xmlText(&b, val)
	for _, c := range m.children {
		if c.isElement("ac:parameter") && c.attr("ac:name") == key {
			if val == "" {
				return macro[:c.start] + macro[c.end:]
			}
			if c.openEnd == c.end {
				return macro[:c.start] + `<ac:parameter ac:name="` + key + `">` + b.String() + `</ac:parameter>` + macro[c.end:]
			}
			return macro[:c.openEnd] + b.String() + macro[c.closeBeg:]
		}
	}
	if val == "" || m.openEnd == m.end {
		return macro
	}
	return macro[:m.openEnd] + `<ac:parameter ac:name="` + key + `">` + b.String() + `</ac:parameter>` + macro[m.openEnd:]
}

// tokenPattern finds placeholders: ⟦, then anything but brackets and line ends, then ⟧.
var tokenPattern = regexp.MustCompile(`⟦[^⟦⟧\n]*⟧`)

// newTokenXML creates the storage of a placeholder an edit added: a status, a mention, a Jira
// issue, an anchor or a table of contents. Other kinds cannot be made from their placeholder.
func newTokenXML(tok string) (xml string, block bool, err error) {
	body := strings.TrimSuffix(strings.TrimPrefix(tok, tokOpen), tokClose)
	body = strings.ReplaceAll(body, `\|`, "|")
	kind, detail, _ := strings.Cut(body, ":")
	kind = strings.TrimSpace(kind)
	detail = strings.TrimSpace(detail)
	var b strings.Builder
	param := func(name, val string) {
		b.WriteString(`<ac:parameter ac:name="`)
		xmlText(&b, name)
		b.WriteString(`">`)
		xmlText(&b, val)
		b.WriteString(`</ac:parameter>`)
	}
	macro := func(name string, params func()) {
		b.WriteString(`<ac:structured-macro ac:name="` + name + `" ac:schema-version="1">`)
		if params != nil {
			params()
		}
		b.WriteString(`</ac:structured-macro>`)
	}
	switch {
	case strings.HasPrefix(kind, "@") && len(kind) > 1:
		who, label, _ := strings.Cut(strings.TrimPrefix(body, "@"), ":")
		who = strings.TrimSpace(who)
		attrName := "ri:username"
		if userKeyPattern.MatchString(who) {
			attrName = "ri:userkey"
		}
		b.WriteString(`<ac:link><ri:user ` + attrName + `="`)
		xmlText(&b, who)
		b.WriteString(`" />`)
		if label = strings.TrimSpace(label); label != "" {
			b.WriteString(`<ac:plain-text-link-body><![CDATA[` + strings.ReplaceAll(label, "]]>", "]]]]><![CDATA[>") + `]]></ac:plain-text-link-body>`)
		}
		b.WriteString(`</ac:link>`)
		return b.String(), false, nil
	case kind == "status":
		title, colour := detail, ""
		if i := strings.LastIndex(detail, "("); i >= 0 && strings.HasSuffix(detail, ")") {
			title, colour = strings.TrimSpace(detail[:i]), strings.TrimSpace(detail[i+1:len(detail)-1])
		}
		macro("status", func() {
			if colour != "" {
				param("colour", colour)
			}
			param("title", title)
		})
		return b.String(), false, nil
	case kind == "jira" && detail != "":
		macro("jira", func() {
			if jiraKeyPattern.MatchString(detail) {
				param("key", detail)
			} else {
				param("jqlQuery", detail)
			}
		})
		return b.String(), false, nil
	case kind == "anchor" && detail != "":
		macro("anchor", func() { param("", detail) })
		return b.String(), false, nil
	case (kind == "toc" || kind == "children") && detail == "":
		macro(kind, nil)
		return b.String(), true, nil
	}
	return "", false, fmt.Errorf("%w: %s is not on the page and cannot be created (new placeholders may be ⟦status:Title (Colour)⟧, ⟦@user⟧, ⟦jira:KEY-1⟧, ⟦anchor:name⟧, ⟦toc⟧, ⟦children⟧; write \\⟦ for a literal bracket)", ErrUnknownPlaceholder, tok)
}

var (
	userKeyPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
	jiraKeyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]+-[0-9]+$`)
)

// newContainerXML opens and closes a "::: kind arg" block the edit added: a macro with a
// rich-text body, or a part of a layout. parent is the kind of the enclosing block.
func newContainerXML(kind, arg, parent string) (pre, suf string, err error) {
	switch {
	case kind == "layout":
		return "<ac:layout>", "</ac:layout>", nil
	case kind == "section" && parent == "layout":
		if arg == "" {
			arg = "single"
		}
		var b strings.Builder
		b.WriteString(`<ac:layout-section ac:type="`)
		xmlText(&b, arg)
		b.WriteString(`">`)
		return b.String(), "</ac:layout-section>", nil
	case kind == "cell":
		return "<ac:layout-cell>", "</ac:layout-cell>", nil
	}
	if !creatableMacros[kind] {
		return "", "", fmt.Errorf("%w: \"::: %s\" is not on the page and cannot be created (new blocks may be ::: info, note, tip, warning, panel, expand, excerpt, details, layout, section, cell)", ErrUnknownPlaceholder, kind)
	}
	var b strings.Builder
	b.WriteString(`<ac:structured-macro ac:name="` + kind + `" ac:schema-version="1">`)
	if arg != "" {
		b.WriteString(`<ac:parameter ac:name="title">`)
		xmlText(&b, arg)
		b.WriteString(`</ac:parameter>`)
	}
	b.WriteString(`<ac:rich-text-body>`)
	return b.String(), `</ac:rich-text-body></ac:structured-macro>`, nil
}

var creatableMacros = map[string]bool{
	"info": true, "note": true, "tip": true, "warning": true, "panel": true, "expand": true,
	"excerpt": true, "details": true, "section": true, "column": true,
}

// retitle returns the prefix of container c with its argument changed to arg: the title
// parameter of a macro, the type of a layout section.
func (p *page) retitle(c *container, arg string) string {
	if p.wiki {
		return p.retitleWiki(c, arg)
	}
	pre := c.prefix
	base := c.el.start
	switch c.kind {
	case "layout", "cell":
		return pre
	case "section":
		if c.el.name != "ac:layout-section" {
			break
		}
		// The type is the value of ac:type in the start tag, which is all the prefix holds.
		old := c.el.attr("ac:type")
		i := strings.Index(pre, `"`+old+`"`)
		if old == "" || i < 0 {
			return pre
		}
		var b strings.Builder
		xmlText(&b, arg)
		return pre[:i+1] + b.String() + pre[i+1+len(old):]
	}
	var b strings.Builder
	xmlText(&b, arg)
	for _, ch := range c.el.children {
		if ch.isElement("ac:parameter") && ch.attr("ac:name") == "title" {
			if arg == "" {
				return pre[:ch.start-base] + pre[ch.end-base:]
			}
			return pre[:ch.openEnd-base] + b.String() + pre[ch.closeBeg-base:]
		}
	}
	if arg == "" {
		return pre
	}
	at := c.el.openEnd - base
	return pre[:at] + `<ac:parameter ac:name="title">` + b.String() + `</ac:parameter>` + pre[at:]
}

// keepElement puts the original start and end tags of a single-element leaf around the
// conversion of its edit when that is the same element: a paragraph keeps its style, a list
// its type, a heading its id.
func (p *page) keepElement(l *leaf, out string) string {
	if len(l.nodes) != 1 || l.nodes[0].kind != xElement {
		return out
	}
	orig := l.nodes[0]
	t := parseX(out)
	var only *xnode
	for _, c := range t.children {
		if isGlue(out, c) {
			continue
		}
		if only != nil {
			return out
		}
		only = c
	}
	if only == nil || only.kind != xElement || only.name != orig.name || orig.closeBeg == orig.end {
		return out
	}
	if only.openEnd == only.end { // self-closing: nothing inside
		return out
	}
	return out[:only.start] + p.src[orig.start:orig.openEnd] + out[only.openEnd:only.closeBeg] +
		p.src[orig.closeBeg:orig.end] + out[only.end:]
}

// rewriteCode writes the edited code of a plain-text-body macro into the macro, and its
// language when the code macro's fence changed it.
func (p *page) rewriteCode(l *leaf, md string) (string, bool) {
	doc, src := parseMarkdown(md)
	fb, ok := doc.FirstChild().(*ast.FencedCodeBlock)
	if !ok || fb.NextSibling() != nil {
		return "", false
	}
	n := l.code
	body := n.childElement("ac:plain-text-body")
	code := codeText(fb, src)
	var b strings.Builder
	pre := p.src[n.start:body.start]
	if lang := strings.ToLower(strings.TrimSpace(string(fb.Language(src)))); macroName(n) == "code" {
		if lang != codeLanguage(p.src, n) {
			pre = setParam(p.src, n, "language", confluenceLanguage(lang))
		}
	}
	b.WriteString(pre)
	b.WriteString("<ac:plain-text-body><![CDATA[")
	b.WriteString(strings.ReplaceAll(code, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]></ac:plain-text-body>")
	b.WriteString(p.src[body.end:n.end])
	return b.String(), true
}

// setParam returns the bytes of macro n up to its plain-text body with parameter key set to
// val (removed when val is empty).
func setParam(src string, n *xnode, key, val string) string {
	body := n.childElement("ac:plain-text-body")
	pre := src[n.start:body.start]
	base := n.start
	var b strings.Builder
	xmlText(&b, val)
	for _, ch := range n.children {
		if ch.isElement("ac:parameter") && ch.attr("ac:name") == key {
			if val == "" {
				return pre[:ch.start-base] + pre[ch.end-base:]
			}
			if ch.openEnd == ch.end {
				return pre[:ch.start-base] + `<ac:parameter ac:name="` + key + `">` + b.String() + `</ac:parameter>` + pre[ch.end-base:]
			}
			return pre[:ch.openEnd-base] + b.String() + pre[ch.closeBeg-base:]
		}
	}
	if val == "" {
		return pre
	}
	at := n.openEnd - base
	return pre[:at] + `<ac:parameter ac:name="` + key + `">` + b.String() + `</ac:parameter>` + pre[at:]
}
