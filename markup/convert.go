package markup

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/marker"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	nethtml "golang.org/x/net/html"
)

// Options tune a conversion to markdown. The zero value is valid: links stay relative.
type Options struct {
	// BaseURL is the server the content came from, with its context path
	// ("https://wiki.example.com/confluence"). Relative links and images (/display/…,
	// /browse/…, /download/…) become absolute under it.
	BaseURL string
	// JiraBaseURL is where Jira issue keys of Confluence jira macros link to; BaseURL when empty.
	JiraBaseURL string
	// SpaceKey is the space of the page being converted. Page links without an explicit space
	// (the common case in storage format) resolve against it; without it they keep the page
	// title as their text and get no URL.
	SpaceKey string
	// UserName resolves the key of a user mention (<ri:user ri:userkey="…"/>, how real pages
	// store mentions) to a display name; nil, or an empty answer, keeps the key.
	UserName func(userKey string) string
	// PageID is the id of the page being converted; attachment links and images of the page
	// then point at /download/attachments/PageID/name instead of a bare file name.
	PageID string
}

// StorageToMarkdown converts Confluence storage-format XHTML (a fragment: no root element,
// ac:/ri: prefixes undeclared, CDATA sections) to markdown. Macros become their content or a
// visible placeholder such as "[toc]" or "[macro: name]"; none is dropped silently except
// anchors and editor placeholders, which have no content. Broken markup yields best-effort
// output rather than an error.
func StorageToMarkdown(storage string, opts Options) (string, error) {
	// CDATA first: cleaning a control character out of "]\x18]>" inside a
	// section would forge the "]]>" that ends it early.
	doc := parseStorage(cleanInput(expandCDATA(storage)))
	rw := &storageRewriter{opts: opts}
	md, err := newConverter(rw.preRender).ConvertNode(doc)
	if err != nil {
		return "", fmt.Errorf("markup: storage to markdown: %w", err)
	}
	return normalize(string(md)), nil
}

// HTMLToMarkdown converts HTML (Jira renderedFields, or any HTML page or fragment) to markdown.
// Jira's code panels keep their language; emoticon images become their text.
func HTMLToMarkdown(html string, opts Options) (string, error) {
	html = cleanInput(html)
	doc, err := nethtml.Parse(strings.NewReader(html))
	if err != nil {
		// The HTML5 parser refuses pathological input (more than 512 open elements); the
		// storage parser caps the depth instead and still yields the text.
		doc = parseStorage(html)
	}
	rw := &htmlRewriter{opts: opts}
	md, err := newConverter(rw.preRender).ConvertNode(doc)
	if err != nil {
		return "", fmt.Errorf("markup: html to markdown: %w", err)
	}
	return normalize(string(md)), nil
}

// cleanInput removes what must not reach the converter: invisible and control characters
// (Clean), among them BEL, which html-to-markdown uses as its escape marker, and U+F002, its
// code-block newline marker. Either in the input would corrupt the output.
func cleanInput(s string) string {
	s = Clean(s)
	if strings.Contains(s, "\uF002") {
		s = strings.ReplaceAll(s, "\uF002", "")
	}
	return s
}

// rawTag is the element our pre-renderers use for text that must reach the markdown verbatim,
// such as "[toc]" or "- [ ] ", which the text escaper would otherwise turn into "\[toc\]".
const rawTag = "atlas-raw"

// raw wraps s for verbatim output. Newlines become spaces and pipes are escaped, so a
// placeholder cannot break the line or the table cell it lands in.
func raw(s string) *nethtml.Node {
	return el(rawTag, nil, text(rawEscaper.Replace(s)))
}

// rawEscaper is built once: building a strings.Replacer per call cost a quarter of all
// allocations of a conversion. Replacers are safe for concurrent use.
var rawEscaper = strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`)

// newConverter builds a converter for one conversion. Converters are cheap to build and hold
// per-conversion state, so none is shared between calls.
func newConverter(pre converter.HandlePreRenderFunc) *converter.Converter {
	return converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(
			commonmark.WithListEndComment(false),
			commonmark.WithLinkEmptyHrefBehavior(commonmark.LinkBehaviorSkip),
			commonmark.WithLinkEmptyContentBehavior(commonmark.LinkBehaviorSkip),
		),
		table.NewTablePlugin(
			table.WithSpanCellBehavior(table.SpanBehaviorEmpty),
			table.WithNewlineBehavior(table.NewlineBehaviorPreserve),
			table.WithCellPaddingBehavior(table.CellPaddingBehaviorMinimal),
			table.WithHeaderPromotion(true),
		),
		strikethrough.NewStrikethroughPlugin(),
		atlasPlugin{preRender: pre},
	))
}

// atlasPlugin registers our pre-renderer ahead of every other one (the base plugin removes
// nodes at priority 100 and collapses whitespace later), so macros are read from the tree as
// parsed; it also renders rawTag elements without escaping and tables the table plugin refuses.
type atlasPlugin struct {
	preRender converter.HandlePreRenderFunc
}

func (atlasPlugin) Name() string { return "atlasbridge" }

func (p atlasPlugin) Init(conv *converter.Converter) error {
	conv.Register.PreRenderer(p.preRender, converter.PriorityEarly-50)
	// After the table plugin (PriorityStandard), which gives up on tables holding blocks.
	conv.Register.Renderer(renderTableRecords, converter.PriorityStandard+100)
	conv.Register.TextTransformer(unescapeAngles, converter.PriorityStandard+200)
	conv.Register.TagType(rawTag, converter.TagTypeInline, converter.PriorityEarly)
	conv.Register.RendererFor(rawTag, converter.TagTypeInline,
		func(_ converter.Context, w converter.Writer, n *nethtml.Node) converter.RenderStatus {
			_, _ = w.WriteString(textOf(n))
			return converter.RenderSuccess
		}, converter.PriorityEarly)
	return nil
}

// unescapeAngles undoes the base plugin's "<" → "&lt;" and ">" → "&gt;" where the plain
// character cannot start a tag, an autolink or a blockquote: "a < b" and "Settings > Admin"
// read better and index better than their entities. A ">" stays escaped unless text precedes
// it on its line within the same text node.
func unescapeAngles(_ converter.Context, content string) string {
	if !strings.Contains(content, "&") {
		return content
	}
	var b strings.Builder
	lineHasText := false
	for i := 0; i < len(content); {
		rest := content[i:]
		switch {
		case strings.HasPrefix(rest, "&lt;") && !startsTag(rest[4:]):
			b.WriteByte('<')
			lineHasText = true
			i += 4
		case strings.HasPrefix(rest, "&gt;") && lineHasText:
			b.WriteByte('>')
			i += 4
		default:
			c := content[i]
			switch c {
			case '\n':
				lineHasText = false
			case ' ', '\t', byte(marker.MarkerEscaping):
			default:
				lineHasText = true
			}
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func startsTag(s string) bool {
	s = strings.TrimLeft(s, string(marker.MarkerEscaping)) // the escaper's marks come first
	if s == "" {
		return false
	}
	c := s[0]
	return c == '/' || c == '!' || c == '?' || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// normalize cleans converter output for a model: invisible characters removed, no-break
// spaces made plain, trailing spaces (and with them markdown's two-space hard breaks) trimmed,
// at most one blank line in a row (two inside code blocks, where blank lines are content) and
// at most two <br /> in a row in table cells. It works
// line by line: on large pages the equivalent regexps cost a fifth of the conversion.
func normalize(md string) string {
	md = Clean(md)
	if strings.Contains(md, "\u00a0") {
		md = strings.ReplaceAll(md, "\u00a0", " ")
	}
	if strings.Contains(md, "  <br />") {
		md = strings.ReplaceAll(md, "  <br />", "<br />") // a hard break inside a table cell
	}
	md = limitBreaks(md)
	var b strings.Builder
	b.Grow(len(md) + 1)
	blank := 0
	fence := "" // the fence of the open code block: its blank lines are content
	for rest := md; rest != ""; {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		line = strings.TrimRight(line, " \t")
		if line == "" {
			blank++
			if fence != "" && blank <= 2 {
				b.WriteByte('\n')
			}
			continue
		}
		if fence != "" {
			blank = 0
		}
		marker := stripContainers(line)
		if fence == "" && strings.HasPrefix(marker, `\`) {
			line = line[:len(line)-len(marker)] + escapeMixedRun(marker)
		}
		if fence == "" {
			fence = fenceOf(marker)
		} else if f := fenceOf(marker); len(f) >= len(fence) && f[0] == fence[0] && strings.TrimSpace(marker[len(f):]) == "" {
			fence = ""
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
			if blank > 0 {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.WriteString(line)
	}
	b.WriteByte('\n')
	return b.String()
}

// escapeMixedRun escapes every character of the run of backticks and tildes an escaped line
// starts with when the run mixes the two. html-to-markdown takes three or more of them at the
// start of a text for a code fence and escapes the first only, but a mixed run is no fence:
// "~~`0`" came out as "\~~`0\`", which reads as "~" and the code span "0\".
func escapeMixedRun(s string) string {
	j := 1
	for j < len(s) && (s[j] == '`' || s[j] == '~') {
		j++
	}
	run := s[1:j]
	if !strings.Contains(run, "`") || !strings.Contains(run, "~") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(run))
	b.WriteString(s[:2])
	for i := 2; i < j; i++ {
		b.WriteByte('\\')
		b.WriteByte(s[i])
	}
	b.WriteString(s[j:])
	return b.String()
}

// stripContainers drops the indentation, blockquote markers and list markers a line of
// markdown starts with, leaving what a code fence would start with.
func stripContainers(line string) string {
	for {
		l := strings.TrimLeft(line, " >")
		if len(l) >= 2 && (l[0] == '-' || l[0] == '*' || l[0] == '+') && l[1] == ' ' {
			l = l[2:]
		} else if i := strings.IndexFunc(l, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && i+1 < len(l) &&
			(l[i] == '.' || l[i] == ')') && l[i+1] == ' ' {
			l = l[i+2:]
		}
		if l == line {
			return l
		}
		line = l
	}
}

// fenceOf returns the code fence (a run of three or more ` or ~) that line starts with.
func fenceOf(line string) string {
	if len(line) < 3 || (line[0] != '`' && line[0] != '~') {
		return ""
	}
	n := 0
	for n < len(line) && line[n] == line[0] {
		n++
	}
	if n < 3 {
		return ""
	}
	return line[:n]
}

// limitBreaks keeps at most two <br /> in a row (the table plugin writes one per newline of a
// multi-paragraph cell), ignoring spaces between them.
func limitBreaks(md string) string {
	const br = "<br />"
	if !strings.Contains(md, br+br+br) && !strings.Contains(md, br+"  "+br) {
		return md
	}
	var b strings.Builder
	b.Grow(len(md))
	for {
		i := strings.Index(md, br)
		if i < 0 {
			b.WriteString(md)
			return b.String()
		}
		b.WriteString(md[:i+len(br)])
		md = md[i+len(br):]
		n := 1
		for {
			rest := strings.TrimLeft(md, " \t")
			if !strings.HasPrefix(rest, br) {
				break
			}
			if n < 2 {
				b.WriteString(br)
			}
			n++
			md = rest[len(br):]
		}
	}
}

// absolute makes a relative URL absolute under BaseURL, keeping BaseURL's context path (which
// url.ResolveReference would drop for a rooted path such as /display/X).
func (o Options) absolute(ref string) string {
	ref = strings.TrimSpace(ref)
	if o.BaseURL == "" || ref == "" || strings.HasPrefix(ref, "#") {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil || u.IsAbs() || u.Host != "" {
		return ref
	}
	base := strings.TrimRight(o.BaseURL, "/")
	if strings.HasPrefix(ref, "/") {
		return base + ref
	}
	return base + "/" + ref
}

// plainSpaces turns no-break spaces in the text below n into plain spaces before the
// converter escapes the text: "#\u00a0x" must be escaped like "# x", which it would read as a
// heading once the space is plain.
func plainSpaces(n *nethtml.Node) {
	if n.Type == nethtml.TextNode && strings.Contains(n.Data, "\u00a0") {
		n.Data = strings.ReplaceAll(n.Data, "\u00a0", " ")
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		plainSpaces(c)
	}
}

// keepAttr marks a link or image whose URL is not a server path (a bare attachment name) and
// must not be made absolute.
const keepAttr = "data-atlas-keep"

// absolutize rewrites the relative href and src attributes below n.
func (o Options) absolutize(n *nethtml.Node) {
	if o.BaseURL == "" {
		return
	}
	if n.Type == nethtml.ElementNode && attr(n, keepAttr) == "" {
		switch n.Data {
		case "a":
			if h := attr(n, "href"); h != "" {
				setAttr(n, "href", o.absolute(h))
			}
		case "img":
			if s := attr(n, "src"); s != "" {
				setAttr(n, "src", o.absolute(s))
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		o.absolutize(c)
	}
}
