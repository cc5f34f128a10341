package markup

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
)

// MarkdownToWiki converts markdown (GitHub flavour) to Jira wiki markup: "h1." headings,
// *bold*, _italic_, -strike-, {{code}}, {code:lang}…{code} ({noformat} without a language),
// [text|url] links, !image!, "* "/"# " lists, ||head|| tables, {quote} blockquotes (callouts
// keep their label in bold) and "----" rules. Characters that Jira would read as markup are
// escaped with a backslash where they would take effect.
func MarkdownToWiki(md string) string {
	return markdownToWiki(md, nil)
}

// markdownToWiki is MarkdownToWiki with the atom references of an edit (see convert) kept in
// text for the caller to expand, and resolved to their markdown in code.
func markdownToWiki(md string, refs *atomRefs) string {
	doc, src := parseMarkdown(md)
	w := &wikiWriter{src: src, refs: refs}
	w.blocks(doc, "")
	// Clean again: a character reference such as &#x1; decodes to a control
	// character that the input's cleaning could not see.
	return collapseWikiBlankLines(strings.TrimSpace(Clean(w.b.String()))) + "\n"
}

type wikiWriter struct {
	b     strings.Builder
	src   []byte
	quote int // depth of {quote}: Jira cannot nest them
	refs  *atomRefs
}

// plain resolves atom references in code, where they are text.
func (w *wikiWriter) plain(s string) string {
	if w.refs == nil {
		return s
	}
	return w.refs.text(s)
}

// collapseWikiBlankLines keeps at most one blank line in a row, except inside {code} and
// {noformat} blocks, whose blank lines are content.
func collapseWikiBlankLines(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inCode, blank := false, 0
	for i, line := range strings.Split(s, "\n") {
		switch {
		case inCode:
			if line == "{code}" || line == "{noformat}" {
				inCode = false
			}
		case line == "":
			blank++
			if blank > 1 {
				continue
			}
		default:
			blank = 0
			if strings.HasPrefix(line, "{code") || line == "{noformat}" {
				inCode = true
			}
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(line)
	}
	return b.String()
}

// blocks renders the children of parent; prefix is the list marker path ("*#") of the items
// they belong to.
func (w *wikiWriter) blocks(parent ast.Node, prefix string) {
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		w.block(n, prefix)
	}
}

func (w *wikiWriter) block(n ast.Node, prefix string) {
	switch n := n.(type) {
	case *ast.Heading:
		w.b.WriteString("h" + strconv.Itoa(min(max(n.Level, 1), 6)) + ". ")
		w.b.WriteString(oneLine(w.inlineString(n.FirstChild())))
		w.b.WriteString("\n\n")
	case *ast.Paragraph, *ast.TextBlock:
		w.b.WriteString(escapeLineStarts(w.inlineString(n.FirstChild())))
		w.b.WriteString("\n\n")
	case *ast.ThematicBreak:
		w.b.WriteString("----\n\n")
	case *ast.FencedCodeBlock:
		w.code(wikiLanguage(string(n.Language(w.src))), w.plain(codeText(n, w.src)))
	case *ast.CodeBlock:
		w.code("", w.plain(codeText(n, w.src)))
	case *ast.Blockquote:
		if w.quote > 0 {
			w.blocks(n, "") // already inside {quote}
			return
		}
		// Rendered apart, so the newlines before {quote} can be trimmed without copying the
		// whole document.
		sub := &wikiWriter{src: w.src, quote: w.quote + 1, refs: w.refs}
		if c, ok := detectCallout(n, w.src); ok {
			label := "*" + c.label + ":*"
			if c.title != "" {
				label = "*" + c.label + ": " + escapeWiki(c.title) + "*"
			}
			sub.b.WriteString(label)
			if c.rest != nil && !isBlankInline(c.rest, w.src) {
				sep := " "
				if c.title != "" {
					sep = "\n\n"
				}
				sub.b.WriteString(sep + strings.TrimLeft(sub.inlineString(c.rest), " \t\n"))
			}
			sub.b.WriteString("\n\n")
			for b := n.FirstChild().NextSibling(); b != nil; b = b.NextSibling() {
				sub.block(b, "")
			}
		} else {
			sub.blocks(n, "")
		}
		w.b.WriteString("{quote}\n")
		w.b.WriteString(strings.TrimRight(sub.b.String(), "\n"))
		w.b.WriteString("\n{quote}\n\n")
	case *ast.List:
		marker := "*"
		if n.IsOrdered() {
			marker = "#"
		}
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			w.listItem(item, prefix+marker)
		}
		if prefix == "" {
			w.b.WriteString("\n")
		}
	case *ast.HTMLBlock:
		if n.HTMLBlockType == ast.HTMLBlockType2 {
			return
		}
		w.b.WriteString(escapeWiki(strings.TrimSpace(codeText(n, w.src))))
		w.b.WriteString("\n\n")
	case *east.Table:
		w.table(n)
	default:
		w.blocks(n, prefix)
	}
}

// listItem writes one item: its first paragraph on the marker line, nested lists with a longer
// marker, and any other block (a second paragraph, code) after it.
func (w *wikiWriter) listItem(item ast.Node, prefix string) {
	w.b.WriteString(prefix + " ")
	first := item.FirstChild()
	rest := first
	if first != nil {
		if _, ok := first.(*ast.List); !ok {
			rest = first.NextSibling()
			inl := first.FirstChild()
			if box, ok := inl.(*east.TaskCheckBox); ok {
				if box.IsChecked {
					w.b.WriteString(`\[x\] `)
				} else {
					w.b.WriteString(`\[ \] `)
				}
				inl = inl.NextSibling()
			}
			if _, ok := first.(*ast.Paragraph); ok || isTextBlock(first) {
				w.b.WriteString(oneLineBreaks(w.inlineString(inl)))
			} else {
				w.b.WriteString("\n")
				w.block(first, "")
			}
		}
	}
	w.b.WriteString("\n")
	for b := rest; b != nil; b = b.NextSibling() {
		if l, ok := b.(*ast.List); ok {
			w.block(l, prefix)
			continue
		}
		if _, ok := b.(*ast.Paragraph); ok {
			// A later paragraph of the item continues it on a new line.
			w.b.WriteString(oneLineBreaks(w.inlineString(b.FirstChild())) + "\n")
			continue
		}
		w.block(b, "")
	}
}

func isTextBlock(n ast.Node) bool {
	_, ok := n.(*ast.TextBlock)
	return ok
}

func (w *wikiWriter) code(lang, body string) {
	open, closing := "{code:"+lang+"}", "{code}"
	if lang == "" || strings.Contains(body, "{code") {
		open, closing = "{noformat}", "{noformat}"
	}
	if strings.Contains(body, "{noformat}") && open == "{noformat}" {
		body = strings.ReplaceAll(body, "{noformat}", `\{noformat\}`)
	}
	w.b.WriteString(open + "\n" + body + "\n" + closing + "\n\n")
}

func (w *wikiWriter) table(n *east.Table) {
	for row := n.FirstChild(); row != nil; row = row.NextSibling() {
		sep := "|"
		if _, ok := row.(*east.TableHeader); ok {
			sep = "||"
		}
		for c := row.FirstChild(); c != nil; c = c.NextSibling() {
			cell := oneLine(w.inlineString(c.FirstChild()))
			if cell == "" {
				cell = " "
			}
			w.b.WriteString(sep + cell)
		}
		w.b.WriteString(sep + "\n")
	}
	w.b.WriteString("\n")
}

// inlineString renders n and its following siblings as wiki inline markup.
func (w *wikiWriter) inlineString(n ast.Node) string {
	var b strings.Builder
	for ; n != nil; n = n.NextSibling() {
		w.inline(&b, n)
	}
	return b.String()
}

func (w *wikiWriter) inline(b *strings.Builder, n ast.Node) {
	switch n := n.(type) {
	case *ast.Text:
		b.WriteString(escapeWiki(string(textValue(n, w.src))))
		if n.SoftLineBreak() || n.HardLineBreak() {
			b.WriteString("\n")
		}
	case *ast.String:
		b.WriteString(escapeWiki(string(n.Value)))
	case *ast.CodeSpan:
		code := w.plain(codeSpanText(n, w.src))
		if strings.TrimSpace(code) == "" {
			b.WriteString(code)
			return
		}
		code = wikiCodeEscaper.Replace(code)
		b.WriteString("{{" + code + "}}")
	case *ast.Emphasis:
		mark := "_"
		if n.Level >= 2 {
			mark = "*"
		}
		b.WriteString(mark + w.inlineString(n.FirstChild()) + mark)
	case *east.Strikethrough:
		b.WriteString("-" + w.inlineString(n.FirstChild()) + "-")
	case *ast.Link:
		dest := wikiURL(string(n.Destination))
		label := oneLine(w.inlineString(n.FirstChild()))
		if isDangerousURL(dest) || dest == "" {
			b.WriteString(label)
			return
		}
		if label == "" || label == escapeWiki(dest) {
			b.WriteString("[" + dest + "]")
			return
		}
		b.WriteString("[" + label + "|" + dest + "]")
	case *ast.AutoLink:
		url := string(n.URL(w.src))
		if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(url, "mailto:") {
			url = "mailto:" + url
		}
		b.WriteString("[" + url + "]")
	case *ast.Image:
		dest := wikiURL(string(n.Destination))
		if isDangerousURL(dest) || dest == "" {
			b.WriteString(escapeWiki(plainText(n, w.src)))
			return
		}
		b.WriteString("!" + dest + "!")
	case *ast.RawHTML:
		raw := rawHTML(n, w.src)
		if isBreakTag(raw) {
			b.WriteString("\n")
			return
		}
		name, closing, ok := rawInline(raw)
		if mark, known := wikiTags[name]; ok && known {
			if mark == "{{" && closing {
				mark = "}}"
			}
			b.WriteString(mark)
			return
		}
		b.WriteString(escapeWiki(raw))
	case *east.TaskCheckBox:
		if n.IsChecked {
			b.WriteString(`\[x\] `)
		} else {
			b.WriteString(`\[ \] `)
		}
	default:
		b.WriteString(w.inlineString(n.FirstChild()))
	}
}

// wikiTags maps inline HTML formatting tags to the wiki mark that opens and closes them.
var wikiTags = map[string]string{
	"b": "*", "strong": "*", "i": "_", "em": "_", "u": "+", "ins": "+", "s": "-", "del": "-",
	"strike": "-", "sub": "~", "sup": "^", "code": "{{", "kbd": "{{", "tt": "{{",
}

// escapeWiki backslash-escapes the characters Jira would read as markup: brackets, braces and
// pipes always; the emphasis characters * _ - + ^ ~ and ! only where they could open a span
// (after a boundary, before a non-space); ?? always.
func escapeWiki(s string) string {
	if !strings.ContainsAny(s, "{}[]|*_-+^~!?") {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '{', '}', '[', ']', '|':
			b.WriteByte('\\')
		case '*', '_', '-', '+', '^', '~', '!':
			prev, _ := utf8.DecodeLastRuneInString(s[:i])
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			// Only a mark that can open a span needs escaping: without an opener, Jira
			// leaves the closer alone.
			if isWikiBoundary(prev) && next != utf8.RuneError && !unicode.IsSpace(next) {
				b.WriteByte('\\')
			}
		case '?':
			if strings.HasPrefix(s[i+1:], "?") || strings.HasSuffix(s[:i], "?") {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isWikiBoundary reports whether r (RuneError at the start or end of the text) can border an
// emphasis mark: anything but a letter or digit.
func isWikiBoundary(r rune) bool {
	return r == utf8.RuneError || !(unicode.IsLetter(r) || unicode.IsDigit(r))
}

// escapeLineStarts escapes a paragraph line that Jira would take for a list item, a rule, a
// heading or a quote.
func escapeLineStarts(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		switch {
		case listLine.MatchString(l), strings.HasPrefix(l, "----"):
			lines[i] = `\` + l
		case len(l) > 3 && l[0] == 'h' && l[1] >= '1' && l[1] <= '6' && l[2] == '.' && l[3] == ' ',
			strings.HasPrefix(l, "bq. "):
			dot := strings.IndexByte(l, '.')
			lines[i] = l[:dot] + `\` + l[dot:]
		}
	}
	return strings.Join(lines, "\n")
}

var listLine = regexp.MustCompile(`^[*#-]+ `)

// oneLine folds soft breaks for places that must stay on one line (headings, table cells).
func oneLine(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\n", " "))
}

// oneLineBreaks keeps the line breaks of a list item's text as Jira's explicit "\\" breaks, so
// the item does not end at the first newline.
func oneLineBreaks(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", ` \\ `)
}

// wikiLanguage maps a fence info string to a language of Jira's code macro, or "" (and so a
// {noformat} block) when Jira would not know it: Jira prints an error above a code block in an
// unknown language.
func wikiLanguage(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if alias, ok := wikiLanguageAliases[lang]; ok {
		lang = alias
	}
	if _, ok := wikiLanguages[lang]; ok {
		return lang
	}
	return ""
}

var wikiLanguageAliases = map[string]string{
	"py": "python", "python3": "python", "golang": "go", "ts": "javascript", "typescript": "javascript",
	"node": "javascript", "yml": "yaml", "shell": "bash", "zsh": "bash", "console": "bash",
	"cs": "c#", "csharp": "c#", "objective-c": "objc", "vb": "visualbasic", "xhtml": "html",
}

// wikiLanguages are the languages of the code macro of Jira Server/DC 7 and later (Jira 6
// knew only actionscript, html, java, javascript, none, sql, xhtml and xml).
var wikiLanguages = map[string]struct{}{
	"actionscript": {}, "ada": {}, "applescript": {}, "bash": {}, "c": {}, "c#": {}, "cpp": {}, "c++": {},
	"css": {}, "erlang": {}, "go": {}, "groovy": {}, "haskell": {}, "html": {}, "java": {},
	"javascript": {}, "js": {}, "json": {}, "lua": {}, "none": {}, "objc": {}, "perl": {},
	"php": {}, "python": {}, "r": {}, "ruby": {}, "scala": {}, "sh": {}, "sql": {}, "swift": {},
	"visualbasic": {}, "xml": {}, "yaml": {},
}

// wikiURL percent-encodes the characters that would end a wiki link or image early.
func wikiURL(u string) string {
	return wikiURLEscaper.Replace(u)
}

// The replacers are built once and are safe for concurrent use.
var (
	wikiURLEscaper  = strings.NewReplacer("|", "%7C", "]", "%5D", "!", "%21", " ", "%20", "\n", "%0A")
	wikiCodeEscaper = strings.NewReplacer("{", `\{`, "}", `\}`, "|", `\|`)
)
