package markup

import (
	"sort"
	"strings"
)

// CanonicalXML writes storage in a form where equivalent XHTML is equal: attributes sorted,
// self-closing tags opened and closed, CDATA and entities written as escaped text, comments
// dropped. Two storage bodies that differ only in how they are spelled compare equal; the
// round-trip tests of the tools that write pages compare with it.
func CanonicalXML(s string) string {
	var b strings.Builder
	var walk func(n *xnode)
	var pending strings.Builder
	flush := func() {
		if pending.Len() > 0 {
			xmlText(&b, pending.String())
			pending.Reset()
		}
	}
	walk = func(n *xnode) {
		for _, c := range n.children {
			switch c.kind {
			case xText, xCDATA:
				pending.WriteString(c.text(s))
			case xElement:
				flush()
				attrs := append([]xattr(nil), c.attrs...)
				sort.Slice(attrs, func(i, j int) bool { return attrs[i].key < attrs[j].key })
				b.WriteString("<" + c.name)
				for _, a := range attrs {
					b.WriteString(" " + a.key + `="`)
					xmlText(&b, a.val)
					b.WriteString(`"`)
				}
				b.WriteString(">")
				walk(c)
				flush()
				b.WriteString("</" + c.name + ">")
			}
		}
	}
	walk(parseX(s))
	flush()
	return b.String()
}
