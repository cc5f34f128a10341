package markup

import (
	"sort"
	"strings"
)

// lostElements lists the elements of before that after lacks, compared by identity (a macro
// by its id, or its name and parameters; a link by its target; a task by its id), once per
// missing occurrence, in the order of before.
func lostElements(before, after string) []string {
	return missing(features(before), features(after))
}

// missing describes the features of before that after lacks, once per occurrence.
func missing(before, after []feature) []string {
	have := map[string]int{}
	for _, f := range after {
		have[f.key]++
	}
	var lost []string
	for _, f := range before {
		if have[f.key] > 0 {
			have[f.key]--
			continue
		}
		lost = append(lost, f.desc)
	}
	return lost
}

// feature is one element an edit must not drop unasked.
type feature struct{ key, desc string }

// features lists the elements of storage the round trip promises to keep.
func features(storage string) []feature {
	var out []feature
	add := func(key, desc string) { out = append(out, feature{key, desc}) }
	var walk func(n *xnode)
	walk = func(n *xnode) {
		for _, c := range n.children {
			if c.kind == xElement {
				if key, desc := featureOf(storage, c); key != "" {
					add(key, desc)
				}
			}
			walk(c)
		}
	}
	walk(parseX(storage))
	return out
}

// featureOf returns the identity and description of n when it is an element to keep.
func featureOf(src string, n *xnode) (key, desc string) {
	switch n.name {
	case "ac:structured-macro", "ac:macro":
		name := macroName(n)
		id := n.attr("ac:macro-id")
		if id == "" {
			// A block's title is editable on its marker line; it does not make another macro.
			id = macroParams(src, n, n.childElement("ac:rich-text-body") != nil)
		}
		desc = name + " macro"
		if t := macroToken(src, n); t != tokOpen+name+tokClose {
			desc += " " + t
		}
		return "macro\x00" + name + "\x00" + id, desc
	case "ac:link":
		target := targetOf(n)
		if u := n.childElement("ri:user"); u != nil {
			return "user\x00" + target, "mention of " + strings.TrimPrefix(strings.TrimSuffix(userTokenX(u), tokClose), tokOpen)
		}
		return "link\x00" + target, "link to " + describeTarget(n)
	case "ac:image":
		return "image\x00" + targetOf(n), "image " + describeTarget(n)
	case "ac:emoticon":
		return "emoticon\x00" + n.attr("ac:name") + "\x00" + n.attr("ac:emoji-id"), "emoticon " + n.attr("ac:name")
	case "ac:task":
		id := ""
		if t := n.childElement("ac:task-id"); t != nil {
			id = strings.TrimSpace(textBelow(src, t))
		}
		return "task\x00" + id, "task " + id
	case "ac:layout":
		return "layout", "page layout"
	case "ac:layout-section":
		return "section", "layout section " + n.attr("ac:type") // its type is editable
	case "ac:layout-cell":
		return "cell", "layout cell"
	case "ac:inline-comment-marker":
		return "comment\x00" + n.attr("ac:ref"), "inline comment marker"
	case "ac:placeholder":
		return "placeholder", "instruction placeholder"
	case "time":
		return "time\x00" + n.attr("datetime"), "date " + n.attr("datetime")
	case "colgroup":
		return "colgroup", "table column widths"
	case "td", "th":
		cs, rs := n.attr("colspan"), n.attr("rowspan")
		if (cs != "" && cs != "1") || (rs != "" && rs != "1") {
			return "span\x00" + cs + "\x00" + rs, "merged table cell"
		}
	case "a":
		if name := n.attr("name"); name != "" && n.attr("href") == "" {
			return "anchor\x00" + name, "anchor " + name
		}
	}
	if strings.HasPrefix(n.name, "ac:") || strings.HasPrefix(n.name, "ri:") {
		if keptInside[n.name] {
			return "", ""
		}
		return "el\x00" + n.name + "\x00" + attrString(n), "element " + n.name
	}
	if !knownHTML[n.name] {
		return "el\x00" + n.name + "\x00" + attrString(n), "element <" + n.name + ">"
	}
	return "", ""
}

// keptInside are the storage elements that only exist as parts of an element counted on its
// own (a macro's parameters and bodies, a link's resource and body, a task's status).
var keptInside = map[string]bool{
	"ac:parameter": true, "ac:rich-text-body": true, "ac:plain-text-body": true, "ac:link-body": true,
	"ac:plain-text-link-body": true, "ac:task-list": true, "ac:task-id": true, "ac:task-status": true,
	"ac:task-body": true, "ac:caption": true, "ac:task-uuid": true, "ac:task-creator": true,
	"ac:task-assignee": true, "ac:task-duedate": true, "ac:task-completeddate": true,
	"ac:task-completer": true, "ac:adf-fallback": true, "ac:adf-attribute": true,
	"ac:adf-content": true, "ac:adf-node": true, "ac:adf-mark": true,
	"ri:page": true, "ri:blog-post": true, "ri:attachment": true, "ri:url": true, "ri:space": true,
	"ri:user": true, "ri:content-entity": true, "ri:shortcut": true,
}

// knownHTML are the HTML elements markdown either expresses or need not keep.
var knownHTML = map[string]bool{
	"p": true, "div": true, "span": true, "br": true, "hr": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "ul": true, "ol": true, "li": true, "dl": true, "dt": true,
	"dd": true, "table": true, "thead": true, "tbody": true, "tfoot": true, "tr": true, "td": true,
	"th": true, "col": true, "caption": true, "pre": true, "code": true, "blockquote": true,
	"strong": true, "b": true, "em": true, "i": true, "u": true, "s": true, "del": true,
	"strike": true, "ins": true, "sub": true, "sup": true, "small": true, "big": true, "a": true,
	"img": true, "kbd": true, "tt": true, "samp": true, "var": true, "cite": true, "q": true,
	"abbr": true, "mark": true, "font": true, "center": true, "section": true, "article": true,
	"header": true, "footer": true, "nav": true, "aside": true, "figure": true, "figcaption": true,
	"address": true, "details": true, "summary": true,
}

// macroParams is a macro's parameters, sorted, as one string.
func macroParams(src string, n *xnode, skipTitle bool) string {
	var ps []string
	for _, c := range n.children {
		if c.isElement("ac:parameter") && !(skipTitle && c.attr("ac:name") == "title") {
			ps = append(ps, c.attr("ac:name")+"="+strings.TrimSpace(textBelow(src, c)))
		}
	}
	sort.Strings(ps)
	return strings.Join(ps, "\x00")
}

// targetOf identifies what an ac:link or ac:image points at: its resource element and
// attributes, and the anchor.
func targetOf(n *xnode) string {
	var b strings.Builder
	b.WriteString(n.attr("ac:anchor"))
	for _, c := range n.children {
		if c.kind == xElement && strings.HasPrefix(c.name, "ri:") {
			b.WriteString("\x00" + c.name + "\x00" + attrString(c))
			for _, cc := range c.children {
				if cc.kind == xElement && strings.HasPrefix(cc.name, "ri:") {
					b.WriteString("\x00" + cc.name + "\x00" + attrString(cc))
				}
			}
		}
	}
	return b.String()
}

func describeTarget(n *xnode) string {
	for _, c := range n.children {
		switch {
		case c.isElement("ri:page"), c.isElement("ri:blog-post"):
			return "page \"" + c.attr("ri:content-title") + "\""
		case c.isElement("ri:attachment"):
			return "attachment \"" + c.attr("ri:filename") + "\""
		case c.isElement("ri:url"):
			return c.attr("ri:value")
		case c.isElement("ri:space"):
			return "space " + c.attr("ri:space-key")
		}
	}
	if a := n.attr("ac:anchor"); a != "" {
		return "anchor " + a
	}
	return n.name
}

func userTokenX(u *xnode) string {
	for _, k := range []string{"ri:userkey", "ri:username", "ri:account-id"} {
		if v := u.attr(k); v != "" {
			return tokOpen + "@" + v + tokClose
		}
	}
	return tokOpen + "@" + tokClose
}

func attrString(n *xnode) string {
	var ps []string
	for _, a := range n.attrs {
		ps = append(ps, a.key+"="+a.val)
	}
	sort.Strings(ps)
	return strings.Join(ps, "\x00")
}
