package markup

import (
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
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

// FuzzCodeBody checks that a code macro body of any content comes out of StorageToMarkdown as
// the body of one fenced block, and survives the trip back through MarkdownToStorage.
func FuzzCodeBody(f *testing.F) {
	f.Add("if a < b && c > d {\n\treturn\n}")
	f.Add("```\nnested fence\n```")
	f.Add("x ]]> y")
	f.Add("~~~\n\n\n\n</ac:plain-text-body>")
	f.Fuzz(func(t *testing.T, body string) {
		want := expectedCode(body)
		if strings.TrimSpace(want) == "" {
			t.Skip("an empty code macro renders nothing")
		}
		storage := `<p>before</p><ac:structured-macro ac:name="code"><ac:parameter ac:name="language">go</ac:parameter><ac:plain-text-body><![CDATA[` +
			strings.ReplaceAll(body, "]]>", "]]]]><![CDATA[>") + `]]></ac:plain-text-body></ac:structured-macro><p>after</p>`
		md, err := StorageToMarkdown(storage, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := firstCodeBlock(md); got != want {
			t.Fatalf("code body changed\nbody: %q\nwant: %q\ngot:  %q\nmarkdown:\n%s", body, want, got, md)
		}
		back, err := MarkdownToStorage(md)
		if err != nil {
			t.Fatal(err)
		}
		md2, err := StorageToMarkdown(back, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := firstCodeBlock(md2); got != want {
			t.Fatalf("code body changed on the way back\nwant: %q\ngot:  %q\nstorage: %s", want, got, back)
		}
	})
}

// expectedCode is body as the markdown may show it: cleaned, without trailing spaces, at most
// two blank lines in a row, without leading or trailing newlines.
func expectedCode(body string) string {
	lines := strings.Split(strings.ReplaceAll(Clean(body), "\u00a0", " "), "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			blank++
			if blank > 2 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n")
}

func firstCodeBlock(md string) string {
	doc, src := parseMarkdown(md)
	var code string
	found := false
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if c, ok := n.(*ast.FencedCodeBlock); ok && entering && !found {
			code, found = codeText(c, src), true
		}
		return ast.WalkContinue, nil
	})
	return code
}

// FuzzParagraphText checks the escaping: any text in a paragraph reads back, through a
// markdown parser, as the same text (whitespace collapsed).
func FuzzParagraphText(f *testing.F) {
	f.Add("a < b > c & d")
	f.Add("Settings > Admin -> Users <tag> [x](y) *not em* _x_ `c` # h")
	f.Add("1. not a list")
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.Join(strings.Fields(strings.ReplaceAll(Clean(s), "\u00a0", " ")), " ")
		if want == "" {
			t.Skip()
		}
		md, err := StorageToMarkdown("<p>"+html.EscapeString(s)+"</p>", Options{})
		if err != nil {
			t.Fatal(err)
		}
		doc, src := parseMarkdown(md)
		got := strings.Join(strings.Fields(plainText(doc, src)), " ")
		if got != want {
			t.Fatalf("text changed\nwant: %q\ngot:  %q\nmarkdown: %q", want, got, md)
		}
	})
}
