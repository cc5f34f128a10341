package markup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// addSeeds adds every file matching pattern to the corpus of f.
func addSeeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
}

// checkMarkdownOut asserts what every conversion to markdown promises, whatever the input.
func checkMarkdownOut(t *testing.T, md string) {
	if !utf8.ValidString(md) {
		t.Fatalf("output is not valid UTF-8: %q", md)
	}
	if Clean(md) != md {
		t.Fatalf("output holds invisible characters: %q", md)
	}
	if strings.Contains(md, "\n\n\n\n") {
		t.Fatalf("output has a run of three blank lines: %q", md)
	}
}

func FuzzStorageToMarkdown(f *testing.F) {
	addSeeds(f, "testdata/storage/*.xml")
	f.Add(`<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[x]] ></ac:plain-text-body></ac:structured-macro>`)
	f.Add(`<ac:link><ri:user ri:userkey="k"/><ac:link-body><ac:link>nested</ac:link></ac:link-body></ac:link>`)
	f.Fuzz(func(t *testing.T, storage string) {
		md, err := StorageToMarkdown(storage, testOptions)
		if err != nil {
			t.Fatal(err)
		}
		checkMarkdownOut(t, md)
	})
}

func FuzzHTMLToMarkdown(f *testing.F) {
	addSeeds(f, "testdata/html/*.html")
	f.Fuzz(func(t *testing.T, html string) {
		md, err := HTMLToMarkdown(html, Options{BaseURL: "https://jira.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		checkMarkdownOut(t, md)
	})
}

func FuzzMarkdownToStorage(f *testing.F) {
	addSeeds(f, "testdata/md/*.md")
	f.Fuzz(func(t *testing.T, md string) {
		storage, err := MarkdownToStorage(md)
		if err != nil {
			t.Fatal(err) // the output failed its own well-formedness check
		}
		back, err := StorageToMarkdown(storage, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkMarkdownOut(t, back)
	})
}

func FuzzMarkdownToWiki(f *testing.F) {
	addSeeds(f, "testdata/md/*.md")
	f.Fuzz(func(t *testing.T, md string) {
		wiki := MarkdownToWiki(md)
		if !utf8.ValidString(wiki) {
			t.Fatalf("output is not valid UTF-8: %q", wiki)
		}
		if Clean(wiki) != wiki {
			t.Fatalf("output holds invisible characters: %q", wiki)
		}
	})
}

func FuzzTruncate(f *testing.F) {
	f.Add("para one\n\npara two", 5, 0)
	f.Add("ééé ééé", 2, 1)
	f.Fuzz(func(t *testing.T, md string, max, offset int) {
		part, truncated, next := Truncate(md, max, offset)
		if utf8.ValidString(md) && !utf8.ValidString(part) {
			t.Fatalf("part cuts a rune: %q", part)
		}
		if max > 0 && utf8.RuneCountInString(part) > max {
			t.Fatalf("part has %d runes, max %d", utf8.RuneCountInString(part), max)
		}
		if next < 0 || next > len(md) {
			t.Fatalf("next %d outside [0, %d]", next, len(md))
		}
		if truncated && next <= offset {
			t.Fatalf("no progress: offset %d, next %d", offset, next)
		}
	})
}
