package markup

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	nethtml "golang.org/x/net/html"
)

// storageRewriter turns the Confluence-specific elements of a parsed storage document (ac:*,
// ri:*, time) into plain HTML that the markdown converter understands.
type storageRewriter struct {
	opts Options
}

func (r *storageRewriter) preRender(_ converter.Context, doc *nethtml.Node) {
	r.walk(doc)
	flattenDeep(doc, 0, 0)
	r.opts.absolutize(doc)
	plainSpaces(doc)
	escapeCodePipes(doc)
}

// walk rewrites the children of n in document order. A rewritten element is replaced by its
// rewrite, and the rewrite is walked in turn: it may hold the element's own children (an
// unwrapped layout cell, a macro body), which can be Confluence elements themselves. Every
// rewrite consumes one Confluence element, so this terminates.
func (r *storageRewriter) walk(n *nethtml.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == nethtml.ElementNode {
			if repl, ok := r.rewrite(c); ok {
				replace(c, repl)
				for _, x := range repl {
					if x != nil {
						next = x
						break
					}
				}
			} else {
				r.walk(c)
			}
		}
		c = next
	}
}

// rewrite returns the nodes that replace n, or ok == false when n is plain HTML to keep.
func (r *storageRewriter) rewrite(n *nethtml.Node) (repl []*nethtml.Node, ok bool) {
	switch n.Data {
	case "ac:structured-macro", "ac:macro":
		return r.macro(n), true
	case "ac:link":
		return []*nethtml.Node{r.link(n)}, true
	case "ac:image":
		return r.image(n), true
	case "ac:task-list":
		return []*nethtml.Node{r.taskList(n)}, true
	case "ac:task":
		return []*nethtml.Node{el("ul", nil, r.task(n))}, true
	case "ac:emoticon":
		return []*nethtml.Node{raw(emoticon(n))}, true
	case "ac:placeholder", "ac:parameter", "ac:task-id", "ac:task-status", "ac:adf-mark",
		"ac:adf-attribute":
		return nil, true
	case "ac:plain-text-body", "ac:plain-text-link-body":
		return []*nethtml.Node{text(textOf(n))}, true
	case "ac:adf-extension":
		if fb := descendant(n, "ac:adf-fallback"); fb != nil {
			return takeChildren(fb), true
		}
		return takeChildren(n), true
	case "time":
		if dt := attr(n, "datetime"); dt != "" {
			return []*nethtml.Node{text(dt)}, true
		}
		return takeChildren(n), true
	case "img":
		if strings.Contains(attr(n, "class"), "emoticon") {
			return []*nethtml.Node{text(attr(n, "alt"))}, true
		}
		return nil, false
	}
	if strings.HasPrefix(n.Data, "ri:") {
		if s := r.resourceText(n); s != "" {
			return []*nethtml.Node{text(s)}, true
		}
		return nil, true
	}
	if strings.HasPrefix(n.Data, "ac:") {
		// Layouts, rich-text bodies, inline comment markers and anything newer than this
		// code: keep the content, drop the wrapper.
		return takeChildren(n), true
	}
	return nil, false
}

// macro renders an ac:structured-macro (or the older ac:macro).
func (r *storageRewriter) macro(n *nethtml.Node) []*nethtml.Node {
	name := strings.ToLower(strings.TrimSpace(attr(n, "ac:name")))
	param := func(key string) string {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if isElement(c, "ac:parameter") && attr(c, "ac:name") == key {
				return strings.TrimSpace(textOf(c))
			}
		}
		return ""
	}
	rich := child(n, "ac:rich-text-body")
	plain := child(n, "ac:plain-text-body")
	body := func() []*nethtml.Node {
		if rich == nil {
			return nil
		}
		return takeChildren(rich)
	}
	block := r.block(n)

	switch name {
	case "code", "noformat", "paste-code-macro", "code-block", "sourcecode":
		lang := param("language")
		if lang == "" && name != "noformat" {
			lang = param("")
		}
		var code string
		if plain != nil {
			code = textOf(plain)
		} else if rich != nil {
			code = textOf(rich)
		}
		return codeBlock(strings.ToLower(lang), param("title"), code)

	case "info", "note", "warning", "tip", "panel", "error", "success":
		return []*nethtml.Node{admonition(labelOf(name), param("title"), body())}

	case "expand":
		out := []*nethtml.Node{}
		if t := param("title"); t != "" {
			out = append(out, el("p", nil, el("strong", nil, text(t))))
		}
		return append(out, el("div", nil, body()...))

	case "excerpt", "section", "column", "div", "details", "center", "span", "toc-zone",
		"multiexcerpt", "html-wrap":
		return []*nethtml.Node{el("div", nil, body()...)}

	case "status":
		return []*nethtml.Node{raw(status(param("title"), param("colour")))}

	case "jira", "jiraissues":
		return []*nethtml.Node{r.jira(param("key"), param("jqlQuery"), block)}

	case "anchor":
		return nil

	case "include", "excerpt-include":
		return []*nethtml.Node{placeholder(name, pageTitle(n), block)}

	case "toc", "children", "pagetree", "pagetreesearch", "recently-updated", "contentbylabel",
		"content-report-table", "blog-posts", "livesearch", "popular-labels", "listlabels",
		"page-index", "attachments", "profile", "search", "tasks-report-macro":
		return []*nethtml.Node{placeholder(name, pageTitle(n), block)}
	}

	if name == "" {
		name = "unnamed"
	}
	out := []*nethtml.Node{placeholder("macro: "+name, macroTarget(n, param("url")), block)}
	switch {
	case plain != nil:
		out = append(out, codeBlock(name, "", textOf(plain))...)
	case rich != nil:
		out = append(out, el("div", nil, body()...))
	case param("body") != "":
		// Math-style macros keep their content in a "body" parameter.
		out = append(out, text(" "), el("code", nil, text(param("body"))))
	}
	return out
}

// block reports whether n stands where a paragraph could, so its placeholder needs one.
func (r *storageRewriter) block(n *nethtml.Node) bool {
	if n.Parent == nil {
		return true
	}
	switch n.Parent.Data {
	case "body", "div", "blockquote", "ac:rich-text-body", "ac:layout", "ac:layout-section",
		"ac:layout-cell", "td", "th":
		return true
	}
	return false
}

func placeholder(kind, detail string, block bool) *nethtml.Node {
	s := "[" + kind + "]"
	if detail != "" {
		s = "[" + kind + ": " + detail + "]"
	}
	if block {
		return el("p", nil, raw(s))
	}
	return raw(s)
}

func labelOf(name string) string {
	return strings.ToUpper(name[:1]) + name[1:]
}

func status(title, colour string) string {
	switch {
	case title != "" && colour != "":
		return "[STATUS: " + title + " (" + colour + ")]"
	case title != "":
		return "[STATUS: " + title + "]"
	case colour != "":
		return "[STATUS: " + colour + "]"
	}
	return "[STATUS]"
}

// macroTarget names what an unknown macro points at, when it says: a page, an attachment or a
// URL ("view-file", "widget", "gliffy" and the like).
func macroTarget(n *nethtml.Node, url string) string {
	if t := pageTitle(n); t != "" {
		return t
	}
	if a := descendant(n, "ri:attachment"); a != nil {
		return attr(a, "ri:filename")
	}
	if u := descendant(n, "ri:url"); u != nil {
		return attr(u, "ri:value")
	}
	return url
}

// pageTitle finds the page a macro points at, through ri:page in any of its parameters.
func pageTitle(n *nethtml.Node) string {
	if p := descendant(n, "ri:page"); p != nil {
		return attr(p, "ri:content-title")
	}
	return ""
}

func codeBlock(lang, title, code string) []*nethtml.Node {
	var attrs []string
	if lang != "" && lang != "none" && !strings.ContainsAny(lang, " \t`") {
		attrs = []string{"class", "language-" + lang}
	}
	pre := el("pre", nil, el("code", attrs, text(trimBlankLines(code))))
	if title == "" {
		return []*nethtml.Node{pre}
	}
	return []*nethtml.Node{el("p", nil, el("strong", nil, text(title))), pre}
}

// trimBlankLines drops the whitespace-only lines at both ends of a code body, keeping the
// indentation of the first real line.
func trimBlankLines(code string) string {
	for {
		i := strings.IndexByte(code, '\n')
		if i < 0 || strings.TrimSpace(code[:i]) != "" {
			break
		}
		code = code[i+1:]
	}
	for {
		i := strings.LastIndexByte(code, '\n')
		if i < 0 || strings.TrimSpace(code[i+1:]) != "" {
			break
		}
		code = code[:i]
	}
	if strings.TrimSpace(code) == "" {
		return ""
	}
	return code
}

// admonition renders an info/note/warning/tip/panel macro as "> **Info:** …", with the title,
// when there is one, as a bold first line.
func admonition(label, title string, body []*nethtml.Node) *nethtml.Node {
	q := el("blockquote", nil)
	if title != "" {
		q.AppendChild(el("p", nil, el("strong", nil, text(label+": "+title))))
		for _, b := range body {
			q.AppendChild(b)
		}
		return q
	}
	first := -1
	for i, b := range body {
		if b.Type == nethtml.TextNode && strings.TrimSpace(b.Data) == "" {
			continue
		}
		if isElement(b, "p") {
			first = i
		}
		break
	}
	if first < 0 {
		q.AppendChild(el("p", nil, el("strong", nil, text(label+":"))))
	}
	for i, b := range body {
		if i == first {
			b.InsertBefore(text(" "), b.FirstChild)
			b.InsertBefore(el("strong", nil, text(label+":")), b.FirstChild)
		}
		q.AppendChild(b)
	}
	return q
}

func (r *storageRewriter) jira(key, jql string, block bool) *nethtml.Node {
	var out *nethtml.Node
	switch {
	case key != "":
		base := r.opts.JiraBaseURL
		if base == "" {
			base = r.opts.BaseURL
		}
		if base == "" {
			out = raw(key)
		} else {
			out = el("a", []string{"href", strings.TrimRight(base, "/") + "/browse/" + url.PathEscape(key)}, text(key))
		}
	case jql != "":
		out = raw("[Jira query: " + jql + "]")
	default:
		out = raw("[Jira issues]")
	}
	if block {
		return el("p", nil, out)
	}
	return out
}

// link renders an ac:link: a page, blog post, attachment, user, space, URL or anchor.
func (r *storageRewriter) link(n *nethtml.Node) *nethtml.Node {
	var body []*nethtml.Node
	if lb := child(n, "ac:link-body"); lb != nil {
		body = takeChildren(lb)
	} else if pb := child(n, "ac:plain-text-link-body"); pb != nil {
		if t := textOf(pb); strings.TrimSpace(t) != "" {
			body = []*nethtml.Node{text(t)}
		}
	}
	anchor := attr(n, "ac:anchor")

	var href, label string
	for c := n.FirstChild; c != nil && label == "" && href == ""; c = c.NextSibling {
		if c.Type != nethtml.ElementNode || !strings.HasPrefix(c.Data, "ri:") {
			continue
		}
		if c.Data == "ri:user" {
			if len(body) > 0 {
				return el("span", nil, body...)
			}
			return raw(r.userName(c))
		}
		href, label = r.resource(c)
	}
	if anchor != "" {
		if href == "" && label == "" {
			href = "#" + anchor
		} else if href != "" {
			href += "#" + url.PathEscape(anchor)
		}
	}
	if len(body) == 0 {
		if label == "" {
			label = anchor
		}
		body = []*nethtml.Node{text(label)}
	}
	if href == "" {
		return el("span", nil, body...)
	}
	if !isServerPath(href) {
		return el("a", []string{"href", href, keepAttr, "1"}, body...)
	}
	return el("a", []string{"href", r.opts.absolute(href)}, body...)
}

// resource resolves an ri: element to a URL (relative to the server root) and a default label.
func (r *storageRewriter) resource(n *nethtml.Node) (href, label string) {
	switch n.Data {
	case "ri:page":
		title := attr(n, "ri:content-title")
		if title == "@self" || title == "" {
			return "", "this page"
		}
		return r.pageURL(attr(n, "ri:space-key"), title), title
	case "ri:blog-post":
		title := attr(n, "ri:content-title")
		space := r.space(attr(n, "ri:space-key"))
		day := strings.ReplaceAll(attr(n, "ri:posting-day"), "-", "/")
		if space == "" || day == "" {
			return "", title
		}
		return "/display/" + url.PathEscape(space) + "/" + day + "/" + url.QueryEscape(title), title
	case "ri:attachment":
		return r.attachmentURL(n), attr(n, "ri:filename")
	case "ri:url":
		return attr(n, "ri:value"), attr(n, "ri:value")
	case "ri:space":
		key := attr(n, "ri:space-key")
		return "/display/" + url.PathEscape(key), key
	case "ri:content-entity":
		id := attr(n, "ri:content-id")
		return "/pages/viewpage.action?pageId=" + url.QueryEscape(id), "page " + id
	case "ri:user":
		return "", r.userName(n)
	}
	return "", ""
}

// resourceText is the text of an ri: element found outside a link or image.
func (r *storageRewriter) resourceText(n *nethtml.Node) string {
	_, label := r.resource(n)
	return label
}

func (r *storageRewriter) space(key string) string {
	if key != "" {
		return key
	}
	return r.opts.SpaceKey
}

func (r *storageRewriter) pageURL(space, title string) string {
	space = r.space(space)
	if space == "" {
		return ""
	}
	return "/display/" + url.PathEscape(space) + "/" + url.QueryEscape(title)
}

// attachmentURL links an attachment of the current page under /download/attachments when
// the page id is known; otherwise, or for another page's attachment, it keeps the file name.
func (r *storageRewriter) attachmentURL(n *nethtml.Node) string {
	name := attr(n, "ri:filename")
	if name == "" {
		return ""
	}
	if child(n, "ri:page") == nil && child(n, "ri:blog-post") == nil && r.opts.PageID != "" {
		return "/download/attachments/" + url.PathEscape(r.opts.PageID) + "/" + url.PathEscape(name)
	}
	return url.PathEscape(name)
}

// isServerPath reports whether href is rooted at the server (or absolute, or a fragment), as
// opposed to a bare attachment file name that only makes sense next to its page.
func isServerPath(href string) bool {
	if strings.HasPrefix(href, "/") || strings.HasPrefix(href, "#") {
		return true
	}
	u, err := url.Parse(href)
	return err == nil && u.IsAbs()
}

func (r *storageRewriter) userName(n *nethtml.Node) string {
	if key := attr(n, "ri:userkey"); key != "" && attr(n, "ri:username") == "" && r.opts.UserName != nil {
		if name := r.opts.UserName(key); name != "" {
			return "@" + name
		}
	}
	for _, k := range []string{"ri:username", "ri:userkey", "ri:account-id"} {
		if v := attr(n, k); v != "" {
			return "@" + v
		}
	}
	return "@user"
}

// image renders an ac:image as a markdown image, followed by its caption.
func (r *storageRewriter) image(n *nethtml.Node) []*nethtml.Node {
	var src, name string
	if a := child(n, "ri:attachment"); a != nil {
		src, name = r.attachmentURL(a), attr(a, "ri:filename")
	} else if u := child(n, "ri:url"); u != nil {
		src = attr(u, "ri:value")
		name = src[strings.LastIndex(src, "/")+1:]
	}
	alt := attr(n, "ac:alt")
	if alt == "" {
		alt = attr(n, "ac:title")
	}
	if alt == "" {
		alt = name
	}
	if strings.Contains(attr(n, "ac:class"), "emoticon") {
		return []*nethtml.Node{text(alt)}
	}
	img := el("img", []string{"src", src, "alt", alt, keepAttr, "1"})
	if isServerPath(src) {
		setAttr(img, "src", r.opts.absolute(src))
	}
	out := []*nethtml.Node{img}
	if c := child(n, "ac:caption"); c != nil {
		if t := strings.TrimSpace(textOf(c)); t != "" {
			out = append(out, text(" "), el("em", nil, text(t)))
		}
	}
	return out
}

func (r *storageRewriter) taskList(n *nethtml.Node) *nethtml.Node {
	ul := el("ul", nil)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if isElement(c, "ac:task") {
			ul.AppendChild(r.task(c))
		}
	}
	return ul
}

func (r *storageRewriter) task(n *nethtml.Node) *nethtml.Node {
	box := "[ ] "
	if s := child(n, "ac:task-status"); s != nil && strings.TrimSpace(textOf(s)) == "complete" {
		box = "[x] "
	}
	li := el("li", nil, raw(box))
	if b := child(n, "ac:task-body"); b != nil {
		for _, c := range takeChildren(b) {
			li.AppendChild(c)
		}
	}
	return li
}

// emoticon picks the best text for an ac:emoticon: the emoji fallback, the emoji from its id,
// its shortname, or the emoji of a classic named emoticon.
func emoticon(n *nethtml.Node) string {
	if fb := attr(n, "ac:emoji-fallback"); fb != "" {
		return fb
	}
	if s := emojiFromID(attr(n, "ac:emoji-id")); s != "" {
		return s
	}
	if sn := attr(n, "ac:emoji-shortname"); sn != "" {
		return sn
	}
	if e, ok := namedEmoticons[attr(n, "ac:name")]; ok {
		return e
	}
	if name := attr(n, "ac:name"); name != "" {
		return ":" + name + ":"
	}
	return ""
}

// emojiFromID decodes ids such as "1f642" or "31-20e3" (code points in hex, dash separated).
func emojiFromID(id string) string {
	if id == "" {
		return ""
	}
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		v, err := strconv.ParseUint(part, 16, 32)
		if err != nil || v < 0x20 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) {
			return ""
		}
		b.WriteRune(rune(v))
	}
	return b.String()
}

var namedEmoticons = map[string]string{
	"smile": "🙂", "sad": "🙁", "cheeky": "😛", "laugh": "😀", "wink": "😉",
	"thumbs-up": "👍", "thumbs-down": "👎", "information": "ℹ️", "tick": "✅", "cross": "❌",
	"warning": "⚠️", "plus": "➕", "minus": "➖", "question": "❓", "light-on": "💡",
	"light-off": "💡", "yellow-star": "⭐", "red-star": "⭐", "green-star": "⭐",
	"blue-star": "⭐", "heart": "❤️", "broken-heart": "💔",
}
