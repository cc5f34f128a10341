package markup

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/util"
)

// MarkdownToStorage converts markdown (GitHub flavour) to Confluence storage XHTML: fenced code
// becomes the code macro with its language (mapped to the macro's names, "text" when Confluence
// has no highlighter for it) and a CDATA body, "> [!NOTE]" or "> **Note:** …"
// blockquotes become info/note/warning/tip macros, task lists become Confluence tasks, and
// tables, lists, links, images, headings, emphasis and inline code their XHTML elements. Of raw
// HTML only <br> and simple formatting tags (b, i, u, s, sub, sup, code, kbd…) become markup,
// balanced per span; any other HTML stays visible as text. The result is checked to be
// well-formed XML before it is returned.
//
// Links to /display/SPACE/Title (relative, or under the BaseURL of the optional opts) become
// Confluence page links, so a page read with StorageToMarkdown and written back keeps them.
func MarkdownToStorage(md string, opts ...Options) (string, error) {
	doc, src := parseMarkdown(md)
	w := &storageWriter{src: src}
	if len(opts) > 0 {
		w.opts = opts[0]
	}
	w.blocks(doc)
	// Clean again: a character reference such as &#x1; decodes to a
	// character that the input's cleaning could not see.
	out := Clean(w.b.String())
	if err := checkWellFormed(out); err != nil {
		return "", fmt.Errorf("markup: markdown to storage: %w", err)
	}
	return out, nil
}

type storageWriter struct {
	opts   Options
	b      strings.Builder
	src    []byte
	taskID int
	open   []string // formatting tags opened by raw inline HTML, innermost last
	// spanStart is len(open) when the current run of inlines began: raw closing tags only
	// match tags opened in the same run.
	spanStart int
	// refs, when set, resolves the atom references of an edit (see convert): text keeps
	// them for expansion after the well-formedness check, code and attributes get their text.
	refs *atomRefs
}

// plain resolves atom references in text that is written as code or as an attribute.
func (w *storageWriter) plain(s string) string {
	if w.refs == nil {
		return s
	}
	return w.refs.text(s)
}

func (w *storageWriter) blocks(parent ast.Node) {
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		w.block(n)
	}
}

func (w *storageWriter) block(n ast.Node) {
	switch n := n.(type) {
	case *ast.Heading:
		tag := "h" + strconv.Itoa(min(max(n.Level, 1), 6))
		w.b.WriteString("<" + tag + ">")
		w.inlines(n.FirstChild())
		w.b.WriteString("</" + tag + ">")
	case *ast.Paragraph:
		if w.refs != nil && w.refs.blockParagraph(n, w.src) {
			w.b.Write(bytes.TrimSpace(n.Lines().Value(w.src)))
			return
		}
		w.b.WriteString("<p>")
		w.inlines(n.FirstChild())
		w.b.WriteString("</p>")
	case *ast.TextBlock:
		w.inlines(n.FirstChild())
	case *ast.ThematicBreak:
		w.b.WriteString("<hr />")
	case *ast.FencedCodeBlock:
		w.code(confluenceLanguage(string(n.Language(w.src))), w.plain(codeText(n, w.src)))
	case *ast.CodeBlock:
		w.code("", w.plain(codeText(n, w.src)))
	case *ast.Blockquote:
		w.blockquote(n)
	case *ast.List:
		w.list(n)
	case *ast.ListItem:
		w.b.WriteString("<li>")
		w.blocks(n)
		w.b.WriteString("</li>")
	case *ast.HTMLBlock:
		if n.HTMLBlockType == ast.HTMLBlockType2 { // a comment
			return
		}
		var raw strings.Builder
		raw.WriteString(codeText(n, w.src))
		if n.HasClosure() {
			raw.WriteString("\n")
			raw.Write(n.ClosureLine.Value(w.src))
		}
		w.b.WriteString("<p>")
		xmlText(&w.b, w.plain(strings.TrimSpace(raw.String())))
		w.b.WriteString("</p>")
	case *east.Table:
		w.table(n)
	default:
		w.blocks(n)
	}
}

func (w *storageWriter) code(lang, body string) {
	w.b.WriteString(`<ac:structured-macro ac:name="code" ac:schema-version="1">`)
	if lang != "" {
		w.b.WriteString(`<ac:parameter ac:name="language">`)
		xmlText(&w.b, lang)
		w.b.WriteString(`</ac:parameter>`)
	}
	w.b.WriteString(`<ac:plain-text-body><![CDATA[`)
	// "]]>" cannot appear inside CDATA: close the section and reopen it between the brackets.
	w.b.WriteString(strings.ReplaceAll(body, "]]>", "]]]]><![CDATA[>"))
	w.b.WriteString(`]]></ac:plain-text-body></ac:structured-macro>`)
}

func (w *storageWriter) blockquote(n *ast.Blockquote) {
	c, ok := detectCallout(n, w.src)
	if !ok {
		w.b.WriteString("<blockquote>")
		w.blocks(n)
		w.b.WriteString("</blockquote>")
		return
	}
	w.b.WriteString(`<ac:structured-macro ac:name="` + c.kind + `" ac:schema-version="1">`)
	if c.title != "" {
		w.b.WriteString(`<ac:parameter ac:name="title">`)
		xmlText(&w.b, c.title)
		w.b.WriteString(`</ac:parameter>`)
	}
	w.b.WriteString(`<ac:rich-text-body>`)
	if c.rest != nil && !isBlankInline(c.rest, w.src) {
		// Rendered apart so the space after the "**Note:**" label can be trimmed.
		sub := &storageWriter{opts: w.opts, src: w.src, taskID: w.taskID, refs: w.refs}
		sub.inlines(c.rest)
		w.taskID = sub.taskID
		w.b.WriteString("<p>")
		w.b.WriteString(strings.TrimLeft(sub.b.String(), " \t\n"))
		w.b.WriteString("</p>")
	}
	for b := n.FirstChild().NextSibling(); b != nil; b = b.NextSibling() {
		w.block(b)
	}
	w.b.WriteString(`</ac:rich-text-body></ac:structured-macro>`)
}

func (w *storageWriter) list(n *ast.List) {
	if isTaskList(n) {
		w.b.WriteString("<ac:task-list>")
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			_, checked := taskState(item)
			w.taskID++
			status := "incomplete"
			if checked {
				status = "complete"
			}
			fmt.Fprintf(&w.b, "<ac:task><ac:task-id>%d</ac:task-id><ac:task-status>%s</ac:task-status><ac:task-body>", w.taskID, status)
			first := item.FirstChild()
			w.inlines(first.FirstChild().NextSibling()) // after the checkbox
			for b := first.NextSibling(); b != nil; b = b.NextSibling() {
				w.block(b)
			}
			w.b.WriteString("</ac:task-body></ac:task>")
		}
		w.b.WriteString("</ac:task-list>")
		return
	}
	tag := "ul"
	if n.IsOrdered() {
		tag = "ol"
	}
	w.b.WriteString("<" + tag)
	if n.IsOrdered() && n.Start > 1 {
		fmt.Fprintf(&w.b, ` start="%d"`, n.Start)
	}
	w.b.WriteString(">")
	w.blocks(n)
	w.b.WriteString("</" + tag + ">")
}

func (w *storageWriter) table(n *east.Table) {
	w.b.WriteString("<table><tbody>")
	for row := n.FirstChild(); row != nil; row = row.NextSibling() {
		cell := "td"
		if _, ok := row.(*east.TableHeader); ok {
			cell = "th"
		}
		w.b.WriteString("<tr>")
		for c := row.FirstChild(); c != nil; c = c.NextSibling() {
			w.b.WriteString("<" + cell + ">")
			w.inlines(c.FirstChild())
			w.b.WriteString("</" + cell + ">")
		}
		w.b.WriteString("</tr>")
	}
	w.b.WriteString("</tbody></table>")
}

// inlines renders n and its following siblings. Formatting tags that raw HTML opened among
// them are closed at the end, so the output stays well formed whatever the HTML.
func (w *storageWriter) inlines(n ast.Node) {
	mark, outer := len(w.open), w.spanStart
	w.spanStart = mark
	for ; n != nil; n = n.NextSibling() {
		w.inline(n)
	}
	w.closeTags(mark)
	w.spanStart = outer
}

func (w *storageWriter) closeTags(mark int) {
	for len(w.open) > mark {
		w.b.WriteString("</" + w.open[len(w.open)-1] + ">")
		w.open = w.open[:len(w.open)-1]
	}
}

// rawTag renders inline raw HTML: <br> and simple formatting tags become XHTML, anything else
// stays visible as text (it may be prose such as List<String>).
func (w *storageWriter) rawTag(raw string, mark int) {
	if isBreakTag(raw) {
		w.b.WriteString("<br />")
		return
	}
	name, closing, ok := rawInline(raw)
	tag, known := formatTags[name]
	switch {
	case !ok || !known:
		xmlText(&w.b, raw)
	case !closing:
		w.open = append(w.open, tag)
		w.b.WriteString("<" + tag + ">")
	default:
		for i := len(w.open) - 1; i >= mark; i-- {
			if w.open[i] == tag {
				w.closeTags(i)
				return
			}
		}
		// A closing tag with no opener in this span: drop it.
	}
}

// text writes s, with the inline placeholders a reader of
// EditableMarkdown knows (⟦@user⟧, ⟦status:…⟧, ⟦jira:KEY-1⟧, ⟦anchor:…⟧)
// made into what they stand for, so a new page can mention people as an
// edit can. Anything else in brackets stays text.
func (w *storageWriter) text(s string) {
	last := 0
	for _, m := range tokenPattern.FindAllStringIndex(s, -1) {
		if m[0] > 0 && s[m[0]-1] == '\\' { // \⟦ is a literal bracket, as in an edit
			xmlText(&w.b, s[last:m[0]-1])
			last = m[0]
			continue
		}
		xml, block, err := newTokenXML(s[m[0]:m[1]])
		if err != nil || block {
			continue
		}
		xmlText(&w.b, s[last:m[0]])
		w.b.WriteString(xml)
		last = m[1]
	}
	xmlText(&w.b, s[last:])
}

func (w *storageWriter) inline(n ast.Node) {
	switch n := n.(type) {
	case *ast.Text:
		w.text(string(textValue(n, w.src)))
		switch {
		case n.HardLineBreak():
			w.b.WriteString("<br />")
		case n.SoftLineBreak():
			w.b.WriteString("\n")
		}
	case *ast.String:
		xmlText(&w.b, string(n.Value))
	case *ast.CodeSpan:
		w.b.WriteString("<code>")
		xmlText(&w.b, w.plain(codeSpanText(n, w.src)))
		w.b.WriteString("</code>")
	case *ast.Emphasis:
		tag := "em"
		if n.Level >= 2 {
			tag = "strong"
		}
		w.b.WriteString("<" + tag + ">")
		w.inlines(n.FirstChild())
		w.b.WriteString("</" + tag + ">")
	case *east.Strikethrough:
		w.b.WriteString("<del>")
		w.inlines(n.FirstChild())
		w.b.WriteString("</del>")
	case *ast.Link:
		dest := string(util.URLEscape(n.Destination, true))
		if isDangerousURL(dest) {
			w.inlines(n.FirstChild())
			return
		}
		if space, title, anchor, ok := w.pageLink(string(n.Destination)); ok {
			w.b.WriteString("<ac:link")
			if anchor != "" {
				w.b.WriteString(` ac:anchor="`)
				xmlText(&w.b, anchor)
				w.b.WriteString(`"`)
			}
			w.b.WriteString(`><ri:page ri:space-key="`)
			xmlText(&w.b, space)
			w.b.WriteString(`" ri:content-title="`)
			xmlText(&w.b, title)
			w.b.WriteString(`" /><ac:link-body>`)
			w.inlines(n.FirstChild())
			w.b.WriteString("</ac:link-body></ac:link>")
			return
		}
		w.b.WriteString(`<a href="`)
		xmlText(&w.b, dest)
		w.b.WriteString(`"`)
		if len(n.Title) > 0 {
			w.b.WriteString(` title="`)
			xmlText(&w.b, w.plain(string(resolveText(n.Title))))
			w.b.WriteString(`"`)
		}
		w.b.WriteString(">")
		w.inlines(n.FirstChild())
		w.b.WriteString("</a>")
	case *ast.AutoLink:
		url := string(n.URL(w.src))
		if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(url), "mailto:") {
			url = "mailto:" + url
		}
		if isDangerousURL(url) {
			xmlText(&w.b, string(n.Label(w.src)))
			return
		}
		w.b.WriteString(`<a href="`)
		xmlText(&w.b, url)
		w.b.WriteString(`">`)
		xmlText(&w.b, string(n.Label(w.src)))
		w.b.WriteString("</a>")
	case *ast.Image:
		w.image(n)
	case *ast.RawHTML:
		w.rawTag(rawHTML(n, w.src), w.spanStart)
	case *east.TaskCheckBox:
		// Only reached for a checkbox outside a pure task list: keep it visible.
		if n.IsChecked {
			w.b.WriteString("[x] ")
		} else {
			w.b.WriteString("[ ] ")
		}
	default:
		w.inlines(n.FirstChild())
	}
}

// pageLink recognises a link to a Confluence page by its display URL, /display/SPACE/Title
// (relative, or under the BaseURL given to MarkdownToStorage), as StorageToMarkdown writes
// page links, so that a page read as markdown and written back keeps real page links.
func (w *storageWriter) pageLink(dest string) (space, title, anchor string, ok bool) {
	dest = strings.TrimSpace(dest)
	if base := strings.TrimRight(w.opts.BaseURL, "/"); base != "" && strings.HasPrefix(dest, base+"/") {
		dest = dest[len(base):]
	}
	rest, found := strings.CutPrefix(dest, "/display/")
	if !found {
		return "", "", "", false
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, anchor = rest[:i], rest[i+1:]
	}
	if strings.Contains(rest, "?") {
		return "", "", "", false
	}
	rawSpace, rawTitle, found := strings.Cut(rest, "/")
	if !found || rawSpace == "" || rawTitle == "" || strings.Contains(rawTitle, "/") {
		return "", "", "", false // a space home or a blog post: keep the URL
	}
	space, err1 := url.PathUnescape(rawSpace)
	title, err2 := url.QueryUnescape(rawTitle)
	if err1 != nil || err2 != nil || strings.TrimSpace(title) == "" {
		return "", "", "", false
	}
	return space, title, anchor, true
}

// image renders an image as ac:image: a bare file name is an attachment of the page, anything
// else a URL.
func (w *storageWriter) image(n *ast.Image) {
	dest := string(util.URLEscape(n.Destination, true))
	if isDangerousURL(dest) {
		xmlText(&w.b, w.plain(plainText(n, w.src)))
		return
	}
	w.b.WriteString("<ac:image")
	if alt := w.plain(plainText(n, w.src)); alt != "" {
		w.b.WriteString(` ac:alt="`)
		xmlText(&w.b, alt)
		w.b.WriteString(`"`)
	}
	w.b.WriteString(">")
	if !strings.Contains(dest, "/") && !strings.Contains(dest, ":") && dest != "" {
		w.b.WriteString(`<ri:attachment ri:filename="`)
		xmlText(&w.b, string(resolveText(n.Destination)))
	} else {
		w.b.WriteString(`<ri:url ri:value="`)
		xmlText(&w.b, dest)
	}
	w.b.WriteString(`" /></ac:image>`)
}

func isBreakTag(s string) bool {
	s = strings.ToLower(strings.ReplaceAll(s, " ", ""))
	return s == "<br>" || s == "<br/>"
}

func isBlankInline(n ast.Node, src []byte) bool {
	for ; n != nil; n = n.NextSibling() {
		if t, ok := n.(*ast.Text); ok && len(bytes.TrimSpace(textValue(t, src))) == 0 {
			continue
		}
		return false
	}
	return true
}

// xmlText writes s escaped for XML text and attribute values.
func xmlText(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteByte(c)
		}
	}
}

// confluenceLanguage maps a fence info string to a language of the Confluence Server/DC code
// macro. Confluence answers any other value with "Error rendering macro 'code': Invalid value
// specified for parameter", so an unknown language becomes plain "text".
func confluenceLanguage(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if lang == "" {
		return ""
	}
	if alias, ok := codeLanguageAliases[lang]; ok {
		lang = alias
	}
	if _, ok := codeLanguages[lang]; ok {
		return lang
	}
	return "text"
}

// codeLanguages are the values the code macro accepts (yml since Confluence 6.7).
var codeLanguages = map[string]struct{}{
	"actionscript3": {}, "applescript": {}, "bash": {}, "c#": {}, "cpp": {}, "css": {},
	"coldfusion": {}, "delphi": {}, "diff": {}, "erl": {}, "groovy": {}, "xml": {}, "java": {},
	"jfx": {}, "js": {}, "php": {}, "perl": {}, "text": {}, "powershell": {}, "py": {},
	"ruby": {}, "sql": {}, "sass": {}, "scala": {}, "vb": {}, "yml": {},
}

var codeLanguageAliases = map[string]string{
	"python": "py", "python3": "py", "javascript": "js", "node": "js", "typescript": "js", "ts": "js",
	"json": "js", "sh": "bash", "shell": "bash", "zsh": "bash", "console": "bash", "yaml": "yml",
	"html": "xml", "xhtml": "xml", "svg": "xml", "c": "cpp", "c++": "cpp", "h": "cpp", "cs": "c#",
	"csharp": "c#", "ps1": "powershell", "pwsh": "powershell", "rb": "ruby", "erlang": "erl",
	"scss": "sass", "actionscript": "actionscript3", "javafx": "jfx", "patch": "diff",
	"plaintext": "text", "txt": "text", "none": "text",
}

// checkWellFormed parses the storage fragment as XML with the ac: and ri: prefixes declared.
func checkWellFormed(storage string) error {
	d := xml.NewDecoder(strings.NewReader(
		`<root xmlns:ac="http://atlassian.com/content" xmlns:ri="http://atlassian.com/resource/identifier">` +
			storage + `</root>`))
	d.Strict = true
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("output is not well-formed XHTML: %w", err)
		}
	}
}
