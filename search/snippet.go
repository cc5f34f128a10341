package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/atlasbridge/atlasbridge/search/internal/keyword"
)

// A snippet is what a person or a model reads of a hit: the best short
// passage of the chunk's body, as plain text. The stored chunk text is what
// the embedder saw (see indexer.ChunkMarkdown): a first line with the
// breadcrumb and heading path, then, in a document's first chunk, the
// header lines the crawler writes (Confluence: labels, author, last edit;
// Jira: type, status, people, dates, links), then markdown. A Result
// carries the title and heading path already, and the header's facts as
// fields, so the snippet leaves all of that out and reduces the markdown to
// text: link text kept (the indexer already dropped the URLs), code kept
// as written, emphasis, quote, list and table syntax gone.

// breadcrumbSep joins the parts of a chunk's breadcrumb and heading path in
// its text (indexer.BreadcrumbSep; search cannot import the indexer).
const breadcrumbSep = " › "

// minSnippet is the smallest snippet budget: a few words and two ellipses.
const minSnippet = 32

// snippetSource is a chunk as the snippet sees it.
type snippetSource struct {
	text       string   // stored chunk text
	breadcrumb []string // the document's breadcrumb (space › ancestors › title)
	heading    string   // the chunk's heading path
	title      string   // the document's title
	source     string   // SourceConfluence or SourceJira
	typ        string   // the document's type ("comment" has no header)
	first      bool     // the document's first chunk: the only one with header lines
}

// snippetBudget is a snippet size as callers give it: DefaultSnippetSize
// when 0, at least minSnippet.
func snippetBudget(size int) int {
	if size <= 0 {
		return DefaultSnippetSize
	}
	return max(size, minSnippet)
}

// PlainSnippet returns at most size bytes (DefaultSnippetSize when 0) of
// plain text, cut as a Result's Snippet is: around the densest cluster of
// the query's terms, at word boundaries, with "…" where text was cut. It is
// for text from elsewhere, such as a server's own search excerpt.
func PlainSnippet(text, query string, size int) string {
	return cutSnippet(text, keyword.Tokenize(query), snippetBudget(size))
}

// MarkdownSnippet is PlainSnippet of markdown, reduced to plain text first
// as the index's chunks are (emphasis, quote, list and table syntax gone;
// link text and code kept).
func MarkdownSnippet(md, query string, size int) string {
	return cutSnippet(plainText(md, nil), keyword.Tokenize(query), snippetBudget(size))
}

// makeSnippet returns at most size bytes of plain text from src's body,
// centred on the densest cluster of the query terms (stemmed, as the
// keyword index matches them), cut at word boundaries with "…" where text
// was cut. A chunk whose body is only header lines shows them instead.
func makeSnippet(src snippetSource, terms []string, size int) string {
	snip, _ := bodySnippet(src, terms, size)
	return snip
}

// bodySnippet is makeSnippet that also says whether the snippet came from
// the body; when not (the chunk holds only its breadcrumb and header
// lines), a caller may prefer the body of the document's next chunk.
func bodySnippet(src snippetSource, terms []string, size int) (string, bool) {
	body, header := chunkBody(src)
	plain := plainText(body, func(level int, text string) bool {
		// The page title repeated as a heading, and the section headings
		// the Jira crawler writes, say nothing the result does not.
		if src.title != "" && strings.EqualFold(text, strings.TrimSpace(src.title)) {
			return true
		}
		return src.source == SourceJira && level == 2 && (text == "Description" || text == "Comments")
	})
	if plain != "" {
		return cutSnippet(plain, terms, size), true
	}
	// One segment per header line.
	return cutSnippet(plainText(strings.ReplaceAll(header, "\n", "\n\n"), nil), terms, size), false
}

// chunkBody cuts the breadcrumb line off a stored chunk text, and, from a
// document's first chunk, the header lines; it returns both parts. A text
// that does not start with the breadcrumb the indexer would have written is
// all body.
func chunkBody(src snippetSource) (body, header string) {
	text := src.text
	head := strings.Join(src.breadcrumb, breadcrumbSep)
	if src.heading != "" {
		if head != "" {
			head += breadcrumbSep
		}
		head += src.heading
	}
	if head != "" {
		if text == head {
			return "", ""
		}
		if rest, ok := strings.CutPrefix(text, head+"\n\n"); ok {
			text = rest
		}
	}
	if !src.first {
		return text, ""
	}
	var isHeader func(line string) bool
	switch {
	case src.source == SourceJira:
		isHeader = jiraHeaderLine
	case src.source == SourceConfluence && src.typ != "comment":
		isHeader = confluenceHeaderLine
	default:
		return text, ""
	}
	para, rest, _ := strings.Cut(text, "\n\n")
	for line := range strings.Lines(para) {
		if !isHeader(strings.TrimRight(line, "\n")) {
			return text, ""
		}
	}
	return rest, para
}

// jiraHeaderKeys are the fields the Jira crawler writes above an issue's
// description, as "Key: value" parts joined by " · ", a few to a line.
var jiraHeaderKeys = []string{"Type", "Status", "Priority", "Resolution", "Assignee", "Reporter",
	"Labels", "Components", "Fix versions", "Created", "Updated", "Parent", "Link"}

func jiraHeaderLine(line string) bool {
	for _, k := range jiraHeaderKeys {
		if strings.HasPrefix(line, k+": ") {
			return true
		}
	}
	return false
}

// confluenceHeaderLine matches the lines the Confluence crawler writes
// above a page: "Labels: a, b" and "Author: X · Last edited by Y on DATE".
func confluenceHeaderLine(line string) bool {
	return strings.HasPrefix(line, "Labels: ") || strings.HasPrefix(line, "Author: ") ||
		strings.HasPrefix(line, "Last edited by ")
}

// segment kinds of plainText.
const (
	segText    = iota // a paragraph: following lines join it
	segItem           // a list item: following lines join it too
	segHeading        // a heading: what follows is introduced by a colon
	segRow            // a table row
	segCode           // a line of code
)

// plainText reduces markdown to one line of text. Paragraph lines are joined
// by spaces; list items, table rows, code lines and headings become
// segments separated by " · " (or a space after punctuation), a heading is
// followed by a colon. Headings for which drop returns true are left out.
func plainText(md string, drop func(level int, text string) bool) string {
	var b strings.Builder
	last := -1    // kind of the last segment written; -1 before the first
	open := false // the last segment takes the next line of its paragraph
	fence := ""   // the open code fence
	quoted := 0   // the quote depth of the line that opened it
	write := func(kind int, text string) {
		if text == "" {
			return
		}
		if open && kind == segText {
			b.WriteByte(' ')
			b.WriteString(text)
			return
		}
		if b.Len() > 0 {
			r, _ := utf8.DecodeLastRuneInString(b.String())
			switch {
			case last == segHeading && !strings.ContainsRune(".:!?", r):
				b.WriteString(": ")
			case strings.ContainsRune(".:;,!?", r):
				b.WriteByte(' ')
			default:
				b.WriteString(" · ")
			}
		}
		b.WriteString(text)
		last, open = kind, kind == segText || kind == segItem
	}
	// A chunk that starts with the overlap of its predecessor ("…tail of
	// the last paragraph") may start inside a code block quoted in that
	// paragraph: an odd number of fences in it means the first one closes.
	skipFence := strings.HasPrefix(md, "…") && oddFences(md)
	for line := range strings.Lines(md) {
		line = strings.TrimRight(line, "\r\n")
		trim := strings.TrimSpace(line)
		if skipFence && fence == "" && isFenceLine(trim) {
			skipFence = false
			continue
		}
		if fence != "" {
			// A fence opened in a quote holds quoted lines.
			for d := 0; d < quoted && strings.HasPrefix(trim, ">"); d++ {
				trim = strings.TrimSpace(trim[1:])
			}
			if strings.HasPrefix(trim, fence) && strings.Trim(trim, fence[:1]) == "" {
				fence = ""
				continue
			}
			open = false
			write(segCode, squeeze(cleanRunes(trim)))
			continue
		}
		depth := 0
		for ; strings.HasPrefix(trim, ">"); depth++ {
			trim = strings.TrimSpace(trim[1:])
		}
		switch {
		case trim == "":
			open = false
		case strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~"):
			n := 0
			for n < len(trim) && trim[n] == trim[0] {
				n++
			}
			fence, quoted, open = trim[:n], depth, false
		case markdownHeadingLevel(trim) > 0:
			lvl := markdownHeadingLevel(trim)
			text := inlinePlain(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(trim[lvl:]), "#")))
			open = false
			if drop != nil && drop(lvl, text) {
				continue
			}
			write(segHeading, text)
		case isRule(trim):
			open = false
		case trim[0] == '|':
			open = false
			if row := tableRow(trim); row != "" {
				write(segRow, row)
			}
		default:
			if rest, ok := cutListMarker(trim); ok {
				open = false
				write(segItem, inlinePlain(rest))
				continue
			}
			write(segText, inlinePlain(trim))
		}
	}
	return b.String()
}

// isFenceLine says whether a line, quote marks stripped, is a code fence.
func isFenceLine(trim string) bool {
	for strings.HasPrefix(trim, ">") {
		trim = strings.TrimSpace(trim[1:])
	}
	return strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~")
}

// oddFences says whether the first paragraph of md holds an odd number of
// code fences.
func oddFences(md string) bool {
	para, _, _ := strings.Cut(md, "\n\n")
	n := 0
	for line := range strings.Lines(para) {
		if isFenceLine(strings.TrimSpace(line)) {
			n++
		}
	}
	return n%2 == 1
}

// markdownHeadingLevel returns the level of an ATX heading line, or 0.
func markdownHeadingLevel(trim string) int {
	n := 0
	for n < len(trim) && trim[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n < len(trim) && trim[n] != ' ' && trim[n] != '\t' {
		return 0
	}
	return n
}

// isRule says whether a line is a thematic break (---, ***, ___) or a
// setext underline.
func isRule(trim string) bool {
	if len(trim) < 3 || !strings.ContainsRune("-*_=", rune(trim[0])) {
		return false
	}
	return strings.Trim(trim, string(trim[0])+" ") == ""
}

// cutListMarker strips a list item's marker ("- ", "* ", "+ ", "1. ",
// "1) ") and a task box ("[ ] ", "[x] ").
func cutListMarker(trim string) (string, bool) {
	n := 0
	switch {
	case trim[0] == '-' || trim[0] == '*' || trim[0] == '+':
		n = 1
	default:
		for n < len(trim) && n < 9 && trim[n] >= '0' && trim[n] <= '9' {
			n++
		}
		if n == 0 || n >= len(trim) || trim[n] != '.' && trim[n] != ')' {
			return "", false
		}
		n++
	}
	if n >= len(trim) || trim[n] != ' ' && trim[n] != '\t' {
		return "", false
	}
	rest := strings.TrimSpace(trim[n:])
	for _, box := range []string{"[ ] ", "[x] ", "[X] "} {
		rest = strings.TrimPrefix(rest, box)
	}
	return rest, true
}

// tableRow joins the cells of a table row: "a: b" for two cells, "a, b, c"
// for more; a separator row gives "".
func tableRow(trim string) string {
	var cells []string
	var cur strings.Builder
	code := false
	flush := func() {
		cells = append(cells, strings.TrimSpace(cur.String()))
		cur.Reset()
	}
	for i := 0; i < len(trim); i++ {
		c := trim[i]
		switch {
		case c == '\\' && i+1 < len(trim) && trim[i+1] == '|':
			cur.WriteByte('|')
			i++
		case c == '`':
			code = !code
			cur.WriteByte(c)
		case c == '|' && !code:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	// The leading pipe leaves an empty first cell, a trailing one an empty last.
	if len(cells) > 0 && cells[0] == "" {
		cells = cells[1:]
	}
	if len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	rule := true
	out := cells[:0]
	for _, c := range cells {
		if strings.Trim(c, "-: ") != "" {
			rule = false
		}
		if c = inlinePlain(c); c != "" {
			out = append(out, c)
		}
	}
	if rule {
		return ""
	}
	if len(out) == 2 {
		return out[0] + ": " + out[1]
	}
	return strings.Join(out, ", ")
}

// inlinePlain removes inline markdown from one line: code spans keep their
// text as written, emphasis and strike-through marks, link and image
// brackets (and a URL in parentheses after them), backslash escapes and
// <br> tags go. Where a removed mark stood between two letters or digits,
// a space stands instead, so that no two words run together.
func inlinePlain(s string) string {
	s = cleanRunes(s)
	var b strings.Builder
	b.Grow(len(s))
	// gap writes a space for a removed mark if the text on both sides is a
	// word: "a`b`" reads "a b", never "ab".
	gap := func(next int) {
		if b.Len() == 0 || next >= len(s) {
			return
		}
		prev, _ := utf8.DecodeLastRuneInString(b.String())
		r, _ := utf8.DecodeRuneInString(s[next:])
		if keyword.IsWordRune(prev) && keyword.IsWordRune(r) {
			b.WriteByte(' ')
		}
	}
	links := 0 // open link brackets
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '`':
			n := runOf(s, i, '`')
			if end := strings.Index(s[i+n:], s[i:i+n]); end >= 0 && runOf(s, i+n+end, '`') == n {
				code := s[i+n : i+n+end]
				if strings.TrimSpace(code) != "" {
					gap(i + n)
					b.WriteString(code)
				}
				i += n + end + n
				gap(i)
				continue
			}
			gap(i + n)
			i += n
		case c == '\\' && i+1 < len(s) && s[i+1] < utf8.RuneSelf && unicode.IsPunct(rune(s[i+1])) || c == '\\' && i+1 < len(s) && strings.IndexByte("$+<=>^`|~", s[i+1]) >= 0:
			b.WriteByte(s[i+1])
			i += 2
		case c == '<' && isBreakTag(s[i:]) > 0:
			i += isBreakTag(s[i:])
			b.WriteByte(' ')
		case c == '!' && i+1 < len(s) && s[i+1] == '[' && strings.IndexByte(s[i+2:], ']') >= 0:
			gap(i + 2)
			links++
			i += 2
		case c == '[' && strings.IndexByte(s[i+1:], ']') >= 0 && !precededByWord(s, i):
			gap(i + 1)
			links++
			i++
		case c == ']' && links > 0:
			links--
			i++
			if i < len(s) && s[i] == '(' {
				if end := strings.IndexByte(s[i:], ')'); end > 0 && !strings.ContainsAny(s[i:i+end], " \t") {
					i += end + 1
				}
			}
			gap(i)
		case c == '*' || c == '_' || c == '~':
			n := runOf(s, i, c)
			if emphasis(s, i, n) {
				gap(i + n)
				i += n
				continue
			}
			b.WriteString(s[i : i+n])
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return squeeze(b.String())
}

// runOf is the length of the run of c starting at s[i].
func runOf(s string, i int, c byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

// isBreakTag returns the length of a <br>, <br/> or <br /> tag at the start
// of s, or 0.
func isBreakTag(s string) int {
	for _, t := range []string{"<br>", "<br/>", "<br />"} {
		if len(s) >= len(t) && strings.EqualFold(s[:len(t)], t) {
			return len(t)
		}
	}
	return 0
}

func precededByWord(s string, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return keyword.IsWordRune(r)
}

// emphasis says whether the run of n marks at s[i] opens or closes emphasis
// (or strike-through): it opens when it follows a space or punctuation and
// precedes a word, closes when it follows a word and precedes a space or
// punctuation. "snake_case", "2 * 3" and "count(*)" keep theirs.
func emphasis(s string, i, n int) bool {
	c := s[i]
	if c == '~' && n != 2 || n > 3 {
		return false
	}
	before, after := ' ', ' '
	if i > 0 {
		before, _ = utf8.DecodeLastRuneInString(s[:i])
	}
	if i+n < len(s) {
		after, _ = utf8.DecodeRuneInString(s[i+n:])
	}
	opens := !keyword.IsWordRune(before) && (keyword.IsWordRune(after) || strings.ContainsRune("`[(\"'", after))
	closes := (keyword.IsWordRune(before) || strings.ContainsRune("`])\"'.:!?", before)) && !keyword.IsWordRune(after) && (unicode.IsSpace(after) || unicode.IsPunct(after) || i+n == len(s))
	return opens != closes
}

// cleanRunes makes s valid UTF-8 and turns control and format characters
// (bidi overrides, zero-width marks) into spaces.
func cleanRunes(s string) string {
	i := 0
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if badRune(r, n) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if badRune(r, n) {
			b.WriteByte(' ')
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func badRune(r rune, n int) bool {
	return r == utf8.RuneError && n <= 1 || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// squeeze trims s and turns each run of ASCII white space into one space.
func squeeze(s string) string {
	s = strings.Trim(s, " \t\n\r\v\f")
	clean := true
	for i := 0; i < len(s) && clean; i++ {
		switch s[i] {
		case '\t', '\n', '\r', '\v', '\f':
			clean = false
		case ' ':
			clean = i+1 >= len(s) || s[i+1] != ' '
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			space = true
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// cutSnippet returns at most size bytes of plain (already one line): all
// of it when it fits, else the window around the densest cluster of the
// query terms (the most distinct terms, then the most occurrences, then the
// tightest), centred on it and moved to a sentence start when one is close,
// cut at word boundaries and marked with "…" on the sides that were cut.
// Without a term in plain, the window is its beginning.
func cutSnippet(plain string, terms []string, size int) string {
	plain = squeeze(cleanRunes(plain))
	size = max(size, minSnippet)
	if len(plain) <= size {
		return plain
	}
	const ell = len("…")
	avail := size - 2*ell // room for text between two ellipses

	want := make(map[string]bool, len(terms))
	for _, t := range terms {
		want[t] = true
	}
	type hit struct {
		term       string
		start, end int
	}
	var hits []hit
	keyword.ForEachTerm(plain, func(t string, s, e int) {
		if want[t] {
			hits = append(hits, hit{t, s, e})
		}
	})
	// A cluster spans at most three quarters of the window, so that some
	// context is left around it.
	span := avail * 3 / 4
	lo, hi := -1, -1 // the best cluster's byte range
	bestDistinct, bestTotal := 0, 0
	seen := make(map[string]bool)
	for i, h := range hits {
		clear(seen)
		total, end := 0, h.end
		for _, g := range hits[i:] {
			if g.end-h.start > span {
				break
			}
			seen[g.term] = true
			total++
			end = g.end
		}
		better := len(seen) > bestDistinct ||
			len(seen) == bestDistinct && (total > bestTotal || total == bestTotal && end-h.start < hi-lo)
		if better {
			bestDistinct, bestTotal, lo, hi = len(seen), total, h.start, end
		}
	}
	if lo < 0 || hi-lo > span {
		// No term (or one word longer than the window): the beginning.
		return ellipsis("", plain[:cutBack(plain, 0, size-ell)], "…")
	}
	start := lo - (avail-(hi-lo))/2
	if s := sentenceStart(plain, max(0, hi-avail), lo, start); s >= 0 {
		start = s // a sentence or segment start near the centre reads better
	}
	if start <= 0 {
		// hi <= avail: the window from the top holds the cluster.
		return ellipsis("", plain[:max(hi, cutBack(plain, 0, size-ell))], "…")
	}
	if len(plain)-start <= size-ell {
		// The window reaches the end: only the front is cut, and the
		// room of the second ellipsis goes to more text before.
		start = cutForward(plain, len(plain)-(size-ell))
		if s := sentenceStart(plain, start, lo, start); s >= 0 {
			start = s
		}
		return ellipsis("…", plain[min(lo, start):], "")
	}
	start = min(lo, cutForward(plain, start))
	return ellipsis("…", plain[start:max(hi, cutBack(plain, start, start+avail))], "…")
}

// ellipsis puts the marks of a cut around text, dropping a segment
// separator left at a cut edge: "…done ·…" reads "…done…".
func ellipsis(before, text, after string) string {
	if before != "" {
		text = strings.TrimPrefix(text, "· ")
	}
	if after != "" {
		text = strings.TrimSuffix(text, " ·")
	}
	return before + text + after
}

// sentenceStart returns where a sentence or a segment of plain starts
// (after ". ", "? ", "! ", ": " or " · ", or at 0) in [from, to], the one
// nearest to centre (the earlier of two as near); -1 when there is none.
func sentenceStart(plain string, from, to, centre int) int {
	from, to = max(from, 0), min(to, len(plain))
	best := -1
	for i := from; i <= to; i++ {
		if startsSentence(plain, i) && (best < 0 || distance(i, centre) < distance(best, centre)) {
			best = i
		}
	}
	return best
}

func distance(a, b int) int { return max(a-b, b-a) }

func startsSentence(plain string, i int) bool {
	if i == 0 {
		return true
	}
	if plain[i-1] != ' ' {
		return false
	}
	before := plain[:i-1]
	return strings.HasSuffix(before, ".") || strings.HasSuffix(before, "?") || strings.HasSuffix(before, "!") ||
		strings.HasSuffix(before, ":") || strings.HasSuffix(before, " ·")
}

// cutForward moves i forward to the start of the next word, unless it is at
// one; a word that does not end within 32 bytes is cut at a rune boundary.
func cutForward(s string, i int) int {
	if i <= 0 {
		return 0
	}
	if i >= len(s) {
		return len(s)
	}
	if s[i-1] != ' ' {
		if j := strings.IndexByte(s[i:], ' '); j >= 0 && j < 32 {
			return i + j + 1
		}
		for i < len(s) && !utf8.RuneStart(s[i]) {
			i++
		}
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// cutBack returns the end of the last whole word of s[from:limit] (limit
// bytes into s at most); a word longer than the span is cut at a rune
// boundary.
func cutBack(s string, from, limit int) int {
	if limit >= len(s) {
		return len(s)
	}
	if s[limit] != ' ' {
		if j := strings.LastIndexByte(s[from:limit], ' '); j > 0 {
			limit = from + j
		} else {
			for limit > from && !utf8.RuneStart(s[limit]) {
				limit--
			}
		}
	}
	for limit > from && s[limit-1] == ' ' {
		limit--
	}
	return limit
}
