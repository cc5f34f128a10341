package markup

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	gtext "github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// parseMarkdown parses GitHub-flavoured markdown (tables, strikethrough, task lists, bare
// links). Invisible and control characters are cleaned first: they are invalid in XHTML and
// have no business in text written to Jira or Confluence.
func parseMarkdown(md string) (ast.Node, []byte) {
	src := []byte(limitNesting(Clean(md)))
	p := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()
	return p.Parse(gtext.NewReader(src)), src
}

// maxNesting bounds the blockquote and list markers at the start of a line. Deeper nesting
// means nothing to a reader, and goldmark's cost grows with the square of it (100,000 ">" took
// seconds).
const maxNesting = 32

// limitNesting drops the container markers beyond maxNesting at the start of each line.
// Lines of a top-level fenced code block are code, not nesting, and are left alone.
func limitNesting(md string) string {
	var b strings.Builder
	changed := false
	fence := "" // the opening run of the fenced block we are in
	for rest := md; rest != ""; {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = ""
		}
		if run := fenceRun(line); fence != "" {
			if strings.HasPrefix(run, fence) && strings.TrimSpace(strings.TrimLeft(line, " "))[len(run):] == "" {
				fence = ""
			}
		} else if run != "" {
			fence = run
		} else if len(line) > 2*maxNesting {
			if cut := nestingCut(line); cut > 0 {
				if !changed {
					b.Grow(len(md))
					b.WriteString(md[:len(md)-len(rest)-len(line)])
					changed = true
				}
				line = line[:cut] + strings.TrimLeft(line[cut:], " \t>*+-")
			}
		}
		if changed {
			b.WriteString(line)
		}
	}
	if !changed {
		return md
	}
	return b.String()
}

// fenceRun returns the run of backticks or tildes that opens (or closes) a fenced code block
// on line — at most three spaces of indent, then three or more of the same fence character —
// or "" when the line is not a fence. A backtick fence's info string holds no backtick.
func fenceRun(line string) string {
	s := strings.TrimLeft(line, " ")
	if len(line)-len(s) > 3 || len(s) < 3 || (s[0] != '`' && s[0] != '~') {
		return ""
	}
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	if n < 3 || (s[0] == '`' && strings.IndexByte(s[n:], '`') >= 0) {
		return ""
	}
	return s[:n]
}

// nestingCut returns the offset after the first maxNesting container markers of line, or 0
// when the line holds fewer. Four columns of blank before a marker make the rest of the line
// indented code, where ">" and "*" are text.
func nestingCut(line string) int {
	n, blank := 0, 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == ' ':
			blank++
		case c == '\t':
			blank += 4
		case c == '>' || ((c == '-' || c == '*' || c == '+') && i+1 < len(line) && (line[i+1] == ' ' || line[i+1] == '\t')):
			if blank >= 4 {
				return 0
			}
			blank = 0
			n++
		default:
			return 0
		}
		if n == maxNesting {
			return i + 1
		}
	}
	return 0
}

// plainText is the text of an inline subtree with escapes and entities resolved.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(textValue(t, src))
			if t.SoftLineBreak() || t.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(t.Value)
		case *ast.AutoLink:
			b.Write(t.Label(src))
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// textValue is what a Text node reads as: backslash escapes and character references
// resolved, unless the node is raw (code span content).
func textValue(t *ast.Text, src []byte) []byte {
	v := t.Segment.Value(src)
	if t.IsRaw() {
		return v
	}
	return resolveText(v)
}

func resolveText(v []byte) []byte {
	if bytes.IndexByte(v, '\\') >= 0 {
		v = util.UnescapePunctuations(v)
	}
	if bytes.IndexByte(v, '&') >= 0 {
		v = util.ResolveEntityNames(util.ResolveNumericReferences(v))
	}
	return v
}

// codeText joins the lines of a code block.
func codeText(n ast.Node, src []byte) string {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(src))
	}
	return strings.TrimRight(b.String(), "\n")
}

// codeSpanText is the content of an inline code span.
func codeSpanText(n ast.Node, src []byte) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch t := c.(type) {
		case *ast.Text:
			v := t.Segment.Value(src)
			if bytes.HasSuffix(v, []byte("\n")) {
				v = append(v[:len(v)-1:len(v)-1], ' ')
			}
			b.Write(v)
		case *ast.String:
			b.Write(t.Value)
		}
	}
	return b.String()
}

// callout is a blockquote that stands for an info/note/warning/tip macro: GitHub's
// "> [!NOTE]" or our own "> **Note:** …" / "> **Note: Title**".
type callout struct {
	kind  string // Confluence macro name: info, note, warning, tip, panel…
	title string
	label string   // the label as written, for wiki output
	rest  ast.Node // first inline of the first paragraph that belongs to the body, or nil
}

var (
	githubCallout = regexp.MustCompile(`^\[!(NOTE|INFO|TIP|WARNING|CAUTION|IMPORTANT)\][ \t]*(.*)$`)
	boldCallout   = regexp.MustCompile(`(?i)^(note|info|warning|tip|panel|error|success|important|caution)(?::[ \t]*(.*?))?:?$`)
)

var calloutKinds = map[string]string{
	"note": "note", "info": "info", "tip": "tip", "warning": "warning", "caution": "warning",
	"important": "note", "panel": "panel", "error": "warning", "success": "tip",
}

// detectCallout reports whether the blockquote is a callout.
func detectCallout(bq ast.Node, src []byte) (callout, bool) {
	p, ok := bq.FirstChild().(*ast.Paragraph)
	if !ok || p.Lines().Len() == 0 {
		return callout{}, false
	}
	first := p.Lines().At(0)
	line := strings.TrimSpace(string(first.Value(src)))
	if m := githubCallout.FindStringSubmatch(line); m != nil {
		// Skip the inlines of the marker line.
		c := p.FirstChild()
		for c != nil {
			t, isText := c.(*ast.Text)
			if !isText {
				c = c.NextSibling()
				continue
			}
			if t.Segment.Start >= first.Stop {
				break
			}
			brk := t.SoftLineBreak() || t.HardLineBreak()
			c = c.NextSibling()
			if brk {
				break
			}
		}
		return callout{kind: calloutKinds[strings.ToLower(m[1])], title: strings.TrimSpace(m[2]), label: titleCase(m[1]), rest: c}, true
	}
	em, ok := p.FirstChild().(*ast.Emphasis)
	if !ok || em.Level != 2 {
		return callout{}, false
	}
	label := strings.TrimSpace(plainText(em, src))
	m := boldCallout.FindStringSubmatch(label)
	if m == nil {
		return callout{}, false
	}
	// The label needs its colon, inside the bold ("**Note:**", "**Note: Title**") or right
	// after it ("**Note**: …"); "> **Note** that…" is an ordinary quote.
	hasColon := strings.Contains(label, ":")
	rest := em.NextSibling()
	if t, ok := rest.(*ast.Text); ok {
		v := textValue(t, src)
		trimmed := bytes.TrimLeft(v, " \t")
		if !hasColon && bytes.HasPrefix(trimmed, []byte(":")) && !t.IsRaw() {
			hasColon = true
			t.Segment = t.Segment.WithStart(t.Segment.Start + (len(v) - len(trimmed)) + 1)
			v = textValue(t, src)
		}
		if len(bytes.TrimSpace(v)) == 0 && (t.SoftLineBreak() || t.HardLineBreak()) {
			rest = t.NextSibling()
		}
	}
	if !hasColon {
		return callout{}, false
	}
	return callout{kind: calloutKinds[strings.ToLower(m[1])], title: strings.TrimSpace(m[2]), label: titleCase(m[1]), rest: rest}, true
}

func titleCase(s string) string {
	s = strings.ToLower(s)
	return strings.ToUpper(s[:1]) + s[1:]
}

// taskState reports whether a list item starts with a task checkbox, and whether it is ticked.
func taskState(item ast.Node) (isTask, checked bool) {
	first := item.FirstChild()
	if first == nil {
		return false, false
	}
	if box, ok := first.FirstChild().(*east.TaskCheckBox); ok {
		return true, box.IsChecked
	}
	return false, false
}

// isTaskList reports whether every item of the list is a task.
func isTaskList(list ast.Node) bool {
	for item := list.FirstChild(); item != nil; item = item.NextSibling() {
		if ok, _ := taskState(item); !ok {
			return false
		}
	}
	return list.FirstChild() != nil
}

// isDangerousURL reports link targets that must not become links.
func isDangerousURL(u string) bool {
	l := strings.ToLower(strings.TrimSpace(u))
	for _, p := range []string{"javascript:", "vbscript:", "file:", "data:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

var inlineTag = regexp.MustCompile(`^<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?>$`)

// formatTags maps the inline HTML formatting tags kept from markdown to their storage element.
var formatTags = map[string]string{
	"b": "strong", "strong": "strong", "i": "em", "em": "em", "u": "u", "s": "del", "del": "del",
	"strike": "del", "ins": "u", "sub": "sub", "sup": "sup", "code": "code", "kbd": "code", "tt": "code",
}

// rawInline reads one inline raw HTML tag: its lower-case name and whether it closes.
func rawInline(raw string) (name string, closing, ok bool) {
	m := inlineTag.FindStringSubmatch(strings.TrimSpace(raw))
	if m == nil {
		return "", false, false
	}
	return strings.ToLower(m[2]), m[1] == "/", true
}

func rawHTML(n *ast.RawHTML, src []byte) string {
	var raw strings.Builder
	for i := 0; i < n.Segments.Len(); i++ {
		seg := n.Segments.At(i)
		raw.Write(seg.Value(src))
	}
	return raw.String()
}
