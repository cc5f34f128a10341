package mcp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// TestProtocolGenerations lists and calls tools with a client of each
// protocol generation: 2026-07-28 (server/discover, what the official Go
// SDK speaks) and 2025-11-25 (initialize, TypeScript SDK and Inspector).
func TestProtocolGenerations(t *testing.T) {
	for _, tc := range []struct{ pin, want string }{
		{"", mcpgo.ProtocolVersion20260728},
		{mcpgo.ProtocolVersion20251125, mcpgo.ProtocolVersion20251125},
		{mcpgo.ProtocolVersion20250618, mcpgo.ProtocolVersion20250618},
	} {
		t.Run(tc.want, func(t *testing.T) {
			f := newFixture(t, tc.pin, nil)
			if got := f.cli.ProtocolVersion(); got != tc.want {
				t.Fatalf("negotiated %q, want %q", got, tc.want)
			}
			res, err := f.cli.ListTools(context.Background(), mcpgo.ListToolsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if want := catalogued(false, "confluence", "jira"); len(res.Tools) != want {
				t.Errorf("%d tools listed, want the %d Confluence and Jira tools", len(res.Tools), want)
			}
			contains(t, f.ok(t, "jira_get_projects", nil, nil), `"key":"OPS"`)
		})
	}
}

func names(tools []mcpgo.Tool) []string {
	var out []string
	for _, t := range tools {
		out = append(out, t.Name)
	}
	return out
}

func TestToolSelection(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 5})
	conf, jira := clients(t, srv, "admin")
	both, jiraOnly := catalogued(false, "confluence", "jira"), catalogued(false, "jira")
	cases := []struct {
		name    string
		opts    Options
		want    []string // all of these listed
		without []string // none of these listed
		count   int
		err     string
	}{
		{name: "everything", opts: Options{Confluence: conf, Jira: jira}, count: both},
		{name: "read-only", opts: Options{Confluence: conf, Jira: jira, ReadOnly: true}, count: catalogued(true, "confluence", "jira"),
			want: []string{"confluence_get_page", "jira_search_issues"}, without: []string{"confluence_create_page", "confluence_update_page", "jira_add_worklog", "jira_transition_issue"}},
		{name: "only jira configured", opts: Options{Jira: jira}, count: jiraOnly, without: []string{"confluence_get_page"}},
		{name: "only confluence configured", opts: Options{Confluence: conf}, count: catalogued(false, "confluence"), without: []string{"jira_get_issue"}},
		{name: "tools by name", opts: Options{Confluence: conf, Jira: jira, Tools: []string{"jira_get_issue", " Confluence_Get_Page "}}, count: 2,
			want: []string{"jira_get_issue", "confluence_get_page"}},
		{name: "tools by product", opts: Options{Confluence: conf, Jira: jira, Tools: []string{"jira"}}, count: jiraOnly},
		{name: "exclude", opts: Options{Confluence: conf, Jira: jira, ExcludeTools: []string{"confluence", "jira_add_worklog"}}, count: jiraOnly - 1,
			without: []string{"confluence_get_page", "jira_add_worklog"}},
		{name: "nothing configured", opts: Options{}, err: "set CONFLUENCE_BASE_URL or JIRA_BASE_URL"},
		{name: "unknown tool", opts: Options{Jira: jira, Tools: []string{"jira_teleport"}}, err: `unknown tool "jira_teleport"; valid: confluence, jira, index, confluence_get_spaces`},
		{name: "unknown excluded tool", opts: Options{Jira: jira, ExcludeTools: []string{"nope"}}, err: "--exclude-tools: unknown tool"},
		{name: "tool typo", opts: Options{Jira: jira, Tools: []string{"jira_get_isue"}}, err: `unknown tool "jira_get_isue"; did you mean jira_get_issue?`},
		{name: "product typo", opts: Options{Jira: jira, ExcludeTools: []string{"jra"}}, err: `unknown tool "jra"; did you mean jira?`},
		{name: "tool of unconfigured product", opts: Options{Jira: jira, Tools: []string{"confluence_get_page"}}, err: "Confluence is not configured: set CONFLUENCE_BASE_URL"},
		{name: "write tool while read-only", opts: Options{Jira: jira, ReadOnly: true, Tools: []string{"jira_add_comment"}}, err: "read-only"},
		{name: "nothing left", opts: Options{Jira: jira, ExcludeTools: []string{"jira"}}, err: "no tool left"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// What a client lists is what is registered.
			res, err := connect(t, s, "").ListTools(context.Background(), mcpgo.ListToolsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			got := names(res.Tools)
			if len(got) != tc.count {
				t.Errorf("%d tools listed, want %d: %v", len(got), tc.count, got)
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s not listed", w)
				}
			}
			for _, w := range tc.without {
				if slices.Contains(got, w) {
					t.Errorf("%s listed", w)
				}
			}
		})
	}
}

// TestReadOnlyRefusesWrites calls write tools that are not listed: the
// server refuses them, and nothing is written.
func TestReadOnlyRefusesWrites(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.ReadOnly = true })
	w := seedWorld(t, f.sim)
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"confluence_update_page", map[string]any{"page_id": w.parent, "version": 1, "body": "vandalised"}},
		{"confluence_create_page", map[string]any{"space_key": "ENG", "title": "New", "body": "x"}},
		{"jira_add_comment", map[string]any{"issue_key": w.issue, "comment": "x"}},
		{"jira_link_issues", map[string]any{"link_type": "Blocks", "inward_issue_key": w.issue, "outward_issue_key": "OPS-2"}},
		{"jira_remove_link", map[string]any{"link_id": "1"}},
		{"jira_delete_issue", map[string]any{"issue_key": w.issue}},
		{"jira_create_version", map[string]any{"project_key": "OPS", "name": "x"}},
		{"jira_edit_comment", map[string]any{"issue_key": w.issue, "comment_id": "1", "comment": "x"}},
		{"jira_add_remote_link", map[string]any{"issue_key": w.issue, "url": "https://x.example", "title": "x"}},
		{"confluence_move_page", map[string]any{"page_id": w.child, "space_key": "GEN"}},
		{"confluence_delete_page", map[string]any{"page_id": w.parent}},
		{"jira_move_to_sprint", map[string]any{"backlog": true, "issue_keys": []any{w.issue}}},
		{"jira_add_attachment", map[string]any{"issue_key": w.issue, "filename": "x.txt", "content_base64": "eA=="}},
		{"confluence_add_attachment", map[string]any{"page_id": w.parent, "filename": "x.txt", "content_base64": "eA=="}},
		{"jira_create_sprint", map[string]any{"board_id": 2, "name": "x"}},
		{"jira_update_sprint", map[string]any{"sprint_id": 2, "action": "complete"}},
	} {
		text, isErr, err := callTool(f.cli, c.tool, c.args)
		if err != nil || !isErr || !strings.Contains(text, "read-only") {
			t.Errorf("%s: %v %v %q, want the call refused as read-only", c.tool, err, isErr, text)
		}
	}
	contains(t, f.ok(t, "confluence_get_page", map[string]any{"page_id": w.parent}, nil), `"version":1`, "Roll back with care.")
	if p, err := f.sim.GetPage(w.parent); err != nil || strings.Contains(p.Body, "vandalised") {
		t.Errorf("page changed: %v %q", err, p.Body)
	}
}

func TestAllowLists(t *testing.T) {
	f := newFixture(t, "", func(o *Options) {
		o.Spaces = []string{"gen"}
		o.Projects = []string{"OPS"}
		o.Toolsets = []string{"confluence_history"}
	})
	w := seedWorld(t, f.sim)
	if err := f.sim.GeneratePages("GEN", 20, 1); err != nil {
		t.Fatal(err)
	}
	web, err := f.sim.AddIssue(sim.Issue{Project: "WEB", Summary: "Not for you"})
	if err != nil {
		t.Fatal(err)
	}

	spaces := f.ok(t, "confluence_get_spaces", nil, nil)
	if strings.Contains(spaces, `"ENG"`) || !strings.Contains(spaces, `"GEN"`) {
		t.Errorf("spaces outside CONFLUENCE_SPACES listed: %s", spaces)
	}
	for _, cql := range []string{"type = page ORDER BY title", "space = ENG OR space = GEN"} {
		var head struct{ Space string }
		hits := f.ok(t, "confluence_search_pages", map[string]any{"cql": cql, "limit": 50}, &head)
		rows := jrows(t, hits, "results")
		for _, r := range rows {
			if sp := cmp.Or(r["space"], head.Space); sp != "GEN" {
				t.Errorf("%s: search leaves CONFLUENCE_SPACES: hit %v in space %q", cql, r, sp)
			}
		}
		if len(rows) == 0 {
			t.Errorf("%s: nothing found in GEN: the check proves nothing", cql)
		}
	}
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"confluence_get_page", map[string]any{"page_id": w.parent}},
		{"confluence_get_page", map[string]any{"space_key": "ENG", "title": "Deploy Runbook"}},
		{"confluence_get_page_children", map[string]any{"page_id": w.parent}},
		{"confluence_get_page_ancestors", map[string]any{"page_id": w.child}},
		{"confluence_get_comments", map[string]any{"page_id": w.parent}},
		{"confluence_get_labels", map[string]any{"page_id": w.parent}},
		{"confluence_get_attachments", map[string]any{"page_id": w.parent}},
		{"confluence_get_page_history", map[string]any{"page_id": w.parent}},
		{"confluence_create_page", map[string]any{"space_key": "ENG", "title": "x", "body": "y"}},
		{"confluence_update_page", map[string]any{"page_id": w.parent, "version": 1, "body": "y"}},
		{"confluence_add_comment", map[string]any{"page_id": w.parent, "comment": "y"}},
		{"confluence_add_label", map[string]any{"page_id": w.parent, "label": "y"}},
	} {
		f.fails(t, c.tool, c.args, "outside the allowed scope (CONFLUENCE_SPACES=GEN)")
	}

	issues := f.ok(t, "jira_search_issues", map[string]any{"jql": "ORDER BY created DESC", "max_results": 100}, nil)
	if strings.Contains(issues, `"WEB-`) || strings.Contains(issues, `"DATA-`) || !strings.Contains(issues, `"OPS-`) {
		t.Errorf("search leaves JIRA_PROJECTS: %s", issues)
	}
	projects := f.ok(t, "jira_get_projects", nil, nil)
	if strings.Contains(projects, "WEB") || !strings.Contains(projects, "OPS") {
		t.Errorf("projects outside JIRA_PROJECTS listed: %s", projects)
	}
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"jira_get_issue", map[string]any{"issue_key": web.Key}},
		{"jira_get_comments", map[string]any{"issue_key": web.Key}},
		{"jira_get_transitions", map[string]any{"issue_key": web.Key}},
		{"jira_get_worklogs", map[string]any{"issue_key": web.Key}},
		{"jira_get_create_fields", map[string]any{"project_key": "WEB", "issue_type": "Bug"}},
		{"jira_create_issue", map[string]any{"project_key": "WEB", "summary": "x", "issue_type": "Task"}},
		{"jira_update_issue", map[string]any{"issue_key": web.Key, "summary": "x"}},
		{"jira_add_comment", map[string]any{"issue_key": web.Key, "comment": "x"}},
		{"jira_transition_issue", map[string]any{"issue_key": web.Key, "transition": "Start Progress"}},
		{"jira_add_worklog", map[string]any{"issue_key": web.Key, "time_spent": "1h"}},
	} {
		f.fails(t, c.tool, c.args, "outside the allowed scope (JIRA_PROJECTS=OPS)")
	}
	contains(t, f.ok(t, "jira_get_issue", map[string]any{"issue_key": w.issue}, nil), w.issue)
}

// TestPermissions runs as alice, who cannot see restricted pages, and with
// a wrong password: the answers say what to fix and never carry secrets.
func TestPermissions(t *testing.T) {
	simSrv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 5})
	w := seedWorld(t, simSrv)
	conf, jira := clients(t, simSrv, "alice")
	s, err := New(Options{Confluence: conf, Jira: jira})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{sim: simSrv, srv: s, cli: connect(t, s, "")}
	f.fails(t, "confluence_get_page", map[string]any{"page_id": w.restricted}, "page "+w.restricted+" does not exist or you cannot see it")

	opts := atlassian.Options{Username: "admin", Password: "wrong-password-123", MaxRetries: -1}
	badConf, _ := atlassian.NewConfluence(simSrv.ConfluenceURL(), opts)
	badJira, _ := atlassian.NewJira(simSrv.JiraURL(), opts)
	s, err = New(Options{Confluence: badConf, Jira: badJira})
	if err != nil {
		t.Fatal(err)
	}
	f = &fixture{sim: simSrv, srv: s, cli: connect(t, s, "")}
	for tool, want := range map[string]string{
		"confluence_get_spaces": "authentication failed: check CONFLUENCE_USERNAME/CONFLUENCE_API_TOKEN or CONFLUENCE_PERSONAL_TOKEN",
		"jira_get_projects":     "authentication failed: check JIRA_USERNAME/JIRA_API_TOKEN or JIRA_PERSONAL_TOKEN",
	} {
		text, isErr := f.call(t, tool, nil)
		if !isErr || !strings.Contains(text, want) || strings.Contains(text, "wrong-password-123") {
			t.Errorf("%s: %v %q, want an error with %q and no password", tool, isErr, text, want)
		}
	}

	// A server that is down is a tool error too, not a crash.
	down, _ := atlassian.NewJira("http://127.0.0.1:1/jira", atlassian.Options{MaxRetries: -1})
	s, err = New(Options{Jira: down})
	if err != nil {
		t.Fatal(err)
	}
	f = &fixture{srv: s, cli: connect(t, s, "")}
	f.fails(t, "jira_get_issue", map[string]any{"issue_key": "OPS-1"}, "could not reach the server")
}

// TestPageContinuation reads a long page in parts with max_chars and
// offset: the parts join into the whole body.
func TestPageContinuation(t *testing.T) {
	f := newFixture(t, "", nil)
	w := seedWorld(t, f.sim)
	whole := jstr(t, f.ok(t, "confluence_get_page", map[string]any{"page_id": w.parent, "max_chars": maxMaxChars}, nil), "body")
	var parts []string
	offset := 0
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatal("no end after 100 parts")
		}
		text := f.ok(t, "confluence_get_page", map[string]any{"page_id": w.parent, "max_chars": 500, "offset": offset}, nil)
		body := jstr(t, text, "body")
		if n := len([]rune(body)); n > 500 {
			t.Fatalf("part of %d characters, max_chars 500", n)
		}
		parts = append(parts, body)
		if jget(t, text, "truncated") != true {
			break
		}
		if jnum(t, text, "length") != len(whole) {
			t.Errorf("length %d, want %d", jnum(t, text, "length"), len(whole))
		}
		offset = jnum(t, text, "next_offset")
	}
	// Parts end and resume at paragraph or line boundaries, without the
	// separating blank lines: compare the words.
	if len(parts) < 3 || strings.Join(strings.Fields(strings.Join(parts, "\n")), " ") != strings.Join(strings.Fields(whole), " ") {
		t.Errorf("%d parts do not join into the body of %d bytes", len(parts), len(whole))
	}
}

// TestUnavailableTools calls tools that are not listed, in both protocol
// generations: each call gets a tool error that says why and what to call
// instead, never a JSON-RPC error, and the hidden tool behind it is never
// listed.
func TestUnavailableTools(t *testing.T) {
	cases := []struct {
		name   string
		adjust func(*Options)
		tool   string
		want   string
	}{
		{"read-only", func(o *Options) { o.ReadOnly = true }, "jira_create_issue",
			"tool jira_create_issue is not available: the server runs read-only (--read-only or ATLASBRIDGE_READ_ONLY)"},
		{"--tools", func(o *Options) { o.Tools = []string{"jira_get_issue", "jira_search_issues"} }, "confluence_get_page",
			"tool confluence_get_page is not available: the server was started with --tools jira_get_issue,jira_search_issues"},
		{"--exclude-tools", func(o *Options) { o.ExcludeTools = []string{"confluence"} }, "confluence_get_page",
			"tool confluence_get_page is not available: the server was started with --exclude-tools confluence"},
		{"product not configured", func(o *Options) { o.Confluence = nil }, "confluence_search_pages",
			"tool confluence_search_pages is not available: Confluence is not configured: set CONFLUENCE_BASE_URL"},
		{"index not configured", nil, "semantic_search", "tool semantic_search is not available: the local index is not available"},
		{"typo", nil, "jira_get_isue", `unknown tool "jira_get_isue"; did you mean jira_get_issue?; jira tools available: jira_get_issue, jira_search_issues`},
		{"no product prefix", nil, "search_issues", "did you mean jira_search_issues?"},
		{"wrong case", nil, "Confluence_Get_Page", "did you mean confluence_get_page?"},
		{"far from any", nil, "teleport", `unknown tool "teleport"; available: confluence_get_spaces, confluence_get_page`},
		{"the hidden tool", nil, unavailableTool, `unknown tool "` + unavailableTool + `"`},
		{"no name", nil, "", "no tool name given; available: confluence_get_spaces"},
	}
	for _, proto := range []string{"", mcpgo.ProtocolVersion20251125} {
		for _, tc := range cases {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				f := newFixture(t, proto, tc.adjust)
				text, isErr, err := callTool(f.cli, tc.tool, map[string]any{"issue_key": "OPS-1"})
				if err != nil {
					t.Fatalf("protocol error %v, want a tool error", err)
				}
				if !isErr || !strings.Contains(text, tc.want) {
					t.Fatalf("isError=%v %q, want an error containing %q", isErr, text, tc.want)
				}
				res, err := f.cli.ListTools(context.Background(), mcpgo.ListToolsRequest{})
				if err != nil {
					t.Fatal(err)
				}
				if slices.Contains(names(res.Tools), unavailableTool) || len(res.Tools) != len(f.srv.Tools()) {
					t.Errorf("listed %v, want the %d enabled tools", names(res.Tools), len(f.srv.Tools()))
				}
				// A listed tool is still served.
				if !slices.Contains(names(res.Tools), tc.tool) {
					if got, isErr := f.call(t, res.Tools[0].Name, nil); isErr && (strings.Contains(got, "not available") || strings.Contains(got, "unknown tool")) {
						t.Errorf("%s refused too: %s", res.Tools[0].Name, got)
					}
				}
			})
		}
	}
}

// TestHTTP talks to the streamable HTTP handler with the library's HTTP
// client, in both protocol generations.
func TestHTTP(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 5})
	conf, jira := clients(t, srv, "admin")
	s, err := New(Options{Confluence: conf, Jira: jira})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.HTTPHandler(HTTPOptions{}))
	t.Cleanup(ts.Close)

	for _, pin := range []string{"", mcpgo.ProtocolVersion20251125} {
		t.Run("protocol "+pin, func(t *testing.T) {
			tr, err := transport.NewStreamableHTTP(ts.URL+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer s3cret"}))
			if err != nil {
				t.Fatal(err)
			}
			var opts []client.ClientOption
			if pin != "" {
				opts = append(opts, client.WithProtocolVersion(pin))
			}
			cli := client.NewClient(tr, opts...)
			t.Cleanup(func() { cli.Close() })
			ctx := context.Background()
			if err := cli.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := cli.Initialize(ctx, mcpgo.InitializeRequest{}); err != nil {
				t.Fatal(err)
			}
			want := pin
			if want == "" {
				want = mcpgo.ProtocolVersion20260728
			}
			if cli.ProtocolVersion() != want {
				t.Errorf("negotiated %s, want %s", cli.ProtocolVersion(), want)
			}
			res, err := cli.ListTools(ctx, mcpgo.ListToolsRequest{})
			if err != nil || len(res.Tools) != catalogued(false, "confluence", "jira") {
				t.Fatalf("list: %v, %d tools", err, len(res.Tools))
			}
			text, isErr, err := callTool(cli, "jira_get_issue", map[string]any{"issue_key": "OPS-1"})
			if err != nil || isErr || !strings.Contains(text, `"key":"OPS-1"`) {
				t.Errorf("call: %v %v %s", err, isErr, text)
			}
			text, isErr, err = callTool(cli, "jira_teleport", nil)
			if err != nil || !isErr || !strings.Contains(text, `unknown tool "jira_teleport"`) {
				t.Errorf("unknown tool: %v %v %s", err, isErr, text)
			}
		})
	}
}

func TestScope(t *testing.T) {
	spaces := newAllowList([]string{"eng", "OPS", "eng"}, "CONFLUENCE_SPACES")
	for _, tc := range []struct{ in, want string }{
		{`text ~ "x"`, `(text ~ "x") AND space in ("ENG","OPS")`},
		{`text ~ "x" ORDER BY lastmodified DESC`, `(text ~ "x") AND space in ("ENG","OPS") ORDER BY lastmodified DESC`},
		{`title ~ "order by date" order by title`, `(title ~ "order by date") AND space in ("ENG","OPS") order by title`},
		{`ORDER BY created`, `space in ("ENG","OPS") ORDER BY created`},
		{`a = 1 OR b = 2`, `(a = 1 OR b = 2) AND space in ("ENG","OPS")`},
		{`reorder = "x\" order by" AND z = 1`, `(reorder = "x\" order by" AND z = 1) AND space in ("ENG","OPS")`},
	} {
		if got, err := spaces.scope(tc.in, "space"); err != nil || got != tc.want {
			t.Errorf("scope(%q)\n got %q, %v\nwant %q", tc.in, got, err, tc.want)
		}
	}
	// An unbalanced query could close the wrapper and escape the scope.
	for _, in := range []string{`type = page) OR (type = page`, `(a = 1`, `a = 1)`, `title = "x" ) OR space = HR OR (x = "("`} {
		if got, err := spaces.scope(in, "space"); err == nil {
			t.Errorf("scope(%q) = %q, want a refusal", in, got)
		}
	}
	if got, err := spaces.scope(`title ~ "a)" AND (b = 1)`, "space"); err != nil || !strings.HasSuffix(got, `AND space in ("ENG","OPS")`) {
		t.Errorf("a parenthesis inside a string is not structure: %q, %v", got, err)
	}
	if all := newAllowList(nil, "X"); !all.allows("ANY") {
		t.Error("an empty allow-list must allow everything")
	} else if got, err := all.scope("a = 1) OR (b = 2", "space"); err != nil || got != "a = 1) OR (b = 2" {
		t.Errorf("without a list the query goes to the server as it is (its own parser judges it): %q, %v", got, err)
	}
	if !spaces.allows("ops") || spaces.allows("WEB") {
		t.Error("allows is wrong")
	}
}

func TestExplain(t *testing.T) {
	apiErr := func(product string, code int, msgs ...string) error {
		return &atlassian.Error{Product: product, Method: "GET", Path: "/x", StatusCode: code, Messages: msgs}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{apiErr("jira", 404), "issue OPS-1 does not exist or you cannot see it"},
		{apiErr("jira", 401), "authentication failed: check JIRA_USERNAME/JIRA_API_TOKEN or JIRA_PERSONAL_TOKEN"},
		{apiErr("confluence", 403, "no edit permission"), "permission denied on issue OPS-1: the configured Confluence user may not do this (Confluence said: no edit permission)"},
		{apiErr("jira", 400, "Field 'x' does not exist"), "Jira rejected the request: Field 'x' does not exist (HINT)"},
		{apiErr("jira", 429), "Jira is rate limiting requests"},
		{apiErr("confluence", 503), "Confluence failed (503 Service Unavailable): retry later"},
		{apiErr("confluence", 409, "Version must be incremented"), "issue OPS-1 changed or already exists: re-read it and retry"},
		{apiErr("jira", 418), "Jira answered 418"},
		{context.Canceled, "cancelled"},
		{context.DeadlineExceeded, "did not answer in time"},
		{errors.New("jira: GET /x: connection refused"), "could not reach the server: jira: GET /x: connection refused"},
	} {
		if got := explain(tc.err, "issue OPS-1", "HINT"); !strings.Contains(got, tc.want) {
			t.Errorf("explain(%v) = %q, want %q in it", tc.err, got, tc.want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		max  int
		want string
	}{
		{"short @@@hl@@@hit@@@endhl@@@ here", 70, "short hit here"},
		{strings.Repeat("lead word ", 20) + "@@@hl@@@rollback@@@endhl@@@ steps follow here", 40, "rollback steps"},
		{"no\u200bhighlight\u202e at all", 70, "nohighlight at all"},
	} {
		got := excerpt(tc.raw, tc.max)
		if !strings.Contains(got, tc.want) || len([]rune(got)) > tc.max {
			t.Errorf("excerpt(%q, %d) = %q, want %q in at most %d runes", tc.raw, tc.max, got, tc.want, tc.max)
		}
	}
}

func TestPageHitOf(t *testing.T) {
	space := atlassian.SearchResult{Title: "@@@hl@@@Eng@@@endhl@@@ineering", EntityType: "space", URL: "/display/ENG"}
	space.ResultGlobalContainer = &struct {
		Title      string `json:"title"`
		DisplayURL string `json:"displayUrl"`
	}{"Engineering", "/display/ENG"}
	h := pageHitOf(space)
	if h.ID != "" || h.Type != "space" || h.Title != "Engineering" || h.Space != "ENG" || h.URL != "/display/ENG" {
		t.Errorf("space hit: %+v", h)
	}
	page := atlassian.SearchResult{Excerpt: "Deploy Guide Run the @@@hl@@@deploy@@@endhl@@@ script", Content: &atlassian.Content{ID: "42", Type: "blogpost", Title: "Deploy Guide",
		Space: &atlassian.Space{Key: "OPS"}, Links: atlassian.Links{WebUI: "/display/OPS/Deploy", TinyUI: "/x/Kg"}}}
	h = pageHitOf(page)
	if h.ID != "42" || h.Type != "blogpost" || h.Space != "OPS" || h.URL != "/x/Kg" || h.Excerpt != "Run the deploy script" {
		t.Errorf("page hit: %+v", h)
	}
}

// TestRecovery checks that a panicking handler fails its call only: the
// server answers the next call.
func TestRecovery(t *testing.T) {
	f := newFixture(t, "", nil)
	f.srv.MCPServer().AddTool(mcpgo.NewTool("boom"), func(context.Context, mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		panic("broken invariant")
	})
	if _, _, err := callTool(f.cli, "boom", nil); err == nil || !strings.Contains(err.Error(), "panic recovered") {
		t.Errorf("err = %v, want the panic reported as an error", err)
	}
	contains(t, f.ok(t, "jira_get_projects", nil, nil), `"key":"OPS"`)
}

// TestListPaging pages through the children of a page one by one: every
// page says where the next starts, the last one says the total.
func TestListPaging(t *testing.T) {
	f := newFixture(t, "", nil)
	w := seedWorld(t, f.sim)
	for i := range 4 {
		if _, err := f.sim.AddPage(sim.Page{Space: "ENG", Title: fmt.Sprintf("Step %d", i), ParentID: w.child}); err != nil {
			t.Fatal(err)
		}
	}
	var titles []string
	start := 0
	for range 10 {
		text := f.ok(t, "confluence_get_page_children", map[string]any{"page_id": w.child, "limit": 3, "start": start}, nil)
		for _, c := range jget(t, text, "children").([]any) {
			titles = append(titles, c.(map[string]any)["title"].(string))
		}
		next := jnum(t, text, "next_start")
		if more, _ := jget(t, text, "more").(bool); next > 0 && jnum(t, text, "total") == 0 && !more {
			t.Errorf("a page with more after it gives neither total nor more: %s", text)
		}
		if !strings.Contains(text, `"page_url":"`) || strings.Contains(text, `"url":`) {
			t.Errorf("children are not given with a URL template: %s", text)
		}
		if next == 0 {
			if jnum(t, text, "total") != 4 {
				t.Errorf("last page: total %d, want 4: %s", jnum(t, text, "total"), text)
			}
			break
		}
		start = next
	}
	if len(titles) != 4 {
		t.Errorf("paged through %v, want 4 children", titles)
	}
}
