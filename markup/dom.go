package markup

import (
	"strings"

	nethtml "golang.org/x/net/html"
)

// Small DOM helpers over x/net/html nodes, used by the storage and HTML pre-renderers.

func attr(n *nethtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func setAttr(n *nethtml.Node, key, val string) {
	for i := range n.Attr {
		if n.Attr[i].Key == key {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, nethtml.Attribute{Key: key, Val: val})
}

func isElement(n *nethtml.Node, name string) bool {
	return n != nil && n.Type == nethtml.ElementNode && n.Data == name
}

// child returns the first element child of n named name.
func child(n *nethtml.Node, name string) *nethtml.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if isElement(c, name) {
			return c
		}
	}
	return nil
}

// descendant returns the first element below n named name, depth first.
func descendant(n *nethtml.Node, name string) *nethtml.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if isElement(c, name) {
			return c
		}
		if d := descendant(c, name); d != nil {
			return d
		}
	}
	return nil
}

// textOf concatenates the text below n.
func textOf(n *nethtml.Node) string {
	var b strings.Builder
	var walk func(*nethtml.Node)
	walk = func(n *nethtml.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == nethtml.TextNode {
				b.WriteString(c.Data)
			} else {
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

func text(s string) *nethtml.Node {
	return &nethtml.Node{Type: nethtml.TextNode, Data: s}
}

// el builds an element with attributes given as key, value pairs.
func el(name string, attrs []string, children ...*nethtml.Node) *nethtml.Node {
	n := newElement(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		n.Attr = append(n.Attr, nethtml.Attribute{Key: attrs[i], Val: attrs[i+1]})
	}
	for _, c := range children {
		if c != nil {
			n.AppendChild(c)
		}
	}
	return n
}

// takeChildren detaches and returns the children of n.
func takeChildren(n *nethtml.Node) []*nethtml.Node {
	var out []*nethtml.Node
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		n.RemoveChild(c)
		out = append(out, c)
		c = next
	}
	return out
}

// replace puts repl where n was and detaches n.
func replace(n *nethtml.Node, repl []*nethtml.Node) {
	parent := n.Parent
	if parent == nil {
		return
	}
	for _, r := range repl {
		if r == nil {
			continue
		}
		if r.Parent != nil {
			r.Parent.RemoveChild(r)
		}
		parent.InsertBefore(r, n)
	}
	parent.RemoveChild(n)
}
