package mcp

import (
	"encoding/base64"
	"os"
	"testing"
)

// TestAttachmentDocuments: PDF and Word attachments come back as their
// text, paged like a text file; a damaged one as metadata and a note.
func TestAttachmentDocuments(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"jira_attachments", "confluence_attachments"} })
	key := f.sim.IssueKeys("OPS")[0]
	file := func(name string) string {
		b, err := os.ReadFile("../internal/extract/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	var added struct{ ID string }
	f.ok(t, "jira_add_attachment", map[string]any{"issue_key": key, "filename": "story.pdf", "content_base64": file("story.pdf")}, &added)
	var page struct {
		Text       string
		Note       string
		Truncated  bool
		NextOffset int `json:"next_offset"`
	}
	f.ok(t, "jira_get_attachment", map[string]any{"attachment_id": added.ID, "max_chars": 200}, &page)
	if !page.Truncated || page.NextOffset == 0 || page.Note == "" {
		t.Fatalf("first page of the PDF: %+v", page)
	}
	contains(t, page.Text, "TEST FILE", "Lorem ipsum dolor sit amet")
	contains(t, f.ok(t, "jira_get_attachment", map[string]any{"attachment_id": added.ID, "offset": page.NextOffset}, nil), "text extracted from the pdf")

	f.ok(t, "jira_add_attachment", map[string]any{"issue_key": key, "filename": "broken.pdf", "content_base64": base64.StdEncoding.EncodeToString([]byte("%PDF-1.7\nnot really"))}, &added)
	contains(t, f.ok(t, "jira_get_attachment", map[string]any{"attachment_id": added.ID}, nil), "could not be read", `"url":"http`)

	w := seedWorld(t, f.sim)
	f.ok(t, "confluence_add_attachment", map[string]any{"page_id": w.parent, "filename": "story.docx", "content_base64": file("story.docx")}, &added)
	contains(t, f.ok(t, "confluence_get_attachment", map[string]any{"attachment_id": added.ID}, nil), `"name":"story.docx"`, "Test File", "Lorem ipsum dolor sit amet, consetetur")
}
