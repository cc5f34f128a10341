package atlassian_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

func TestAgileRoundTrip(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{Spaces: []sim.SpaceImport{}, JiraIssues: 30, Seed: 1})
	_, j := clients(t, srv, atlassian.Options{Token: "admin-token"})
	ctx := t.Context()
	boards, _, err := j.Agile.Boards(ctx, atlassian.BoardOptions{Project: "OPS"})
	if err != nil || len(boards.Values) != 2 || boards.Values[0].Location == nil || boards.Values[0].Location.ProjectKey != "OPS" {
		t.Fatalf("boards = %+v, %v", boards, err)
	}
	b := boards.Values[0].ID
	sprints, _, err := j.Agile.Sprints(ctx, b, []string{"active"}, 0, 0)
	if err != nil || len(sprints.Values) != 1 || sprints.Values[0].State != "active" || sprints.Values[0].StartDate.IsZero() || sprints.Total != nil {
		t.Fatalf("active sprints = %+v, %v", sprints, err)
	}
	active := sprints.Values[0].ID
	page, _, err := j.Agile.SprintIssues(ctx, active, "", []string{"summary"}, 0, 0)
	if err != nil || page.Total == 0 {
		t.Fatalf("sprint issues = %+v, %v", page, err)
	}
	key := page.Issues[0].Key
	if _, err := j.Agile.MoveToSprint(ctx, 0, []string{key}); err != nil {
		t.Fatalf("to the backlog: %v", err)
	}
	after, _, err := j.Agile.SprintIssues(ctx, active, "", nil, 0, 0)
	if err != nil || after.Total != page.Total-1 {
		t.Fatalf("after moving to the backlog: %+v, %v", after, err)
	}
	name := "Hardening"
	sp, _, err := j.Agile.CreateSprint(ctx, atlassian.SprintInput{Name: &name, OriginBoardID: b})
	if err != nil || sp.State != "future" || sp.Name != name {
		t.Fatalf("create = %+v, %v", sp, err)
	}
	if _, err := j.Agile.MoveToSprint(ctx, sp.ID, []string{key}); err != nil {
		t.Fatalf("to the new sprint: %v", err)
	}
	started := "active"
	if _, _, err := j.Agile.UpdateSprint(ctx, sp.ID, atlassian.SprintInput{State: &started}); !errors.Is(err, atlassian.ErrBadRequest) {
		t.Errorf("starting without dates: %v, want ErrBadRequest", err)
	}
	if _, _, err := j.Agile.Sprint(ctx, 999); !errors.Is(err, atlassian.ErrNotFound) {
		t.Errorf("unknown sprint: %v, want ErrNotFound", err)
	}
}

func TestJiraAttachmentRoundTrip(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{Spaces: []sim.SpaceImport{}, JiraIssues: -1})
	_, j := clients(t, srv, atlassian.Options{Token: "admin-token"})
	ctx := t.Context()
	is, err := srv.AddIssue(sim.Issue{Project: "OPS", Summary: "Crash"})
	if err != nil {
		t.Fatal(err)
	}
	added, _, err := j.Issues.AddAttachment(ctx, is.Key, "crash report.log", []byte("panic: boom\n"))
	if err != nil || len(added) != 1 || added[0].Size != 12 {
		t.Fatalf("add = %+v, %v", added, err)
	}
	a, _, err := j.Issues.Attachment(ctx, added[0].ID)
	if err != nil || a.Filename != "crash report.log" || a.Created.IsZero() {
		t.Fatalf("attachment = %+v, %v", a, err)
	}
	raw, err := j.Download(ctx, a.Content)
	if err != nil || string(raw.Data) != "panic: boom\n" || !strings.HasPrefix(raw.Type, "text/") {
		t.Fatalf("download = %+v, %v", raw, err)
	}
	if _, err := j.Download(ctx, "https://elsewhere.example/secure/attachment/1/x"); err == nil {
		t.Error("a link to another host was followed")
	}
	if _, _, err := j.Issues.Attachment(ctx, "999999"); !errors.Is(err, atlassian.ErrNotFound) {
		t.Errorf("unknown attachment: %v", err)
	}
}

func TestConfluenceAttachmentRoundTrip(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: -1})
	c, _ := clients(t, srv, atlassian.Options{Token: "admin-token"})
	ctx := t.Context()
	page, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Attach here", Body: "<p>x</p>"})
	if err != nil {
		t.Fatal(err)
	}
	at, _, err := c.Content.AddAttachment(ctx, page.ID, "data.csv", []byte("a,b\n1,2\n"))
	if err != nil || at.Title != "data.csv" || at.Links.Download == "" {
		t.Fatalf("add = %+v, %v", at, err)
	}
	raw, err := c.Download(ctx, at.Links.Download)
	if err != nil || string(raw.Data) != "a,b\n1,2\n" {
		t.Fatalf("download = %+v, %v", raw, err)
	}
	if _, _, err := c.Content.AddAttachment(ctx, page.ID, "data.csv", []byte("x")); !errors.Is(err, atlassian.ErrBadRequest) {
		t.Errorf("same name again: %v, want ErrBadRequest", err)
	}
}
