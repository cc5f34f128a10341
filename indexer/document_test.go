package indexer

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

func allText(d *search.Document) string {
	var b strings.Builder
	for _, c := range d.Chunks {
		b.WriteString(c.Text)
		b.WriteString("\n")
	}
	return b.String()
}

func TestJiraDocument(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: -1})
	ctx := context.Background()
	is, err := w.srv.AddIssue(sim.Issue{
		Project: "OPS", Type: "Bug", Summary: "Pager does not ring for disk alerts", Priority: "Critical",
		Description: "h2. Steps\n\n# Fill the disk\n# Wait for the *alert*\n\n{code}df -h /var{code}",
		Labels:      []string{"oncall"}, Assignee: "alice", Status: "In Progress",
		Environment: "Prometheus 2.51 on *db-02*",
		Custom: map[string]string{"Steps to Reproduce": "# Fill /var\n# Wait for the pager", "Customer": "Northwind Traders",
			"Risk_Factor": "High"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.jira.Issues.AddComment(ctx, is.Key, "Reproduced on *db-02*."); err != nil {
		t.Fatal(err)
	}
	jc := &jiraCrawler{j: w.jira, log: slog.New(slog.DiscardHandler)}
	full, err := jc.fetchOne(ctx, is.Key, false)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jc.build(ctx, container{key: "OPS", name: "Operations"}, full, &Stages{})
	if err != nil {
		t.Fatal(err)
	}
	if doc.ID != "jira:"+is.Key || doc.Key != is.Key || doc.Container != "OPS" || doc.Source != search.SourceJira {
		t.Errorf("identity = %q %q %q %q", doc.ID, doc.Key, doc.Container, doc.Source)
	}
	if doc.Title != "Pager does not ring for disk alerts" || doc.Type != "Bug" || doc.Status != "In Progress" {
		t.Errorf("title/type/status = %q %q %q", doc.Title, doc.Type, doc.Status)
	}
	if !strings.HasSuffix(doc.URL, "/jira/browse/"+is.Key) || doc.Updated.IsZero() || len(doc.Labels) != 1 {
		t.Errorf("url/updated/labels = %q %v %v", doc.URL, doc.Updated, doc.Labels)
	}
	text := allText(doc)
	for _, want := range []string{
		"Operations › " + is.Key + ": Pager does not ring for disk alerts", // breadcrumb
		"Priority: Critical", "Labels: oncall",
		"## Description", "Steps", "**alert**", "df -h /var", // rendered HTML converted to markdown
		"## Comments", "Reproduced on **db-02**.",
		// The environment and the text custom fields, under their names.
		"## Environment", "Prometheus 2.51 on **db-02**",
		"## Steps to Reproduce", "Wait for the pager", "## Customer", "Northwind Traders",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("document text lacks %q:\n%s", want, text)
		}
	}
	// A select is not text worth searching.
	if strings.Contains(text, "Risk_Factor") {
		t.Errorf("document text has the select field:\n%s", text)
	}
}

func TestConfluenceDocument(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: -1})
	ctx := context.Background()
	parent := w.pages[testTitle("Deployment guide")]
	child, err := w.srv.AddPage(sim.Page{Space: "ENG", Title: testTitle("Canary releases"), ParentID: parent,
		Labels: []string{"deploy", "canary"},
		Body:   `<h1>Canary</h1><p>Send 5% of traffic first.</p><h2>Abort</h2><p>Roll back when the error rate doubles.</p>`})
	if err != nil {
		t.Fatal(err)
	}
	anc, _, err := w.conf.Content.Ancestors(ctx, parent)
	if err != nil {
		t.Fatal(err)
	}
	cc := &confluenceCrawler{c: w.conf, log: slog.New(slog.DiscardHandler)}
	for _, tc := range []struct {
		name  string
		fetch func() (*contentWithRestrictions, error)
	}{
		{"one by one", func() (*contentWithRestrictions, error) { return cc.fetch(ctx, child.ID) }},
		{"in a batch", func() (*contentWithRestrictions, error) {
			m, err := cc.fetchMany(ctx, []string{parent, child.ID})
			return m[child.ID], err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, err := tc.fetch()
			if err != nil || ct == nil {
				t.Fatalf("fetch: %v", err)
			}
			doc, err := cc.build(t.Context(), container{key: "ENG", name: "Engineering"}, ct, &Stages{})
			if err != nil {
				t.Fatal(err)
			}
			// Space name, every ancestor (the space home page too), title.
			wantCrumb := []string{"Engineering"}
			for _, a := range anc {
				if a.Title != wantCrumb[len(wantCrumb)-1] {
					wantCrumb = append(wantCrumb, a.Title)
				}
			}
			wantCrumb = append(wantCrumb, testTitle("Deployment guide"), testTitle("Canary releases"))
			if strings.Join(doc.Breadcrumb, "|") != strings.Join(wantCrumb, "|") {
				t.Errorf("breadcrumb = %q, want %q", doc.Breadcrumb, wantCrumb)
			}
			if doc.Type != "page" || doc.Version < 1 || doc.Updated.IsZero() || !strings.HasPrefix(doc.URL, "http") {
				t.Errorf("type/version/updated/url = %q %d %v %q", doc.Type, doc.Version, doc.Updated, doc.URL)
			}
			if len(doc.Chunks) == 0 || !strings.HasPrefix(doc.Chunks[0].Text, strings.Join(wantCrumb, BreadcrumbSep)) {
				t.Fatalf("first chunk does not start with the breadcrumb: %+v", doc.Chunks)
			}
			text := allText(doc)
			for _, want := range []string{"Labels: deploy, canary", "Author: ", "Last edited by ", "Send 5% of traffic first.", "Roll back when the error rate doubles."} {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
		})
	}
}
