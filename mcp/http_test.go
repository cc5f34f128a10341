package mcp

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// TestSessions: ids are the server's own, and one idle too long or ended
// is refused.
func TestSessions(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := newSessions(time.Minute, func() time.Time { return now })
	a, b := m.Generate(), m.Generate()
	if a == b || len(a) < len("mcp-session-")+20 {
		t.Fatalf("ids %q %q", a, b)
	}
	if _, err := m.Validate("mcp-session-00000000-0000-4000-8000-000000000000"); err == nil {
		t.Error("an id the server did not issue is accepted")
	}
	now = now.Add(50 * time.Second)
	if term, err := m.Validate(a); term || err != nil {
		t.Errorf("a session in use: %v %v", term, err)
	}
	now = now.Add(50 * time.Second) // a was used 50 s ago, b 100 s ago
	if term, err := m.Validate(a); term || err != nil {
		t.Errorf("a session used within the idle time: %v %v", term, err)
	}
	if term, _ := m.Validate(b); !term {
		t.Error("an idle session is still accepted")
	}
	m.Terminate(a)
	if _, err := m.Validate(a); err == nil {
		t.Error("an ended session is still accepted")
	}
}

// post sends one JSON-RPC message to the handler and returns the status and
// the session id it issued, if any.
func post(t *testing.T, url, session, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", mcpgo.ProtocolVersion20251125)
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Mcp-Session-Id")
}

// TestHTTPSessions: over HTTP, a session id the server did not issue is
// refused, and DELETE ends a session.
func TestHTTPSessions(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 1})
	conf, jira := clients(t, srv, "admin")
	s, err := New(Options{Confluence: conf, Jira: jira})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.HTTPHandler(HTTPOptions{}))
	t.Cleanup(ts.Close)
	url := ts.URL + "/mcp"
	const list = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	code, id := post(t, url, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, nil)
	if code != http.StatusOK || id == "" {
		t.Fatalf("initialize: %d, session %q", code, id)
	}
	if code, _ := post(t, url, id, list, nil); code != http.StatusOK {
		t.Fatalf("tools/list in the session: %d", code)
	}
	if code, _ := post(t, url, "mcp-session-00000000-0000-4000-8000-000000000000", list, nil); code != http.StatusNotFound {
		t.Errorf("a session id of the client's choosing: %d, want 404", code)
	}
	req, _ := http.NewRequest(http.MethodDelete, url, nil)
	req.Header.Set("Mcp-Session-Id", id)
	req.Header.Set("MCP-Protocol-Version", mcpgo.ProtocolVersion20251125)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("DELETE: %d", resp.StatusCode)
	}
	if code, _ := post(t, url, id, list, nil); code != http.StatusNotFound {
		t.Errorf("a deleted session: %d, want 404", code)
	}
}

// TestCallerHeaders: a request with the X-Atlassian-* headers runs as
// that user (the audit log names them); with RequireCallerCredentials a
// request without them is refused; the log never holds a credential.
func TestCallerHeaders(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 1})
	page, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Admins only", Body: "<p>x</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RestrictPage(page.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	conf, jira := clients(t, srv, "admin")
	var log bytes.Buffer
	s, err := New(Options{Confluence: conf, Jira: jira, RequireCallerCredentials: true,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.HTTPHandler(HTTPOptions{}))
	t.Cleanup(ts.Close)
	for _, tc := range []struct {
		name    string
		header  map[string]string
		want    string // in the answer
		refused bool
		user    string // in the audit log
	}{
		{"none", nil, "brought none", true, serviceAccount},
		{"alice's token", map[string]string{"X-Atlassian-Confluence-Personal-Token": "alice-token"}, "", true, "alice"},
		{"alice's password", map[string]string{"X-Atlassian-Confluence-Username": "alice", "X-Atlassian-Confluence-Password": "alice"}, "", true, "alice"},
		{"jira only", map[string]string{"X-Atlassian-Jira-Personal-Token": "admin-token"}, "X-Atlassian-Confluence-Personal-Token", true, "admin"},
		{"admin's token", map[string]string{"X-Atlassian-Confluence-Personal-Token": "admin-token"}, "Admins only", false, "admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log.Reset()
			tr, err := transport.NewStreamableHTTP(ts.URL+"/mcp", transport.WithHTTPHeaders(tc.header))
			if err != nil {
				t.Fatal(err)
			}
			cli := client.NewClient(tr)
			t.Cleanup(func() { cli.Close() })
			if err := cli.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := cli.Initialize(t.Context(), mcpgo.InitializeRequest{}); err != nil {
				t.Fatal(err)
			}
			text, isErr, err := callTool(cli, "confluence_get_page", map[string]any{"page_id": page.ID})
			if err != nil || isErr != tc.refused || !strings.Contains(text, tc.want) {
				t.Errorf("got %v %v %.300s, want refused %v with %q", err, isErr, text, tc.refused, tc.want)
			}
			if tc.refused && strings.Contains(text, "Admins only") {
				t.Errorf("the refusal shows the page: %s", text)
			}
			if !strings.Contains(log.String(), "user="+tc.user) && !strings.Contains(log.String(), `user="`+tc.user) {
				t.Errorf("the audit log does not name %s:\n%s", tc.user, log.String())
			}
			for _, secret := range []string{"alice-token", "admin-token", "password"} {
				if strings.Contains(log.String(), secret) {
					t.Errorf("%s reached the log:\n%s", secret, log.String())
				}
			}
		})
	}
}

// TestLinkedIssuesOutsideProjects: with JIRA_PROJECTS set, an issue linked
// from one in scope but in another project shows its key only.
func TestLinkedIssuesOutsideProjects(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Projects = []string{"OPS"} })
	p, _, err := f.jira.Issues.Search(t.Context(), "project = OPS ORDER BY key", &atlassian.SearchIssuesOptions{MaxResults: 100, Fields: []string{"issuelinks"}})
	if err != nil {
		t.Fatal(err)
	}
	var from string
	var foreign *atlassian.LinkedIssue
	for _, is := range p.Issues {
		for _, l := range is.Fields.IssueLinks {
			other := l.OutwardIssue
			if other == nil {
				other = l.InwardIssue
			}
			if other == nil {
				continue
			}
			if !strings.HasPrefix(other.Key, "OPS-") && foreign == nil {
				from, foreign = is.Key, other
			}
		}
		if foreign != nil {
			break
		}
	}
	if foreign == nil {
		t.Fatal("the generated issues have no OPS issue linked to another project: change the seed")
	}
	other, err := f.sim.GetIssue(foreign.Key)
	if err != nil {
		t.Fatal(err)
	}
	text := f.ok(t, "jira_get_issue", map[string]any{"issue_key": from}, nil)
	if !strings.Contains(text, `"key":"`+foreign.Key+`"`) {
		t.Errorf("the link to %s is gone: %s", foreign.Key, text)
	}
	if strings.Contains(text, other.Summary) {
		t.Errorf("the summary of %s, outside JIRA_PROJECTS, is shown: %s", foreign.Key, text)
	}
}
