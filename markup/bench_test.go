package markup

import (
	"path/filepath"
	"strings"
	"testing"
)

// benchPage builds a storage page of about size bytes from the storage fixtures, so the mix
// of macros, links, tables and prose is that of the golden tests.
func benchPage(tb testing.TB, size int) string {
	files, err := filepath.Glob("testdata/storage/*.xml")
	if err != nil || len(files) == 0 {
		tb.Fatal("no storage fixtures")
	}
	var parts []string
	for _, f := range files {
		if strings.Contains(f, "broken") {
			continue // its unterminated CDATA would swallow the rest of the page
		}
		parts = append(parts, readFile(tb, f))
	}
	var b strings.Builder
	for b.Len() < size {
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	return b.String()
}

// BenchmarkStorageToMarkdown converts a 200 KB page; the indexer needs ≥ 200 pages/s on two
// cores, about 10 MB/s for pages of 50 KB.
func BenchmarkStorageToMarkdown(b *testing.B) {
	page := benchPage(b, 200<<10)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := StorageToMarkdown(page, testOptions); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarkdownToStorage(b *testing.B) {
	md := strings.Repeat(readFile(b, "testdata/md/canonical.md")+"\n", 200)
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MarkdownToStorage(md); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStorageToMarkdownPages converts a typical 20 KB page on every core (RunParallel),
// reporting pages per second for the indexer's budget of 200 pages/s on two cores.
func BenchmarkStorageToMarkdownPages(b *testing.B) {
	page := benchPage(b, 20<<10)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := StorageToMarkdown(page, testOptions); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
