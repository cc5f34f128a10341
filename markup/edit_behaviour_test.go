package markup

import (
	"errors"
	"strings"
	"testing"
)

// TestApplyEdits checks edits an assistant makes, beyond a word: each case edits the rendering
// of rich_nested.xml and states what the storage must and must not hold afterwards.
func TestApplyEdits(t *testing.T) {
	page := readFile(t, "testdata/edit/rich_nested.xml")
	md, err := EditableMarkdown(page, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		edit       func(string) string
		want, not  []string
		wantErr    error
		allowLoss  bool
		unchanged  bool // the storage must be the original
		keepsBytes []string
	}{
		{
			name: "a paragraph added inside the info panel stays inside it",
			edit: func(s string) string {
				return strings.Replace(s, "- [ ] Request the production credentials", "Also this.\n\n- [ ] Request the production credentials", 1)
			},
			want: []string{`items.</p><p>Also this.</p><ac:task-list>`, `ac:macro-id="in-1"`},
		},
		{
			name: "a retitled panel keeps its macro",
			edit: func(s string) string {
				return strings.Replace(s, "::: info Before you begin", "::: info Read this first", 1)
			},
			want: []string{`ac:macro-id="in-1"><ac:parameter ac:name="title">Read this first</ac:parameter>`},
			not:  []string{"Before you begin"},
		},
		{
			name: "a ticked task changes its status only",
			edit: func(s string) string {
				return strings.Replace(s, "- [ ] Request the production credentials", "- [x] Request the production credentials", 1)
			},
			want: []string{`<ac:task-id>17</ac:task-id><ac:task-status>complete</ac:task-status>`},
		},
		{
			name: "edited code keeps the macro's id and parameters",
			edit: func(s string) string { return strings.Replace(s, "set -eu", "set -eux", 1) },
			want: []string{`ac:macro-id="cd-1"><ac:parameter ac:name="language">bash</ac:parameter><ac:parameter ac:name="title">deploy.sh</ac:parameter><ac:parameter ac:name="linenumbers">true</ac:parameter><ac:plain-text-body><![CDATA[#!/bin/sh
set -eux
`},
		},
		{
			name: "a rewritten sentence keeps its placeholders, link and styling-free text",
			edit: func(s string) string {
				return strings.Replace(s, "Owner: ⟦@8a7f808a5c2c5a9a015c2c5cd7e10000⟧, state ⟦status:Done (Green)⟧,", "State ⟦status:Done (Green)⟧ for **owner** ⟦@8a7f808a5c2c5a9a015c2c5cd7e10000⟧,", 1)
			},
			want: []string{`<p>State <ac:structured-macro ac:name="status" ac:schema-version="1" ac:macro-id="st-1">`, `<strong>owner</strong> <ac:link><ri:user ri:userkey="8a7f808a5c2c5a9a015c2c5cd7e10000" /></ac:link>`, `<time datetime="2024-05-31" />`},
		},
		{
			name: "a new status placeholder becomes a status macro",
			edit: func(s string) string {
				return strings.Replace(s, "## Inventory", "## Inventory ⟦status:Draft (Blue)⟧", 1)
			},
			want: []string{`<h2>Inventory <ac:structured-macro ac:name="status" ac:schema-version="1"><ac:parameter ac:name="colour">Blue</ac:parameter><ac:parameter ac:name="title">Draft</ac:parameter></ac:structured-macro></h2>`},
		},
		{
			name: "an edited status placeholder changes its parameters",
			edit: func(s string) string {
				return strings.Replace(s, "⟦status:Down (Red)⟧", "⟦status:Up (Green)⟧", 1)
			},
			want: []string{`ac:macro-id="st-3"><ac:parameter ac:name="colour">Green</ac:parameter><ac:parameter ac:name="title">Up</ac:parameter>`},
		},
		{
			name: "a new panel block becomes a macro",
			edit: func(s string) string {
				return strings.Replace(s, "## Links and pictures", "::: warning Careful\nDo not run this on Fridays.\n:::\n\n## Links and pictures", 1)
			},
			want: []string{`<ac:structured-macro ac:name="warning" ac:schema-version="1"><ac:parameter ac:name="title">Careful</ac:parameter><ac:rich-text-body><p>Do not run this on Fridays.</p></ac:rich-text-body></ac:structured-macro>` + "\n<h2>Links and pictures</h2>"},
		},
		{
			name:    "a deleted placeholder is refused",
			edit:    func(s string) string { return strings.Replace(s, " ⟦jira:OPS-42⟧", "", 1) },
			wantErr: ErrWouldLose,
		},
		{
			name:      "a deleted placeholder is dropped when allowed",
			edit:      func(s string) string { return strings.Replace(s, " ⟦jira:OPS-42⟧", "", 1) },
			allowLoss: true,
			not:       []string{"OPS-42"},
			want:      []string{`macro-id="st-1"`},
		},
		{
			name:    "a deleted panel marker is refused",
			edit:    func(s string) string { return strings.Replace(s, "::: note\n", "", 1) },
			wantErr: ErrWouldLose,
		},
		{
			name:    "a made-up placeholder is refused",
			edit:    func(s string) string { return strings.Replace(s, "## Inventory", "## Inventory ⟦gadget:x⟧", 1) },
			wantErr: ErrUnknownPlaceholder,
		},
		{
			name: "an escaped bracket is text",
			edit: func(s string) string { return strings.Replace(s, `\⟦like this⟧ stay`, `\⟦like that⟧ stay`, 1) },
			want: []string{"<p>Literal brackets ⟦like that⟧ stay text"},
		},
		{
			name: "a moved block keeps its bytes",
			edit: func(s string) string {
				para := "## Links and pictures"
				s = strings.Replace(s, para+"\n\n", "", 1)
				return strings.Replace(s, "# Introduction to the rollout", para+"\n\n# Introduction to the rollout", 1)
			},
			want: []string{"\n<h2>Links and pictures</h2>\n<h1 id=\"intro\">"},
		},
		{
			name:      "white space at line ends changes nothing",
			edit:      func(s string) string { return strings.ReplaceAll(s, "\n", "  \n") },
			unchanged: true,
		},
		{
			name: "a text line that looks like a marker stays text",
			edit: func(s string) string { return strings.Replace(s, `\::: that starts`, `\::: which starts`, 1) },
			want: []string{"<p>::: which starts with colons"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			edited := tc.edit(md)
			if edited == md && !tc.unchanged {
				t.Fatal("the edit changed nothing: fix the test")
			}
			out, err := ApplyMarkdown(page, edited, ApplyOptions{Options: testOptions, AllowLoss: tc.allowLoss})
			if !appliedAsWanted(t, out, err, tc.wantErr, tc.want) {
				return
			}
			if tc.unchanged && out != page {
				t.Fatalf("storage changed:\n%s", out)
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("storage holds %s", w)
				}
			}
			if lost := lostElements(page, out); len(lost) > 0 && !tc.allowLoss {
				t.Errorf("lost %v", lost)
			}
		})
	}
}

func TestApplySection(t *testing.T) {
	page := readFile(t, "testdata/edit/rich_nested.xml")
	sec, err := SectionMarkdown(page, "links and PICTURES", testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sec, "## Links and pictures\n\nSee [Cluster news]") || strings.Contains(sec, "Introduction") {
		t.Fatalf("section markdown:\n%s", sec)
	}
	edited := strings.Replace(sec, "status board", "status page", 1)
	out, err := ApplyMarkdown(page, edited, ApplyOptions{Options: testOptions, Section: "Links and pictures"})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(page, "status board", "status page", 1); out != want {
		t.Errorf("section edit changed more than the word\n%s", firstDiff(out, want))
	}
	// Without its heading line the section keeps its heading.
	body := strings.TrimPrefix(edited, "## Links and pictures\n\n")
	if out2, err := ApplyMarkdown(page, body, ApplyOptions{Options: testOptions, Section: "Links and pictures"}); err != nil || out2 != out {
		t.Errorf("section without heading: %v\n%s", err, firstDiff(out2, out))
	}
	if _, err := ApplyMarkdown(page, "x", ApplyOptions{Options: testOptions, Section: "Nowhere"}); !errors.Is(err, ErrNoSection) {
		t.Errorf("want ErrNoSection, got %v", err)
	}
}

func TestDiff(t *testing.T) {
	older := `<h1>Title</h1><p>one</p><p>two</p><p>three</p><p>four</p><p>five</p><p>six</p><p>seven</p><p>Status <ac:structured-macro ac:name="status"><ac:parameter ac:name="title">Old</ac:parameter></ac:structured-macro></p>`
	newer := strings.Replace(strings.Replace(older, "<p>two</p>", "<p>TWO</p>", 1), ">Old<", ">New<", 1)
	got, err := Diff(older, newer, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// As diff -u writes it.
	want := "@@ -2,7 +2,7 @@\n \n one\n \n-two\n+TWO\n \n three\n \n@@ -14,4 +14,4 @@\n \n seven\n \n-Status ⟦status:Old⟧\n+Status ⟦status:New⟧\n"
	if got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if d, _ := Diff(older, older, Options{}); d != "" {
		t.Errorf("equal versions: %q", d)
	}
}

// TestApplyTwoWords changes two words in different places of one block: each is patched in
// place, so a table keeps its spans and column widths and a paragraph its styling.
func TestApplyTwoWords(t *testing.T) {
	page := readFile(t, "testdata/edit/rich_nested.xml")
	md, err := EditableMarkdown(page, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][4]string{
		{"north", "east", "Monday", "Tuesday"},        // two cells of the table with merged cells
		{"carefully", "slowly", "starting", "doing"},  // a styled span and an inline comment
		{"Down (Red)", "Up (Green)", "south", "west"}, // a placeholder and a word
	} {
		edited := strings.Replace(strings.Replace(md, pair[0], pair[1], 1), pair[2], pair[3], 1)
		out, err := ApplyMarkdown(page, edited, ApplyOptions{Options: testOptions})
		if err != nil {
			t.Fatalf("%v: %v", pair, err)
		}
		want := strings.Replace(strings.Replace(page, pair[0], pair[1], 1), pair[2], pair[3], 1)
		if pair[0] == "Down (Red)" {
			want = strings.Replace(strings.Replace(strings.Replace(page, ">Red<", ">Green<", 1), ">Down<", ">Up<", 1), pair[2], pair[3], 1)
		}
		if out != want {
			t.Errorf("%v changed more than the words\n%s", pair, firstDiff(out, want))
		}
	}
}

func TestApplyLayoutType(t *testing.T) {
	page := `<ac:layout><ac:layout-section ac:type="single"><ac:layout-cell><p>one</p></ac:layout-cell></ac:layout-section></ac:layout>`
	md, err := EditableMarkdown(page, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if md != "::: layout\n::: section single\n::: cell\none\n:::\n:::\n:::\n" {
		t.Fatalf("markdown:\n%s", md)
	}
	edited := strings.Replace(md, "::: section single", "::: section two_equal", 1)
	edited = strings.Replace(edited, "one\n:::\n", "one\n:::\n::: cell\ntwo\n:::\n", 1)
	out, err := ApplyMarkdown(page, edited, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := `<ac:layout><ac:layout-section ac:type="two_equal"><ac:layout-cell><p>one</p></ac:layout-cell><ac:layout-cell><p>two</p></ac:layout-cell></ac:layout-section></ac:layout>`
	if out != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

func TestApplyTableRows(t *testing.T) {
	page := readFile(t, "testdata/edit/rich_nested.xml")
	md, err := EditableMarkdown(page, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	row := "|  | region south | ⟦status:Down (Red)⟧ since Monday |"
	edited := strings.Replace(md, row, row+"\n| beta | region west | **new** host |", 1)
	out, err := ApplyMarkdown(page, edited, ApplyOptions{Options: testOptions})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(page, `since Monday</td></tr>`, `since Monday</td></tr><tr><td>beta</td><td>region west</td><td><strong>new</strong> host</td></tr>`, 1)
	if out != want {
		t.Errorf("added row\n%s", firstDiff(out, want))
	}
	// A removed row leaves the others, the column group and the body as they were.
	table := `<table class="wrapped"><colgroup><col style="width: 80.0px;" /><col /></colgroup><tbody><tr><th>Key</th><th>Value</th></tr><tr><td style="text-align: right;">a</td><td>1</td></tr><tr><td>b</td><td>2</td></tr><tr><td>c</td><td><ac:structured-macro ac:name="status" ac:macro-id="s"><ac:parameter ac:name="title">OK</ac:parameter></ac:structured-macro></td></tr></tbody></table>`
	md, err = EditableMarkdown(table, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err = ApplyMarkdown(table, strings.Replace(md, "| b | 2 |\n", "", 1), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(table, `<tr><td>b</td><td>2</td></tr>`, "", 1); out != want {
		t.Errorf("removed row\n%s", firstDiff(out, want))
	}
}

// appliedAsWanted checks the result of an apply against the error or the texts a case wants,
// and reports whether the caller should check more.
func appliedAsWanted(t *testing.T, out string, err, wantErr error, want []string) bool {
	t.Helper()
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("want %v, got %v", wantErr, err)
		}
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("result lacks %q\n--- result:\n%s", w, out)
		}
	}
	return true
}
