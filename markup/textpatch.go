package markup

import (
	"html"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// patchText applies an edit that only changed words of a leaf's text directly to the text
// node the words came from, so every element of the leaf (spans, links, cells, their
// attributes) stays as it was. It gives up (ok == false) unless the changed words are plain
// text that occurs in the leaf's text nodes exactly as often as in its markdown, so the
// occurrence edited is known.
func (p *page) patchText(l *leaf, md string) (string, bool) {
	old, cur := chunkKey(l.md), chunkKey(md)
	if old == cur {
		return p.src[l.start:l.end], true
	}
	pre, suf := commonEnds(old, cur)
	oe, ne := len(old)-suf, len(cur)-suf
	// Widen to whole words (markdown syntax ends a word), on rune boundaries.
	for pre > 0 {
		r, size := utf8.DecodeLastRuneInString(old[:pre])
		if !isWordRune(r) {
			break
		}
		pre -= size
	}
	for oe < len(old) {
		r, size := utf8.DecodeRuneInString(old[oe:])
		if !isWordRune(r) {
			break
		}
		oe += size
		ne += size
	}
	if pre > len(cur) || ne < pre || ne > len(cur) {
		return "", false
	}
	wo, wn := old[pre:oe], cur[pre:ne]
	if wo == "" || !plainWords(wo) || !plainWords(wn) || !utf8.ValidString(wo) || !utf8.ValidString(wn) {
		return "", false
	}
	if p.wiki && escapeWiki(wn) != wn {
		return "", false // wiki would read part of it as markup
	}
	if (pre == 0 || old[pre-1] == '\n') && (wn == "" || chunkShape(wn) != "p" || strings.ContainsRune("-+=0123456789", rune(wn[0]))) {
		return "", false // a new line start that could read as markup
	}
	k := -1
	inMD := wordsAt(old, wo)
	for i, at := range inMD {
		if at == pre {
			k = i
		}
	}
	var texts []shownText
	if p.wiki {
		texts = p.wikiText(l)
	} else {
		texts = p.visibleText(l)
	}
	seen := 0
	for _, t := range texts {
		seen += len(wordsAt(t.text, wo))
	}
	if k < 0 || seen != len(inMD) {
		return "", false
	}
	for _, t := range texts {
		found := wordsAt(t.text, wo)
		if k >= len(found) {
			k -= len(found)
			continue
		}
		at := found[k]
		from, to := t.offs[at], t.ends[at+len(wo)-1]
		var b strings.Builder
		b.WriteString(p.src[l.start:from])
		if t.cdata {
			b.WriteString(wn) // plain words hold no "]]>"
		} else {
			xmlText(&b, wn)
		}
		b.WriteString(p.src[to:l.end])
		return b.String(), true
	}
	return "", false
}

// isWordByte reports ASCII letters and digits.
func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

// isWordRune reports letters and digits.
func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && isWordByte(byte(r)) || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// wordsAt returns the offsets of the occurrences of w in s that are whole words (no letter or
// digit touches either end).
func wordsAt(s, w string) []int {
	var out []int
	for from := 0; ; {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return out
		}
		at := from + i
		before, _ := utf8.DecodeLastRuneInString(s[:at])
		after, _ := utf8.DecodeRuneInString(s[at+len(w):])
		first, _ := utf8.DecodeRuneInString(w)
		last, _ := utf8.DecodeLastRuneInString(w)
		if (at == 0 || !isWordRune(before) || !isWordRune(first)) &&
			(at+len(w) == len(s) || !isWordRune(after) || !isWordRune(last)) {
			out = append(out, at)
		}
		from = at + len(w)
	}
}

const markdownSyntax = "\\`*_[]()<>#|~&{}"

// plainWords reports text without markdown syntax, placeholder brackets or line breaks.
func plainWords(s string) bool {
	return !strings.ContainsAny(s, "\n⟦⟧"+markdownSyntax) &&
		!strings.ContainsFunc(s, func(r rune) bool { return r >= 0xE000 && r <= 0xF8FF || isInvisible(r) || r == 0x200D })
}

// shownText is the text of one text node as the markdown shows it (entities decoded, white
// space collapsed, invisible characters dropped) with the source offsets of each byte.
type shownText struct {
	text       string
	cdata      bool  // the node is a CDATA section: a patch is written unescaped
	offs, ends []int // source start and end of the character each byte belongs to
}

// visibleText collects the text nodes of a leaf that the markdown shows as text: not those of
// atoms, parameters, code bodies or task ids.
func (p *page) visibleText(l *leaf) []shownText {
	skip := map[*xnode]bool{}
	for _, i := range l.atoms {
		if n := p.atoms[i].node; n.name != "ac:link" && n.name != "ac:placeholder" { // their text is text
			skip[n] = true
		}
	}
	var out []shownText
	var walk func(n *xnode, code bool)
	walk = func(n *xnode, code bool) {
		if skip[n] {
			return
		}
		switch n.kind {
		case xText, xCDATA:
			out = append(out, p.shown(n, code))
			return
		case xElement:
			switch n.name {
			case "ac:parameter", "ac:task-id", "ac:task-status", "style", "script", "time":
				return
			case "ac:plain-text-body":
				code = true
			}
			if strings.HasPrefix(n.name, "ri:") {
				return
			}
			for _, c := range n.children {
				walk(c, code)
			}
		}
	}
	for _, n := range l.nodes {
		walk(n, false)
	}
	return out
}

// shown decodes a text node the way the converter shows it; code keeps its white space.
func (p *page) shown(n *xnode, code bool) shownText {
	t := shownText{cdata: n.kind == xCDATA}
	var b strings.Builder
	s := p.src
	space := false
	start, end := n.start, n.end
	if t.cdata {
		start += len("<![CDATA[")
		end = start + len(n.text(s))
	}
	emit := func(str string, from, to int) {
		for i := 0; i < len(str); i++ {
			t.offs = append(t.offs, from)
			t.ends = append(t.ends, to)
		}
		b.WriteString(str)
	}
	for i := start; i < end; {
		from := i
		var r rune
		var str string
		if s[i] == '&' && !t.cdata {
			j := strings.IndexByte(s[i:min(end, i+40)], ';')
			if j > 1 {
				dec := html.UnescapeString(s[i : i+j+1])
				if dec != s[i:i+j+1] {
					str = dec
					i += j + 1
				}
			}
		}
		if str == "" {
			var size int
			r, size = utf8.DecodeRuneInString(s[i:end])
			str = s[i : i+size]
			i += size
		} else {
			r, _ = utf8.DecodeRuneInString(str)
		}
		switch {
		case code:
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == 0xA0:
			if !space {
				emit(" ", from, i)
				space = true
			} else if len(t.ends) > 0 {
				t.ends[len(t.ends)-1] = i
			}
			continue
		case isInvisible(r) || r == 0x200D:
			continue
		}
		space = false
		emit(str, from, i)
	}
	t.text = b.String()
	return t
}

// patchTasks applies an edit that only ticked or unticked tasks of a task list to their
// status elements.
func (p *page) patchTasks(l *leaf, md string) (string, bool) {
	if p.wiki || len(l.nodes) != 1 || !l.nodes[0].isElement("ac:task-list") {
		return "", false
	}
	untick := strings.NewReplacer("[x]", "[ ]", "[X]", "[ ]")
	old, cur := chunkKey(l.md), chunkKey(md)
	if untick.Replace(old) != untick.Replace(cur) {
		return "", false
	}
	var tasks []*xnode
	var walk func(*xnode)
	walk = func(n *xnode) {
		for _, c := range n.children {
			if c.isElement("ac:task") {
				tasks = append(tasks, c)
			}
			walk(c)
		}
	}
	walk(l.nodes[0])
	oldLines, curLines := strings.Split(old, "\n"), strings.Split(cur, "\n")
	var boxes []int // line index of each task's checkbox
	for i, line := range oldLines {
		t := strings.TrimLeft(line, " ")
		if strings.HasPrefix(t, "- [ ] ") || strings.HasPrefix(t, "- [x] ") || t == "- [ ]" || t == "- [x]" {
			boxes = append(boxes, i)
		}
	}
	if len(boxes) != len(tasks) {
		return "", false
	}
	type repl struct {
		from, to int
		text     string
	}
	var reps []repl
	for k, i := range boxes {
		was := strings.Contains(oldLines[i], "- [x]")
		now := strings.Contains(curLines[i], "- [x]") || strings.Contains(curLines[i], "- [X]")
		if was == now {
			continue
		}
		st := tasks[k].childElement("ac:task-status")
		if st == nil || st.openEnd == st.end {
			return "", false
		}
		status := "incomplete"
		if now {
			status = "complete"
		}
		reps = append(reps, repl{st.openEnd, st.closeBeg, status})
	}
	sort.Slice(reps, func(i, j int) bool { return reps[i].from < reps[j].from })
	var b strings.Builder
	last := l.start
	for _, r := range reps {
		b.WriteString(p.src[last:r.from])
		b.WriteString(r.text)
		last = r.to
	}
	b.WriteString(p.src[last:l.end])
	return b.String(), true
}

// patchAtom applies an edit confined to one placeholder or link of a leaf to that element in
// place: a status's title, a link's text. The rest of the leaf keeps its bytes.
func (p *page) patchAtom(l *leaf, md string) (string, bool) {
	a, repl, ok := p.editedAtom(l, md)
	if !ok {
		return "", false
	}
	var xml string
	if m := tokenPattern.FindString(repl); m == repl && strings.HasPrefix(a.md, tokOpen) {
		kind, detail, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(repl, tokOpen), tokClose), ":")
		if !strings.HasPrefix(a.md, tokOpen+kind+":") {
			return "", false
		}
		xml, ok = p.modify(a, kind, strings.ReplaceAll(detail, `\|`, "|"))
	} else if m := mdLinkPattern.FindStringSubmatch(repl); m != nil && m[0] == repl && a.node.name == "ac:link" &&
		strings.HasSuffix(a.md, "]("+m[2]+")") && plainLabel(m[1]) {
		xml, ok = p.relabel(a.node, unescapeLabel(m[1])), true
	} else {
		ok = false
	}
	if !ok {
		return "", false
	}
	return p.src[l.start:a.off] + xml + p.src[a.off+len(a.src):l.end], true
}

// editedAtom finds the one atom of a leaf that an edit changed, with no change outside it,
// and returns its new markdown.
func (p *page) editedAtom(l *leaf, md string) (a *piece, repl string, ok bool) {
	old, cur := chunkKey(l.md), chunkKey(md)
	pre, suf := commonEnds(old, cur)
	at := 0
	for _, i := range l.atoms {
		a := &p.atoms[i]
		k := strings.Index(old[at:], a.md)
		if k < 0 {
			return nil, "", false
		}
		start, end := at+k, at+k+len(a.md)
		at = end
		if pre < start || len(old)-suf > end {
			continue
		}
		return a, cur[start : end+len(cur)-len(old)], true
	}
	return nil, "", false
}

// patchHunks applies an edit that changed a leaf in several places as a series of
// one-place patches (words or placeholders), last first, checking each on the leaf rendered
// again: two words changed in two cells keep the table's spans.
func (p *page) patchHunks(l *leaf, md string) (string, bool) {
	old, cur := chunkKey(l.md), chunkKey(md)
	hunks := wordHunks(old, cur)
	if len(hunks) < 2 || len(hunks) > maxHunks {
		return "", false
	}
	q, ql := p, l
	out := p.src[l.start:l.end]
	curMD := old
	for i := len(hunks) - 1; i >= 0; i-- {
		h := hunks[i]
		next := curMD[:h.from] + h.text + curMD[h.to:]
		patched, ok := q.patchText(ql, next)
		if !ok {
			patched, ok = q.patchOne(ql, next)
		}
		if !ok {
			return "", false
		}
		if q = p.reparse(patched); len(q.leaves) != 1 || chunkKey(q.leaves[0].md) != chunkKey(next) {
			return "", false
		}
		ql, out, curMD = q.leaves[0], patched, next
	}
	return out, true
}

// maxHunks bounds the places patchHunks patches one by one; each renders the leaf again.
const maxHunks = 16

// patchOne is the placeholder patch of the page's format.
func (p *page) patchOne(l *leaf, md string) (string, bool) {
	if p.wiki {
		return p.patchWikiAtom(l, md)
	}
	return p.patchAtom(l, md)
}

// reparse builds a page of the same format and options from src.
func (p *page) reparse(src string) *page {
	if p.wiki {
		return buildWikiPage(src)
	}
	return buildPage(src, p.opts)
}

// hunk is a change of old[from:to] to text.
type hunk struct {
	from, to int
	text     string
}

// wordHunks diffs two texts word by word (runs of letters and digits, runs of white space,
// single other characters) and returns the changed places in old.
func wordHunks(old, cur string) []hunk {
	a, aOff := wordTokens(old)
	b, bOff := wordTokens(cur)
	match := matchSeq(a, b)
	var out []hunk
	i := 0
	for j := 0; j <= len(b); {
		if j < len(b) && match[j] >= 0 && match[j] == i {
			i++
			j++
			continue
		}
		// A change: old tokens i.. up to the next match, new tokens j.. likewise.
		j2 := j
		for j2 < len(b) && match[j2] < 0 {
			j2++
		}
		i2 := len(a)
		if j2 < len(b) {
			i2 = match[j2]
		}
		if i2 == i && j2 == j {
			break // both at their ends
		}
		out = append(out, hunk{from: aOff[i], to: aOff[i2], text: cur[bOff[j]:bOff[j2]]})
		i, j = i2, j2
	}
	return out
}

// wordTokens splits s into tokens and returns them with their offsets (and len(s) last).
func wordTokens(s string) ([]string, []int) {
	var toks []string
	var offs []int
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		j := i + size
		switch {
		case isWordRune(r):
			for j < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[j:])
				if !isWordRune(r2) {
					break
				}
				j += sz
			}
		case r == ' ' || r == '\t' || r == '\n':
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n') {
				j++
			}
		}
		toks = append(toks, s[i:j])
		offs = append(offs, i)
		i = j
	}
	return toks, append(offs, len(s))
}
