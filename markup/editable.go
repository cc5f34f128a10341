package markup

import (
	"fmt"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	nethtml "golang.org/x/net/html"
)

// EditableMarkdown renders Confluence storage XHTML as markdown that ApplyMarkdown can write
// back without loss. It reads like StorageToMarkdown's output, with these differences:
//
//   - What markdown cannot say is an inline token: ⟦status:Done (Green)⟧, ⟦@userkey⟧,
//     ⟦jira:KEY-1⟧, ⟦anchor:name⟧, ⟦toc⟧, ⟦name⟧ for any other macro without a body. A
//     literal ⟦ in the text is written \⟦.
//   - Layouts and macros with a rich-text body (info, note, tip, warning, panel, expand,
//     excerpt, and unknown ones) are fenced blocks whose content is editable markdown:
//     "::: info Title" … ":::", "::: layout", "::: section two_equal", "::: cell". A text line
//     that starts with ":::" is written "\:::".
//   - A macro with a plain-text body (code, noformat, …) is a fenced code block whose info
//     string is its language (code) or its name.
//
// The rendering is deterministic: ApplyMarkdown renders the current storage again and compares.
func EditableMarkdown(storage string, opts Options) (string, error) {
	p := buildPage(storage, opts)
	return p.markdown(), nil
}

// Placeholder syntax. ⟦ and ⟧ (U+27E6, U+27E7) are mathematical brackets that ordinary page
// text hardly ever holds; "\⟦" escapes a literal one.
const (
	tokOpen    = "⟦"
	tokClose   = "⟧"
	fenceMark  = ":::"
	escapedTok = `\` + tokOpen
)

// Private-use runes mark text that must survive the markdown converters untouched.
const (
	litTokRune   = '\uE003' // a literal ⟦ of the page text, written \⟦ in the markdown
	atomOpenRune = '\uE000' // starts a reference to an atom: atomOpenRune, digits, atomEndRune
	atomEndRune  = '\uE001'
	atomDigit0   = '\uE010' // atom numbers are written in hex with U+E010..U+E01F
)

// page is a storage body split the way the editable markdown shows it: a tree of containers
// (the body, layouts, macros with a rich-text body) whose content is a sequence of leaves
// (paragraphs, headings, lists, tables, code, macros without body, runs of inline content).
type page struct {
	wiki   bool // src is Jira wiki markup, not storage
	crlf   bool // wiki lines end with CR LF
	src    string
	opts   Options
	root   *container
	chunks []chunk
	leaves []*leaf
	conts  []*container
	atoms  []piece
}

// chunk is one unit of the markdown: a marker line of a container or a block of a leaf (a
// leaf may span several chunks, such as a loose list).
type chunk struct {
	md    string
	leaf  *leaf
	open  *container // an opening marker line
	close *container // a closing marker line
}

// container is the body or a fenced block: its bytes before and after its content are kept.
type container struct {
	kind, arg string // "info", "Title"; "layout"; "section", "two_equal"; "cell"; "" for the body
	el        *xnode // the element (macro, ac:layout…); nil for the body
	body      *xnode // the element that holds the content (ac:rich-text-body or el)
	glue      string // white space before the element
	prefix    string // bytes of el up to the content
	suffix    string // bytes after the content (with the white space that ends it)
	items     []any  // *leaf or *container
	parent    *container
	openChunk int
}

// marker is the opening line of the container.
func (c *container) marker() string {
	if c.arg == "" {
		return fenceMark + " " + c.kind
	}
	return fenceMark + " " + c.kind + " " + c.arg
}

// leaf is a block of content shown as markdown.
type leaf struct {
	glue       string // bytes before the leaf that go with it: white space, invisible blocks
	start, end int    // the leaf's own bytes
	nodes      []*xnode
	md         string
	chunks     []int
	code       *xnode    // a macro with a plain-text body, shown as a fenced block
	wcode      *wikiCode // a {code} or {noformat} block of wiki markup
	atoms      []int
	parent     *container
}

// piece is a part of a leaf that markdown shows in one place and ApplyMarkdown puts back
// byte for byte when the markdown around it changed: a token, a link, an image, an emoticon.
type piece struct {
	md   string // as it appears in the markdown
	src  string // its storage bytes
	off  int    // where src starts in the page
	node *xnode // the element, for storage
	leaf *leaf
	used bool
}

func buildPage(storage string, opts Options) *page {
	p := &page{src: storage, opts: opts}
	tree := parseX(storage)
	p.root = &container{body: tree}
	p.segment(p.root, tree.children, 0, len(storage))
	return p
}

// markdown joins the chunks: a blank line between two blocks, a line end next to a marker.
func (p *page) markdown() string {
	return joinChunks(p.chunks)
}

// segment splits the content nodes of c (from offset from to offset to) into leaves and
// nested containers and appends their chunks. It returns nothing: trailing white space goes
// to c's suffix.
func (p *page) segment(c *container, kids []*xnode, from, to int) {
	glue := from // start of the bytes not yet given to an item
	for i := 0; i < len(kids); i++ {
		k := kids[i]
		if isGlue(p.src, k) {
			continue
		}
		if k.kind == xElement && isBlockElement(k) {
			if sub := p.asContainer(k); sub != nil {
				sub.glue = p.src[glue:k.start]
				sub.parent = c
				c.items = append(c.items, sub)
				p.openContainer(sub)
				glue = k.end
				continue
			}
			if l := p.addLeaf(c, []*xnode{k}, glue); l != nil {
				glue = k.end
			}
			continue
		}
		// A run of inline content: text and inline elements up to the next block.
		j := i
		last := i
		for j < len(kids) && !(kids[j].kind == xElement && isBlockElement(kids[j])) {
			if !isGlue(p.src, kids[j]) {
				last = j
			}
			j++
		}
		if l := p.addLeaf(c, kids[i:last+1], glue); l != nil {
			glue = kids[last].end
		}
		i = last
	}
	if c.el != nil || c == p.root {
		c.suffix = p.src[glue:to] + c.suffix
	}
}

// isGlue reports white space and comments between blocks.
func isGlue(src string, n *xnode) bool {
	switch n.kind {
	case xComment:
		return true
	case xText:
		return strings.TrimSpace(src[n.start:n.end]) == ""
	}
	return false
}

// openContainer appends the container's marker, its content and its closing marker.
func (p *page) openContainer(c *container) {
	p.conts = append(p.conts, c)
	c.openChunk = len(p.chunks)
	p.chunks = append(p.chunks, chunk{md: c.marker(), open: c})
	inner := c.body.openEnd
	end := c.body.closeBeg
	p.segment(c, c.body.children, inner, end)
	p.chunks = append(p.chunks, chunk{md: fenceMark, close: c})
}

// asContainer returns the container that element k is, or nil when k is a leaf.
func (p *page) asContainer(k *xnode) *container {
	switch k.name {
	case "ac:layout":
		return p.newContainer(k, k, "layout", "")
	case "ac:layout-section":
		return p.newContainer(k, k, "section", oneWord(k.attr("ac:type")))
	case "ac:layout-cell":
		return p.newContainer(k, k, "cell", "")
	case "ac:structured-macro", "ac:macro":
		body := k.childElement("ac:rich-text-body")
		if body == nil {
			return nil
		}
		name := macroName(k)
		return p.newContainer(k, body, name, tokenText(macroParam(p.src, k, "title")))
	}
	return nil
}

func (p *page) newContainer(el, body *xnode, kind, arg string) *container {
	c := &container{kind: kind, arg: arg, el: el, body: body}
	c.prefix = p.src[el.start:body.openEnd]
	c.suffix = p.src[body.closeBeg:el.end]
	return c
}

func oneWord(s string) string { return strings.Join(strings.Fields(s), "_") }

// macroName is a macro's name, lower case; "unnamed" when it has none.
func macroName(n *xnode) string {
	name := strings.ToLower(strings.TrimSpace(n.attr("ac:name")))
	if name == "" {
		return "unnamed"
	}
	return strings.Join(strings.Fields(name), "-")
}

// macroParam is the text of a macro's parameter key.
func macroParam(src string, n *xnode, key string) string {
	for _, c := range n.children {
		if c.isElement("ac:parameter") && c.attr("ac:name") == key {
			return strings.TrimSpace(textBelow(src, c))
		}
	}
	return ""
}

// textBelow concatenates the decoded text below n.
func textBelow(src string, n *xnode) string {
	var b strings.Builder
	var walk func(*xnode)
	walk = func(n *xnode) {
		for _, c := range n.children {
			if c.kind == xText || c.kind == xCDATA {
				b.WriteString(c.text(src))
			} else {
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// addLeaf renders nodes as a leaf of c. A leaf that shows nothing (an empty paragraph) is not
// added: its bytes stay in the glue of what follows, and nil is returned.
func (p *page) addLeaf(c *container, nodes []*xnode, glue int) *leaf {
	l := &leaf{nodes: nodes, start: nodes[0].start, end: nodes[len(nodes)-1].end, parent: c}
	firstAtom := len(p.atoms)
	if len(nodes) == 1 && isCodeMacro(nodes[0]) {
		l.code = nodes[0]
		l.md = p.codeFence(nodes[0])
	} else {
		l.md = p.render(l)
	}
	if l.md == "" {
		p.atoms = p.atoms[:firstAtom]
		return nil
	}
	p.attach(c, l, glue, firstAtom)
	return l
}

// attach adds a rendered leaf to c: its glue, its atoms (from firstAtom on) and its chunks.
func (p *page) attach(c *container, l *leaf, glue, firstAtom int) {
	l.glue = p.src[glue:l.start]
	for i := firstAtom; i < len(p.atoms); i++ {
		p.atoms[i].leaf = l
		l.atoms = append(l.atoms, i)
	}
	for _, md := range splitChunks(l.md) {
		l.chunks = append(l.chunks, len(p.chunks))
		p.chunks = append(p.chunks, chunk{md: md, leaf: l})
	}
	p.leaves = append(p.leaves, l)
	c.items = append(c.items, l)
}

// isCodeMacro reports a macro whose body is plain text.
func isCodeMacro(n *xnode) bool {
	return (n.isElement("ac:structured-macro") || n.isElement("ac:macro")) &&
		n.childElement("ac:plain-text-body") != nil && n.childElement("ac:rich-text-body") == nil
}

// codeFence renders a plain-text-body macro as a fenced block: the info string is the code
// macro's language, or the macro's name for any other.
func (p *page) codeFence(n *xnode) string {
	body := codeBody(p.src, n)
	info := macroName(n)
	if info == "code" {
		info = codeLanguage(p.src, n)
	}
	fence := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	return fence + info + "\n" + body + "\n" + fence
}

// codeLanguage is the language of a code macro: its "language" parameter, or the unnamed one
// older pages use.
func codeLanguage(src string, n *xnode) string {
	lang := strings.ToLower(oneWord(macroParam(src, n, "language")))
	if lang == "" {
		lang = strings.ToLower(oneWord(macroParam(src, n, "")))
	}
	return lang
}

// codeBody is the text of a plain-text-body macro as a fenced block shows it: cleaned, with
// no line ending or trailing newline of its own.
func codeBody(src string, n *xnode) string {
	body := textBelow(src, n.childElement("ac:plain-text-body"))
	body = strings.ReplaceAll(Clean(body), "\uF002", "")
	return strings.TrimSuffix(body, "\n")
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// isBlockElement reports the elements that stand on their own between blocks.
func isBlockElement(n *xnode) bool {
	switch n.name {
	case "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "pre",
		"blockquote", "hr", "section", "article", "header", "footer", "nav", "aside", "figure",
		"center", "details", "form", "fieldset", "address", "ac:task-list", "ac:layout",
		"ac:layout-section", "ac:layout-cell", "ac:structured-macro", "ac:macro",
		"ac:adf-extension", "ac:rich-text-body":
		return true
	}
	return false
}

// render converts a leaf with the storage converter, its atoms turned into tokens first.
func (p *page) render(l *leaf) string {
	doc := &nethtml.Node{Type: nethtml.DocumentNode}
	html, body := newElement("html"), newElement("body")
	doc.AppendChild(html)
	html.AppendChild(body)
	parent := body
	if l.nodes[0].kind != xElement || !isBlockElement(l.nodes[0]) {
		parent = newElement("p")
		body.AppendChild(parent)
	}
	origin := map[*nethtml.Node]*xnode{}
	for _, n := range l.nodes {
		if h := p.toHTML(n, origin, false); h != nil {
			parent.AppendChild(h)
		}
	}
	ed := &editRewriter{page: p, origin: origin, std: storageRewriter{opts: p.opts}}
	md, err := newConverter(ed.preRender).ConvertNode(doc)
	if err != nil {
		// The converter fails on no input we know of; show the text rather than nothing.
		md = []byte(textOf(doc))
	}
	return finishLeaf(normalize(string(md)))
}

// finishLeaf trims a leaf's markdown and escapes what would read as placeholder syntax.
func finishLeaf(md string) string {
	md = strings.Trim(md, " \t\n")
	if strings.ContainsRune(md, litTokRune) {
		md = strings.ReplaceAll(md, string(litTokRune), escapedTok)
	}
	if !strings.Contains(md, fenceMark) {
		return md
	}
	lines := strings.Split(md, "\n")
	fence := ""
	for i, line := range lines {
		if fence != "" {
			if f := fenceOf(strings.TrimLeft(line, " ")); f != "" && f[0] == fence[0] && len(f) >= len(fence) {
				fence = ""
			}
			continue
		}
		if f := fenceOf(strings.TrimLeft(line, " ")); f != "" {
			fence = f
			continue
		}
		if strings.HasPrefix(strings.TrimLeft(line, " "), fenceMark) {
			lines[i] = strings.Replace(line, fenceMark, `\`+fenceMark, 1)
		}
	}
	return strings.Join(lines, "\n")
}

// toHTML converts a source node into the x/net/html node the converter reads, recording where
// each element came from. Text is cleaned as StorageToMarkdown cleans it; a literal ⟦ is
// marked so the markdown can escape it (not inside code, which is shown verbatim).
func (p *page) toHTML(n *xnode, origin map[*nethtml.Node]*xnode, inCode bool) *nethtml.Node {
	switch n.kind {
	case xText, xCDATA:
		t := cleanInput(n.text(p.src))
		t = strings.Map(func(r rune) rune {
			switch {
			case r >= 0xE000 && r <= 0xE01F:
				return '\uFFFD'
			case r == '⟦' && !inCode:
				return litTokRune
			}
			return r
		}, t)
		if t == "" {
			return nil
		}
		return text(t)
	case xElement:
		h := newElement(n.name)
		for _, a := range n.attrs {
			h.Attr = append(h.Attr, nethtml.Attribute{Key: a.key, Val: a.val})
		}
		origin[h] = n
		code := inCode || n.name == "code" || n.name == "pre" || n.name == "ac:plain-text-body"
		for _, c := range n.children {
			if hc := p.toHTML(c, origin, code); hc != nil {
				h.AppendChild(hc)
			}
		}
		return h
	}
	return nil
}

// editRewriter turns the atoms of a leaf into verbatim tokens, links and images, records them,
// and hands the rest to the storage rewriter.
type editRewriter struct {
	page   *page
	origin map[*nethtml.Node]*xnode
	std    storageRewriter
}

func (r *editRewriter) preRender(ctx converter.Context, doc *nethtml.Node) {
	r.walk(doc)
	r.std.preRender(ctx, doc)
}

func (r *editRewriter) walk(n *nethtml.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == nethtml.ElementNode {
			if md, ok := r.atom(c); ok {
				x := r.origin[c]
				if md = atomLine(md); md == "" {
					md = tokOpen + strings.TrimPrefix(strings.TrimPrefix(c.Data, "ac:"), "ri:") + tokClose
				}
				r.page.atoms = append(r.page.atoms, piece{md: rawEscaper.Replace(md), src: x.src(r.page.src), off: x.start, node: x})
				replace(c, []*nethtml.Node{raw(md)})
			} else {
				r.walk(c)
			}
		}
		c = next
	}
}

// atomLine puts an atom's text on one cleaned line, as normalize would leave it, so the
// markdown holds it verbatim (raw then escapes its pipes).
func atomLine(s string) string {
	s = strings.ReplaceAll(cleanInput(s), "\u00a0", " ")
	return strings.Join(strings.Fields(s), " ")
}

// atom returns the markdown of an element that is kept whole, or ok == false.
func (r *editRewriter) atom(n *nethtml.Node) (md string, ok bool) {
	x := r.origin[n]
	if x == nil {
		return "", false
	}
	src := r.page.src
	switch n.Data {
	case "ac:structured-macro", "ac:macro":
		if child(n, "ac:rich-text-body") != nil || child(n, "ac:plain-text-body") != nil {
			return "", false
		}
		return macroToken(src, x), true
	case "ac:link":
		if u := child(n, "ri:user"); u != nil {
			return userToken(u, textOf(n)), true
		}
		a := r.std.link(n)
		label := strings.Join(strings.Fields(textOf(a)), " ")
		if a.Data != "a" || attr(a, "href") == "" {
			return tokOpen + "link:" + tokenText(label) + tokClose, true
		}
		return "[" + escapeLabel(label) + "](" + escapeDest(attr(a, "href")) + ")", true
	case "ac:image":
		out := r.std.image(n)
		if len(out) == 0 || !isElement(out[0], "img") {
			return textOf(el("span", nil, out...)), true
		}
		img := out[0]
		return "![" + escapeLabel(attr(img, "alt")) + "](" + escapeDest(attr(img, "src")) + ")", true
	case "ac:emoticon":
		if e := emoticon(n); e != "" {
			return e, true
		}
		return tokOpen + "emoticon" + tokClose, true
	case "time":
		return tokOpen + "date:" + tokenText(attr(n, "datetime")) + tokClose, true
	case "ac:placeholder":
		return tokOpen + "placeholder:" + tokenText(textOf(n)) + tokClose, true
	case "ac:adf-extension":
		return tokOpen + "adf" + tokClose, true
	}
	if strings.HasPrefix(n.Data, "ri:") {
		return tokOpen + strings.TrimPrefix(n.Data, "ri:") + ":" + tokenText(r.std.resourceText(n)) + tokClose, true
	}
	return "", false
}

// macroToken is the placeholder of a macro without body: its name and the parameter a reader
// needs to know which one it is.
func macroToken(src string, x *xnode) string {
	name := macroName(x)
	param := func(k string) string { return tokenText(macroParam(src, x, k)) }
	detail := ""
	switch name {
	case "status":
		title, colour := param("title"), param("colour")
		switch {
		case title != "" && colour != "":
			detail = title + " (" + colour + ")"
		case colour != "":
			detail = "(" + colour + ")"
		default:
			detail = title
		}
	case "jira", "jiraissues":
		name = "jira"
		detail = param("key")
		if detail == "" {
			detail = param("jqlQuery")
		}
	case "anchor":
		detail = param("")
	case "include", "excerpt-include", "children", "pagetree":
		if pg := findX(x, "ri:page"); pg != nil {
			detail = tokenText(pg.attr("ri:content-title"))
		}
	default:
		if pg := findX(x, "ri:page"); pg != nil {
			detail = tokenText(pg.attr("ri:content-title"))
		} else if a := findX(x, "ri:attachment"); a != nil {
			detail = tokenText(a.attr("ri:filename"))
		} else if u := findX(x, "ri:url"); u != nil {
			detail = tokenText(u.attr("ri:value"))
		} else if b := param("body"); b != "" {
			detail = b
		}
	}
	if detail == "" {
		return tokOpen + name + tokClose
	}
	return tokOpen + name + ":" + detail + tokClose
}

// userToken is the placeholder of a mention: the user key (or name), and the link text when
// the link has its own.
func userToken(u *nethtml.Node, label string) string {
	who := ""
	for _, k := range []string{"ri:userkey", "ri:username", "ri:account-id"} {
		if v := attr(u, k); v != "" {
			who = v
			break
		}
	}
	s := tokOpen + "@" + tokenText(who)
	if l := tokenText(label); l != "" {
		s += ":" + l
	}
	return s + tokClose
}

// findX returns the first element named name below n.
func findX(n *xnode, name string) *xnode {
	for _, c := range n.children {
		if c.isElement(name) {
			return c
		}
		if d := findX(c, name); d != nil {
			return d
		}
	}
	return nil
}

// maxTokenDetail bounds the text a placeholder repeats from its macro: a JQL query or a
// formula can be long, and the placeholder only needs to be recognisable.
const maxTokenDetail = 80

// tokenText makes s fit inside a placeholder: one line, no brackets of the placeholder syntax,
// at most maxTokenDetail runes.
func tokenText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '⟦', '⟧', '\u00a0':
			return ' '
		}
		return r
	}, cleanInput(s))
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxTokenDetail {
		s = string(r[:maxTokenDetail-1]) + "…"
	}
	return s
}

// escapeLabel escapes the characters that would end or change a link's text.
func escapeLabel(s string) string {
	return labelEscaper.Replace(s)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, "`", "\\`", "*", `\*`, "_", `\_`, "<", `\<`, "⟦", `\⟦`)

// escapeDest writes a link destination that markdown reads back as is.
func escapeDest(s string) string {
	if strings.ContainsAny(s, " ()<>\t") {
		return "<" + strings.NewReplacer("<", "%3C", ">", "%3E").Replace(s) + ">"
	}
	return s
}

// String describes a chunk for error messages.
func (c chunk) String() string {
	return fmt.Sprintf("%q", c.md)
}
