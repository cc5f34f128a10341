package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// TestOfficialGoSDKEverydayTools drives the people, link and delete tools
// end to end: serve --http --toolsets all against the simulator, through
// the official MCP Go SDK client.
func TestOfficialGoSDKEverydayTools(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 20, Seed: 3})
	ctx, cs := serveForSDK(t, srv, "all")
	call := sdkCaller(t, ctx, cs)
	keys := srv.IssueKeys("OPS")
	a, b := keys[0], keys[len(keys)-1]
	if text := call("jira_search_users", map[string]any{"query": "adm", "issue_key": a}, nil); !strings.Contains(text, `["admin",`) {
		t.Errorf("jira_search_users: %s", text)
	}
	// "@mention Grace": find her Confluence user key, then mention her in a page.
	var people struct{ Users [][]string }
	call("confluence_search_users", map[string]any{"query": "gra"}, &people)
	if len(people.Users) != 1 || people.Users[0][1] != "grace.sre" {
		t.Fatalf("confluence_search_users: %+v", people.Users)
	}
	page, err := srv.AddPage(sim.Page{Space: "ENG", Title: "On-call owners", Body: "<p>Owner: tbd</p>"})
	if err != nil {
		t.Fatal(err)
	}
	var read struct{ Version int }
	call("confluence_get_page", map[string]any{"page_id": page.ID}, &read)
	call("confluence_update_page", map[string]any{"page_id": page.ID, "version": read.Version, "body": "Owner: " + people.Users[0][3]}, nil)
	if text := call("confluence_get_page", map[string]any{"page_id": page.ID, "format": "storage"}, nil); !strings.Contains(text, `ri:userkey=\"`+people.Users[0][0]) {
		t.Errorf("the mention is not in the page: %s", text)
	}
	if text := call("jira_get_link_types", nil, nil); !strings.Contains(text, "Duplicate") {
		t.Errorf("jira_get_link_types: %s", text)
	}
	call("jira_link_issues", map[string]any{"link_type": "Relates", "inward_issue_key": a, "outward_issue_key": b}, nil)
	var issue struct {
		Links []struct{ ID, Key, Relation string }
	}
	call("jira_get_issue", map[string]any{"issue_key": a}, &issue)
	id := ""
	for _, l := range issue.Links {
		if l.Key == b && l.Relation == "relates to" {
			id = l.ID
		}
	}
	if id == "" {
		t.Fatalf("the new link is not in jira_get_issue: %+v", issue.Links)
	}
	call("jira_remove_link", map[string]any{"link_id": id}, nil)
	call("jira_delete_issue", map[string]any{"issue_key": b}, nil)
	if res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "jira_get_issue", Arguments: map[string]any{"issue_key": b}}); err != nil || !res.IsError {
		t.Errorf("a deleted issue is still readable: %v", err)
	}
}

// TestOfficialGoSDKAgileTools drives the agile tools and the Epic Link end to end through the
// official MCP Go SDK client: the reads by default, the sprint changes with --toolsets jira_agile.
func TestOfficialGoSDKAgileTools(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 30, Seed: 3})
	epic, err := srv.AddIssue(sim.Issue{Project: "OPS", Type: "Epic", Summary: "VPN rework"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cs := serveForSDK(t, srv, "jira_agile")
	call := sdkCaller(t, ctx, cs)
	var boards struct{ Boards [][]string }
	call("jira_get_boards", map[string]any{"project_key": "OPS"}, &boards)
	if len(boards.Boards) == 0 || boards.Boards[0][2] != "scrum" {
		t.Fatalf("jira_get_boards: %v", boards.Boards)
	}
	var sprints struct{ Sprints [][]string }
	call("jira_get_sprints", map[string]any{"board_id": boards.Boards[0][0], "state": "active"}, &sprints)
	if len(sprints.Sprints) != 1 {
		t.Fatalf("jira_get_sprints: %v", sprints.Sprints)
	}
	var sp struct{ ID int64 }
	call("jira_create_sprint", map[string]any{"board_id": boards.Boards[0][0], "name": "OPS next"}, &sp)
	var ci struct{ Key string }
	call("jira_create_issue", map[string]any{"project_key": "OPS", "summary": "Rotate keys", "issue_type": "Task", "epic_key": epic.Key}, &ci)
	call("jira_move_to_sprint", map[string]any{"sprint_id": sp.ID, "issue_keys": []any{ci.Key}}, nil)
	if text := call("jira_get_sprint_issues", map[string]any{"sprint_id": sp.ID}, nil); !strings.Contains(text, ci.Key) {
		t.Errorf("jira_get_sprint_issues: %s", text)
	}
	if text := call("jira_get_issue", map[string]any{"issue_key": ci.Key}, nil); !strings.Contains(text, `"epic":"`+epic.Key+`"`) {
		t.Errorf("jira_get_issue has no epic: %s", text)
	}
	call("jira_update_sprint", map[string]any{"sprint_id": sprints.Sprints[0][0], "action": "complete"}, nil)
	if text := call("jira_update_sprint", map[string]any{"sprint_id": sp.ID, "action": "start", "start_date": "2026-05-01", "end_date": "2026-05-15"}, nil); !strings.Contains(text, `"state":"active"`) {
		t.Errorf("jira_update_sprint start: %s", text)
	}
	if text := call("jira_search_issues", map[string]any{"jql": "project = OPS AND sprint in openSprints()"}, nil); !strings.Contains(text, ci.Key) {
		t.Errorf("the current sprint through JQL: %s", text)
	}
	// Attachments: the upload is in the jira_attachments toolset, the read by default.
	if res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "jira_add_attachment", Arguments: map[string]any{"issue_key": ci.Key}}); err == nil && !res.IsError {
		t.Errorf("jira_add_attachment is listed without its toolset")
	}
}

// TestOfficialGoSDKAttachmentTools uploads and reads attachments (text, and a PDF's text) end to
// end through the official MCP Go SDK client.
func TestOfficialGoSDKAttachmentTools(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 5, Seed: 3})
	ctx, cs := serveForSDK(t, srv, "jira_attachments,confluence_attachments")
	call := sdkCaller(t, ctx, cs)
	key := srv.IssueKeys("OPS")[0]
	var att struct{ ID string }
	call("jira_add_attachment", map[string]any{"issue_key": key, "filename": "notes.md", "content_base64": "IyBOb3RlcwpBbGwgZ29vZC4K"}, &att)
	if text := call("jira_get_attachment", map[string]any{"attachment_id": att.ID}, nil); !strings.Contains(text, `# Notes\nAll good.`) {
		t.Errorf("jira_get_attachment: %s", text)
	}
	pdf, err := os.ReadFile("../../internal/extract/testdata/story.pdf")
	if err != nil {
		t.Fatal(err)
	}
	call("jira_add_attachment", map[string]any{"issue_key": key, "filename": "story.pdf", "content_base64": base64.StdEncoding.EncodeToString(pdf)}, &att)
	if text := call("jira_get_attachment", map[string]any{"attachment_id": att.ID}, nil); !strings.Contains(text, "Lorem ipsum dolor sit amet") {
		t.Errorf("jira_get_attachment of a PDF: %.300s", text)
	}
	page, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Notes page", Body: "<p>x</p>"})
	if err != nil {
		t.Fatal(err)
	}
	call("confluence_add_attachment", map[string]any{"page_id": page.ID, "filename": "notes.md", "content_base64": "IyBOb3RlcwpBbGwgZ29vZC4K"}, &att)
	if text := call("confluence_get_attachment", map[string]any{"attachment_id": att.ID}, nil); !strings.Contains(text, `# Notes\nAll good.`) {
		t.Errorf("confluence_get_attachment: %s", text)
	}
}

// sdkCaller returns a function that calls a tool which must succeed, decoding its JSON answer
// into v when v is not nil.
func sdkCaller(t *testing.T, ctx context.Context, cs *sdk.ClientSession) func(name string, args map[string]any, v any) string {
	return func(name string, args map[string]any, v any) string {
		t.Helper()
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		text := sdkText(res)
		if res.IsError {
			t.Fatalf("%s: error result %s", name, text)
		}
		if v != nil {
			if err := json.Unmarshal([]byte(text), v); err != nil {
				t.Fatalf("%s: %v: %s", name, err, text)
			}
		}
		return text
	}
}

// serveForSDK runs serve --http --toolsets toolsets against srv and connects the official Go SDK
// client to it; both stop when the test ends.
func serveForSDK(t *testing.T, srv *atlassiantest.Server, toolsets string) (context.Context, *sdk.ClientSession) {
	t.Helper()
	url, _ := runServeHTTP(t, faultConfig(t, faultEnv(t, srv.URL, "admin-token", "ATLASBRIDGE_HTTP_TOKEN", testHTTPToken, "ATLASBRIDGE_LOG_LEVEL", "info")), "--toolsets", toolsets)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	hc := &http.Client{Transport: bearer{testHTTPToken, http.DefaultTransport}}
	cs := sdkConnect(t, ctx, &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: hc}, "")
	t.Cleanup(func() { cs.Close() })
	return ctx, cs
}
