package markup

import (
	"html"
	"strings"
)

// xnode is a node of storage XHTML that remembers where it came from: the edit round trip
// copies the bytes of everything the edit did not touch, so it needs each element's exact
// span in the source, which x/net/html's tree does not keep.
type xnode struct {
	kind     xkind
	name     string // element name, lower case ("ac:structured-macro")
	attrs    []xattr
	start    int // offset of the node's first byte
	openEnd  int // elements: offset after the start tag's ">"
	closeBeg int // elements: offset of the end tag ("</…"), or end when there is none
	end      int // offset after the node's last byte
	parent   *xnode
	children []*xnode
}

type xkind uint8

const (
	xElement xkind = iota
	xText
	xCDATA
	xComment // comments, doctypes, processing instructions and stray end tags
)

type xattr struct{ key, val string }

func (n *xnode) attr(key string) string {
	for _, a := range n.attrs {
		if a.key == key {
			return a.val
		}
	}
	return ""
}

// src returns the node's bytes.
func (n *xnode) src(s string) string { return s[n.start:n.end] }

// text returns the decoded text of a text or CDATA node.
func (n *xnode) text(s string) string {
	switch n.kind {
	case xText:
		return html.UnescapeString(s[n.start:n.end])
	case xCDATA:
		body := s[n.start+len("<![CDATA[") : n.end]
		body, _ = strings.CutSuffix(body, "]]>")
		if b, ok := strings.CutSuffix(body, "]] >"); ok {
			body = b
		}
		return body
	}
	return ""
}

func (n *xnode) isElement(name string) bool { return n != nil && n.kind == xElement && n.name == name }

// childElement returns the first element child named name.
func (n *xnode) childElement(name string) *xnode {
	for _, c := range n.children {
		if c.isElement(name) {
			return c
		}
	}
	return nil
}

// parseX parses a storage fragment into a tree whose children cover the source exactly: every
// byte belongs to one node, so a subtree's bytes are src[start:end]. The tree follows the same
// rules as parseStorage (XML nesting, a few HTML implied closes, a depth cap), so both read
// broken markup alike.
func parseX(s string) *xnode {
	root := &xnode{kind: xElement, name: "#root", end: len(s), closeBeg: len(s)}
	stack := []*xnode{root}
	add := func(n *xnode) {
		top := stack[len(stack)-1]
		n.parent = top
		top.children = append(top.children, n)
	}
	closeTo := func(i, at int) { // closes stack[i:] implicitly at offset at
		for j := len(stack) - 1; j >= i; j-- {
			stack[j].closeBeg, stack[j].end = at, at
		}
		stack = stack[:i]
	}
	for pos := 0; pos < len(s); {
		if s[pos] != '<' {
			next := strings.IndexByte(s[pos+1:], '<')
			end := len(s)
			if next >= 0 {
				end = pos + 1 + next
			}
			addText(stack[len(stack)-1], s, pos, end)
			pos = end
			continue
		}
		rest := s[pos:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest[4:], "-->")
			e := len(s)
			if end >= 0 {
				e = pos + 4 + end + 3
			}
			add(&xnode{kind: xComment, start: pos, end: e})
			pos = e
		case strings.HasPrefix(rest, "<![CDATA["):
			body := rest[len("<![CDATA["):]
			end, skip := cdataEnd(body)
			e := len(s)
			if end >= 0 {
				e = pos + len("<![CDATA[") + end + skip
			}
			add(&xnode{kind: xCDATA, start: pos, end: e})
			pos = e
		case strings.HasPrefix(rest, "<!") || strings.HasPrefix(rest, "<?"):
			e := strings.IndexByte(rest, '>')
			if e < 0 {
				e = len(rest) - 1
			}
			add(&xnode{kind: xComment, start: pos, end: pos + e + 1})
			pos += e + 1
		case strings.HasPrefix(rest, "</") && len(rest) > 2 && isNameStart(rest[2]):
			name, n := scanName(rest[2:])
			e := strings.IndexByte(rest[2+n:], '>')
			end := len(s)
			if e >= 0 {
				end = pos + 2 + n + e + 1
			}
			name = strings.ToLower(name)
			found := false
			for i := len(stack) - 1; i > 0; i-- {
				if stack[i].name == name {
					closeTo(i+1, pos)
					stack[i].closeBeg, stack[i].end = pos, end
					stack = stack[:i]
					found = true
					break
				}
			}
			if !found {
				add(&xnode{kind: xComment, start: pos, end: end})
			}
			pos = end
		case len(rest) > 1 && isNameStart(rest[1]):
			el, end, selfClosing := scanStartTag(s, pos)
			if i := impliedClose(stack, el.name); i > 0 {
				closeTo(i, pos)
			}
			add(el)
			if selfClosing || isVoidName(el.name) || len(stack) >= maxDepth {
				el.closeBeg, el.end = end, end
			} else {
				stack = append(stack, el)
			}
			pos = end
		default:
			addText(stack[len(stack)-1], s, pos, pos+1)
			pos++
		}
	}
	closeTo(1, len(s))
	return root
}

// addText appends s[start:end] to parent, merging it into a preceding text node.
func addText(parent *xnode, s string, start, end int) {
	if k := len(parent.children); k > 0 {
		if last := parent.children[k-1]; last.kind == xText && last.end == start {
			last.end = end
			return
		}
	}
	parent.children = append(parent.children, &xnode{kind: xText, start: start, end: end, parent: parent})
}

// impliedClose returns the index of the first stack entry that a start tag of name closes,
// or 0: the HTML rules of closeImplied, applied to the source-keeping tree.
func impliedClose(stack []*xnode, name string) int {
	top := len(stack) - 1
	switch name {
	case "p", "div", "ul", "ol", "table", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6":
		if top > 0 && stack[top].name == "p" {
			return top
		}
	case "li":
		if top > 0 && stack[top].name == "li" {
			return top
		}
	case "td", "th":
		if top > 0 && (stack[top].name == "td" || stack[top].name == "th") {
			return top
		}
	case "tr":
		i := top
		for i > 1 && (stack[i].name == "td" || stack[i].name == "th" || stack[i].name == "tr") {
			i--
		}
		if i < top {
			return i + 1
		}
	}
	return 0
}

func isNameStart(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func scanName(s string) (string, int) {
	n := 0
	for n < len(s) {
		c := s[n]
		if isNameStart(c) || (c >= '0' && c <= '9') || c == ':' || c == '-' || c == '_' || c == '.' {
			n++
			continue
		}
		break
	}
	return s[:n], n
}

// scanStartTag reads the start tag at s[pos] ("<name attr='v' …>" or "…/>"); a tag left open
// at the end of the input ends there.
func scanStartTag(s string, pos int) (el *xnode, end int, selfClosing bool) {
	name, n := scanName(s[pos+1:])
	el = &xnode{kind: xElement, name: strings.ToLower(name), start: pos}
	i := pos + 1 + n
	for i < len(s) {
		c := s[i]
		switch {
		case c == '>':
			el.openEnd = i + 1
			return el, i + 1, false
		case c == '/' && i+1 < len(s) && s[i+1] == '>':
			el.openEnd = i + 2
			return el, i + 2, true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/':
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r\f/>=", rune(s[j])) {
				j++
			}
			if j == i {
				j++ // a stray "=": skip it
			}
			key := strings.ToLower(s[i:j])
			i = j
			for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
				i++
			}
			val := ""
			if i < len(s) && s[i] == '=' {
				i++
				for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
					i++
				}
				if i < len(s) && (s[i] == '"' || s[i] == '\'') {
					q := s[i]
					e := strings.IndexByte(s[i+1:], q)
					if e < 0 {
						val, i = s[i+1:], len(s)
					} else {
						val, i = s[i+1:i+1+e], i+1+e+1
					}
				} else {
					j := i
					for j < len(s) && !strings.ContainsRune(" \t\n\r\f>", rune(s[j])) {
						j++
					}
					val, i = s[i:j], j
				}
			}
			if key != "=" {
				el.attrs = append(el.attrs, xattr{key: key, val: html.UnescapeString(val)})
			}
		}
	}
	el.openEnd = len(s)
	return el, len(s), false
}

func isVoidName(name string) bool {
	switch name {
	case "br", "hr", "img", "input", "meta", "link", "col", "area", "base", "wbr", "source", "embed",
		"param", "track":
		return true
	}
	return false
}
