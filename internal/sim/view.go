package sim

import (
	"html"
	"net/url"
	"regexp"
	"strings"
)

// The view representation: storage XHTML rendered the simple way Confluence's renderer does it
// (code panels, information macros, page links as anchors). Cached per page version.

var (
	codeMacroRE = regexp.MustCompile(`(?s)<ac:structured-macro[^>]*ac:name="(?:code|noformat)"[^>]*>(.*?)</ac:structured-macro>`)
	paramRE     = regexp.MustCompile(`(?s)<ac:parameter ac:name="([^"]*)">(.*?)</ac:parameter>`)
	plainBodyRE = regexp.MustCompile(`(?s)<ac:plain-text-body><!\[CDATA\[(.*?)\]\]></ac:plain-text-body>`)
	infoMacroRE = regexp.MustCompile(`(?s)<ac:structured-macro[^>]*ac:name="(info|note|warning|tip)"[^>]*>(.*?)</ac:structured-macro>`)
	richBodyRE  = regexp.MustCompile(`(?s)<ac:rich-text-body>(.*?)</ac:rich-text-body>`)
	pageLinkRE  = regexp.MustCompile(`(?s)<ac:link[^>]*>\s*<ri:page([^>]*?)/?>(?:</ri:page>)?(.*?)</ac:link>`)
	attrRE      = regexp.MustCompile(`ri:(content-title|space-key)="([^"]*)"`)
	linkBodyRE  = regexp.MustCompile(`(?s)<ac:(?:plain-text-)?link-body>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</ac:(?:plain-text-)?link-body>`)
	acTagRE     = regexp.MustCompile(`(?s)</?(?:ac|ri):[^>]*>`)
	cdataRE     = regexp.MustCompile(`(?s)<!\[CDATA\[(.*?)\]\]>`)
)

var macroClass = map[string][2]string{
	"info":    {"information", "info"},
	"note":    {"note", "warning"},
	"warning": {"warning", "error"},
	"tip":     {"tip", "approve"},
}

// renderView turns storage XHTML into the view representation; context is "/confluence".
func renderView(storage, spaceKey, context string) string {
	out := codeMacroRE.ReplaceAllStringFunc(storage, func(m string) string {
		inner := codeMacroRE.FindStringSubmatch(m)[1]
		lang := "none"
		for _, p := range paramRE.FindAllStringSubmatch(inner, -1) {
			if p[1] == "language" {
				lang = p[2]
			}
		}
		code := ""
		if b := plainBodyRE.FindStringSubmatch(inner); b != nil {
			code = b[1]
		}
		return `<div class="code panel pdl" style="border-width: 1px;"><div class="codeContent panelContent pdl">` +
			`<pre class="syntaxhighlighter-pre" data-syntaxhighlighter-params="brush: ` + lang +
			`; gutter: false; theme: Confluence" data-theme="Confluence">` + html.EscapeString(code) + `</pre></div></div>`
	})
	out = infoMacroRE.ReplaceAllStringFunc(out, func(m string) string {
		sm := infoMacroRE.FindStringSubmatch(m)
		cls := macroClass[sm[1]]
		body := ""
		if b := richBodyRE.FindStringSubmatch(sm[2]); b != nil {
			body = b[1]
		}
		title := ""
		for _, p := range paramRE.FindAllStringSubmatch(sm[2], -1) {
			if p[1] == "title" {
				title = `<p class="title">` + p[2] + `</p>`
			}
		}
		return `<div class="confluence-information-macro confluence-information-macro-` + cls[0] + `">` + title +
			`<span class="aui-icon aui-icon-small aui-iconfont-` + cls[1] + ` confluence-information-macro-icon"></span>` +
			`<div class="confluence-information-macro-body">` + body + `</div></div>`
	})
	out = pageLinkRE.ReplaceAllStringFunc(out, func(m string) string {
		sm := pageLinkRE.FindStringSubmatch(m)
		title, key := "", spaceKey
		for _, a := range attrRE.FindAllStringSubmatch(sm[1], -1) {
			if a[1] == "content-title" {
				title = html.UnescapeString(a[2])
			} else {
				key = a[2]
			}
		}
		text := html.EscapeString(title)
		if b := linkBodyRE.FindStringSubmatch(sm[2]); b != nil {
			text = b[1]
			if strings.Contains(sm[2], "plain-text-link-body") {
				text = html.EscapeString(b[1])
			}
		}
		href := context + "/display/" + key + "/" + strings.ReplaceAll(url.QueryEscape(title), "%20", "+")
		return `<a href="` + html.EscapeString(href) + `">` + text + `</a>`
	})
	out = cdataRE.ReplaceAllStringFunc(out, func(m string) string {
		return html.EscapeString(cdataRE.FindStringSubmatch(m)[1])
	})
	return acTagRE.ReplaceAllString(out, "")
}

// viewOf returns the cached view of a page; the caller holds at least the read lock.
func (s *Sim) viewOf(ct *content, context string) string {
	c := s.conf
	c.cacheMu.Lock()
	v, ok := c.views[ct.id]
	c.cacheMu.Unlock()
	if ok && v.version == ct.version {
		return v.html
	}
	h := renderView(ct.body, ct.space.key, context)
	c.cacheMu.Lock()
	c.views[ct.id] = cachedView{version: ct.version, html: h}
	c.cacheMu.Unlock()
	return h
}
