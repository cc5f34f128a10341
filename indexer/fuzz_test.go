package indexer

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzChunkMarkdown checks the chunker's promises on any input: no panic;
// chunks numbered 0..n-1; each Hash the SHA-256 of its Text; valid UTF-8
// in, valid UTF-8 out; every chunk starts with the breadcrumb; no chunk
// grows past what the options allow; and no word of the text is lost.
func FuzzChunkMarkdown(f *testing.F) {
	for _, pattern := range []string{"testdata/*.md", "../markup/testdata/md/*.md", "../internal/sim/space/*.md"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err == nil {
				f.Add(string(b), "ENG › Runbooks › Deploy", uint8(0))
			}
		}
	}
	for _, s := range []string{
		"", "# T\n\nbody", "## a\n## b\n### c\ntext", "```go\nfunc f() {}\n", "| a | b |\n|---|---|\n| 1 | 2 |",
		strings.Repeat("word ", 2000), strings.Repeat("x", 5000), "~~~~\n~~~\ncode\n~~~~~", "#\n##\n###### \n#######",
		"para\r\nline\r\n\r\n# H\r\n", "\xff\xfe invalid utf8 \xc3", "    # indented heading\n\ttab",
	} {
		f.Add(s, "Space › Page", uint8(1))
		f.Add(s, "", uint8(2))
	}
	f.Fuzz(func(t *testing.T, md, crumb string, size uint8) {
		if len(md) > 1<<16 {
			return
		}
		opts := []ChunkOptions{{}, {Target: 50}, {Target: 8, Max: 9, Overlap: 3}, {Target: 300, Overlap: -1}}[int(size)%4]
		var breadcrumb []string
		for _, p := range strings.Split(crumb, "›") {
			if p = strings.TrimSpace(p); p != "" && utf8.ValidString(p) {
				breadcrumb = append(breadcrumb, p)
			}
		}
		chunks := ChunkMarkdown(md, breadcrumb, opts)
		head := strings.Join(breadcrumb, BreadcrumbSep)
		o := opts.withDefaults()

		var headings, longest int
		for _, line := range strings.Split(md, "\n") {
			longest = max(longest, len(line))
			if headingLevel(strings.TrimSpace(line)) > 0 {
				headings += len(line)
			}
		}
		limit := 4*(o.Target+o.Overlap+1) + max(4*o.Max, 64) + 2*longest + headings + 64

		var all strings.Builder
		for i, c := range chunks {
			if c.Index != i {
				t.Fatalf("chunk %d has Index %d", i, c.Index)
			}
			sum := sha256.Sum256([]byte(c.Text))
			if c.Hash != hex.EncodeToString(sum[:]) {
				t.Fatalf("chunk %d: Hash is not the SHA-256 of Text", i)
			}
			if strings.TrimSpace(c.Text) == "" {
				t.Fatalf("chunk %d is empty", i)
			}
			if utf8.ValidString(md) && !utf8.ValidString(c.Text) {
				t.Fatalf("chunk %d is not valid UTF-8 though the input is: %q", i, c.Text)
			}
			if head != "" && !strings.HasPrefix(c.Text, head) {
				t.Fatalf("chunk %d does not start with its breadcrumb %q: %q", i, head, c.Text)
			}
			body := strings.TrimPrefix(c.Text, head)
			if c.Heading != "" {
				body = strings.TrimPrefix(strings.TrimPrefix(body, BreadcrumbSep), c.Heading)
			}
			if len(body) > limit {
				t.Fatalf("chunk %d holds %d bytes of body, more than the options allow (%d; %+v)", i, len(body), limit, o)
			}
			all.WriteString(c.Text)
			all.WriteByte('\n')
		}
		if head == "" && strings.TrimSpace(md) == "" && len(chunks) != 0 {
			t.Fatalf("%d chunks for a document without text or breadcrumb", len(chunks))
		}
		if head != "" && len(chunks) == 0 {
			t.Fatalf("no chunk for a document with a breadcrumb: it cannot be found by title")
		}
		text := all.String()
		checked := 0
		// Link destinations are dropped on purpose (plainLinks): every other
		// word must be kept.
		for _, line := range strings.Split(plainLinks(md), "\n") {
			if checked > 300 {
				break // enough to catch a lost block; the check is quadratic
			}
			if headingLevel(strings.TrimSpace(line)) > 0 {
				continue // heading lines may live in the heading path only
			}
			for _, w := range strings.Fields(line) {
				checked++
				if len(w) <= 16 && !strings.Contains(text, w) {
					t.Fatalf("the word %q of line %q is in no chunk", w, line)
				}
			}
		}
	})
}
