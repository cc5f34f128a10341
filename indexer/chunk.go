package indexer

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/atlasbridge/atlasbridge/search"
)

// ChunkOptions size the chunks of ChunkMarkdown. Sizes are in approximate
// tokens (a token is taken as four bytes of text, the usual rule of thumb
// for English prose and code). The zero value gives the defaults.
type ChunkOptions struct {
	// Target is the size a chunk is filled up to (default 300).
	Target int
	// Max is the size above which a single paragraph, code block or table
	// is cut (default 2×Target).
	Max int
	// Overlap is how much of the end of a chunk is repeated at the start of
	// the next chunk of the same section (default Target/8). Code and
	// tables are never repeated.
	Overlap int
}

func (o ChunkOptions) withDefaults() ChunkOptions {
	if o.Target <= 0 {
		o.Target = 300
	}
	if o.Max < o.Target {
		o.Max = 2 * o.Target
	}
	if o.Overlap < 0 || o.Overlap >= o.Target {
		o.Overlap = 0
	} else if o.Overlap == 0 {
		o.Overlap = o.Target / 8
	}
	return o
}

// BreadcrumbSep joins the parts of a breadcrumb and of a heading path.
const BreadcrumbSep = " › "

// tokens estimates the number of tokens of s.
func tokens(s string) int { return (len(s) + 3) / 4 }

type blockKind int

const (
	blockText blockKind = iota
	blockCode
	blockTable
	blockHeading
)

// block is one unit of a markdown document that chunking keeps whole when
// it can: a paragraph or list, a fenced code block, a table or a heading.
type block struct {
	kind  blockKind
	level int    // heading level (1-6), headings only
	title string // heading text, headings only
	text  string // the block's markdown
	path  []string
}

// parseBlocks splits markdown into blocks and gives each its heading path.
func parseBlocks(md string) []block {
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	var out []block
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, block{kind: blockText, text: strings.Join(para, "\n")})
			para = para[:0]
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trim := strings.TrimSpace(line)
		switch {
		case trim == "":
			flush()
		case isFence(trim):
			flush()
			fence := fenceMarker(trim)
			j := i + 1
			for j < len(lines) && !closesFence(strings.TrimSpace(lines[j]), fence) {
				j++
			}
			end := min(j, len(lines)-1)
			out = append(out, block{kind: blockCode, text: strings.Join(lines[i:end+1], "\n")})
			i = end
		case headingLevel(trim) > 0 && !strings.HasPrefix(line, "    "):
			flush()
			lvl := headingLevel(trim)
			title := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(trim[lvl:]), "#"))
			out = append(out, block{kind: blockHeading, level: lvl, title: title, text: trim})
		case strings.HasPrefix(trim, "|"):
			flush()
			j := i
			for j+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j+1]), "|") {
				j++
			}
			out = append(out, block{kind: blockTable, text: strings.Join(lines[i:j+1], "\n")})
			i = j
		default:
			para = append(para, line)
		}
	}
	flush()

	var stack []block // open headings, outermost first
	for i := range out {
		b := &out[i]
		if b.kind == blockHeading {
			for len(stack) > 0 && stack[len(stack)-1].level >= b.level {
				stack = stack[:len(stack)-1]
			}
			stack = append(stack, *b)
		}
		b.path = make([]string, 0, len(stack))
		for _, h := range stack {
			if h.title != "" {
				b.path = append(b.path, h.title)
			}
		}
	}
	return out
}

func isFence(trim string) bool {
	return strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~")
}

func fenceMarker(trim string) string {
	c := trim[0]
	n := 0
	for n < len(trim) && trim[n] == c {
		n++
	}
	return trim[:n]
}

func closesFence(trim, open string) bool {
	return strings.HasPrefix(trim, open) && strings.Trim(trim, open[:1]) == ""
}

// headingLevel returns the level of an ATX heading line, or 0.
func headingLevel(trim string) int {
	n := 0
	for n < len(trim) && n < 7 && trim[n] == '#' {
		n++
	}
	if n == 0 || n > 6 {
		return 0
	}
	if n < len(trim) && trim[n] != ' ' && trim[n] != '\t' {
		return 0
	}
	return n
}

// piece is a part of a chunk under construction.
type piece struct {
	kind blockKind
	text string
}

// chunker packs blocks into chunks.
type chunker struct {
	opts       ChunkOptions
	breadcrumb string
	out        []search.Chunk
	cur        []piece
	curTokens  int
	curPath    []string
}

func (c *chunker) add(p piece, path []string) {
	if len(c.cur) == 0 {
		c.curPath = path
	}
	c.cur = append(c.cur, p)
	c.curTokens += tokens(p.text) + 1
}

// flush emits the chunk under construction. With overlap, the next chunk
// starts with the end of this one's last paragraph.
func (c *chunker) flush(overlap bool) {
	if len(c.cur) == 0 {
		return
	}
	var body strings.Builder
	for i, p := range c.cur {
		if i > 0 {
			body.WriteString("\n\n")
		}
		body.WriteString(p.text)
	}
	c.out = append(c.out, makeChunk(len(c.out), c.breadcrumb, c.curPath, body.String()))
	last := c.cur[len(c.cur)-1]
	path := c.curPath
	c.cur, c.curTokens = c.cur[:0], 0
	if overlap && c.opts.Overlap > 0 && last.kind == blockText {
		if tail := tailText(last.text, c.opts.Overlap*4); tail != "" {
			c.add(piece{kind: blockText, text: tail}, path)
			c.cur[0].kind = blockHeading // an overlap alone never makes a chunk
		}
	}
}

// hasContent reports whether the chunk under construction holds more than
// an overlap carried over from the previous chunk.
func (c *chunker) hasContent() bool {
	for _, p := range c.cur {
		if p.kind != blockHeading {
			return true
		}
	}
	return false
}

func makeChunk(index int, breadcrumb string, path []string, body string) search.Chunk {
	heading := strings.Join(path, BreadcrumbSep)
	head := breadcrumb
	if heading != "" {
		if head != "" {
			head += BreadcrumbSep
		}
		head += heading
	}
	text := strings.TrimSpace(body)
	if head != "" {
		text = head + "\n\n" + text
	}
	text = strings.TrimSpace(text)
	sum := sha256.Sum256([]byte(text))
	return search.Chunk{Index: index, Heading: heading, Text: text, Hash: hex.EncodeToString(sum[:])}
}

// ChunkMarkdown splits a document's markdown into chunks that follow its
// headings. A chunk never spans two top-level sections unless they are
// tiny, is filled up to about opts.Target tokens, and carries its
// breadcrumb (space › ancestors › title) and heading path as its first line,
// so that it still says what it is about out of context. Code blocks and
// tables are kept whole unless one alone exceeds opts.Max. Each chunk's
// Hash is the SHA-256 of its Text. Link destinations are dropped (see
// plainLinks): their text stays. A document without text still gets one
// chunk (its breadcrumb), so it can be found by title; with no breadcrumb
// either, there is nothing to embed and no chunk.
func ChunkMarkdown(md string, breadcrumb []string, opts ChunkOptions) []search.Chunk {
	opts = opts.withDefaults()
	c := &chunker{opts: opts, breadcrumb: strings.Join(breadcrumb, BreadcrumbSep)}
	blocks := parseBlocks(plainLinks(md))
	top := topLevel(blocks)
	if len(breadcrumb) > 0 {
		title := breadcrumb[len(breadcrumb)-1]
		for i := range blocks {
			// A heading repeating the page title adds nothing to the path.
			if p := blocks[i].path; len(p) > 0 && strings.EqualFold(p[0], title) {
				blocks[i].path = p[1:]
			}
		}
	}
	small := opts.Target / 4
	for i, b := range blocks {
		if b.kind == blockHeading {
			switch {
			case !c.hasContent():
				c.cur, c.curTokens = c.cur[:0], 0 // drop a dangling overlap
			case b.level == top:
				// A new top-level section starts a new chunk, unless what we
				// hold or what comes is tiny and both fit in one chunk.
				next := sectionTokens(blocks[i:], top)
				if c.curTokens >= small && next >= small || c.curTokens+next > opts.Target {
					c.flush(false)
				}
			case c.curTokens >= opts.Target*3/5:
				c.flush(false)
			}
			if len(c.cur) > 0 {
				c.add(piece{kind: blockText, text: b.text}, b.path)
			}
			continue
		}
		for _, part := range splitBlock(b, opts.Max) {
			t := tokens(part) + 1
			if c.hasContent() && c.curTokens+t > opts.Target {
				c.flush(true)
			}
			c.add(piece{kind: b.kind, text: part}, b.path)
		}
	}
	if c.hasContent() {
		c.flush(false)
	}
	if len(c.out) == 0 && c.breadcrumb != "" {
		c.out = append(c.out, makeChunk(0, c.breadcrumb, nil, ""))
	}
	return c.out
}

// topLevel is the heading level that divides the document into sections:
// the smallest level used at least twice (a lone "# Title" heading above
// "## Sections" does not count), else the smallest used.
func topLevel(blocks []block) int {
	var count [8]int
	for _, b := range blocks {
		if b.kind == blockHeading {
			count[b.level]++
		}
	}
	first := 7
	for l := 1; l <= 6; l++ {
		if count[l] >= 2 {
			return l
		}
		if count[l] > 0 && first == 7 {
			first = l
		}
	}
	return first
}

// sectionTokens is the size of the section that starts at blocks[0] (a
// heading of level top) up to the next heading of that level.
func sectionTokens(blocks []block, top int) int {
	n := 0
	for i, b := range blocks {
		if i > 0 && b.kind == blockHeading && b.level <= top {
			break
		}
		n += tokens(b.text) + 1
	}
	return n
}

// splitBlock cuts a block larger than max tokens into parts: code by lines
// (each part fenced again), tables by rows (each part keeps the header),
// text by sentences or, failing that, words.
func splitBlock(b block, max int) []string {
	if tokens(b.text) <= max {
		return []string{b.text}
	}
	limit := max * 4
	switch b.kind {
	case blockCode:
		lines := strings.Split(b.text, "\n")
		open, close := lines[0], ""
		body := lines[1:]
		if n := len(body); n > 0 && closesFence(strings.TrimSpace(body[n-1]), fenceMarker(strings.TrimSpace(open))) {
			close, body = body[n-1], body[:n-1]
		} else {
			close = fenceMarker(strings.TrimSpace(open))
		}
		if strings.TrimSpace(strings.Join(body, "")) == "" {
			// Only a fence line, too long for a chunk (a long info string):
			// its words are text.
			return packLines(splitSentences(b.text), limit, func(part string) string { return part })
		}
		return packLines(body, limit-len(open)-len(close)-2, func(part string) string {
			return open + "\n" + part + "\n" + close
		})
	case blockTable:
		lines := strings.Split(b.text, "\n")
		header := ""
		rows := lines
		if len(lines) >= 2 && isTableRule(lines[1]) {
			header, rows = lines[0]+"\n"+lines[1], lines[2:]
		}
		return packLines(rows, limit-len(header)-1, func(part string) string {
			if header == "" {
				return part
			}
			return header + "\n" + part
		})
	default:
		return packLines(splitSentences(b.text), limit, func(part string) string { return part })
	}
}

func isTableRule(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "|") && strings.Trim(t, "|-: ") == ""
}

// packLines joins units (lines or sentences) into parts of at most limit
// bytes; a unit longer than limit is cut at a word (or rune) boundary.
func packLines(units []string, limit int, wrap func(string) string) []string {
	if limit < 64 {
		limit = 64
	}
	var parts []string
	var cur strings.Builder
	emit := func() {
		if cur.Len() > 0 {
			parts = append(parts, wrap(cur.String()))
			cur.Reset()
		}
	}
	for _, u := range units {
		for len(u) > limit {
			cut := cutAt(u, limit)
			emit()
			parts = append(parts, wrap(u[:cut]))
			u = strings.TrimLeft(u[cut:], " ")
		}
		if cur.Len() > 0 && cur.Len()+1+len(u) > limit {
			emit()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(u)
	}
	emit()
	return parts
}

// cutAt returns a cut position at most limit bytes into s, at the last space
// (any white space) if there is one in the second half, else at a rune boundary.
func cutAt(s string, limit int) int {
	if i := strings.LastIndexFunc(s[:limit], unicode.IsSpace); i > limit/2 {
		return i
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	if limit == 0 {
		_, n := utf8.DecodeRuneInString(s)
		return n
	}
	return limit
}

// splitSentences splits prose after ". ", "? " and "! " and at newlines.
func splitSentences(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		start := 0
		for i := 0; i+1 < len(line); i++ {
			if (line[i] == '.' || line[i] == '?' || line[i] == '!') && line[i+1] == ' ' {
				out = append(out, line[start:i+1])
				start = i + 2
			}
		}
		if start < len(line) {
			out = append(out, line[start:])
		}
	}
	return out
}

// tailText returns about the last n bytes of s, starting at a word and
// marked with an ellipsis when cut; s itself when it is short.
func tailText(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := len(s) - n
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	if i := strings.IndexAny(s[cut:], " \n"); i >= 0 && i < n/2 {
		cut += i + 1
	}
	return "…" + strings.TrimSpace(s[cut:])
}
