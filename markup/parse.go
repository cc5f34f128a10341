package markup

import (
	"html"
	"strings"

	nethtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxDepth bounds element nesting in parsed storage XHTML. Deeper start tags still contribute
// their content but no further level, so hostile input cannot blow the stack of the recursive
// renderers downstream.
const maxDepth = 256

// parseStorage parses a Confluence storage-format fragment into a document whose body holds the
// fragment. Storage format is XHTML with undeclared ac:/ri: prefixes, so it is tokenised with
// x/net/html but the tree is built with XML rules: self-closing tags are closed, an end tag
// closes the nearest open element of its name, and stray end tags are ignored. The HTML tree
// builder would instead move macros out of paragraphs and nest text inside <ri:page/>.
// CDATA sections become escaped text beforehand (the tokenizer would read them as comments).
func parseStorage(storage string) *nethtml.Node {
	doc := &nethtml.Node{Type: nethtml.DocumentNode}
	root := newElement("html")
	body := newElement("body")
	doc.AppendChild(root)
	root.AppendChild(body)

	z := nethtml.NewTokenizer(strings.NewReader(expandCDATA(storage)))
	stack := []*nethtml.Node{body}
	for {
		tt := z.Next()
		if tt == nethtml.ErrorToken {
			break // io.EOF or a tokenizer error: keep what was read
		}
		top := stack[len(stack)-1]
		switch tt {
		case nethtml.TextToken:
			appendText(top, string(z.Text()))
		case nethtml.CommentToken:
			// Comments carry nothing a reader needs.
		case nethtml.StartTagToken, nethtml.SelfClosingTagToken:
			tok := z.Token()
			stack = closeImplied(stack, tok.Data)
			top = stack[len(stack)-1]
			el := &nethtml.Node{Type: nethtml.ElementNode, Data: tok.Data, DataAtom: tok.DataAtom, Attr: tok.Attr}
			top.AppendChild(el)
			if tt == nethtml.StartTagToken && !isVoid(tok.DataAtom) && len(stack) < maxDepth {
				stack = append(stack, el)
			}
		case nethtml.EndTagToken:
			name, _ := z.TagName()
			for i := len(stack) - 1; i > 0; i-- {
				if stack[i].Data == string(name) {
					stack = stack[:i]
					break
				}
			}
		}
	}
	return doc
}

// closeImplied applies the few HTML rules that matter when storage XHTML is not well formed:
// a block start closes an open paragraph, and list items and table cells close their open
// siblings.
func closeImplied(stack []*nethtml.Node, name string) []*nethtml.Node {
	top := stack[len(stack)-1].Data
	switch name {
	case "p", "div", "ul", "ol", "table", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6":
		if top == "p" && len(stack) > 1 {
			return stack[:len(stack)-1]
		}
	case "li":
		if top == "li" && len(stack) > 1 {
			return stack[:len(stack)-1]
		}
	case "td", "th":
		if (top == "td" || top == "th") && len(stack) > 1 {
			return stack[:len(stack)-1]
		}
	case "tr":
		for len(stack) > 2 && (top == "td" || top == "th" || top == "tr") {
			stack = stack[:len(stack)-1]
			top = stack[len(stack)-1].Data
		}
	}
	return stack
}

func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Br, atom.Hr, atom.Img, atom.Input, atom.Meta, atom.Link, atom.Col, atom.Area,
		atom.Base, atom.Wbr, atom.Source, atom.Embed, atom.Param, atom.Track:
		return true
	}
	return false
}

func appendText(parent *nethtml.Node, s string) {
	if s == "" {
		return
	}
	if last := parent.LastChild; last != nil && last.Type == nethtml.TextNode {
		last.Data += s
		return
	}
	parent.AppendChild(&nethtml.Node{Type: nethtml.TextNode, Data: s})
}

func newElement(name string) *nethtml.Node {
	return &nethtml.Node{Type: nethtml.ElementNode, Data: name, DataAtom: atom.Lookup([]byte(name))}
}

// expandCDATA replaces every <![CDATA[…]]> section with its escaped text. A section ends at
// "]]>"; exports that nest storage inside CDATA write that as "]] >", which is accepted too when
// it directly precedes a closing ac: tag. An unterminated section runs to the end of the input.
func expandCDATA(s string) string {
	const open = "<![CDATA["
	i := strings.Index(s, open)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i+len(open):]
		end, skip := cdataEnd(s)
		if end < 0 {
			b.WriteString(html.EscapeString(s))
			return b.String()
		}
		b.WriteString(html.EscapeString(s[:end]))
		s = s[end+skip:]
		i = strings.Index(s, open)
	}
	b.WriteString(s)
	return b.String()
}

// cdataEnd finds the end of a CDATA section: the index of its "]]" and the length of the
// terminator. It scans forward only, so a page with many sections stays linear.
func cdataEnd(s string) (end, skip int) {
	for from := 0; ; {
		i := strings.Index(s[from:], "]]")
		if i < 0 {
			return -1, 0
		}
		i += from
		switch rest := s[i+2:]; {
		case strings.HasPrefix(rest, ">"):
			return i, 3
		case strings.HasPrefix(rest, " ></ac:"):
			return i, 4
		}
		from = i + 1
	}
}
