package mcp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/markup"
)

// sharedSamples holds the recorded storage bodies of shared/atlassian-samples
// (LGPL ones among them, so they stay there), next to the clone.
var sharedSamples = filepath.Join("..", "..", "shared", "atlassian-samples", "confluence")

// editPages are the macro-rich storage bodies of markup's round-trip suite,
// and the recorded samples when they are there.
func editPages(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "markup", "testdata", "edit", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pages in ../markup/testdata/edit: %v", err)
	}
	shared, _ := filepath.Glob(filepath.Join(sharedSamples, "*.xml"))
	if len(shared) == 0 {
		t.Logf("recorded samples not found at %s: testing markup's pages only", sharedSamples)
	}
	files = append(files, shared...)
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

var (
	editWord    = regexp.MustCompile(`\b[A-Za-z]{5,}\b`)
	placeholder = regexp.MustCompile(`⟦[^⟧]*⟧`)
)

// onceWords lists up to n words that occur once in md, outside
// placeholders, and once in storage, there in text (the nearest tag bracket
// before it closes a tag).
func onceWords(md, storage string, n int) []string {
	count := func(s string) map[string]int {
		c := map[string]int{}
		for _, w := range editWord.FindAllString(s, -1) {
			c[w]++
		}
		return c
	}
	inMD, inStorage := count(md), count(storage)
	var all []string
	// A word inside a placeholder is a macro parameter: editing it is not
	// editing text.
	for _, w := range editWord.FindAllString(placeholder.ReplaceAllString(md, " "), -1) {
		if inMD[w] != 1 || inStorage[w] != 1 {
			continue
		}
		loc := regexp.MustCompile(`\b` + w + `\b`).FindStringIndex(storage)
		if i := strings.LastIndexAny(storage[:loc[0]], "<>"); i < 0 || storage[i] != '>' {
			continue
		}
		all = append(all, w)
	}
	if len(all) <= n {
		return all
	}
	var spread []string
	for i := range n {
		spread = append(spread, all[i*len(all)/n])
	}
	return spread
}

func swapWord(s, w string) string {
	return regexp.MustCompile(`\b`+w+`\b`).ReplaceAllLiteralString(s, "Zyzzyva")
}

// TestUpdatePageRoundTrip is the golden suite of issue 12 through the
// tools: get a macro-rich page, change one word of its markdown, update,
// and the stored storage equals the one before but for that word.
func TestUpdatePageRoundTrip(t *testing.T) {
	f := newFixture(t, "", nil)
	for name, storage := range editPages(t) {
		t.Run(name, func(t *testing.T) {
			p, err := f.sim.AddPage(sim.Page{Space: "ENG", Title: "Round trip " + name, Body: storage})
			if err != nil {
				t.Fatal(err)
			}
			get := map[string]any{"page_id": p.ID, "max_chars": maxMaxChars}
			md := jstr(t, f.ok(t, "confluence_get_page", get, nil), "body")
			words := onceWords(md, storage, 4)
			if len(words) == 0 {
				// A page of macros only (storage_jira_macros.xml): its text is all parameters.
				t.Skip("no word occurs once in the text of both the markdown and the storage")
			}
			for i, w := range words {
				page := f.ok(t, "confluence_get_page", get, nil)
				version := jnum(t, page, "version")
				if version != i+1 {
					t.Fatalf("version %d before edit %d", version, i+1)
				}
				before := f.storage(t, p.ID)
				f.ok(t, "confluence_update_page", map[string]any{"page_id": p.ID, "version": version, "body": swapWord(jstr(t, page, "body"), w)}, nil)
				after := f.storage(t, p.ID)
				if got, want := markup.CanonicalXML(after), markup.CanonicalXML(swapWord(before, w)); got != want {
					t.Errorf("%q → Zyzzyva changed more than the word:\n got: %.400s\nwant: %.400s", w, got[commonPrefix(got, want):], want[commonPrefix(got, want):])
				}
				storage = after
			}
		})
	}
}

func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return max(0, i-80)
}

// storage reads a page's stored body straight from the simulator.
func (f *fixture) storage(t *testing.T, id string) string {
	t.Helper()
	c, _, err := f.conf.Content.Get(context.Background(), id, "body.storage")
	if err != nil {
		t.Fatal(err)
	}
	return c.Storage()
}

func TestUpdatePageEdits(t *testing.T) {
	f := newFixture(t, "", nil)
	const body = `<h1>Plan</h1><p>Status: <ac:structured-macro ac:name="status" ac:macro-id="m1"><ac:parameter ac:name="title">Done</ac:parameter><ac:parameter ac:name="colour">Green</ac:parameter></ac:structured-macro> owner <ac:link><ri:user ri:userkey="8a7f00aa" /></ac:link></p>` +
		`<h2>Risks</h2><p>Rollback is slow.</p><h2>Notes</h2><p>Keep calm.</p>`
	p, err := f.sim.AddPage(sim.Page{Space: "ENG", Title: "Edit plan", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	page := f.ok(t, "confluence_get_page", map[string]any{"page_id": p.ID}, nil)
	md := jstr(t, page, "body")
	contains(t, md, "⟦status:Done (Green)⟧", "⟦@8a7f00aa⟧")
	update := func(args map[string]any) map[string]any {
		args["page_id"] = p.ID
		if _, ok := args["version"]; !ok {
			args["version"] = jnum(t, f.ok(t, "confluence_get_page", map[string]any{"page_id": p.ID}, nil), "version")
		}
		return args
	}

	// Dropping a placeholder is refused, naming what would be lost, and
	// nothing is written.
	f.fails(t, "confluence_update_page", update(map[string]any{"body": strings.Replace(md, "⟦status:Done (Green)⟧", "done", 1)}), `refused: the edit would lose status macro ⟦status:Done (Green)⟧. Keep`)
	f.fails(t, "confluence_update_page", update(map[string]any{"body": md + "\n⟦jira:NOPE-1x⟧ ⟦bogus⟧\n"}), "copy placeholders exactly")
	if got := f.storage(t, p.ID); got != body {
		t.Fatalf("a refused edit wrote: %s", got)
	}
	// Stale version: refused before anything is applied.
	f.fails(t, "confluence_update_page", update(map[string]any{"version": 7, "body": md}), "changed since version 7 (now version 1)")

	// A section edit changes only that section.
	f.ok(t, "confluence_update_page", update(map[string]any{"section": "Risks", "body": "Rollback is fast now."}), nil)
	got := f.storage(t, p.ID)
	if !strings.Contains(got, "Rollback is fast now.") || !strings.Contains(got, `ac:macro-id="m1"`) || !strings.Contains(got, "<p>Keep calm.</p>") || strings.Contains(got, "slow") {
		t.Fatalf("section edit: %s", got)
	}
	f.fails(t, "confluence_update_page", update(map[string]any{"section": "Nowhere", "body": "x"}), "section: ")

	// allow_loss writes the loss.
	md = jstr(t, f.ok(t, "confluence_get_page", map[string]any{"page_id": p.ID}, nil), "body")
	f.ok(t, "confluence_update_page", update(map[string]any{"allow_loss": true, "body": strings.Replace(md, "⟦status:Done (Green)⟧", "done", 1)}), nil)
	if got := f.storage(t, p.ID); strings.Contains(got, `ac:name="status"`) || !strings.Contains(got, "8a7f00aa") {
		t.Fatalf("allow_loss: %s", got)
	}

	// A body cut at max_chars would delete the rest of the page.
	long := strings.Repeat("<p>Rollback steps are listed here in full.</p>", 60) + "<p>The very end.</p>"
	lp, err := f.sim.AddPage(sim.Page{Space: "ENG", Title: "Long plan", Body: long})
	if err != nil {
		t.Fatal(err)
	}
	part := jstr(t, f.ok(t, "confluence_get_page", map[string]any{"page_id": lp.ID, "max_chars": 1000}, nil), "body")
	f.fails(t, "confluence_update_page", map[string]any{"page_id": lp.ID, "version": 1, "body": part}, `lacks its last line "The very end."`)
	f.ok(t, "confluence_update_page", map[string]any{"page_id": lp.ID, "version": 1, "body": part, "allow_loss": true}, nil)

	// Raw storage in and out.
	raw := `<p>Raw <ac:structured-macro ac:name="toc" /></p>`
	f.ok(t, "confluence_update_page", update(map[string]any{"body_format": "storage", "body": raw}), nil)
	if got := jstr(t, f.ok(t, "confluence_get_page", map[string]any{"page_id": p.ID, "format": "storage"}, nil), "body"); got != raw {
		t.Fatalf("format storage: %q", got)
	}
	f.fails(t, "confluence_update_page", update(map[string]any{"body_format": "storage", "section": "Plan", "body": raw}), "section works with markdown only")
	f.fails(t, "confluence_update_page", update(map[string]any{"body_format": "html", "body": raw}), "body_format must be markdown or storage")
	f.fails(t, "confluence_get_page", map[string]any{"page_id": p.ID, "format": "wiki"}, "format must be markdown or storage")
	created := f.ok(t, "confluence_create_page", map[string]any{"space_key": "ENG", "title": "Raw page", "body_format": "storage", "body": raw}, nil)
	if got := f.storage(t, jstr(t, created, "id")); got != raw {
		t.Fatalf("create storage: %q", got)
	}
}

// TestJiraEditRoundTrip: the description and a comment in wiki markup
// with panels, colours, code options, mentions, header cells and images,
// read and written back with one word changed, keep every other byte.
func TestJiraEditRoundTrip(t *testing.T) {
	f := newFixture(t, "", nil)
	b, err := os.ReadFile(filepath.Join("..", "markup", "testdata", "wiki", "rich.wiki"))
	if err != nil {
		t.Fatal(err)
	}
	wiki := string(b)
	is, err := f.sim.AddIssue(sim.Issue{Project: "OPS", Type: "Task", Summary: "Release", Description: wiki})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, _, err := f.jira.Issues.AddComment(ctx, is.Key, wiki)
	if err != nil {
		t.Fatal(err)
	}
	description := func() string {
		got, _, err := f.jira.Issues.Get(ctx, is.Key, &atlassian.GetIssueOptions{Fields: []string{"description"}})
		if err != nil {
			t.Fatal(err)
		}
		return got.Fields.Description
	}
	comment := func() string {
		got, _, err := f.jira.Issues.Comment(ctx, is.Key, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Body
	}
	for _, w := range []string{"advice", "registry", "passes", "layout"} {
		before := description()
		md := jstr(t, f.ok(t, "jira_get_issue", map[string]any{"issue_key": is.Key}, nil), "description")
		contains(t, md, "⟦@jsmith⟧")
		f.ok(t, "jira_update_issue", map[string]any{"issue_key": is.Key, "description": swapWord(md, w)}, nil)
		if got, want := description(), swapWord(before, w); got != want {
			t.Errorf("description: %q → Zyzzyva changed more than the word:\n got: %q\nwant: %q", w, got, want)
		}

		before = comment()
		md = jstr(t, f.ok(t, "jira_get_comments", map[string]any{"issue_key": is.Key}, nil), "comments.0.body")
		f.ok(t, "jira_edit_comment", map[string]any{"issue_key": is.Key, "comment_id": c.ID, "comment": swapWord(md, w)}, nil)
		if got, want := comment(), swapWord(before, w); got != want {
			t.Errorf("comment: %q → Zyzzyva changed more than the word:\n got: %q\nwant: %q", w, got, want)
		}
	}

	// Dropping a mention is refused and writes nothing, unless allowed.
	md := jstr(t, f.ok(t, "jira_get_issue", map[string]any{"issue_key": is.Key}, nil), "description")
	before := description()
	dropped := strings.Replace(md, "⟦@amy.lee⟧", "Amy", 1)
	f.fails(t, "jira_update_issue", map[string]any{"issue_key": is.Key, "description": dropped}, "refused: the edit would lose")
	f.fails(t, "jira_edit_comment", map[string]any{"issue_key": is.Key, "comment_id": c.ID, "comment": dropped}, "refused: the edit would lose")
	if description() != before {
		t.Fatal("a refused edit wrote")
	}
	f.ok(t, "jira_update_issue", map[string]any{"issue_key": is.Key, "description": dropped, "allow_loss": true}, nil)
	if got := description(); strings.Contains(got, "[~amy.lee]") || !strings.Contains(got, "[~jsmith]") {
		t.Fatalf("allow_loss: %q", got)
	}
	f.fails(t, "jira_edit_comment", map[string]any{"issue_key": is.Key, "comment_id": "999999", "comment": "x"}, "does not exist")
}

func TestPageHistory(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"confluence_history"} })
	p, err := f.sim.AddPage(sim.Page{Space: "ENG", Title: "History", Body: `<p>Deploy on <ac:structured-macro ac:name="status"><ac:parameter ac:name="title">Go</ac:parameter></ac:structured-macro> Monday.</p><p>Second line.</p>`})
	if err != nil {
		t.Fatal(err)
	}
	md := jstr(t, f.ok(t, "confluence_get_page", map[string]any{"page_id": p.ID}, nil), "body")
	f.ok(t, "confluence_update_page", map[string]any{"page_id": p.ID, "version": 1, "body": strings.Replace(md, "Monday", "Friday", 1), "version_comment": "move the deploy"}, nil)
	f.ok(t, "confluence_update_page", map[string]any{"page_id": p.ID, "version": 2, "body": strings.Replace(md, "Monday", "Friday", 1) + "\nThird line.\n"}, nil)

	var h struct {
		Columns  []string
		Versions [][]string
		Diff     *struct {
			Body string
		}
	}
	f.ok(t, "confluence_get_page_history", map[string]any{"page_id": p.ID}, &h)
	if len(h.Versions) != 3 || h.Versions[0][0] != "3" || h.Versions[1][0] != "2" || h.Versions[1][3] != "move the deploy" || h.Versions[2][1] == "" || h.Versions[2][2] == "" {
		t.Fatalf("versions: %+v", h)
	}
	if h.Diff != nil {
		t.Fatalf("a diff nobody asked for: %+v", h.Diff)
	}
	f.ok(t, "confluence_get_page_history", map[string]any{"page_id": p.ID, "diff_from": 1, "diff_to": 2}, &h)
	if h.Diff == nil || !strings.Contains(h.Diff.Body, "-Deploy on ⟦status:Go⟧ Monday.") || !strings.Contains(h.Diff.Body, "+Deploy on ⟦status:Go⟧ Friday.") || strings.Contains(h.Diff.Body, "Third") {
		t.Fatalf("diff 1..2: %+v", h.Diff)
	}
	f.ok(t, "confluence_get_page_history", map[string]any{"page_id": p.ID, "diff_from": 2}, &h)
	if h.Diff == nil || !strings.Contains(h.Diff.Body, "+Third line.") || strings.Contains(h.Diff.Body, "Monday") {
		t.Fatalf("diff 2..current: %+v", h.Diff)
	}
	f.ok(t, "confluence_get_page_history", map[string]any{"page_id": p.ID, "diff_from": 3}, &h)
	if h.Diff == nil || h.Diff.Body != "(no change)" {
		t.Fatalf("diff 3..current: %+v", h.Diff)
	}
	contains(t, f.ok(t, "confluence_get_page_history", map[string]any{"page_id": p.ID, "limit": 1}, nil), `"next_start":1`)
	f.fails(t, "confluence_get_page_history", map[string]any{"page_id": p.ID, "diff_from": 9}, "has no version 9")
	f.fails(t, "confluence_get_page_history", map[string]any{"page_id": p.ID, "diff_to": 2}, "give diff_from")
	f.fails(t, "confluence_get_page_history", map[string]any{"page_id": "999999999"}, "does not exist")
}

func TestMoveAndDeletePage(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"confluence_admin"} })
	w := seedWorld(t, f.sim)
	if err := f.sim.AddSpace("GEN", "General"); err != nil {
		t.Fatal(err)
	}
	other, err := f.sim.AddPage(sim.Page{Space: "ENG", Title: "New home", Body: "<p>x</p>"})
	if err != nil {
		t.Fatal(err)
	}
	moved := f.ok(t, "confluence_move_page", map[string]any{"page_id": w.child, "parent_id": other.ID}, nil)
	if jnum(t, moved, "version") != 2 {
		t.Fatalf("move: %s", moved)
	}
	contains(t, f.ok(t, "confluence_get_page", map[string]any{"page_id": w.child}, nil), `"parent":{"id":"`+other.ID, "Step one: freeze deploys.")
	f.ok(t, "confluence_move_page", map[string]any{"page_id": w.child, "space_key": "GEN"}, nil)
	contains(t, f.ok(t, "confluence_get_page", map[string]any{"page_id": w.child}, nil), `"space":"GEN"`, "Step one: freeze deploys.")
	f.fails(t, "confluence_move_page", map[string]any{"page_id": w.child}, "give parent_id")
	f.fails(t, "confluence_move_page", map[string]any{"page_id": w.child, "parent_id": w.child}, "its own parent")
	f.fails(t, "confluence_move_page", map[string]any{"page_id": w.child, "space_key": "NOPE"}, "space NOPE does not exist")
	f.fails(t, "confluence_move_page", map[string]any{"page_id": w.child, "parent_id": "999999999"}, "does not exist")

	contains(t, f.ok(t, "confluence_delete_page", map[string]any{"page_id": other.ID}, nil), `"trashed":"`+other.ID)
	f.fails(t, "confluence_get_page", map[string]any{"page_id": other.ID}, "does not exist")
	f.fails(t, "confluence_delete_page", map[string]any{"page_id": other.ID}, "does not exist")

	g := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"confluence_admin"}; o.Spaces = []string{"GEN"} })
	gw := seedWorld(t, g.sim)
	if err := g.sim.AddSpace("GEN", "General"); err != nil {
		t.Fatal(err)
	}
	g.fails(t, "confluence_delete_page", map[string]any{"page_id": gw.parent}, "CONFLUENCE_SPACES")
	g.fails(t, "confluence_move_page", map[string]any{"page_id": gw.child, "space_key": "GEN"}, "CONFLUENCE_SPACES")
	h := newFixture(t, "", nil)
	h.fails(t, "confluence_delete_page", map[string]any{"page_id": "1"}, "--toolsets confluence_admin")
}

// TestEditableBytes keeps placeholders lean: the answer of
// confluence_get_page and jira_get_issue in the editable form stays within
// a quarter of the lossy rendering it replaced (StorageToMarkdown, and
// Jira's rendered HTML as markdown). -v logs the figures BENCHMARKS.md gives.
func TestEditableBytes(t *testing.T) {
	f := newFixture(t, "", nil)
	lean := func(what string, answer, body, lossy string) {
		t.Helper()
		nb, _ := encode(body)
		ob, _ := encode(lossy)
		old := len(answer) - len(nb) + len(ob)
		t.Logf("%s: answer %d B editable, %d B lossy (body %d B, %d B)", what, len(answer), old, len(body), len(lossy))
		if len(answer) > old+old/4 {
			t.Errorf("%s: the editable answer (%d B) is more than 25 %% over the lossy one (%d B)", what, len(answer), old)
		}
	}
	for name, storage := range editPages(t) {
		p, err := f.sim.AddPage(sim.Page{Space: "ENG", Title: name, Body: storage})
		if err != nil {
			t.Fatal(err)
		}
		answer := f.ok(t, "confluence_get_page", map[string]any{"page_id": p.ID, "max_chars": maxMaxChars}, nil)
		lean(fmt.Sprintf("confluence_get_page %s (storage %d B)", name, len(storage)), answer, jstr(t, answer, "body"), f.srv.toMarkdown(storage, "ENG", p.ID))
	}
	rich, err := os.ReadFile(filepath.Join("..", "markup", "testdata", "wiki", "rich.wiki"))
	if err != nil {
		t.Fatal(err)
	}
	for name, wiki := range map[string]string{"rich.wiki": string(rich), "typicalIssue": typicalIssue} {
		is, err := f.sim.AddIssue(sim.Issue{Project: "OPS", Type: "Bug", Summary: "Bytes", Description: wiki})
		if err != nil {
			t.Fatal(err)
		}
		answer := f.ok(t, "jira_get_issue", map[string]any{"issue_key": is.Key}, nil)
		got, _, err := f.jira.Issues.Get(context.Background(), is.Key, &atlassian.GetIssueOptions{Fields: []string{"description"}, Expand: []string{"renderedFields"}})
		if err != nil {
			t.Fatal(err)
		}
		lossy, err := markup.HTMLToMarkdown(got.RenderedFields.Description, markup.Options{BaseURL: f.jira.BaseURL(), JiraBaseURL: f.jira.BaseURL()})
		if err != nil {
			t.Fatal(err)
		}
		lean(fmt.Sprintf("jira_get_issue %s (wiki %d B)", name, len(wiki)), answer, jstr(t, answer, "description"), lossy)
	}
}
