package markup

import nethtml "golang.org/x/net/html"

// maxOutputNesting bounds how deep lists, and quotes, nest in the markdown. Every level
// indents each line below it, so a page nested hundreds of levels deep (editors and
// migrations leave such pages behind) came out as megabytes of spaces; no reader follows
// more than a dozen levels. Deeper content joins the item or quote at the limit.
const maxOutputNesting = 12

// flattenDeep unwraps the lists nested more than maxOutputNesting deep inside n (their items'
// content joins the enclosing item, in order) and likewise the blockquotes. lists and quotes
// are the depths of n itself.
func flattenDeep(n *nethtml.Node, lists, quotes int) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type != nethtml.ElementNode {
			c = next
			continue
		}
		switch {
		case (c.Data == "ul" || c.Data == "ol") && lists >= maxOutputNesting:
			var kids []*nethtml.Node
			for _, k := range takeChildren(c) {
				if k.Type == nethtml.ElementNode && k.Data == "li" {
					kids = append(kids, text(" "))
					kids = append(kids, takeChildren(k)...)
				} else {
					kids = append(kids, k)
				}
			}
			c = unwrapInto(c, kids, next)
			continue
		case c.Data == "blockquote" && quotes >= maxOutputNesting:
			c = unwrapInto(c, takeChildren(c), next)
			continue
		case c.Data == "ul" || c.Data == "ol":
			flattenDeep(c, lists+1, quotes)
		case c.Data == "blockquote":
			flattenDeep(c, lists, quotes+1)
		default:
			flattenDeep(c, lists, quotes)
		}
		c = next
	}
}

// unwrapInto puts kids where n was and returns the node to visit next: the first of kids
// (which may need unwrapping in turn), or next when there are none.
func unwrapInto(n *nethtml.Node, kids []*nethtml.Node, next *nethtml.Node) *nethtml.Node {
	replace(n, kids)
	if len(kids) > 0 {
		return kids[0]
	}
	return next
}
