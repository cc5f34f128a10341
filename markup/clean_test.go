package markup

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "hello\n\tworld", "hello\n\tworld"},
		{"zero width", "a\u200bb\u200cc\u200dd\u200ee\u200ff", "abcdef"},
		{"bidi embedding", "x\u202ay\u202bz\u202c\u202d\u202e!", "xyz!"},
		{"bidi isolates", "\u2066a\u2067b\u2068c\u2069", "abc"},
		{"bom and word joiner", "\ufeffstart\u2060end", "startend"},
		{"soft hyphen", "co\u00adoperate", "cooperate"},
		{"C0 controls", "a\x00b\x01c\x1bd\x7fe", "abcde"},
		{"C1 controls", "a\u0085b\u009fc", "abc"},
		{"XML noncharacters", "a\ufffeb\uffffc", "abc"},
		{"carriage returns", "one\r\ntwo\rthree", "one\ntwo\nthree"},
		{"invalid utf8", "ok\xffok", "ok\uFFFDok"},
		{"emoji zwj kept", "\U0001F468\u200d\U0001F4BB", "\U0001F468\u200d\U0001F4BB"},
		{"zwj in text dropped", "pay\u200dpal", "paypal"},
		{"non-ascii kept", "été 日本 🙂", "été 日本 🙂"},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Clean(tc.in)
			if got != tc.want {
				t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if Clean(got) != got {
				t.Errorf("Clean is not idempotent on %q", got)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	para := strings.Repeat("word ", 20) // 100 chars
	doc := para + "\n\n" + para + "\n\n" + para
	cases := []struct {
		name          string
		md            string
		max, offset   int
		wantPart      string
		wantTruncated bool
		wantNext      int
	}{
		{"fits", "short text", 100, 0, "short text", false, 10},
		{"no limit", doc, 0, 0, doc, false, len(doc)},
		{"paragraph boundary", doc, 150, 0, strings.TrimSpace(para), true, 102},
		{"continue from next", doc, 150, 102, strings.TrimSpace(para), true, 204},
		{"last part", doc, 150, 204, para, false, len(doc)},
		{"line boundary", "aaaa\nbbbb\ncccc", 12, 0, "aaaa\nbbbb", true, 10},
		{"sentence boundary", "One two. Three four five", 15, 0, "One two.", true, 9},
		{"space boundary", "alpha beta gamma", 12, 0, "alpha beta", true, 11},
		{"hard cut", "abcdefghij", 4, 0, "abcd", true, 4},
		{"runes not bytes", "ééééé", 3, 0, "ééé", true, 6},
		{"offset inside rune", "éa", 5, 1, "a", false, 3},
		{"offset past end", "abc", 5, 10, "", false, 3},
		{"not inside code", "intro\n\n```\nline1\nline2\nline3\n```\n", 25, 0, "intro", true, 7},
		{"code longer than window", "```\nline1\nline2\nline3\n```\n", 15, 0, "```\nline1", true, 10},
		{"negative offset", "abc", 5, -4, "abc", false, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			part, truncated, next := Truncate(tc.md, tc.max, tc.offset)
			if part != tc.wantPart || truncated != tc.wantTruncated || next != tc.wantNext {
				t.Errorf("Truncate(…, %d, %d) = (%q, %v, %d), want (%q, %v, %d)",
					tc.max, tc.offset, part, truncated, next, tc.wantPart, tc.wantTruncated, tc.wantNext)
			}
		})
	}
}

// TestTruncatePaging pages through a document and checks that every part is valid UTF-8,
// within budget, and that the parts together hold all the text.
func TestTruncatePaging(t *testing.T) {
	doc := strings.Repeat("Ünïcödé paragraph with 🙂 emoji.\nSecond line here.\n\n", 40)
	for _, max := range []int{1, 7, 50, 333} {
		var got strings.Builder
		offset, pages := 0, 0
		for {
			part, truncated, next := Truncate(doc, max, offset)
			if !utf8.ValidString(part) {
				t.Fatalf("max %d: part at %d is not valid UTF-8", max, offset)
			}
			if n := utf8.RuneCountInString(part); n > max {
				t.Fatalf("max %d: part has %d runes", max, n)
			}
			if truncated && next <= offset {
				t.Fatalf("max %d: no progress at offset %d", max, offset)
			}
			got.WriteString(part)
			offset = next
			pages++
			if !truncated {
				break
			}
		}
		strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if strip(got.String()) != strip(doc) {
			t.Errorf("max %d: paging lost text over %d pages", max, pages)
		}
	}
}

func TestOptionsLinks(t *testing.T) {
	storage := `<p><ac:link><ri:page ri:content-title="A &amp; B" /></ac:link> <a href="/browse/X-1">x</a> <a href="rel/page">r</a></p>` +
		`<p><ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">ABC-7</ac:parameter></ac:structured-macro></p>` +
		`<p><ac:image><ri:attachment ri:filename="a b.png" /></ac:image></p>`
	cases := []struct {
		name string
		opts Options
		want []string
	}{
		{"no options", Options{}, []string{"A & B", "[x](/browse/X-1)", "[r](rel/page)", "ABC-7", "![a b.png](a%20b.png)"}},
		{"base url with context path", Options{BaseURL: "https://h.example/wiki/", SpaceKey: "SP"}, []string{
			"[A & B](https://h.example/wiki/display/SP/A+%26+B)", "[x](https://h.example/wiki/browse/X-1)",
			"[r](https://h.example/wiki/rel/page)", "[ABC-7](https://h.example/wiki/browse/ABC-7)",
		}},
		{"jira base url", Options{BaseURL: "https://wiki.example", JiraBaseURL: "https://jira.example/"}, []string{"[ABC-7](https://jira.example/browse/ABC-7)"}},
		{"page id", Options{PageID: "99"}, []string{"![a b.png](/download/attachments/99/a%20b.png)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md, err := StorageToMarkdown(storage, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(md, w) {
					t.Errorf("markdown lacks %q:\n%s", w, md)
				}
			}
		})
	}
}

func TestEmptyAndGarbageInput(t *testing.T) {
	inputs := []string{"", "   ", "<", "</p>", "<ac:structured-macro", "<![CDATA[", "]]>", "&", "&#xffffffff;", "<<<>>>", "\x00", strings.Repeat("<div>", 5000)}
	for _, in := range inputs {
		if _, err := StorageToMarkdown(in, Options{}); err != nil {
			t.Errorf("StorageToMarkdown(%.20q): %v", in, err)
		}
		if _, err := HTMLToMarkdown(in, Options{}); err != nil {
			t.Errorf("HTMLToMarkdown(%.20q): %v", in, err)
		}
		if _, err := MarkdownToStorage(in); err != nil {
			t.Errorf("MarkdownToStorage(%.20q): %v", in, err)
		}
		_ = MarkdownToWiki(in)
	}
}

func TestTableCodePipes(t *testing.T) {
	cases := []struct{ name, storage, want string }{
		{"markdown table", `<table><tr><th>h</th></tr><tr><td><code>a|b</code> c|d</td></tr></table>`, "| `a\\|b` c\\|d |"},
		{"record table keeps code", `<table><tr><th>h</th></tr><tr><td><code>a|b</code><ul><li>x</li></ul></td></tr></table>`, "`a|b`"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md, err := StorageToMarkdown(tc.storage, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(md, tc.want) {
				t.Errorf("markdown lacks %q:\n%s", tc.want, md)
			}
		})
	}
}

// TestStorageDropsWhatXMLForbids: U+FFFE and U+FFFF, and control
// characters written as references, are dropped like the other controls
// rather than failing the conversion.
func TestStorageDropsWhatXMLForbids(t *testing.T) {
	for _, md := range []string{"a\ufffeb", "a\uffffb", "a&#xFFFE;b", "a&#x1;b", "a\x01b"} {
		got, err := MarkdownToStorage(md)
		if err != nil || got != "<p>ab</p>" {
			t.Errorf("MarkdownToStorage(%q) = %q, %v; want <p>ab</p>", md, got, err)
		}
	}
}
