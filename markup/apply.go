package markup

import (
	"errors"
	"fmt"
	"strings"
)

// ApplyOptions tune ApplyMarkdown. The embedded Options must be those the markdown was
// rendered with (EditableMarkdown), or links and images will not be recognised.
type ApplyOptions struct {
	Options
	// AllowLoss writes the result even when it lacks elements the current storage has
	// (a deleted placeholder, a macro the edit rewrote). Without it such a write fails with
	// a *LossError.
	AllowLoss bool
	// Section, when set, is the text of a heading: the submitted markdown replaces that
	// heading and everything under it up to the next heading of the same or a higher level,
	// and the rest of the page stays as it is. The submitted markdown may start with the
	// heading line or leave it out (then the heading is kept).
	Section string
}

var (
	// ErrWouldLose is matched (errors.Is) by the *LossError of a write that would drop
	// elements of the page.
	ErrWouldLose = errors.New("markup: the edit would lose page elements")
	// ErrUnknownPlaceholder is returned for a ⟦…⟧ placeholder or a "::: kind" block that is
	// neither on the page nor one that can be created.
	ErrUnknownPlaceholder = errors.New("markup: unknown placeholder")
	// ErrNoSection is returned when ApplyOptions.Section names no heading of the page.
	ErrNoSection = errors.New("markup: no such section")
)

// LossError lists what a write would drop. It matches ErrWouldLose.
type LossError struct {
	// Lost describes each element, such as `status macro "Done (Green)"` or `mention of
	// user 8a7f…`, once per occurrence.
	Lost []string
}

func (e *LossError) Error() string {
	const shown = 10
	list := e.Lost
	more := ""
	if len(list) > shown {
		more = fmt.Sprintf(" and %d more", len(list)-shown)
		list = list[:shown]
	}
	return fmt.Sprintf("%v: %s%s (keep their placeholders, or allow the loss explicitly)", ErrWouldLose, strings.Join(list, ", "), more)
}

// Is makes errors.Is(err, ErrWouldLose) true.
func (e *LossError) Is(target error) bool { return target == ErrWouldLose }

// ApplyMarkdown writes an edit of EditableMarkdown's markdown back into storage. current is the
// page's storage now, submitted the edited markdown. Blocks whose markdown did not change keep
// their bytes; a changed block is patched in place when only its text changed, and converted
// otherwise, with the placeholders, links, images and emoticons it still shows put back as
// they were. Edits inside "::: …" blocks stay inside their macro or layout cell.
//
// When the result lacks an element current has (a macro, link, mention, image, emoticon,
// task, layout part, anchor, merged cell or unknown element), ApplyMarkdown returns a
// *LossError unless opts.AllowLoss is set.
func ApplyMarkdown(current, submitted string, opts ApplyOptions) (string, error) {
	return applyTo(buildPage(current, opts.Options), current, submitted, opts)
}

func applyTo(p *page, current, submitted string, opts ApplyOptions) (string, error) {
	submitted = strings.ReplaceAll(submitted, "\r\n", "\n")
	if opts.Section != "" {
		var err error
		if submitted, err = p.spliceSection(opts.Section, submitted); err != nil {
			return "", err
		}
	}
	out, err := p.apply(splitChunks(submitted))
	if err != nil {
		return "", err
	}
	if !opts.AllowLoss {
		lost := lostElements
		if p.wiki {
			lost = lostWikiElements
		}
		if lost := lost(current, out); len(lost) > 0 {
			return "", &LossError{Lost: lost}
		}
	}
	return out, nil
}

// applier rebuilds storage from the submitted chunks.
type applier struct {
	p      *page
	sub    []string
	stack  []*frame
	leafOf map[string][]*leaf // first chunk key of a deleted leaf → deleted leaves
	used   map[*leaf]bool
	cused  map[*container]bool
	kept   map[*container]bool // containers whose opening marker the diff kept
	gone   map[*leaf]bool      // leaves the diff did not keep
	moved  map[*leaf]bool      // gone leaves whose markdown the submission holds elsewhere
}

// frame is a container being written.
type frame struct {
	c        *container // the original, or nil for one the edit created
	kind     string
	arg      string // the argument its marker line now has
	pre, suf string // for a created container
	b        strings.Builder
}

func (p *page) apply(sub []string) (string, error) {
	oldKeys := make([]string, len(p.chunks))
	for i, c := range p.chunks {
		oldKeys[i] = chunkKey(c.md)
	}
	newKeys := make([]string, len(sub))
	for j, s := range sub {
		newKeys[j] = chunkKey(s)
	}
	matchNew := matchSeq(oldKeys, newKeys)
	matchOld := make([]int, len(oldKeys))
	for i := range matchOld {
		matchOld[i] = -1
	}
	for j, i := range matchNew {
		if i >= 0 {
			matchOld[i] = j
		}
	}
	// A leaf is kept only when all its chunks are, in a row.
	for _, l := range p.leaves {
		j0 := matchOld[l.chunks[0]]
		intact := j0 >= 0
		for k, ci := range l.chunks {
			if matchOld[ci] != j0+k || j0 < 0 {
				intact = false
			}
		}
		if !intact {
			for _, ci := range l.chunks {
				if j := matchOld[ci]; j >= 0 {
					matchNew[j] = -1
				}
				matchOld[ci] = -1
			}
		}
	}

	a := &applier{p: p, sub: sub, leafOf: map[string][]*leaf{}, used: map[*leaf]bool{},
		cused: map[*container]bool{}, kept: map[*container]bool{}, gone: map[*leaf]bool{},
		moved: map[*leaf]bool{}}
	for _, l := range p.leaves {
		if matchOld[l.chunks[0]] < 0 {
			k := oldKeys[l.chunks[0]]
			a.leafOf[k] = append(a.leafOf[k], l)
			a.gone[l] = true
		}
	}
	for _, c := range p.conts {
		if matchOld[c.openChunk] >= 0 {
			a.kept[c] = true
		}
	}
	// A block moved unchanged is put back whole where it went, never paired with another.
	for j := range sub {
		if matchNew[j] < 0 {
			if l := a.movedLeaf(sub[j:]); l != nil {
				a.moved[l] = true
				a.used[l] = true // reserved until its chunks come
			}
		}
	}
	for l := range a.moved {
		a.used[l] = false
	}
	a.stack = []*frame{{c: p.root}}

	i, j := 0, 0
	for i < len(oldKeys) || j < len(sub) {
		var del, ins []int
		for i < len(oldKeys) && matchOld[i] < 0 {
			del = append(del, i)
			i++
		}
		for j < len(sub) && matchNew[j] < 0 {
			ins = append(ins, j)
			j++
		}
		if len(del) > 0 || len(ins) > 0 {
			if err := a.hunk(del, ins); err != nil {
				return "", err
			}
		}
		if i < len(oldKeys) && j < len(sub) {
			a.keep(i)
			i++
			j++
		}
	}
	for len(a.stack) > 1 {
		a.pop()
	}
	root := a.stack[0]
	return root.b.String() + p.root.suffix, nil
}

func (a *applier) top() *frame { return a.stack[len(a.stack)-1] }

// keep writes an unchanged chunk: a leaf's bytes (at its first chunk) or a container marker.
func (a *applier) keep(i int) {
	switch c := a.p.chunks[i]; {
	case c.leaf != nil:
		if c.leaf.chunks[0] == i {
			a.used[c.leaf] = true
			a.writeLeaf(c.leaf.glue, a.p.src[c.leaf.start:c.leaf.end])
		}
	case c.open != nil:
		a.cused[c.open] = true
		a.stack = append(a.stack, &frame{c: c.open, kind: c.open.kind, arg: c.open.arg})
	case c.close != nil:
		a.pop()
	}
}

// pop closes the innermost container and writes it into its parent. A closing marker with no
// open container is ignored.
func (a *applier) pop() {
	if len(a.stack) < 2 {
		return
	}
	f := a.top()
	a.stack = a.stack[:len(a.stack)-1]
	content := f.b.String()
	if f.c == nil {
		a.writeNew(f.pre + content + f.suf)
		return
	}
	c := f.c
	pre, suf := c.prefix, c.suffix
	if f.arg != c.arg {
		pre = a.p.retitle(c, f.arg)
	}
	if c.body == nil {
		// wiki: nothing to open
	} else if tag := a.p.src[c.body.start:c.body.openEnd]; c.body.openEnd == c.body.end && content != "" && strings.HasSuffix(pre, tag) {
		// The original body was self-closing ("<ac:rich-text-body/>"): open it.
		open := strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(tag, ">"), "/"), " ") + ">"
		pre = pre[:len(pre)-len(tag)] + open
		suf = "</" + c.body.name + ">" + suf
	}
	a.writeLeaf(c.glue, pre+content+suf)
}

// hunk writes the submitted chunks ins in place of the original chunks del.
func (a *applier) hunk(del, ins []int) error {
	var delLeaves []*leaf
	var delOpen []*container
	seen := map[*leaf]bool{}
	for _, i := range del {
		c := a.p.chunks[i]
		if c.leaf != nil && !seen[c.leaf] {
			seen[c.leaf] = true
			delLeaves = append(delLeaves, c.leaf)
		}
		if c.open != nil {
			delOpen = append(delOpen, c.open)
		}
	}
	for k := 0; k < len(ins); {
		md := a.sub[ins[k]]
		if isMarkerLine(md) {
			if err := a.marker(md, delOpen); err != nil {
				return err
			}
			k++
			continue
		}
		end := k
		for end < len(ins) && !isMarkerLine(a.sub[ins[end]]) {
			end++
		}
		var run []string
		for _, j := range ins[k:end] {
			run = append(run, a.sub[j])
		}
		if err := a.run(run, delLeaves); err != nil {
			return err
		}
		k = end
	}
	return nil
}

// marker handles a marker line the diff did not keep: a closing one closes the innermost
// container; an opening one reopens an original container (retitled, or moved) or creates one.
func (a *applier) marker(md string, delOpen []*container) error {
	kind, arg := parseMarker(md)
	if kind == "" {
		a.pop()
		return nil
	}
	for _, c := range delOpen {
		if !a.cused[c] && c.kind == kind {
			a.cused[c] = true
			a.stack = append(a.stack, &frame{c: c, kind: kind, arg: arg})
			return nil
		}
	}
	for _, c := range a.p.conts {
		if !a.cused[c] && !a.kept[c] && c.marker() == strings.TrimSpace(md) {
			a.cused[c] = true
			a.stack = append(a.stack, &frame{c: c, kind: kind, arg: c.arg})
			return nil
		}
	}
	newContainer := newContainerXML
	if a.p.wiki {
		newContainer = newWikiContainer
	}
	pre, suf, err := newContainer(kind, arg, a.top().kind)
	if err != nil {
		return err
	}
	a.stack = append(a.stack, &frame{kind: kind, arg: arg, pre: pre, suf: suf})
	return nil
}

// run writes a run of submitted leaf chunks, reusing the deleted leaves of the hunk.
func (a *applier) run(run []string, delLeaves []*leaf) error {
	dp := 0
	var fresh []string
	flush := func() error {
		if len(fresh) == 0 {
			return nil
		}
		out, err := a.p.convert(strings.Join(fresh, "\n\n"), a.pool(nil), nil)
		if err != nil {
			return err
		}
		a.writeNew(out)
		fresh = fresh[:0]
		return nil
	}
	for k := 0; k < len(run); {
		// A leaf moved here unchanged keeps its bytes.
		if l := a.movedLeaf(run[k:]); l != nil {
			if err := flush(); err != nil {
				return err
			}
			a.used[l] = true
			a.writeLeaf(l.glue, a.p.src[l.start:l.end])
			k += len(l.chunks)
			continue
		}
		// A changed leaf is paired with the deleted leaf of the same shape it replaces.
		shape := chunkShape(run[k])
		pair := -1
		for d := dp; d < len(delLeaves); d++ {
			if !a.used[delLeaves[d]] && !a.moved[delLeaves[d]] && leafShape(delLeaves[d]) == shape {
				pair = d
				break
			}
		}
		if pair < 0 {
			fresh = append(fresh, run[k])
			k++
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		l := delLeaves[pair]
		dp = pair + 1
		n := min(len(l.chunks), len(run)-k)
		out, err := a.rewrite(l, strings.Join(run[k:k+n], "\n\n"))
		if err != nil {
			return err
		}
		a.used[l] = true
		a.writeLeaf(l.glue, out)
		k += n
	}
	return flush()
}

// movedLeaf returns an unused deleted leaf whose chunks start run, or nil.
func (a *applier) movedLeaf(run []string) *leaf {
	for _, l := range a.leafOf[chunkKey(run[0])] {
		if a.used[l] || len(l.chunks) > len(run) {
			continue
		}
		same := true
		for k, ci := range l.chunks {
			if chunkKey(a.p.chunks[ci].md) != chunkKey(run[k]) {
				same = false
				break
			}
		}
		if same {
			return l
		}
	}
	return nil
}

// pool lists the atoms a conversion may put back: first those of prefer, then those of the
// leaves the edit did not keep, then any other (a copy of a placeholder of a kept block).
func (a *applier) pool(prefer *leaf) []int {
	var out []int
	if prefer != nil {
		out = append(out, prefer.atoms...)
	}
	for i, at := range a.p.atoms {
		if at.leaf != prefer && a.gone[at.leaf] && !a.used[at.leaf] && !a.moved[at.leaf] {
			out = append(out, i)
		}
	}
	for i, at := range a.p.atoms {
		if at.leaf != prefer && !a.gone[at.leaf] {
			out = append(out, i)
		}
	}
	return out
}

// rewrite writes the submitted markdown md in place of leaf l: the code of a code macro, a
// text patch when only words changed, else a conversion that keeps the leaf's element.
func (a *applier) rewrite(l *leaf, md string) (string, error) {
	// The patches change the leaf in place; each is kept only when the patched leaf renders
	// as the submitted markdown.
	patches := []func(*leaf, string) (string, bool){a.p.patchText, a.p.patchAtom, a.p.patchTasks, a.p.patchHunks, a.p.patchTableRows}
	switch {
	case l.code != nil:
		patches = append([]func(*leaf, string) (string, bool){a.p.rewriteCode}, patches...)
	case l.wcode != nil:
		patches = []func(*leaf, string) (string, bool){a.p.rewriteWikiCode}
	case a.p.wiki:
		patches = []func(*leaf, string) (string, bool){a.p.patchText, a.p.patchWikiAtom, a.p.patchHunks, a.p.patchWikiTableRows}
	}
	for _, patch := range patches {
		if out, ok := patch(l, md); ok && a.p.rendersAs(out, md) {
			return out, nil
		}
	}
	out, err := a.p.convert(md, a.pool(l), l)
	if err != nil {
		return "", err
	}
	if a.p.wiki {
		return a.p.keepWikiQuote(l, out), nil
	}
	return a.p.keepElement(l, out), nil
}

// writeLeaf writes a block with the glue it had; in wiki markup, glue without a line break
// after a block the edit added becomes a blank line.
func (a *applier) writeLeaf(glue, out string) {
	if a.p.wiki && !strings.Contains(glue, "\n") {
		a.writeNew(glue + out)
		return
	}
	a.top().b.WriteString(glue + out)
}

// writeNew writes a converted block that has no glue of its own; wiki blocks need a blank
// line between them.
func (a *applier) writeNew(out string) {
	b := &a.top().b
	if a.p.wiki && b.Len() > 0 {
		s := b.String()
		switch {
		case strings.HasSuffix(s, "\n\n"):
		case strings.HasSuffix(s, "\n"):
			b.WriteString(a.p.newline())
		default:
			b.WriteString(a.p.newline() + a.p.newline())
		}
	}
	b.WriteString(out)
}

// rendersAs reports whether the storage (or wiki text) out renders as the markdown md.
func (p *page) rendersAs(out, md string) bool {
	var q *page
	if p.wiki {
		q = buildWikiPage(out)
	} else {
		q = buildPage(out, p.opts)
	}
	got := make([]string, len(q.chunks))
	for i, c := range q.chunks {
		got[i] = chunkKey(c.md)
	}
	want := splitChunks(md)
	for i := range want {
		want[i] = chunkKey(want[i])
	}
	return strings.Join(got, "\n\n") == strings.Join(want, "\n\n")
}

// chunkShape classifies a chunk of markdown by its first line.
func chunkShape(md string) string {
	line, _, _ := strings.Cut(md, "\n")
	switch {
	case strings.HasPrefix(line, "#"):
		n := len(line) - len(strings.TrimLeft(line, "#"))
		if n <= 6 && (len(line) == n || line[n] == ' ') {
			return "h" + string(rune('0'+n))
		}
	case strings.HasPrefix(line, "```") || strings.HasPrefix(line, "~~~"):
		return "code"
	case strings.HasPrefix(line, "|"):
		return "table"
	case strings.HasPrefix(line, ">"):
		return "quote"
	case isListLine(line):
		return "list"
	case strings.HasPrefix(line, tokOpen) && strings.HasSuffix(line, tokClose) && !strings.Contains(md, "\n"):
		return "token"
	}
	return "p"
}

func isListLine(line string) bool {
	if len(line) >= 2 && (line[0] == '-' || line[0] == '*' || line[0] == '+') && line[1] == ' ' {
		return true
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' '
}

// leafShape classifies a leaf like chunkShape classifies its markdown.
func leafShape(l *leaf) string {
	if l.code != nil || l.wcode != nil {
		return "code"
	}
	return chunkShape(l.md)
}
