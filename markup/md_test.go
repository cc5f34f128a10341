package markup

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestMarkdownToStorageGolden(t *testing.T) {
	for _, f := range fixtures(t, "testdata/md/*.md") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out, err := MarkdownToStorage(readFile(t, f))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(f, ".md")+".storage.golden", out)
		})
	}
}

func TestMarkdownToWikiGolden(t *testing.T) {
	for _, f := range fixtures(t, "testdata/md/*.md") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			golden(t, strings.TrimSuffix(f, ".md")+".wiki.golden", MarkdownToWiki(readFile(t, f)))
		})
	}
}

// TestRoundTripCanonical: markdown in the style StorageToMarkdown writes survives
// md → storage → md unchanged.
func TestRoundTripCanonical(t *testing.T) {
	md := readFile(t, "testdata/md/canonical.md")
	storage, err := MarkdownToStorage(md)
	if err != nil {
		t.Fatal(err)
	}
	back, err := StorageToMarkdown(storage, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if back != md {
		t.Errorf("round trip changed the markdown\n--- got:\n%s\n--- want:\n%s", back, md)
	}
}

var (
	headingLine = regexp.MustCompile(`(?m)^#{1,6} .*$`)
	linkTarget  = regexp.MustCompile(`\]\(([^)\s]+)`)
)

// TestRoundTripStructure: for any fixture, md → storage → md keeps the headings, code bodies,
// list items, table cells and link targets.
func TestRoundTripStructure(t *testing.T) {
	cases := []struct {
		name string
		md   string
		want []string
	}{
		{"headings", "# One\n\n## Two\n\n###### Six\n", []string{"# One", "## Two", "###### Six"}},
		{"setext", "Title\n=====\n\nSub\n---\n", []string{"# Title", "## Sub"}},
		{"code", "```python\nif a < b:\n    print(\"]]>\")\n```\n", []string{"```py\nif a < b:\n    print(\"]]>\")\n```"}},
		{"tilde fence", "~~~\nx ``` y\n~~~\n", []string{"x ``` y"}},
		{"nested lists", "- a\n  - b\n    1. c\n", []string{"- a", "  - b", "    1. c"}},
		{"table", "| h1 | h2 |\n|----|----|\n| c1 | c2 |\n", []string{"| h1 | h2 |", "| c1 | c2 |"}},
		// Found by fuzzing: a pipe inside code in a cell must stay escaped or the cell splits.
		{"table code pipe", "| a | b |\n|---|---|\n| `x\\|y` | z |\n", []string{"| `x\\|y` | z |"}},
		{"links", "[a](https://x.example/p?q=1&r=2) <https://y.example/>", []string{"[a](https://x.example/p?q=1&r=2)", "(https://y.example/)"}},
		{"emphasis", "**b** *i* ~~s~~ `c`", []string{"**b**", "*i*", "~~s~~", "`c`"}},
		{"callout", "> [!WARNING]\n> Hot.\n", []string{"> **Warning:** Hot."}},
		{"tasks", "- [ ] a\n- [x] b\n", []string{"- [ ] a", "- [x] b"}},
		{"image", "![alt](https://img.example/a.png)", []string{"![alt](https://img.example/a.png)"}},
		{"entities", "Fish &amp; chips &lt;3 \\*not em\\*", []string{"Fish & chips <3 \\*not em*"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storage, err := MarkdownToStorage(tc.md)
			if err != nil {
				t.Fatal(err)
			}
			back, err := StorageToMarkdown(storage, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(back, w) {
					t.Errorf("round trip lost %q\nstorage: %s\nmarkdown:\n%s", w, storage, back)
				}
			}
		})
	}
	// Every fixture: headings and link targets survive.
	for _, f := range fixtures(t, "testdata/md/*.md") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			md := readFile(t, f)
			storage, err := MarkdownToStorage(md)
			if err != nil {
				t.Fatal(err)
			}
			back, err := StorageToMarkdown(storage, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range headingLine.FindAllString(md, -1) {
				if !strings.Contains(back, h) {
					t.Errorf("heading %q lost", h)
				}
			}
			for _, m := range linkTarget.FindAllStringSubmatch(md, -1) {
				if strings.HasPrefix(m[1], "javascript:") {
					if strings.Contains(back, m[1]) {
						t.Errorf("dangerous link %q kept", m[1])
					}
					continue
				}
				if !strings.Contains(back, m[1]) {
					t.Errorf("link target %q lost", m[1])
				}
			}
		})
	}
}

func TestMarkdownToStorageWellFormed(t *testing.T) {
	cases := []string{
		"", "plain", "a & b < c > d \"q\" 'a'", "```\n]]>\n```", "<script>alert(1)</script>",
		"[x](http://a.example/?a=\"b\"&c=<d>)", "\x00\x01 control \u202e bidi", "| a |\n|---|\n| <b> |",
		"> [!NOTE]\n", "> **Note:**\n", "- [ ]\n", "- [x] \n  - [ ] nested\n",
	}
	for _, md := range cases {
		out, err := MarkdownToStorage(md)
		if err != nil {
			t.Errorf("MarkdownToStorage(%q): %v", md, err)
			continue
		}
		if strings.Contains(out, "<script") {
			t.Errorf("MarkdownToStorage(%q) kept raw HTML: %s", md, out)
		}
	}
}

func TestEscapeWiki(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"a_snake_case_word", "a_snake_case_word"},
		{"*bold*", `\*bold*`},
		{"_it_", `\_it_`},
		{"a - b", "a - b"},
		{"well-known", "well-known"},
		{"--flag", `\-\-flag`},
		{"{x} [y] a|b", `\{x\} \[y\] a\|b`},
		{"what??", `what\?\?`},
		{"Hello!", "Hello!"},
		{"!image!", `\!image!`},
		{"2*3", "2*3"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := escapeWiki(tc.in); got != tc.want {
				t.Errorf("escapeWiki(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestPageLinksRoundTrip: a page link read as markdown and written back is a page link again.
func TestPageLinksRoundTrip(t *testing.T) {
	storage := `<p><ac:link ac:anchor="setup"><ri:page ri:space-key="OPS" ri:content-title="Run &amp; Deploy" /><ac:link-body>the <strong>runbook</strong></ac:link-body></ac:link></p>`
	opts := Options{BaseURL: "https://wiki.example.com/confluence", SpaceKey: "DOC"}
	md, err := StorageToMarkdown(storage, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := "[the **runbook**](https://wiki.example.com/confluence/display/OPS/Run+%26+Deploy#setup)"
	if !strings.Contains(md, want) {
		t.Fatalf("markdown %q lacks %q", md, want)
	}
	back, err := MarkdownToStorage(md, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantStorage := `<ac:link ac:anchor="setup"><ri:page ri:space-key="OPS" ri:content-title="Run &amp; Deploy" /><ac:link-body>the <strong>runbook</strong></ac:link-body></ac:link>`
	if !strings.Contains(back, wantStorage) {
		t.Errorf("storage %s lacks %s", back, wantStorage)
	}
	// Without the base URL only relative display links are recognised.
	back, err = MarkdownToStorage("[a](/display/DOC/Some+Page) [b](https://other.example/display/X/Y) [c](/display/DOC/2024/01/02/Post)")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`<ri:page ri:space-key="DOC" ri:content-title="Some Page" />`, `<a href="https://other.example/display/X/Y">b</a>`, `<a href="/display/DOC/2024/01/02/Post">c</a>`} {
		if !strings.Contains(back, w) {
			t.Errorf("storage %s lacks %s", back, w)
		}
	}
}

// TestDeepNesting: pathological nesting is capped, quickly, and the text survives.
func TestDeepNesting(t *testing.T) {
	cases := map[string]string{
		"quotes": strings.Repeat(">", 100000) + " deep text",
		"lists":  strings.Repeat("- ", 20000) + "deep text",
		"mixed":  strings.Repeat("> - ", 10000) + "deep text",
	}
	for name, md := range cases {
		t.Run(name, func(t *testing.T) {
			storage, err := MarkdownToStorage(md)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(storage, "deep text") {
				t.Errorf("storage lost the text: %.200s", storage)
			}
			if n := strings.Count(storage, "<blockquote>") + strings.Count(storage, "<ul>"); n > maxNesting+1 {
				t.Errorf("nesting not capped: %d levels", n)
			}
			if wiki := MarkdownToWiki(md); !strings.Contains(wiki, "deep text") {
				t.Errorf("wiki lost the text: %.200s", wiki)
			}
		})
	}
}

func TestWikiCodeLanguages(t *testing.T) {
	cases := []struct{ lang, want string }{
		{"go", "{code:go}"}, {"Python", "{code:python}"}, {"py", "{code:python}"}, {"yml", "{code:yaml}"},
		{"zsh", "{code:bash}"}, {"cobol", "{noformat}"}, {"", "{noformat}"}, {"x}{y", "{noformat}"},
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			wiki := MarkdownToWiki("```" + tc.lang + "\nbody\n```\n")
			if !strings.HasPrefix(wiki, tc.want+"\nbody\n") {
				t.Errorf("got %q, want it to open with %q", wiki, tc.want)
			}
		})
	}
}

func TestConfluenceCodeLanguages(t *testing.T) {
	cases := []struct{ lang, want string }{
		{"python", `<ac:parameter ac:name="language">py</ac:parameter>`},
		{"JavaScript", `<ac:parameter ac:name="language">js</ac:parameter>`},
		{"yaml", `<ac:parameter ac:name="language">yml</ac:parameter>`},
		{"sql", `<ac:parameter ac:name="language">sql</ac:parameter>`},
		{"go", `<ac:parameter ac:name="language">text</ac:parameter>`},
		{"", `<ac:structured-macro ac:name="code" ac:schema-version="1"><ac:plain-text-body>`},
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			out, err := MarkdownToStorage("```" + tc.lang + "\nbody\n```\n")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("got %s, want %s", out, tc.want)
			}
		})
	}
}

func TestCallouts(t *testing.T) {
	cases := []struct{ md, want string }{
		{"> **Note:** same line\n", `<ac:structured-macro ac:name="note" ac:schema-version="1"><ac:rich-text-body><p>same line</p>`},
		{"> **Note**: colon after\n", `<ac:structured-macro ac:name="note" ac:schema-version="1"><ac:rich-text-body><p>colon after</p>`},
		{"> **Info:**\n> next line\n", `<ac:structured-macro ac:name="info" ac:schema-version="1"><ac:rich-text-body><p>next line</p>`},
		{"> **Warning: Title**\n>\n> body\n", `<ac:parameter ac:name="title">Title</ac:parameter><ac:rich-text-body><p>body</p>`},
		{"> [!TIP]\n> tip body\n", `<ac:structured-macro ac:name="tip" ac:schema-version="1"><ac:rich-text-body><p>tip body</p>`},
		{"> [!CAUTION]\n> careful\n", `<ac:structured-macro ac:name="warning"`},
		{"> **Note** that this is a quote\n", `<blockquote><p><strong>Note</strong> that this is a quote</p></blockquote>`},
		{"> **Notes:** not a callout\n", `<blockquote>`},
	}
	for _, tc := range cases {
		t.Run(tc.md, func(t *testing.T) {
			out, err := MarkdownToStorage(tc.md)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("got %s\nwant it to contain %s", out, tc.want)
			}
		})
	}
}

// A new page (or comment) takes the inline placeholders an edit takes: a
// mention from confluence_search_users, a status, a Jira issue. Block
// placeholders and unknown ones stay text, and \⟦ is a literal bracket.
func TestMarkdownToStoragePlaceholders(t *testing.T) {
	key := "8a7f808a6d2b5c3b016d2b5c9f6a0001"
	got, err := MarkdownToStorage("Ping ⟦@grace.sre⟧ and ⟦@" + key + "⟧ about ⟦status:Done (Green)⟧ in ⟦jira:OPS-12⟧; keep \\⟦@literal⟧, ⟦toc⟧ and ⟦weird:x⟧.")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<ac:link><ri:user ri:username="grace.sre" /></ac:link>`,
		`<ri:user ri:userkey="` + key + `" />`,
		`<ac:structured-macro ac:name="status" ac:schema-version="1"><ac:parameter ac:name="colour">Green</ac:parameter><ac:parameter ac:name="title">Done</ac:parameter></ac:structured-macro>`,
		`<ac:parameter ac:name="key">OPS-12</ac:parameter>`,
		"keep ⟦@literal⟧, ⟦toc⟧ and ⟦weird:x⟧.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("storage lacks %s:\n%s", want, got)
		}
	}
}
