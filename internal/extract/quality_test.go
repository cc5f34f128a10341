package extract

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// realPDFs are documents Debian installs (GFDL and freedesktop.org
// licences: read where they are, never copied here).
var realPDFs = []string{
	"/usr/share/doc/libtasn1-doc/libtasn1.pdf",
	"/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf",
}

// TestPDFQuality compares the words of our text with pdftotext's (poppler)
// on real PDFs: the share of pdftotext's words of four letters or more
// that we find too. It skips without poppler-utils or the documents.
func TestPDFQuality(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed: apt-get install poppler-utils")
	}
	paths := append([]string{"testdata/story.pdf"}, realPDFs...)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Skipf("%v (install libtasn1-doc and shared-mime-info for it)", err)
			}
			ref, err := exec.Command("pdftotext", "-q", path, "-").Output()
			if err != nil {
				t.Skipf("pdftotext %s: %v", path, err)
			}
			began := time.Now()
			text, _, err := Text(context.Background(), PDF, data, DefaultLimits)
			took := time.Since(began)
			if err != nil {
				t.Fatal(err)
			}
			want, got := words(string(ref)), words(text)
			found := 0
			for w := range want {
				if got[w] {
					found++
				}
			}
			recall := float64(found) / float64(max(len(want), 1))
			t.Logf("%s: %d KB, %d of pdftotext's %d words (recall %.2f), %d bytes of text, %v",
				filepath.Base(path), len(data)>>10, found, len(want), recall, len(text), took.Round(time.Millisecond))
			if recall < 0.9 {
				t.Errorf("recall %.2f: words run together or text is lost", recall)
			}
		})
	}
}

// words is the set of lower-case words of four letters or more.
func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		if len(w) > 3 {
			m[w] = true
		}
	}
	return m
}

// BenchmarkText reads the test documents: Word's PDF and DOCX of the same
// story, and the real PDFs when present.
func BenchmarkText(b *testing.B) {
	for _, path := range append([]string{"testdata/story.pdf", "testdata/story.docx"}, realPDFs...) {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		kind := Kind(path, "")
		b.Run(filepath.Base(path), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, _, err := Text(context.Background(), kind, data, DefaultLimits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
