package markup

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzApplyEdits makes random edits to the markdown of rich pages (replace a word, delete,
// duplicate, move or split a block, insert text, markers or placeholders, cut a line) and
// checks that ApplyMarkdown keeps every element of the blocks the edits did not touch, and of
// the ::: blocks whose opening line they did not touch, whatever it does with the rest.
func FuzzApplyEdits(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3})
	f.Add([]byte{1, 7, 0, 9, 4, 2, 200, 13})
	f.Add([]byte{2, 3, 3, 1, 5, 5, 6, 6, 7})
	f.Add([]byte("\x00\x05\x02::: info\x03\x01"))
	f.Add([]byte{3, 250, 1, 0, 0, 8, 9, 10, 11, 12})
	pages := editFuzzPages(f, "testdata/edit/*.xml", "testdata/storage/macros.xml", "testdata/storage/tables_lists.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRandomEdits(t, data, pages, func(s string) *page { return buildPage(s, testOptions) },
			func(page, md string, allow bool) (string, error) {
				return ApplyMarkdown(page, md, ApplyOptions{Options: testOptions, AllowLoss: allow})
			}, features, func(p *page, c *container) (string, string) { return featureOf(p.src, c.el) })
	})
}

// FuzzApplyWikiEdits is FuzzApplyEdits for Jira wiki markup.
func FuzzApplyWikiEdits(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3})
	f.Add([]byte{1, 7, 0, 9, 4, 2, 200, 13})
	f.Add([]byte("\x00\x05\x02::: panel\x03\x01"))
	pages := editFuzzPages(f, "testdata/wiki/*.wiki")
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRandomEdits(t, data, pages, buildWikiPage,
			func(page, md string, allow bool) (string, error) {
				return ApplyWiki(page, md, ApplyOptions{AllowLoss: allow})
			}, wikiFeatures, func(_ *page, c *container) (string, string) { return "block\x00" + c.kind, c.kind })
	})
}

// checkRandomEdits applies the edits data describes to one of pages and checks that the
// elements of untouched blocks survive.
func checkRandomEdits(t *testing.T, data []byte, pages []string, build func(string) *page,
	apply func(page, md string, allowLoss bool) (string, error), feats func(string) []feature,
	contFeature func(*page, *container) (string, string)) {
	{
		if len(data) == 0 {
			return
		}
		r := &byteStream{data: data}
		page := pages[int(r.next())%len(pages)]
		p := build(page)
		type item struct {
			md   string
			orig int // index of the original chunk, -1 for new text
		}
		items := make([]item, len(p.chunks))
		for i, c := range p.chunks {
			items[i] = item{c.md, i}
		}
		touched := map[int]bool{}
		broken := false
		for ops := int(r.next()%6) + 1; ops > 0 && len(items) > 0; ops-- {
			k := int(r.next()) % len(items)
			switch r.next() % 8 {
			case 0: // replace a word
				if w := wordPattern.FindString(items[k].md); w != "" {
					touched[items[k].orig] = true
					items[k].md = strings.Replace(items[k].md, w, "Zyzzyva", 1)
				}
			case 1: // delete
				touched[items[k].orig] = true
				items = append(items[:k], items[k+1:]...)
			case 2: // duplicate
				items = append(items[:k+1], append([]item{{items[k].md, -1}}, items[k+1:]...)...)
			case 3: // move
				touched[items[k].orig] = true
				it := items[k]
				items = append(items[:k], items[k+1:]...)
				at := int(r.next()) % (len(items) + 1)
				it.orig = -1
				items = append(items[:at], append([]item{it}, items[at:]...)...)
			case 4: // insert text from the input
				text := r.text()
				items = append(items[:k], append([]item{{text, -1}}, items[k:]...)...)
			case 5: // insert a marker or a placeholder
				ins := []string{":::", "::: info Added", "::: layout", "⟦status:New (Blue)⟧", "⟦toc⟧", "⟦@someone⟧", "\\⟦x⟧"}[int(r.next())%7]
				items = append(items[:k], append([]item{{ins, -1}}, items[k:]...)...)
			case 6: // cut a line
				touched[items[k].orig] = true
				lines := strings.Split(items[k].md, "\n")
				i := int(r.next()) % len(lines)
				items[k].md = strings.Join(append(lines[:i], lines[i+1:]...), "\n")
			case 7: // split a block with a blank line
				touched[items[k].orig] = true
				if i := strings.IndexByte(items[k].md, ' '); i > 0 {
					items[k].md = items[k].md[:i] + "\n\n" + items[k].md[i+1:]
				}
			}
		}
		var parts []string
		for _, it := range items {
			parts = append(parts, it.md)
			if it.orig < 0 || touched[it.orig] {
				// An edit that leaves a code fence open makes the blocks after it code:
				// they are edited too, by the rules of markdown.
				fences := 0
				for _, line := range strings.Split(it.md, "\n") {
					if fenceRun(line) != "" {
						fences++
					}
				}
				broken = broken || fences%2 == 1
			}
		}
		edited := strings.Join(parts, "\n\n") + "\n"

		out, err := apply(page, edited, true)
		if errors.Is(err, ErrUnknownPlaceholder) {
			return // the input made up a placeholder: refused, nothing written
		}
		if err != nil {
			t.Fatalf("apply: %v\nmarkdown:\n%s", err, edited)
		}
		if broken {
			return
		}
		// What must be there: the elements of untouched leaves and of containers whose
		// opening marker is untouched.
		have := map[string]int{}
		for _, f := range feats(out) {
			have[f.key]++
		}
		leafFeatures := func(l *leaf) []feature {
			if !p.wiki {
				return feats(page[l.start:l.end])
			}
			var fs []feature
			for _, f := range feats(page[l.start:l.end]) {
				if !strings.HasPrefix(f.key, "block\x00") {
					fs = append(fs, f)
				}
			}
			return fs
		}
		for _, l := range p.leaves {
			untouched := true
			for _, ci := range l.chunks {
				if touched[ci] {
					untouched = false
				}
			}
			if !untouched {
				continue
			}
			for _, f := range leafFeatures(l) {
				if have[f.key] == 0 {
					t.Fatalf("lost %s of an untouched block %q\nmarkdown:\n%s\nstorage:\n%s", f.desc, l.md, edited, out)
				}
				have[f.key]--
			}
		}
		for _, c := range p.conts {
			if touched[c.openChunk] {
				continue
			}
			if key, desc := contFeature(p, c); key != "" {
				if have[key] == 0 {
					t.Fatalf("lost %s of an untouched block\nmarkdown:\n%s\nstorage:\n%s", desc, edited, out)
				}
				have[key]--
			}
		}
		// Without AllowLoss the same edit either writes the same storage or names a loss.
		strict, err := apply(page, edited, false)
		if err == nil && strict != out {
			t.Fatalf("strict apply wrote something else")
		}
		if err != nil && !errors.Is(err, ErrWouldLose) {
			t.Fatalf("strict apply: %v", err)
		}
	}
}

// editFuzzPages are the rich pages the edit fuzzer works on.
func editFuzzPages(tb testing.TB, patterns ...string) []string {
	var out []string
	for _, pattern := range patterns {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			// The 62 KB ECMWF page would cost the fuzzer most of its time for little news.
			if s := readFile(tb, f); len(s) < 20<<10 {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		tb.Fatal("no pages for the edit fuzzer")
	}
	return out
}

// byteStream reads fuzz input as a sequence of choices; past the end it yields zeros.
type byteStream struct {
	data []byte
	pos  int
}

func (r *byteStream) next() byte {
	if r.pos >= len(r.data) {
		return 0
	}
	b := r.data[r.pos]
	r.pos++
	return b
}

// text takes a length byte and that many bytes of the input as text.
func (r *byteStream) text() string {
	n := int(r.next() % 32)
	end := min(len(r.data), r.pos+n)
	s := string(r.data[r.pos:end])
	r.pos = end
	return s
}

// FuzzEditableIdentity: for any storage, even broken, applying the unchanged editable
// markdown gives the storage back byte for byte, and the same for wiki text.
func FuzzEditableIdentity(f *testing.F) {
	addSeeds(f, "testdata/storage/*.xml")
	addSeeds(f, "testdata/wiki/*.wiki")
	f.Add(`<p>a</p><ac:structured-macro ac:name="info"><ac:rich-text-body/></ac:structured-macro>`)
	f.Add("{panel}\n{code}\nx\n{panel}\n{code}")
	f.Fuzz(func(t *testing.T, s string) {
		md, err := EditableMarkdown(s, testOptions)
		if err != nil {
			t.Fatal(err)
		}
		out, err := ApplyMarkdown(s, md, ApplyOptions{Options: testOptions})
		if err != nil {
			t.Fatalf("apply: %v\nmarkdown:\n%s", err, md)
		}
		if out != s {
			t.Fatalf("storage changed\n got: %q\nwant: %q\nmarkdown:\n%s", out, s, md)
		}
		wmd := EditableWiki(s)
		wout, err := ApplyWiki(s, wmd, ApplyOptions{})
		if err != nil {
			t.Fatalf("apply wiki: %v\nmarkdown:\n%s", err, wmd)
		}
		if wout != s {
			t.Fatalf("wiki changed\n got: %q\nwant: %q\nmarkdown:\n%s", wout, s, wmd)
		}
	})
}
