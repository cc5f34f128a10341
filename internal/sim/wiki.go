package sim

import (
	"regexp"
	"strings"
)

// escapeHTML escapes like Jira's renderer (&quot; rather than &#34;).
var escapeHTML = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace

// renderWiki renders Jira wiki markup to HTML the way Jira's renderedFields does for the common
// constructs: headings, bold/italic/strike/underline, {{monospace}}, bullet and numbered lists,
// {code}/{noformat} panels, {quote} and bq., links, tables and paragraphs.
func renderWiki(src string) string {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	lines := strings.Split(src, "\n")
	var b strings.Builder
	var para []string
	var listStack []byte // '*' or '#' per open level
	flushPara := func() {
		if len(para) > 0 {
			b.WriteString("<p>")
			for i, l := range para {
				if i > 0 {
					b.WriteString("<br/>\n")
				}
				b.WriteString(wikiInline(l))
			}
			b.WriteString("</p>\n")
			para = nil
		}
	}
	closeLists := func(depth int) {
		for len(listStack) > depth {
			if listStack[len(listStack)-1] == '#' {
				b.WriteString("</li></ol>\n")
			} else {
				b.WriteString("</li></ul>\n")
			}
			listStack = listStack[:len(listStack)-1]
		}
	}
	inTable := false
	closeTable := func() {
		if inTable {
			b.WriteString("</tbody></table>\n</div>\n")
			inTable = false
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trim := strings.TrimSpace(line)
		// Block macros: {code[:lang]}, {noformat}, {quote}.
		if m := blockMacroRE.FindStringSubmatch(trim); m != nil {
			flushPara()
			closeLists(0)
			closeTable()
			name, param := m[1], m[2]
			var body []string
			rest := trim[len(m[0]):]
			closing := "{" + name + "}"
			if j := strings.Index(rest, closing); j >= 0 {
				body = append(body, rest[:j])
			} else {
				if rest != "" {
					body = append(body, rest)
				}
				for i++; i < len(lines); i++ {
					l := lines[i]
					if j := strings.Index(l, closing); j >= 0 {
						if pre := l[:j]; strings.TrimSpace(pre) != "" {
							body = append(body, pre)
						}
						break
					}
					body = append(body, l)
				}
			}
			text := strings.Join(body, "\n")
			switch name {
			case "code":
				lang := "java"
				if p := strings.TrimPrefix(param, ":"); p != "" {
					lang = strings.SplitN(strings.SplitN(p, "|", 2)[0], "=", 2)[0]
				}
				b.WriteString(`<div class="code panel" style="border-width: 1px;"><div class="codeContent panelContent">` +
					"\n<pre class=\"code-" + escapeHTML(lang) + "\">" + escapeHTML(text) + "</pre>\n</div></div>\n")
			case "noformat":
				b.WriteString(`<div class="preformatted panel" style="border-width: 1px;"><div class="preformattedContent panelContent">` +
					"\n<pre>" + escapeHTML(text) + "</pre>\n</div></div>\n")
			case "quote":
				b.WriteString("<blockquote>\n")
				inner := renderWiki(text)
				b.WriteString(inner)
				b.WriteString("</blockquote>\n")
			}
			continue
		}
		if trim == "" {
			flushPara()
			closeLists(0)
			closeTable()
			continue
		}
		if m := headingRE.FindStringSubmatch(trim); m != nil {
			flushPara()
			closeLists(0)
			closeTable()
			anchor := strings.ReplaceAll(m[2], " ", "")
			b.WriteString("<h" + m[1] + "><a name=\"" + escapeHTML(anchor) + "\"></a>" + wikiInline(m[2]) + "</h" + m[1] + ">\n")
			continue
		}
		if strings.HasPrefix(trim, "bq. ") {
			flushPara()
			closeLists(0)
			closeTable()
			b.WriteString("<blockquote><p>" + wikiInline(trim[4:]) + "</p></blockquote>\n")
			continue
		}
		if m := listRE.FindStringSubmatch(trim); m != nil {
			flushPara()
			closeTable()
			marks := m[1]
			depth := len(marks)
			// Close deeper levels, or a level of another kind.
			for len(listStack) > depth || (len(listStack) == depth && listStack[depth-1] != marks[depth-1]) {
				closeLists(len(listStack) - 1)
			}
			if len(listStack) == depth {
				b.WriteString("</li>\n")
			}
			for len(listStack) < depth {
				kind := marks[len(listStack)]
				if kind == '#' {
					b.WriteString("<ol>\n")
				} else {
					b.WriteString("<ul class=\"alternate\" type=\"square\">\n")
				}
				listStack = append(listStack, kind)
			}
			b.WriteString("\t<li>" + wikiInline(m[2]))
			continue
		}
		if strings.HasPrefix(trim, "|") {
			flushPara()
			closeLists(0)
			if !inTable {
				b.WriteString("<div class='table-wrap'>\n<table class='confluenceTable'><tbody>\n")
				inTable = true
			}
			b.WriteString("<tr>\n")
			for _, cell := range splitTableRow(trim) {
				if cell.header {
					b.WriteString("<th class='confluenceTh'>" + wikiInline(cell.text) + "</th>\n")
				} else {
					b.WriteString("<td class='confluenceTd'>" + wikiInline(cell.text) + "</td>\n")
				}
			}
			b.WriteString("</tr>\n")
			continue
		}
		if len(listStack) > 0 {
			b.WriteString("<br/>\n" + wikiInline(trim))
			continue
		}
		closeTable()
		para = append(para, line)
	}
	flushPara()
	closeLists(0)
	closeTable()
	return b.String()
}

var (
	blockMacroRE = regexp.MustCompile(`^\{(code|noformat|quote)((?::[^}]*)?)\}`)
	headingRE    = regexp.MustCompile(`^h([1-6])\.\s+(.*)$`)
	listRE       = regexp.MustCompile(`^([*#-]+)\s+(.*)$`)
	monoRE       = regexp.MustCompile(`\{\{(.+?)\}\}`)
	linkRE       = regexp.MustCompile(`\[([^\[\]|]*?)(?:\|([^\[\]]+?))?\]`)
	boldRE       = regexp.MustCompile(`(^|[^\w*])\*([^*\s](?:[^*]*[^*\s])?)\*($|[^\w*])`)
	italicRE     = regexp.MustCompile(`(^|[^\w_])_([^_\s](?:[^_]*[^_\s])?)_($|[^\w_])`)
	strikeRE     = regexp.MustCompile(`(^|[\s(])-([^-\s](?:[^-]*[^-\s])?)-($|[\s).,;:!?])`)
	underRE      = regexp.MustCompile(`(^|[\s(])\+([^+\s](?:[^+]*[^+\s])?)\+($|[\s).,;:!?])`)
	issueKeyRE   = regexp.MustCompile(`^[A-Z][A-Z0-9_]+-\d+$`)
	colorRE      = regexp.MustCompile(`\{color(?::[^}]*)?\}`)
)

type tableCell struct {
	header bool
	text   string
}

func splitTableRow(row string) []tableCell {
	var cells []tableCell
	i := 0
	for i < len(row) {
		header := strings.HasPrefix(row[i:], "||")
		if header {
			i += 2
		} else if row[i] == '|' {
			i++
		}
		j := i
		for j < len(row) && row[j] != '|' {
			j++
		}
		if j > i || (j < len(row)) {
			text := strings.TrimSpace(row[i:j])
			if j < len(row) || text != "" {
				cells = append(cells, tableCell{header: header, text: text})
			}
		}
		i = j
	}
	// A trailing separator yields an empty last cell; drop it.
	if n := len(cells); n > 0 && cells[n-1].text == "" && strings.HasSuffix(row, "|") {
		cells = cells[:n-1]
	}
	return cells
}

// wikiInline renders inline markup of one line; it escapes HTML first.
func wikiInline(s string) string {
	s = colorRE.ReplaceAllString(s, "")
	var monos []string
	s = monoRE.ReplaceAllStringFunc(s, func(m string) string {
		monos = append(monos, m[2:len(m)-2])
		return "\x00" + string(rune('A'+len(monos)-1)) + "\x00"
	})
	var links []string
	s = linkRE.ReplaceAllStringFunc(s, func(m string) string {
		sm := linkRE.FindStringSubmatch(m)
		text, target := sm[1], sm[2]
		if target == "" {
			target = text
		}
		var a string
		switch {
		case issueKeyRE.MatchString(target):
			a = `<a href="/browse/` + target + `" title="` + escapeHTML(target) + `" class="issue-link" data-issue-key="` + target + `">` + escapeHTML(text) + `</a>`
		case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "mailto:"):
			a = `<a href="` + escapeHTML(target) + `" class="external-link" rel="nofollow">` + escapeHTML(text) + `</a>`
		default:
			return m
		}
		links = append(links, a)
		return "\x01" + string(rune('A'+len(links)-1)) + "\x01"
	})
	s = escapeHTML(s)
	s = boldRE.ReplaceAllString(s, "$1<b>$2</b>$3")
	s = italicRE.ReplaceAllString(s, "$1<em>$2</em>$3")
	s = strikeRE.ReplaceAllString(s, "$1<del>$2</del>$3")
	s = underRE.ReplaceAllString(s, "$1<ins>$2</ins>$3")
	for i, m := range monos {
		s = strings.Replace(s, "\x00"+string(rune('A'+i))+"\x00", "<tt>"+escapeHTML(m)+"</tt>", 1)
	}
	for i, a := range links {
		s = strings.Replace(s, "\x01"+string(rune('A'+i))+"\x01", a, 1)
	}
	return s
}
