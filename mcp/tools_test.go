package mcp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// world is what seedWorld added to the simulator.
type world struct {
	parent, child, restricted string // page ids in ENG
	issue                     string // an OPS issue key
}

// longText makes a page long enough to need truncation.
var longText = strings.Repeat("<p>Rolling back is safe when the database migration is backward compatible. </p>", 60)

func seedWorld(t testing.TB, srv *atlassiantest.Server) world {
	t.Helper()
	parent, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Deploy Runbook", Labels: []string{"runbook"},
		Body: `<h1>Deploy</h1><p>Roll back with care.</p>` +
			`<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter>` +
			`<ac:plain-text-body><![CDATA[kubectl rollout undo deployment/web]]></ac:plain-text-body></ac:structured-macro>` +
			`<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Ask in #ops first.</p></ac:rich-text-body></ac:structured-macro>` + longText})
	if err != nil {
		t.Fatal(err)
	}
	child, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Rollback Checklist", ParentID: parent.ID, Body: "<p>Step one: freeze deploys. Then roll back.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddPage(sim.Page{Type: "comment", ParentID: parent.ID, Author: "alice", Body: "<p>Looks <strong>good</strong> to me</p>"}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddAttachment(parent.ID, "diagram.png", "image/png", 2048); err != nil {
		t.Fatal(err)
	}
	secret, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Salaries", Body: "<p>secret</p>", Restricted: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	is, err := srv.AddIssue(sim.Issue{Project: "OPS", Type: "Bug", Summary: "Checkout times out under load",
		Description: "h2. Steps\n* open the cart\n* pay with *card*", Priority: "Critical", Assignee: "alice", Labels: []string{"checkout"}})
	if err != nil {
		t.Fatal(err)
	}
	return world{parent: parent.ID, child: child.ID, restricted: secret.ID, issue: is.Key}
}

// jget reads a value at a dotted path ("results.0.id") of a JSON answer.
func jget(t testing.TB, text, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, text)
	}
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				t.Fatalf("path %s: no element %s in %s", path, p, text)
			}
			v = x[i]
		default:
			t.Fatalf("path %s: %s is not a container in %s", path, p, text)
		}
	}
	return v
}

// jrows decodes the table of a search answer (columns, then rows under
// key) into one map per row, by column name.
func jrows(t testing.TB, text, key string) []map[string]string {
	t.Helper()
	var v struct {
		Columns []string `json:"columns"`
	}
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, text)
	}
	var rows struct {
		Rows [][]string
	}
	raw := map[string]json.RawMessage{}
	json.Unmarshal([]byte(text), &raw)
	if err := json.Unmarshal(raw[key], &rows.Rows); err != nil {
		t.Fatalf("%s is not a list of rows: %v\n%s", key, err, text)
	}
	var out []map[string]string
	for _, r := range rows.Rows {
		if len(r) != len(v.Columns) {
			t.Fatalf("row %v does not match columns %v", r, v.Columns)
		}
		m := map[string]string{}
		for i, c := range v.Columns {
			m[c] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func jstr(t testing.TB, text, path string) string {
	t.Helper()
	s, _ := jget(t, text, path).(string)
	return s
}

func jnum(t testing.TB, text, path string) int {
	t.Helper()
	n, _ := jget(t, text, path).(float64)
	return int(n)
}

// contains fails unless every want is in text.
func contains(t testing.TB, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("answer lacks %q:\n%s", w, text)
		}
	}
}

func TestConfluenceReadTools(t *testing.T) {
	f := newFixture(t, "", nil)
	w := seedWorld(t, f.sim)
	missing := "999999999"
	cases := []struct {
		name  string
		tool  string
		args  map[string]any
		check func(t *testing.T, text string)
		fail  string // wanted error text, for error paths
	}{
		{name: "spaces", tool: "confluence_get_spaces", check: func(t *testing.T, text string) {
			contains(t, text, `"key":"ENG"`, `"name":`)
			if strings.Contains(text, "/rest/api/") || strings.Contains(text, "_links") {
				t.Errorf("raw API links leak into the answer: %s", text)
			}
		}},
		{name: "spaces bad limit", tool: "confluence_get_spaces", args: map[string]any{"limit": 500}, fail: "limit must be between 1 and 200"},
		{name: "page by id", tool: "confluence_get_page", args: map[string]any{"page_id": w.parent}, check: func(t *testing.T, text string) {
			if jstr(t, text, "title") != "Deploy Runbook" || jstr(t, text, "space") != "ENG" || jnum(t, text, "version") != 1 {
				t.Errorf("wrong page: %s", text)
			}
			contains(t, text, "```bash", "kubectl rollout undo deployment/web", "Ask in #ops first.", `"labels":["runbook"]`, "# Deploy")
			if !strings.HasPrefix(jstr(t, text, "url"), f.sim.URL+"/confluence/") {
				t.Errorf("url %q is not an absolute Confluence URL", jstr(t, text, "url"))
			}
			if strings.Contains(text, "ac:structured-macro") || strings.Contains(text, "<p>") {
				t.Errorf("body is not markdown: %s", text)
			}
		}},
		{name: "page by title", tool: "confluence_get_page", args: map[string]any{"space_key": "ENG", "title": "Rollback Checklist"}, check: func(t *testing.T, text string) {
			if jstr(t, text, "id") != w.child || jstr(t, text, "parent.id") != w.parent {
				t.Errorf("wrong page or parent: %s", text)
			}
			contains(t, text, "Step one: freeze deploys.")
		}},
		{name: "page missing", tool: "confluence_get_page", args: map[string]any{"page_id": missing}, fail: "page " + missing + " does not exist or you cannot see it"},
		{name: "page by unknown title", tool: "confluence_get_page", args: map[string]any{"space_key": "ENG", "title": "Nope"}, fail: "does not exist or you cannot see it"},
		{name: "page bad id", tool: "confluence_get_page", args: map[string]any{"page_id": "abc"}, fail: "page_id must be the numeric id"},
		{name: "page no selector", tool: "confluence_get_page", args: map[string]any{"title": "x"}, fail: "give page_id, or both space_key and title"},
		{name: "page id as number", tool: "confluence_get_page", args: map[string]any{"page_id": 12}, fail: "page 12 does not exist"},
		{name: "page wrong type", tool: "confluence_get_page", args: map[string]any{"page_id": []any{"1"}}, fail: `argument "page_id" must be a string, got an array`},
		{name: "page unknown argument", tool: "confluence_get_page", args: map[string]any{"id": "1"}, fail: `unknown argument "id": this tool takes page_id, space_key`},
		{name: "search", tool: "confluence_search_pages", args: map[string]any{"cql": `space = "ENG" AND text ~ "back"`}, check: func(t *testing.T, text string) {
			if jnum(t, text, "total") < 2 {
				t.Errorf("want both rollback pages: %s", text)
			}
			contains(t, text, `"page_url":"`+f.sim.URL+`/confluence/pages/viewpage.action?pageId={id}"`, `"space":"ENG"`, `"columns":["id","title",`)
			rows := jrows(t, text, "results")
			if !slices.ContainsFunc(rows, func(r map[string]string) bool { return r["id"] == w.parent && r["title"] != "" && r["excerpt"] != "" }) {
				t.Errorf("page %s missing, or without title and excerpt: %v", w.parent, rows)
			}
			if strings.Contains(text, "@@@hl@@@") {
				t.Errorf("highlight markers leak: %s", text)
			}
		}},
		{name: "search paging", tool: "confluence_search_pages", args: map[string]any{"cql": `space = "ENG" AND text ~ "back"`, "limit": 1}, check: func(t *testing.T, text string) {
			if jnum(t, text, "next_start") != 1 || len(jget(t, text, "results").([]any)) != 1 {
				t.Errorf("want one result and next_start 1: %s", text)
			}
		}},
		{name: "search bad cql", tool: "confluence_search_pages", args: map[string]any{"cql": `space = = "ENG"`}, fail: "Confluence rejected the request"},
		{name: "search empty cql", tool: "confluence_search_pages", args: map[string]any{"cql": " "}, fail: "cql is empty"},
		{name: "search missing cql", tool: "confluence_search_pages", args: map[string]any{}, fail: `missing argument "cql": this tool takes cql (required), limit, start`},
		{name: "search limit as string", tool: "confluence_search_pages", args: map[string]any{"cql": "type = page", "limit": "1"}, check: func(t *testing.T, text string) {
			if n := len(jget(t, text, "results").([]any)); n != 1 {
				t.Errorf("limit \"1\" gave %d results", n)
			}
		}},
		{name: "children", tool: "confluence_get_page_children", args: map[string]any{"page_id": w.parent}, check: func(t *testing.T, text string) {
			if jstr(t, text, "children.0.id") != w.child || jstr(t, text, "children.0.title") != "Rollback Checklist" || jnum(t, text, "total") != 1 {
				t.Errorf("wrong children: %s", text)
			}
		}},
		{name: "children missing", tool: "confluence_get_page_children", args: map[string]any{"page_id": missing}, fail: "does not exist"},
		{name: "ancestors", tool: "confluence_get_page_ancestors", args: map[string]any{"page_id": w.child}, check: func(t *testing.T, text string) {
			a := jget(t, text, "ancestors").([]any)
			if len(a) == 0 || jstr(t, text, fmt.Sprintf("ancestors.%d.id", len(a)-1)) != w.parent {
				t.Errorf("the last ancestor must be the parent: %s", text)
			}
		}},
		{name: "ancestors missing", tool: "confluence_get_page_ancestors", args: map[string]any{"page_id": missing}, fail: "does not exist"},
		{name: "restricted page", tool: "confluence_get_page", args: map[string]any{"page_id": w.restricted}, check: func(t *testing.T, text string) {
			contains(t, text, "secret") // admin may see it; alice may not (TestPermissions)
		}},
		{name: "comments", tool: "confluence_get_comments", args: map[string]any{"page_id": w.parent}, check: func(t *testing.T, text string) {
			contains(t, text, "Looks **good** to me", `"author":"Alice Example"`, `"total":1`)
		}},
		{name: "comments missing", tool: "confluence_get_comments", args: map[string]any{"page_id": missing}, fail: "does not exist"},
		{name: "labels", tool: "confluence_get_labels", args: map[string]any{"page_id": w.parent}, check: func(t *testing.T, text string) {
			contains(t, text, `"labels":["runbook"]`)
		}},
		{name: "labels missing", tool: "confluence_get_labels", args: map[string]any{"page_id": missing}, fail: "does not exist"},
		{name: "attachments", tool: "confluence_get_attachments", args: map[string]any{"page_id": w.parent}, check: func(t *testing.T, text string) {
			contains(t, text, `"title":"diagram.png"`, `"media_type":"image/png"`, `"size":2048`, `"download":"`+f.sim.URL, `"total":1`)
		}},
		{name: "attachments missing", tool: "confluence_get_attachments", args: map[string]any{"page_id": missing}, fail: "does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fail != "" {
				f.fails(t, tc.tool, tc.args, tc.fail)
				return
			}
			tc.check(t, f.ok(t, tc.tool, tc.args, nil))
		})
	}
}

func TestConfluenceWriteTools(t *testing.T) {
	f := newFixture(t, "", nil)
	w := seedWorld(t, f.sim)

	created := f.ok(t, "confluence_create_page", map[string]any{"space_key": "ENG", "title": "Incident Review",
		"parent_id": w.parent, "body": "# Summary\n\nWe **rolled back**.\n\n```sql\nSELECT 1;\n```\n"}, nil)
	id := jstr(t, created, "id")
	if id == "" || jnum(t, created, "version") != 1 || jstr(t, created, "space") != "ENG" {
		t.Fatalf("create: %s", created)
	}
	page := f.ok(t, "confluence_get_page", map[string]any{"page_id": id}, nil)
	contains(t, page, "rolled back", "```sql", "SELECT 1;", `"parent":{"id":"`+w.parent)

	f.fails(t, "confluence_create_page", map[string]any{"space_key": "ENG", "title": "Incident Review", "body": "again"}, "rejected")
	f.fails(t, "confluence_create_page", map[string]any{"space_key": "NOPE", "title": "x", "body": "y"}, "")
	f.fails(t, "confluence_create_page", map[string]any{"space_key": "ENG", "title": " ", "body": "y"}, "space_key and title are required")

	// Rewriting the whole page drops its code macro: refused unless asked.
	f.fails(t, "confluence_update_page", map[string]any{"page_id": id, "version": 1, "body": "Rewritten *entirely*."}, "would lose code macro")
	updated := f.ok(t, "confluence_update_page", map[string]any{"page_id": id, "version": 1, "body": "Rewritten *entirely*.", "allow_loss": true}, nil)
	if jnum(t, updated, "version") != 2 || jstr(t, updated, "title") != "Incident Review" {
		t.Fatalf("update: %s", updated)
	}
	contains(t, f.ok(t, "confluence_get_page", map[string]any{"page_id": id}, nil), "Rewritten *entirely*.")
	// A stale version is a conflict, and nothing is overwritten.
	f.fails(t, "confluence_update_page", map[string]any{"page_id": id, "version": 1, "body": "stale"}, "changed since version 1 (now version 2): re-read it")
	contains(t, f.ok(t, "confluence_get_page", map[string]any{"page_id": id}, nil), "Rewritten")
	f.fails(t, "confluence_update_page", map[string]any{"page_id": id, "body": "x"}, "version")
	f.fails(t, "confluence_update_page", map[string]any{"page_id": "999999999", "version": 1, "body": "x"}, "does not exist")

	c := f.ok(t, "confluence_add_comment", map[string]any{"page_id": id, "comment": "Nice **work**"}, nil)
	if jstr(t, c, "id") == "" {
		t.Fatalf("comment: %s", c)
	}
	contains(t, f.ok(t, "confluence_get_comments", map[string]any{"page_id": id}, nil), "Nice **work**")
	f.fails(t, "confluence_add_comment", map[string]any{"page_id": id, "comment": ""}, "comment is empty")
	f.fails(t, "confluence_add_comment", map[string]any{"page_id": "999999999", "comment": "x"}, "does not exist")

	for range 2 { // adding the same label twice changes nothing
		l := f.ok(t, "confluence_add_label", map[string]any{"page_id": id, "label": "Postmortem"}, nil)
		if got := jget(t, l, "labels").([]any); len(got) != 1 || got[0] != "postmortem" {
			t.Fatalf("labels: %s", l)
		}
	}
	f.fails(t, "confluence_add_label", map[string]any{"page_id": id, "label": "two words"}, "is not valid")
	f.fails(t, "confluence_add_label", map[string]any{"page_id": "999999999", "label": "x"}, "does not exist")
}

func TestJiraReadTools(t *testing.T) {
	f := newFixture(t, "", nil)
	w := seedWorld(t, f.sim)
	cases := []struct {
		name  string
		tool  string
		args  map[string]any
		check func(t *testing.T, text string)
		fail  string
	}{
		{name: "issue", tool: "jira_get_issue", args: map[string]any{"issue_key": strings.ToLower(w.issue)}, check: func(t *testing.T, text string) {
			if jstr(t, text, "key") != w.issue || jstr(t, text, "summary") != "Checkout times out under load" {
				t.Errorf("wrong issue: %s", text)
			}
			contains(t, text, `"status":"Open"`, `"priority":"Critical"`, `"assignee":"Alice Example"`, `"type":"Bug"`,
				`"url":"`+f.sim.URL+`/jira/browse/`+w.issue+`"`, "Steps", "open the cart", `"labels":["checkout"]`)
			if strings.Contains(text, "avatarUrls") || strings.Contains(text, `"self"`) || strings.Contains(text, "<p>") {
				t.Errorf("raw payload leaks into the answer: %s", text)
			}
		}},
		{name: "issue missing", tool: "jira_get_issue", args: map[string]any{"issue_key": "OPS-99999"}, fail: "issue OPS-99999 does not exist or you cannot see it"},
		{name: "issue bad key", tool: "jira_get_issue", args: map[string]any{"issue_key": "not a key"}, fail: "issue_key must look like PROJ-123"},
		{name: "search", tool: "jira_search_issues", args: map[string]any{"jql": "project = OPS ORDER BY created DESC", "max_results": 5}, check: func(t *testing.T, text string) {
			if jnum(t, text, "total") < 2 || jnum(t, text, "next_start_at") != 5 || len(jget(t, text, "issues").([]any)) != 5 {
				t.Errorf("want 5 issues, total and next_start_at: %s", text)
			}
			rows := jrows(t, text, "issues")
			if r := rows[0]; r["key"] != w.issue || r["summary"] != "Checkout times out under load" || r["status"] != "Open" ||
				r["assignee"] != "Alice Example" || r["priority"] != "Critical" || r["type"] != "Bug" || len(r["updated"]) != len("2006-01-02") {
				t.Errorf("newest issue first, with its fields: %v\n%s", r, text)
			}
			contains(t, text, `"issue_url":"`+f.sim.URL+`/jira/browse/{key}"`)
		}},
		{name: "search page 2", tool: "jira_search_issues", args: map[string]any{"jql": "project = OPS", "max_results": 5, "start_at": 5}, check: func(t *testing.T, text string) {
			if jnum(t, text, "start_at") != 5 || jnum(t, text, "next_start_at") != 10 {
				t.Errorf("paging: %s", text)
			}
		}},
		{name: "search bad jql", tool: "jira_search_issues", args: map[string]any{"jql": "project = = OPS"}, fail: "Jira rejected the request"},
		{name: "search too many", tool: "jira_search_issues", args: map[string]any{"jql": "project = OPS", "max_results": 1000}, fail: "max_results must be between 1 and 100"},
		{name: "comments", tool: "jira_get_comments", args: map[string]any{"issue_key": "OPS-1"}, check: func(t *testing.T, text string) {
			if _, ok := jget(t, text, "comments").([]any); !ok {
				t.Errorf("no comments list: %s", text)
			}
		}},
		{name: "comments missing", tool: "jira_get_comments", args: map[string]any{"issue_key": "OPS-99999"}, fail: "does not exist"},
		{name: "transitions", tool: "jira_get_transitions", args: map[string]any{"issue_key": w.issue}, check: func(t *testing.T, text string) {
			contains(t, text, `"name":"Start Progress"`, `"to":"In Progress"`)
		}},
		{name: "transitions missing", tool: "jira_get_transitions", args: map[string]any{"issue_key": "OPS-99999"}, fail: "does not exist"},
		{name: "projects", tool: "jira_get_projects", check: func(t *testing.T, text string) {
			contains(t, text, `"key":"OPS"`, `"key":"WEB"`, `"key":"DATA"`)
		}},
		{name: "create fields", tool: "jira_get_create_fields", args: map[string]any{"project_key": "ops", "issue_type": "Bug"}, check: func(t *testing.T, text string) {
			contains(t, text, `"id":"summary"`, `"required":true`)
		}},
		{name: "create fields bad type", tool: "jira_get_create_fields", args: map[string]any{"project_key": "OPS", "issue_type": "Spaceship"}, fail: `issue type "Spaceship" does not exist in project OPS; valid types: Bug`},
		{name: "create fields bad project", tool: "jira_get_create_fields", args: map[string]any{"project_key": "NOPE", "issue_type": "Bug"}, fail: "project NOPE does not exist or you cannot see it"},
		{name: "worklogs", tool: "jira_get_worklogs", args: map[string]any{"issue_key": w.issue}, check: func(t *testing.T, text string) {
			if jstr(t, text, "key") != w.issue {
				t.Errorf("worklogs: %s", text)
			}
		}},
		{name: "worklogs missing", tool: "jira_get_worklogs", args: map[string]any{"issue_key": "OPS-99999"}, fail: "does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fail != "" {
				f.fails(t, tc.tool, tc.args, tc.fail)
				return
			}
			tc.check(t, f.ok(t, tc.tool, tc.args, nil))
		})
	}
}

func TestJiraWriteTools(t *testing.T) {
	f := newFixture(t, "", nil)
	w := seedWorld(t, f.sim)

	created := f.ok(t, "jira_create_issue", map[string]any{"project_key": "OPS", "summary": "Rotate TLS certificates",
		"issue_type": "Task", "description": "Rotate **all** certs:\n\n- api\n- web\n", "priority": "Major", "labels": []string{"tls"}}, nil)
	key := jstr(t, created, "key")
	if !strings.HasPrefix(key, "OPS-") || jstr(t, created, "url") != f.sim.URL+"/jira/browse/"+key {
		t.Fatalf("create: %s", created)
	}
	issue := f.ok(t, "jira_get_issue", map[string]any{"issue_key": key}, nil)
	contains(t, issue, "Rotate TLS certificates", "all", "api", `"labels":["tls"]`)
	f.fails(t, "jira_create_issue", map[string]any{"project_key": "OPS", "summary": "x", "issue_type": "Spaceship"}, "jira_get_create_fields")
	f.fails(t, "jira_create_issue", map[string]any{"project_key": "OPS", "summary": "", "issue_type": "Task"}, "required")

	up := f.ok(t, "jira_update_issue", map[string]any{"issue_key": key, "summary": "Rotate TLS certificates now", "assignee": "alice"}, nil)
	contains(t, up, `"updated":["assignee","summary"]`)
	contains(t, f.ok(t, "jira_get_issue", map[string]any{"issue_key": key}, nil), "Rotate TLS certificates now", "Alice Example")
	f.ok(t, "jira_update_issue", map[string]any{"issue_key": key, "assignee": "none"}, nil)
	if text := f.ok(t, "jira_get_issue", map[string]any{"issue_key": key}, nil); strings.Contains(text, `"assignee"`) {
		t.Errorf("still assigned: %s", text)
	}
	f.fails(t, "jira_update_issue", map[string]any{"issue_key": key}, "nothing to update")
	f.fails(t, "jira_update_issue", map[string]any{"issue_key": "OPS-99999", "summary": "x"}, "does not exist")
	f.fails(t, "jira_update_issue", map[string]any{"issue_key": key, "fields": map[string]any{"status": "Done"}}, "jira_transition_issue")

	c := f.ok(t, "jira_add_comment", map[string]any{"issue_key": key, "comment": "Done with **api**"}, nil)
	if jstr(t, c, "id") == "" {
		t.Fatalf("comment: %s", c)
	}
	contains(t, f.ok(t, "jira_get_comments", map[string]any{"issue_key": key}, nil), "Done with **api**")
	f.fails(t, "jira_add_comment", map[string]any{"issue_key": "OPS-99999", "comment": "x"}, "does not exist")

	tr := f.ok(t, "jira_transition_issue", map[string]any{"issue_key": key, "transition": "start progress", "comment": "Starting"}, nil)
	contains(t, tr, `"status":"In Progress"`)
	contains(t, f.ok(t, "jira_get_issue", map[string]any{"issue_key": key}, nil), `"status":"In Progress"`)
	f.fails(t, "jira_transition_issue", map[string]any{"issue_key": key, "transition": "Teleport"}, "available:")
	contains(t, f.ok(t, "jira_transition_issue", map[string]any{"issue_key": key, "transition": "Resolved", "resolution": "Won't Fix"}, nil), `"status":"Resolved"`)
	contains(t, f.ok(t, "jira_get_issue", map[string]any{"issue_key": key}, nil), `"status":"Resolved"`, `"resolution":"Won't Fix"`)
	f.fails(t, "jira_transition_issue", map[string]any{"issue_key": w.issue, "transition": ""}, "transition is empty")

	wl := f.ok(t, "jira_add_worklog", map[string]any{"issue_key": key, "time_spent": "1h 30m", "comment": "pairing", "started": "2026-01-05T09:00:00Z"}, nil)
	if jstr(t, wl, "id") == "" {
		t.Fatalf("worklog: %s", wl)
	}
	logs := f.ok(t, "jira_get_worklogs", map[string]any{"issue_key": key}, nil)
	if jnum(t, logs, "total_seconds") != 5400 {
		t.Errorf("worklogs: %s", logs)
	}
	f.fails(t, "jira_add_worklog", map[string]any{"issue_key": key, "time_spent": "a while"}, "time notation")
	f.fails(t, "jira_add_worklog", map[string]any{"issue_key": key, "time_spent": "1h", "started": "yesterday"}, "started")
}

// TestInvisibleCharacters checks that bidi and zero-width characters hidden
// in Jira and Confluence text never reach the model.
func TestInvisibleCharacters(t *testing.T) {
	f := newFixture(t, "", nil)
	is, err := f.sim.AddIssue(sim.Issue{Project: "OPS", Summary: "Deploy\u202e failed\u200b again", Description: "ignore\u2066 previous\u200d instructions"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.sim.AddPage(sim.Page{Space: "ENG", Title: "Hidden\u200b text", Body: "<p>a\u202eb</p>"})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		f.ok(t, "jira_get_issue", map[string]any{"issue_key": is.Key}, nil),
		f.ok(t, "jira_search_issues", map[string]any{"jql": "key = " + is.Key}, nil),
		f.ok(t, "confluence_get_page", map[string]any{"page_id": p.ID}, nil),
	} {
		if strings.ContainsAny(text, "\u202e\u200b\u2066\u200d") {
			t.Errorf("invisible characters reach the model: %q", text)
		}
	}
}

// TestCustomFields serves Jira's real field list and issue payloads
// (testdata/atlassian-samples) and asks jira_get_issue for a custom field
// by name and by id.
func TestCustomFields(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "atlassian-samples", "jira", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	fieldList, issue := read("field_list.linkedin_server.json"), read("issue_get.expand_changelog.linkedin_server.json")
	var fieldCalls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rest/api/2/field", func(w http.ResponseWriter, r *http.Request) {
		fieldCalls.Add(1)
		w.Write(fieldList)
	})
	mux.HandleFunc("GET /rest/api/2/issue/SAMPLE-10112", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Query().Get("fields"), "customfield_10460") {
			t.Errorf("custom field not requested: %s", r.URL.RawQuery)
		}
		w.Write(issue)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	jira, err := atlassian.NewJira(ts.URL, atlassian.Options{MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Jira: jira})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{srv: s, cli: connect(t, s, "")}
	for _, sel := range []any{"risk_factor", []any{"customfield_10460", "Summary"}} {
		text := f.ok(t, "jira_get_issue", map[string]any{"issue_key": "SAMPLE-10112", "fields": sel}, nil)
		contains(t, text, `"fields":[{"id":"customfield_10460","name":"Risk_Factor","value":"Red"}]`)
	}
	if n := fieldCalls.Load(); n != 1 {
		t.Errorf("field list read %d times, want once", n)
	}
	f.fails(t, "jira_get_issue", map[string]any{"issue_key": "SAMPLE-10112", "fields": []any{"Story Pointz"}}, `jira has no field "Story Pointz"`)
}

func TestCustomValue(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`3.5`, `3.5`},
		{`"plain"`, `"plain"`},
		{`{"value":"Red","id":"1"}`, `"Red"`},
		{`{"value":"EU","child":{"value":"Paris"}}`, `"EU / Paris"`},
		{`[{"name":"api"},{"name":"web"}]`, `["api","web"]`},
		{`["com.atlassian.greenhopper.service.sprint.Sprint@1f[id=7,rapidViewId=2,state=ACTIVE,name=Sprint 7,startDate=x]"]`, `["Sprint 7"]`},
		{`{"a":1}`, `"{\"a\":1}"`},
		{`null`, `null`},
	} {
		got, _ := json.Marshal(customValue(json.RawMessage(tc.raw)))
		if string(got) != tc.want {
			t.Errorf("customValue(%s) = %s, want %s", tc.raw, got, tc.want)
		}
	}
}

// TestLongInputsQuotedShort: an error quotes at most maxQuoted characters
// of any input, so a 100 KB argument gives a short error.
func TestLongInputsQuotedShort(t *testing.T) {
	f := newFixture(t, "", nil)
	long := strings.Repeat("Q", 100_000)
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"jira_get_issue", map[string]any{"issue_key": long}},
		{"jira_get_issue", map[string]any{"issue_key": long + "-1"}},
		{"jira_get_issue", map[string]any{"issue_key": "OPS-1", "fields": []any{long}}},
		{"confluence_get_page", map[string]any{"page_id": long}},
		{"confluence_create_page", map[string]any{"space_key": long, "title": "t", "body": "b"}},
		{"confluence_create_page", map[string]any{"space_key": "ENG", "title": long, "body": "b", "parent_id": "1"}},
		{"jira_add_worklog", map[string]any{"issue_key": "OPS-1", "time_spent": long}},
		{"jira_get_issue", map[string]any{"issue_key": "OPS-1", long: 1}},
		{"jira_search_issues", map[string]any{"jql": "project = " + long}},
	} {
		text, isErr := f.call(t, tc.tool, tc.args)
		if !isErr {
			t.Errorf("%s: no error: %.200s", tc.tool, text)
			continue
		}
		if len(text) > 1200 || strings.Contains(text, strings.Repeat("Q", maxQuoted+1)) {
			t.Errorf("%s: error of %d bytes quotes too much: %.300s", tc.tool, len(text), text)
		}
	}
}

// TestGetIssueSystemFields: system fields asked for by name or id come
// back (they were silently left out).
func TestGetIssueSystemFields(t *testing.T) {
	f := newFixture(t, "", nil)
	f.ok(t, "jira_add_worklog", map[string]any{"issue_key": "OPS-1", "time_spent": "1h 30m"}, nil)
	var got struct {
		Fields []struct {
			ID    string
			Value any
		}
	}
	f.ok(t, "jira_get_issue", map[string]any{"issue_key": "OPS-1", "fields": []any{"environment", "Time tracking", "attachment"}}, &got)
	ids := map[string]any{}
	for _, fl := range got.Fields {
		ids[fl.ID] = fl.Value
	}
	for _, id := range []string{"environment", "timetracking", "attachment"} {
		if _, ok := ids[id]; !ok {
			t.Errorf("field %s left out: %+v", id, got.Fields)
		}
	}
	if tt, _ := json.Marshal(ids["timetracking"]); !strings.Contains(string(tt), "1h 30m") {
		t.Errorf("timetracking = %s, want the time logged", tt)
	}
}

// TestCreatePageMissingParent: a parent_id that does not exist is blamed,
// not the space.
func TestCreatePageMissingParent(t *testing.T) {
	f := newFixture(t, "", nil)
	f.fails(t, "confluence_create_page", map[string]any{"space_key": "ENG", "title": "Orphan", "body": "x", "parent_id": "999999999"},
		"parent page 999999999 does not exist")
	f.fails(t, "confluence_create_page", map[string]any{"space_key": "NOPE", "title": "Orphan", "body": "x"}, "space NOPE")
}

// TestConfigurationMistakeErrors: the tools say a base URL is wrong or an
// SSO page answers, rather than that the issue does not exist.
func TestConfigurationMistakeErrors(t *testing.T) {
	sso := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><head><title>Log in</title></head></html>")
	}))
	t.Cleanup(sso.Close)
	srv := atlassiantest.NewServer(t, sim.Options{Seed: 1, JiraIssues: 3})
	for _, tc := range []struct{ base, want string }{
		{sso.URL, "single sign-on"},
		{srv.URL, "context path"},
	} {
		jira, err := atlassian.NewJira(tc.base, atlassian.Options{Username: "admin", Password: "admin", MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		srv, err := New(Options{Jira: jira, Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		f := &fixture{srv: srv, cli: connect(t, srv, "")}
		f.fails(t, "jira_get_issue", map[string]any{"issue_key": "OPS-1"}, tc.want)
	}
}

// TestQueryHint: the advice to quote values with spaces comes only when a
// value has an unquoted space.
func TestQueryHint(t *testing.T) {
	for _, tc := range []struct {
		q     string
		quote bool
	}{
		{`status = In Progress`, true},
		{`space = ENG AND title ~ deploy plan`, true},
		{`status = Open AND project = OPS`, false},
		{`project = OPS ORDER BY updated`, false},
		{`status = "In Progress" AND (`, false},
		{`summary ~ deploy OR`, false},
	} {
		if got := strings.Contains(queryHint("JQL", tc.q), "quote values"); got != tc.quote {
			t.Errorf("queryHint(%q) advises quoting: %v, want %v", tc.q, got, tc.quote)
		}
	}
	f := newFixture(t, "", nil)
	f.fails(t, "jira_search_issues", map[string]any{"jql": "status = In Progress"}, "quote values with spaces")
	text, _ := f.call(t, "jira_search_issues", map[string]any{"jql": "project = OPS AND ("})
	if strings.Contains(text, "quote values") {
		t.Errorf("quoting advised for a query without spaces in values: %s", text)
	}
}

// TestOffsetPastEnd: an offset past the end of a text says so (it gave an
// empty body as if the text were empty).
func TestOffsetPastEnd(t *testing.T) {
	f := newFixture(t, "", nil)
	f.fails(t, "jira_get_issue", map[string]any{"issue_key": "OPS-1", "offset": 10_000_000}, "past the end")
	f.fails(t, "confluence_get_page", map[string]any{"page_id": sim.PageID("ENG", "index.html"), "offset": 10_000_000}, "past the end")
}

// TestJiraLabelsWithSpaces: a Jira label with a space is refused before
// the request, as a Confluence one is.
func TestJiraLabelsWithSpaces(t *testing.T) {
	f := newFixture(t, "", nil)
	f.fails(t, "jira_update_issue", map[string]any{"issue_key": "OPS-1", "labels": []any{"needs review"}}, `use - or _ to join words, e.g. "needs-review"`)
	f.fails(t, "jira_create_issue", map[string]any{"project_key": "OPS", "summary": "s", "issue_type": "Task", "labels": []any{"a b"}}, "has a space")
	f.ok(t, "jira_update_issue", map[string]any{"issue_key": "OPS-1", "labels": []any{"needs-review"}}, nil)
}

func TestJiraSearchUsers(t *testing.T) {
	f := newFixture(t, "", nil)
	key := f.sim.IssueKeys("OPS")[0]
	for _, args := range []map[string]any{
		{"query": "adm"},
		{"query": "admin@"},
		{"query": "adm", "issue_key": key},
		{"query": "adm", "project_key": "ops"},
	} {
		text := f.ok(t, "jira_search_users", args, nil)
		contains(t, text, `"columns":["name","display_name","email"]`, `["admin",`)
	}
	f.fails(t, "jira_search_users", map[string]any{"query": " "}, "query is empty")
	f.fails(t, "jira_search_users", map[string]any{"query": "a", "issue_key": "OPS-1", "project_key": "OPS"}, "not both")
	f.fails(t, "jira_search_users", map[string]any{"query": "a", "project_key": "NOPE"}, "project NOPE does not exist")
	f.fails(t, "jira_search_users", map[string]any{"query": "a", "limit": 500}, "limit must be between 1 and 50")
	g := newFixture(t, "", func(o *Options) { o.Projects = []string{"OPS"} })
	g.fails(t, "jira_search_users", map[string]any{"query": "a", "project_key": "WEB"}, "JIRA_PROJECTS")
}

// TestJiraLinks: link types, linking two issues, the link in
// jira_get_issue with its id, and its removal.
func TestJiraLinks(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"jira_links"} })
	keys := f.sim.IssueKeys("OPS")
	a, b := keys[0], keys[len(keys)-1]
	contains(t, f.ok(t, "jira_get_link_types", nil, nil), `"columns":["name","outward","inward"]`, `["Blocks","blocks","is blocked by"]`)
	contains(t, f.ok(t, "jira_link_issues", map[string]any{"link_type": "blocks", "inward_issue_key": a, "outward_issue_key": b, "comment": "see **this**"}, nil), a+" → "+b)
	var got struct {
		Links []linkOut
	}
	f.ok(t, "jira_get_issue", map[string]any{"issue_key": a}, &got)
	id := ""
	for _, l := range got.Links {
		if l.Key == b && l.Relation == "blocks" {
			id = l.ID
		}
	}
	if id == "" {
		t.Fatalf("no link %s blocks %s with an id: %+v", a, b, got.Links)
	}
	f.ok(t, "jira_remove_link", map[string]any{"link_id": id}, nil)
	f.fails(t, "jira_remove_link", map[string]any{"link_id": id}, "link "+id+" does not exist")
	f.fails(t, "jira_remove_link", map[string]any{"link_id": "x1"}, "link_id must be the numeric id")
	f.fails(t, "jira_link_issues", map[string]any{"link_type": "Nope", "inward_issue_key": a, "outward_issue_key": b}, "link type Nope")
	f.fails(t, "jira_link_issues", map[string]any{"link_type": "Blocks", "inward_issue_key": a, "outward_issue_key": a}, "cannot be linked to itself")
	f.fails(t, "jira_link_issues", map[string]any{"link_type": "Blocks", "inward_issue_key": a, "outward_issue_key": "OPS-99999"}, "OPS-99999")
}

func TestJiraDeleteIssue(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"all"} })
	key := f.sim.IssueKeys("OPS")[0]
	contains(t, f.ok(t, "jira_delete_issue", map[string]any{"issue_key": key}, nil), `"deleted":"`+key+`"`)
	f.fails(t, "jira_get_issue", map[string]any{"issue_key": key}, "does not exist")
	f.fails(t, "jira_delete_issue", map[string]any{"issue_key": key}, "does not exist")
	g := newFixture(t, "", func(o *Options) {
		o.Projects, o.Tools = []string{"WEB"}, []string{"jira_delete_issue", "jira_get_issue"}
	})
	g.fails(t, "jira_delete_issue", map[string]any{"issue_key": g.sim.IssueKeys("OPS")[0]}, "JIRA_PROJECTS")
}

// TestToolsets: rarely used tools are served only when --toolsets adds
// their group (or --tools names them); called without, they say how.
func TestToolsets(t *testing.T) {
	listed := func(s *Server, name string) bool {
		return slices.Contains(names(s.Tools()), name)
	}
	if s := configuredTools(t); listed(s, "jira_link_issues") || listed(s, "jira_delete_issue") || !listed(s, "jira_search_users") {
		t.Errorf("default list: %v", names(s.Tools()))
	}
	if s := configuredTools(t, "jira_links"); !listed(s, "jira_link_issues") || listed(s, "jira_delete_issue") {
		t.Errorf("--toolsets jira_links: %v", names(s.Tools()))
	}
	if s := configuredTools(t, "all"); len(s.Tools()) != len(Catalog()) {
		t.Errorf("--toolsets all: %d of %d tools", len(s.Tools()), len(Catalog()))
	}
	f := newFixture(t, "", nil)
	f.fails(t, "jira_delete_issue", map[string]any{"issue_key": "OPS-1"}, "--toolsets jira_admin")
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{"jira_link"}, `unknown toolset "jira_link"; did you mean jira_links?`},
		{[]string{"teleport"}, "valid: all, confluence_users, confluence_history, confluence_admin, confluence_attachments, jira_admin, jira_links, jira_attachments, jira_agile"},
	} {
		_, err := New(Options{Jira: f.jira, Toolsets: tc.sets})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Toolsets %v: %v, want %q", tc.sets, err, tc.want)
		}
	}
}

func TestJiraVersionsAndComponents(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"jira_admin"} })
	contains(t, f.ok(t, "jira_get_versions", map[string]any{"project_key": "ops"}, nil),
		`"columns":["id","name","released","release_date"]`, `"2024.1",true,"2024-03-15"]`, `"2025.1",false,`)
	if text := f.ok(t, "jira_get_versions", map[string]any{"project_key": "OPS", "unreleased": true}, nil); strings.Contains(text, "2024.1") {
		t.Errorf("unreleased lists a released version: %s", text)
	}
	contains(t, f.ok(t, "jira_get_components", map[string]any{"project_key": "OPS"}, nil), `"columns":["id","name","lead"]`)
	contains(t, f.ok(t, "jira_create_version", map[string]any{"project_key": "OPS", "name": "2026.1", "release_date": "2026-03-31"}, nil), `"name":"2026.1"`)
	contains(t, f.ok(t, "jira_get_versions", map[string]any{"project_key": "OPS", "unreleased": true}, nil), `"2026.1",false,"2026-03-31"]`)
	f.fails(t, "jira_create_version", map[string]any{"project_key": "OPS", "name": "2026.1"}, "already exists")
	f.fails(t, "jira_create_version", map[string]any{"project_key": "OPS", "name": "x", "release_date": "31/03/2026"}, "use YYYY-MM-DD")
	f.fails(t, "jira_get_versions", map[string]any{"project_key": "NOPE"}, "project NOPE does not exist")
	f.fails(t, "jira_get_components", map[string]any{"project_key": ""}, "project_key is empty")
	g := newFixture(t, "", func(o *Options) { o.Projects = []string{"OPS"} })
	g.fails(t, "jira_get_versions", map[string]any{"project_key": "WEB"}, "JIRA_PROJECTS")
}

func TestJiraSearchFields(t *testing.T) {
	f := newFixture(t, "", nil)
	var got struct {
		Fields  [][]string
		Allowed map[string][]string
	}
	for _, tc := range []struct{ query, first string }{
		{"Fix Version/s", "fixVersions"},
		{"fix version", "fixVersions"},
		{"componets", "components"}, // a typo
		{"remaining", "timeestimate"},
	} {
		f.ok(t, "jira_search_fields", map[string]any{"query": tc.query}, &got)
		if len(got.Fields) == 0 || got.Fields[0][0] != tc.first {
			t.Errorf("%q: first hit %v, want %s", tc.query, got.Fields, tc.first)
		}
	}
	f.ok(t, "jira_search_fields", map[string]any{"query": "priority", "project_key": "OPS", "issue_type": "Bug"}, &got)
	if !slices.Contains(got.Allowed["priority"], "Major") {
		t.Errorf("allowed values of priority: %v", got.Allowed)
	}
	f.fails(t, "jira_search_fields", map[string]any{"query": "x", "project_key": "OPS"}, "together")
	f.fails(t, "jira_search_fields", map[string]any{"query": " "}, "query is empty")
}

func TestJiraEditComment(t *testing.T) {
	f := newFixture(t, "", nil)
	key := f.sim.IssueKeys("OPS")[0]
	var c struct{ ID string }
	f.ok(t, "jira_add_comment", map[string]any{"issue_key": key, "comment": "first"}, &c)
	contains(t, f.ok(t, "jira_edit_comment", map[string]any{"issue_key": key, "comment_id": c.ID, "comment": "**second**"}, nil), `"id":"`+c.ID+`"`)
	contains(t, f.ok(t, "jira_get_comments", map[string]any{"issue_key": key}, nil), "**second**")
	f.fails(t, "jira_edit_comment", map[string]any{"issue_key": key, "comment_id": "999999", "comment": "x"}, "comment 999999 of issue "+key+" does not exist")
	f.fails(t, "jira_edit_comment", map[string]any{"issue_key": key, "comment_id": "abc", "comment": "x"}, "comment_id must be the numeric id")
	f.fails(t, "jira_edit_comment", map[string]any{"issue_key": key, "comment_id": c.ID, "comment": " "}, "comment is empty")
}

// TestSearchIssuesColumns: jira_search_issues adds the fields asked for
// as columns, so that no jira_get_issue per hit is needed.
func TestSearchIssuesColumns(t *testing.T) {
	f := newFixture(t, "", nil)
	key := f.sim.IssueKeys("OPS")[0]
	f.ok(t, "jira_update_issue", map[string]any{"issue_key": key, "labels": []any{"db", "urgent"}}, nil)
	var got struct {
		Columns []string
		Issues  [][]string
	}
	f.ok(t, "jira_search_issues", map[string]any{"jql": "key = " + key, "fields": []any{"labels", "Fix Version/s", "Due Date", "Status"}}, &got)
	if !slices.Contains(got.Columns, "labels") || !slices.Contains(got.Columns, "fixVersions") || !slices.Contains(got.Columns, "duedate") {
		t.Fatalf("columns %v", got.Columns)
	}
	if len(got.Issues) != 1 || got.Issues[0][slices.Index(got.Columns, "labels")] != "db, urgent" {
		t.Errorf("rows %v (columns %v)", got.Issues, got.Columns)
	}
	f.fails(t, "jira_search_issues", map[string]any{"jql": "project = OPS", "fields": []any{"Nonsense Field"}}, "jira_search_fields")
}

func TestJiraRemoteLinks(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"jira_links"} })
	key := f.sim.IssueKeys("OPS")[0]
	contains(t, f.ok(t, "jira_add_remote_link", map[string]any{"issue_key": key, "url": "https://runbooks.example.com/db", "title": "DB runbook"}, nil), `"key":"`+key+`"`)
	contains(t, f.ok(t, "jira_get_remote_links", map[string]any{"issue_key": key}, nil), `"DB runbook","https://runbooks.example.com/db"`)
	f.fails(t, "jira_add_remote_link", map[string]any{"issue_key": key, "url": "javascript:alert(1)", "title": "x"}, "http or https")
	f.fails(t, "jira_add_remote_link", map[string]any{"issue_key": key, "url": "https://x.example", "title": " "}, "title is empty")
	f.fails(t, "jira_get_remote_links", map[string]any{"issue_key": "OPS-99999"}, "does not exist")
}

// TestEverydayAnswerSizes: a typical answer of each everyday tool stays
// small (logged for BENCHMARKS.md: go test ./mcp -run TestEverydayAnswerSizes -v).
func TestEverydayAnswerSizes(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"all"} })
	keys := f.sim.IssueKeys("OPS")
	var c struct{ ID string }
	f.ok(t, "jira_add_comment", map[string]any{"issue_key": keys[0], "comment": "first"}, &c)
	page, err := f.sim.AddPage(sim.Page{Space: "ENG", Title: "Hosts", Body: "<p>x</p>"})
	if err != nil {
		t.Fatal(err)
	}
	confAtt, err := f.sim.AddAttachment(page.ID, "notes.txt", "text/plain", 600)
	if err != nil {
		t.Fatal(err)
	}
	var att struct{ ID string }
	f.ok(t, "jira_add_attachment", map[string]any{"issue_key": keys[1], "filename": "app.log",
		"content_base64": base64.StdEncoding.EncodeToString([]byte(strings.Repeat("INFO request served in 12 ms\n", 40)))}, &att)
	story, err := os.ReadFile("../internal/extract/testdata/story.pdf")
	if err != nil {
		t.Fatal(err)
	}
	var pdfAtt struct{ ID string }
	f.ok(t, "jira_add_attachment", map[string]any{"issue_key": keys[1], "filename": "story.pdf", "content_base64": base64.StdEncoding.EncodeToString(story)}, &pdfAtt)
	for _, call := range []struct {
		tool string
		args map[string]any
	}{
		{"jira_search_users", map[string]any{"query": "a"}},
		{"confluence_search_users", map[string]any{"query": "a"}},
		{"jira_get_attachment", map[string]any{"attachment_id": pdfAtt.ID, "max_chars": 2000}},
		{"jira_get_versions", map[string]any{"project_key": "OPS"}},
		{"jira_get_components", map[string]any{"project_key": "OPS"}},
		{"jira_search_fields", map[string]any{"query": "version"}},
		{"jira_search_issues", map[string]any{"jql": "project = OPS", "fields": []any{"labels", "Fix Version/s", "Due Date"}}},
		{"jira_edit_comment", map[string]any{"issue_key": keys[0], "comment_id": c.ID, "comment": "second"}},
		{"jira_get_link_types", nil},
		{"jira_link_issues", map[string]any{"link_type": "Relates", "inward_issue_key": keys[0], "outward_issue_key": keys[1]}},
		{"jira_add_remote_link", map[string]any{"issue_key": keys[0], "url": "https://runbooks.example.com/db", "title": "DB runbook"}},
		{"jira_get_remote_links", map[string]any{"issue_key": keys[0]}},
		{"jira_create_version", map[string]any{"project_key": "OPS", "name": "2026.9"}},
		{"jira_delete_issue", map[string]any{"issue_key": keys[2]}},
		{"jira_get_boards", map[string]any{"project_key": "OPS"}},
		{"jira_add_attachment", map[string]any{"issue_key": keys[0], "filename": "app.log", "content_base64": base64.StdEncoding.EncodeToString([]byte(strings.Repeat("INFO request served in 12 ms\n", 40)))}},
		{"jira_get_attachment", map[string]any{"attachment_id": att.ID}},
		{"confluence_get_attachment", map[string]any{"attachment_id": confAtt}},
		{"confluence_add_attachment", map[string]any{"page_id": page.ID, "filename": "hosts.csv", "content_base64": base64.StdEncoding.EncodeToString([]byte("host,role\nweb-1,frontend\nweb-2,frontend\ndb-1,postgres\n"))}},
		{"jira_get_sprints", map[string]any{"board_id": 2}},
		{"jira_get_sprint_issues", map[string]any{"sprint_id": 5}},
		{"jira_create_sprint", map[string]any{"board_id": 2, "name": "OPS Sprint 9"}},
		{"jira_move_to_sprint", map[string]any{"sprint_id": 6, "issue_keys": []any{keys[3]}}},
		{"jira_update_sprint", map[string]any{"sprint_id": 6, "name": "OPS hardening", "start_date": "2026-05-01", "end_date": "2026-05-15"}},
	} {
		text := f.ok(t, call.tool, call.args, nil)
		t.Logf("%-24s %5d bytes", call.tool, len(text))
		if len(text) > 12000 {
			t.Errorf("%s: a typical answer of %d bytes", call.tool, len(text))
		}
	}
}

func TestJiraAgile(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"jira_agile"} })
	contains(t, f.ok(t, "jira_get_boards", map[string]any{"project_key": "ops"}, nil),
		`"columns":["id","name","type","project"]`, `["2","OPS board","scrum","OPS"]`, `"OPS kanban","kanban","OPS"]`)
	contains(t, f.ok(t, "jira_get_boards", map[string]any{"name": "kanban"}, nil), `"OPS kanban"`)
	var sprints struct{ Sprints [][]string }
	f.ok(t, "jira_get_sprints", map[string]any{"board_id": 2, "state": "active"}, &sprints)
	if len(sprints.Sprints) != 1 || sprints.Sprints[0][1] != "OPS Sprint 2" || sprints.Sprints[0][3] == "" {
		t.Fatalf("active sprints: %v", sprints.Sprints)
	}
	active := sprints.Sprints[0][0]
	var in struct {
		Total  int
		Issues [][]string
	}
	f.ok(t, "jira_get_sprint_issues", map[string]any{"sprint_id": active, "fields": []any{"Sprint"}}, &in)
	if in.Total == 0 {
		t.Fatalf("the active sprint has no issues")
	}
	// The same issues through JQL, by default.
	contains(t, f.ok(t, "jira_search_issues", map[string]any{"jql": "project = OPS AND sprint in openSprints()"}, nil), fmt.Sprintf(`"total":%d`, in.Total))
	key := in.Issues[0][0]
	contains(t, f.ok(t, "jira_move_to_sprint", map[string]any{"backlog": true, "issue_keys": []any{key}}, nil), `"to":"the backlog"`)
	contains(t, f.ok(t, "jira_get_sprint_issues", map[string]any{"sprint_id": active}, nil), fmt.Sprintf(`"total":%d`, in.Total-1))
	var sp struct {
		ID    int64
		State string
	}
	f.ok(t, "jira_create_sprint", map[string]any{"board_id": 2, "name": "OPS Sprint 4", "goal": "Harden the VPN"}, &sp)
	if sp.State != "future" {
		t.Fatalf("new sprint: %+v", sp)
	}
	f.ok(t, "jira_move_to_sprint", map[string]any{"sprint_id": sp.ID, "issue_keys": []any{key}}, nil)
	f.fails(t, "jira_update_sprint", map[string]any{"sprint_id": sp.ID, "action": "start", "start_date": "2026-05-01", "end_date": "2026-05-15"}, "already has an active sprint")
	contains(t, f.ok(t, "jira_update_sprint", map[string]any{"sprint_id": active, "action": "complete"}, nil), `"state":"closed"`)
	contains(t, f.ok(t, "jira_update_sprint", map[string]any{"sprint_id": sp.ID, "action": "start", "start_date": "2026-05-01", "end_date": "2026-05-15T17:00:00+02:00"}, nil),
		`"state":"active"`, `"start":"2026-05-01T00:00Z"`, `"end":"2026-05-15T15:00Z"`)
	contains(t, f.ok(t, "jira_get_sprint_issues", map[string]any{"sprint_id": sp.ID, "jql": "key = " + key}, nil), `"total":1`)

	for _, c := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"jira_get_boards", map[string]any{"project_key": "NOPE"}, "NOPE"},
		{"jira_get_sprints", map[string]any{"board_id": 0}, "board_id must be a board id"},
		{"jira_get_sprints", map[string]any{"board_id": 2, "state": "open"}, "use active, future or closed"},
		{"jira_get_sprints", map[string]any{"board_id": 3}, "only scrum boards have sprints"},
		{"jira_get_sprints", map[string]any{"board_id": 999}, "does not exist"},
		{"jira_get_sprint_issues", map[string]any{"sprint_id": 999}, "does not exist"},
		{"jira_get_sprint_issues", map[string]any{"sprint_id": active, "jql": "status = Nope"}, "Nope"},
		{"jira_move_to_sprint", map[string]any{"issue_keys": []any{key}}, "sprint_id is missing"},
		{"jira_move_to_sprint", map[string]any{"sprint_id": 1, "backlog": true, "issue_keys": []any{key}}, "not both"},
		{"jira_move_to_sprint", map[string]any{"sprint_id": active, "issue_keys": []any{key}}, "closed sprint"},
		{"jira_move_to_sprint", map[string]any{"sprint_id": sp.ID, "issue_keys": []any{}}, "give 1 to 50 keys"},
		{"jira_move_to_sprint", map[string]any{"sprint_id": sp.ID, "issue_keys": []any{"nonsense"}}, "PROJ-123"},
		{"jira_create_sprint", map[string]any{"board_id": 2, "name": " "}, "name is empty"},
		{"jira_create_sprint", map[string]any{"board_id": 2, "name": "x", "start_date": "1 May"}, "use YYYY-MM-DD"},
		{"jira_create_sprint", map[string]any{"board_id": 3, "name": "x"}, "scrum"},
		{"jira_update_sprint", map[string]any{"sprint_id": sp.ID}, "nothing to change"},
		{"jira_update_sprint", map[string]any{"sprint_id": sp.ID, "action": "pause"}, "use start or complete"},
		{"jira_update_sprint", map[string]any{"sprint_id": active, "name": "again"}, "closed sprint cannot change"},
	} {
		t.Run(c.tool+"/"+c.want, func(t *testing.T) { f.fails(t, c.tool, c.args, c.want) })
	}
	g := newFixture(t, "", func(o *Options) { o.Projects = []string{"OPS"}; o.Toolsets = []string{"jira_agile"} })
	if text := g.ok(t, "jira_get_boards", nil, nil); strings.Contains(text, "WEB") {
		t.Errorf("boards outside JIRA_PROJECTS: %s", text)
	}
	g.fails(t, "jira_get_boards", map[string]any{"project_key": "WEB"}, "JIRA_PROJECTS")
	web := g.sim.IssueKeys("WEB")[0]
	g.fails(t, "jira_move_to_sprint", map[string]any{"backlog": true, "issue_keys": []any{web}}, "JIRA_PROJECTS")
	// A board's sprints belong to its project: under JIRA_PROJECTS a
	// WEB board's sprint names and goals stay out of reach.
	var boards struct{ Boards [][]string }
	f.ok(t, "jira_get_boards", map[string]any{"project_key": "WEB"}, &boards)
	var webScrum, opsScrum string
	for _, b := range boards.Boards {
		if b[2] == "scrum" {
			webScrum = b[0]
		}
	}
	f.ok(t, "jira_get_boards", map[string]any{"project_key": "OPS"}, &boards)
	for _, b := range boards.Boards {
		if b[2] == "scrum" {
			opsScrum = b[0]
		}
	}
	if webScrum == "" || opsScrum == "" {
		t.Fatalf("no scrum board for WEB (%q) or OPS (%q)", webScrum, opsScrum)
	}
	id := func(s string) int { n, _ := strconv.Atoi(s); return n }
	g.fails(t, "jira_get_sprints", map[string]any{"board_id": id(webScrum)}, "JIRA_PROJECTS")
	g.ok(t, "jira_get_sprints", map[string]any{"board_id": id(opsScrum)}, nil)
}

func TestJiraEpicLink(t *testing.T) {
	f := newFixture(t, "", nil)
	epic, err := f.sim.AddIssue(sim.Issue{Project: "OPS", Type: "Epic", Summary: "VPN rework"})
	if err != nil {
		t.Fatal(err)
	}
	var ci struct{ Key string }
	f.ok(t, "jira_create_issue", map[string]any{"project_key": "OPS", "summary": "Rotate keys", "issue_type": "Task", "epic_key": strings.ToLower(epic.Key)}, &ci)
	contains(t, f.ok(t, "jira_get_issue", map[string]any{"issue_key": ci.Key}, nil), `"epic":"`+epic.Key+`"`)
	contains(t, f.ok(t, "jira_search_issues", map[string]any{"jql": `"Epic Link" = ` + epic.Key}, nil), `"total":1`, ci.Key)
	contains(t, f.ok(t, "jira_update_issue", map[string]any{"issue_key": ci.Key, "epic_key": "none"}, nil), `"updated":["customfield_10101"]`)
	if text := f.ok(t, "jira_get_issue", map[string]any{"issue_key": ci.Key}, nil); strings.Contains(text, `"epic"`) {
		t.Errorf("epic after removal: %s", text)
	}
	f.fails(t, "jira_update_issue", map[string]any{"issue_key": ci.Key, "epic_key": ci.Key}, "is not an Epic")
	f.fails(t, "jira_update_issue", map[string]any{"issue_key": ci.Key, "epic_key": "the VPN one"}, "epic_key must be an epic's key")
}

func TestJiraAttachmentTools(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"jira_attachments"} })
	key := f.sim.IssueKeys("OPS")[0]
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	var added struct{ ID string }
	log := strings.Repeat("ERROR connection reset by peer\n", 100)
	f.ok(t, "jira_add_attachment", map[string]any{"issue_key": key, "filename": "app.log", "content_base64": b64(log)}, &added)
	contains(t, f.ok(t, "jira_get_issue", map[string]any{"issue_key": key, "fields": []any{"attachment"}}, nil), `"name":"app.log"`)
	var page struct {
		Text       string
		Truncated  bool
		NextOffset int `json:"next_offset"`
		Length     int
	}
	f.ok(t, "jira_get_attachment", map[string]any{"attachment_id": added.ID, "max_chars": 100}, &page)
	if !page.Truncated || page.Length < len(log)-1 || !strings.HasPrefix(page.Text, "ERROR connection reset") {
		t.Fatalf("first page: %+v", page)
	}
	rest := f.ok(t, "jira_get_attachment", map[string]any{"attachment_id": added.ID, "offset": page.NextOffset}, nil)
	contains(t, rest, `"type":"text/`, `ERROR connection reset`)
	f.fails(t, "jira_get_attachment", map[string]any{"attachment_id": added.ID, "offset": len(log) + 5}, "past the end")

	png := string([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0})
	f.ok(t, "jira_add_attachment", map[string]any{"issue_key": key, "filename": "screen.png", "content_base64": b64(png)}, &added)
	var req mcpgo.CallToolRequest
	req.Params.Name, req.Params.Arguments = "jira_get_attachment", map[string]any{"attachment_id": added.ID}
	res, err := f.cli.CallTool(context.Background(), req)
	if err != nil || res.IsError || len(res.Content) != 2 {
		t.Fatalf("image: %v %+v", err, res)
	}
	if img, ok := res.Content[1].(mcpgo.ImageContent); !ok || img.MIMEType != "image/png" || img.Data != b64(png) {
		t.Errorf("image content: %+v", res.Content[1])
	}
	f.ok(t, "jira_add_attachment", map[string]any{"issue_key": key, "filename": "dump.bin", "content_base64": b64("\x00\x01\x02")}, &added)
	contains(t, f.ok(t, "jira_get_attachment", map[string]any{"attachment_id": added.ID}, nil), "not a text file, image, PDF or Office", `"url":"http`)

	for _, c := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"jira_get_attachment", map[string]any{"attachment_id": "abc"}, "attachment_id must be a number"},
		{"jira_get_attachment", map[string]any{"attachment_id": "999999"}, "does not exist"},
		{"jira_add_attachment", map[string]any{"issue_key": key, "filename": "../x.txt", "content_base64": b64("x")}, "plain file name"},
		{"jira_add_attachment", map[string]any{"issue_key": key, "filename": "x.txt", "content_base64": "not base64!"}, "not base64"},
		{"jira_add_attachment", map[string]any{"issue_key": key, "filename": "x.txt", "content_base64": ""}, "is empty"},
		{"jira_add_attachment", map[string]any{"issue_key": key, "filename": "x.txt", "content_base64": strings.Repeat("A", 14<<20)}, "over 10 MB"},
		{"jira_add_attachment", map[string]any{"issue_key": "OPS-99999", "filename": "x.txt", "content_base64": b64("x")}, "does not exist"},
	} {
		t.Run(c.tool+"/"+c.want, func(t *testing.T) { f.fails(t, c.tool, c.args, c.want) })
	}
}

func TestConfluenceAttachmentTools(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"confluence_attachments"} })
	w := seedWorld(t, f.sim)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	var added struct{ ID string }
	f.ok(t, "confluence_add_attachment", map[string]any{"page_id": w.parent, "filename": "hosts.csv", "content_base64": b64("host,role\nweb-1,frontend\n")}, &added)
	contains(t, f.ok(t, "confluence_get_attachments", map[string]any{"page_id": w.parent}, nil), `"hosts.csv"`)
	contains(t, f.ok(t, "confluence_get_attachment", map[string]any{"attachment_id": "att" + added.ID}, nil),
		`"name":"hosts.csv"`, `"text":"host,role\nweb-1,frontend`)
	binID, err := f.sim.AddAttachment(w.parent, "diagram.vsdx", "application/vnd.visio", 2048)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, f.ok(t, "confluence_get_attachment", map[string]any{"attachment_id": binID}, nil), "not a text file, image, PDF or Office", `"size":2048`)
	for _, c := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"confluence_get_attachment", map[string]any{"attachment_id": "x1"}, "attachment_id must be a number"},
		{"confluence_get_attachment", map[string]any{"attachment_id": w.parent}, "not an attachment"},
		{"confluence_get_attachment", map[string]any{"attachment_id": "99999999"}, "does not exist"},
		{"confluence_add_attachment", map[string]any{"page_id": w.parent, "filename": "hosts.csv", "content_base64": b64("x")}, "attached already"},
		{"confluence_add_attachment", map[string]any{"page_id": w.parent, "filename": "a/b.txt", "content_base64": b64("x")}, "plain file name"},
		{"confluence_add_attachment", map[string]any{"page_id": "abc", "filename": "b.txt", "content_base64": b64("x")}, "page_id must be"},
	} {
		t.Run(c.tool+"/"+c.want, func(t *testing.T) { f.fails(t, c.tool, c.args, c.want) })
	}
	g := newFixture(t, "", func(o *Options) { o.Spaces = []string{"gen"}; o.Toolsets = []string{"confluence_attachments"} })
	gw := seedWorld(t, g.sim)
	id, err := g.sim.AddAttachment(gw.parent, "secret.txt", "text/plain", 10)
	if err != nil {
		t.Fatal(err)
	}
	g.fails(t, "confluence_get_attachment", map[string]any{"attachment_id": id}, "CONFLUENCE_SPACES")
	g.fails(t, "confluence_add_attachment", map[string]any{"page_id": gw.parent, "filename": "b.txt", "content_base64": b64("x")}, "CONFLUENCE_SPACES")
}
