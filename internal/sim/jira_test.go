package sim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestJiraReads(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: 120, Seed: 3})
	api := srv.JiraURL() + "/rest/api/2/"
	key := srv.IssueKeys("DATA")[0]
	cases := []struct {
		name, path string
		code       int
		check      func(t *testing.T, r reply)
	}{
		{"serverInfo", "serverInfo", 200, func(t *testing.T, r reply) {
			m := r.obj(t)
			if m["version"] != "9.12.0" || fmt.Sprint(m["versionNumbers"]) != "[9 12 0]" || !strings.HasSuffix(m["baseUrl"].(string), "/jira") {
				t.Errorf("serverInfo: %v", m)
			}
		}},
		{"myself", "myself", 200, func(t *testing.T, r reply) {
			m := r.obj(t)
			if m["name"] != "admin" || m["displayName"] != "Ada Admin" || dig(t, m, "groups", "size").(float64) != 3 {
				t.Errorf("myself: %v", m)
			}
		}},
		{"projects", "project", 200, func(t *testing.T, r reply) {
			if l := r.list(t); len(l) != 3 || dig(t, l, 1, "key") != "OPS" {
				t.Errorf("projects: %v", l)
			}
		}},
		{"project", "project/DATA", 200, func(t *testing.T, r reply) {
			m := r.obj(t)
			if len(m["components"].([]any)) != 4 || len(m["versions"].([]any)) != 4 || dig(t, m, "lead", "name") != "erin.data" {
				t.Errorf("project: %v", m)
			}
		}},
		{"project missing", "project/NOPE", 404, func(t *testing.T, r reply) {
			if !strings.Contains(string(r.raw), `"errorMessages":["No project could be found with key 'NOPE'."]`) {
				t.Errorf("body %s", r.raw)
			}
		}},
		{"fields", "field", 200, func(t *testing.T, r reply) {
			if l := r.list(t); len(l) < 20 || dig(t, l, 1, "id") != "summary" {
				t.Errorf("fields: %v", l[:2])
			}
		}},
		{"link types", "issueLinkType", 200, func(t *testing.T, r reply) {
			if l := dig(t, r.obj(t), "issueLinkTypes").([]any); dig(t, l, 0, "outward") != "blocks" {
				t.Errorf("link types %v", l)
			}
		}},
		{"user", "user?username=erin.data", 200, func(t *testing.T, r reply) {
			if r.obj(t)["displayName"] != "Erin Dubois" {
				t.Errorf("user %s", r.raw)
			}
		}},
		{"unknown user", "user?username=nobody", 404, nil},
		{"statuses", "status", 200, func(t *testing.T, r reply) {
			if l := r.list(t); len(l) != 5 || dig(t, l, 0, "statusCategory", "key") != "new" {
				t.Errorf("statuses %v", l)
			}
		}},
		{"priorities", "priority", 200, func(t *testing.T, r reply) {
			if l := r.list(t); len(l) != 5 || dig(t, l, 2, "name") != "Major" {
				t.Errorf("priorities %v", l)
			}
		}},
		{"issue types", "issuetype", 200, nil},
		{"resolutions", "resolution", 200, nil},
		{"issue", "issue/" + key + "?expand=renderedFields,names,transitions,changelog", 200, func(t *testing.T, r reply) {
			m := r.obj(t)
			f := m["fields"].(map[string]any)
			for _, k := range []string{"summary", "description", "status", "issuetype", "priority", "assignee", "reporter", "creator",
				"labels", "components", "fixVersions", "issuelinks", "created", "updated", "resolution", "resolutiondate",
				"project", "comment", "worklog", "watches"} {
				if _, ok := f[k]; !ok {
					t.Errorf("field %s missing", k)
				}
			}
			if c := dig(t, f, "status", "statusCategory", "key").(string); c == "" {
				t.Error("status without category")
			}
			if d := f["created"].(string); len(d) != len("2011-12-05T13:48:14.000+0000") || !strings.HasSuffix(d, "+0000") {
				t.Errorf("created %q", d)
			}
			if !strings.Contains(dig(t, m, "renderedFields", "description").(string), "<h3>") {
				t.Errorf("rendered description: %v", dig(t, m, "renderedFields", "description"))
			}
			if dig(t, m, "names", "summary") != "Summary" {
				t.Error("names")
			}
			if len(m["transitions"].([]any)) == 0 {
				t.Error("transitions")
			}
			if _, ok := m["changelog"].(map[string]any)["histories"]; !ok {
				t.Error("changelog")
			}
		}},
		{"issue by id", "issue/10000?fields=summary,-summary,status", 200, func(t *testing.T, r reply) {
			f := r.obj(t)["fields"].(map[string]any)
			if len(f) != 1 || f["status"] == nil {
				t.Errorf("fields selection: %v", f)
			}
		}},
		{"issue missing", "issue/OPS-999999", 404, func(t *testing.T, r reply) {
			if string(r.raw) != `{"errorMessages":["Issue Does Not Exist"],"errors":{}}` {
				t.Errorf("404 body %s", r.raw)
			}
		}},
		{"search navigable", "search?jql=" + url.QueryEscape("project = DATA ORDER BY key ASC") + "&maxResults=5", 200, func(t *testing.T, r reply) {
			m := r.obj(t)
			if m["maxResults"].(float64) != 5 || m["startAt"].(float64) != 0 || m["expand"] != "schema,names" {
				t.Errorf("envelope %v", m)
			}
			f := dig(t, m, "issues", 0, "fields").(map[string]any)
			if _, ok := f["comment"]; ok {
				t.Error("comment is not navigable")
			}
			if dig(t, m, "issues", 0, "key") != key {
				t.Errorf("first key %v, want %s", dig(t, m, "issues", 0, "key"), key)
			}
		}},
		{"search maxResults capped", "search?jql=&maxResults=5000&fields=summary", 200, func(t *testing.T, r reply) {
			m := r.obj(t)
			if m["maxResults"].(float64) != 1000 || len(m["issues"].([]any)) != 120 || m["total"].(float64) != 120 {
				t.Errorf("cap: maxResults %v, %d issues", m["maxResults"], len(m["issues"].([]any)))
			}
		}},
		{"search default order", "search?fields=summary&maxResults=2", 200, func(t *testing.T, r reply) {
			m := r.obj(t)
			if dig(t, m, "issues", 0, "id").(string) < dig(t, m, "issues", 1, "id").(string) {
				t.Error("default order should be newest first")
			}
		}},
		{"search all fields rendered", "search?jql=" + url.QueryEscape("key = "+key) + "&fields=*all&expand=renderedFields,names", 200, func(t *testing.T, r reply) {
			m := r.obj(t)
			if dig(t, m, "issues", 0, "renderedFields", "comment") == nil || m["names"] == nil {
				t.Errorf("renderedFields/names: %v", m)
			}
		}},
		{"jql syntax error", "search?jql=" + url.QueryEscape("project = "), 400, func(t *testing.T, r reply) {
			if !strings.Contains(string(r.raw), `"errorMessages":["Error in the JQL Query:`) {
				t.Errorf("body %s", r.raw)
			}
		}},
		{"jql unknown value", "search?jql=" + url.QueryEscape("project = NOPE"), 400, func(t *testing.T, r reply) {
			if !strings.Contains(string(r.raw), `The value 'NOPE' does not exist for the field 'project'.`) {
				t.Errorf("body %s", r.raw)
			}
		}},
		{"jql unknown field", "search?jql=" + url.QueryEscape("foo = bar"), 400, func(t *testing.T, r reply) {
			if !strings.Contains(string(r.raw), `Field 'foo' does not exist or you do not have permission to view it.`) {
				t.Errorf("body %s", r.raw)
			}
		}},
		{"bad startAt", "search?startAt=x", 400, nil},
		{"comments", "issue/" + key + "/comment", 200, func(t *testing.T, r reply) {
			m := r.obj(t)
			if _, ok := m["comments"]; !ok || m["total"] == nil {
				t.Errorf("comments %v", m)
			}
		}},
		{"worklogs", "issue/" + key + "/worklog", 200, nil},
		{"transitions", "issue/" + key + "/transitions", 200, func(t *testing.T, r reply) {
			if dig(t, r.obj(t), "transitions", 0, "to", "statusCategory", "key") == "" {
				t.Error("transition without target status")
			}
		}},
		{"transitions missing", "issue/NOPE-1/transitions", 404, nil},
		{"createmeta types", "issue/createmeta/OPS/issuetypes", 200, func(t *testing.T, r reply) {
			m := r.obj(t)
			if m["total"].(float64) != 5 || m["isLast"] != true || dig(t, m, "values", 0, "name") != "Bug" {
				t.Errorf("createmeta: %v", m)
			}
		}},
		{"createmeta fields", "issue/createmeta/OPS/issuetypes/1", 200, func(t *testing.T, r reply) {
			v := dig(t, r.obj(t), "values").([]any)
			if dig(t, v, 0, "fieldId") != "summary" || dig(t, v, 0, "required") != true || dig(t, v, 0, "schema", "type") != "string" {
				t.Errorf("fields: %v", v[0])
			}
			found := false
			for _, f := range v {
				if dig(t, f, "fieldId") == "components" {
					found = len(dig(t, f, "allowedValues").([]any)) == 5
				}
			}
			if !found {
				t.Error("components with allowedValues")
			}
		}},
		{"createmeta unknown type", "issue/createmeta/OPS/issuetypes/999", 404, nil},
		{"old createmeta gone in 9", "issue/createmeta?projectKeys=OPS", 404, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, call{url: api + tc.path, auth: "admin"})
			if r.code != tc.code {
				t.Fatalf("status %d, want %d: %.500s", r.code, tc.code, r.raw)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestJiraVersion8(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: 5, JiraVersion: "8.20.0"})
	api := srv.JiraURL() + "/rest/api/2/"
	if r := do(t, call{url: api + "issue/createmeta/OPS/issuetypes", auth: "admin"}); r.code != 404 {
		t.Errorf("new createmeta on 8.x: %d", r.code)
	}
	r := do(t, call{url: api + "issue/createmeta?projectKeys=OPS&expand=projects.issuetypes.fields", auth: "admin"})
	if r.code != 200 {
		t.Fatalf("old createmeta: %d %s", r.code, r.raw)
	}
	m := r.obj(t)
	if len(m["projects"].([]any)) != 1 || dig(t, m, "projects", 0, "issuetypes", 0, "fields", "summary", "required") != true {
		t.Errorf("old createmeta: %.400s", r.raw)
	}
	if _, err := New(Options{JiraVersion: "nine"}); err == nil {
		t.Error("bad version accepted")
	}
}

func TestJiraWrites(t *testing.T) {
	srv, clk := testServer(t, Options{JiraIssues: 10})
	api := srv.JiraURL() + "/rest/api/2/"
	r := do(t, call{method: "POST", url: api + "issue", auth: "alice", body: map[string]any{"fields": map[string]any{
		"project": map[string]any{"key": "OPS"}, "issuetype": map[string]any{"name": "Bug"},
		"summary": "VPN drops every 10 minutes", "description": "h2. Steps\n# connect\n# wait",
		"labels": []string{"vpn"}, "components": []any{map[string]any{"name": "VPN"}}, "priority": map[string]any{"name": "Critical"},
	}}})
	if r.code != 201 {
		t.Fatalf("create: %d %s", r.code, r.raw)
	}
	key := r.obj(t)["key"].(string)
	if !strings.HasPrefix(key, "OPS-") {
		t.Fatalf("key %s", key)
	}
	issue := do(t, call{url: api + "issue/" + key, auth: "admin"}).obj(t)
	created := dig(t, issue, "fields", "updated").(string)
	if dig(t, issue, "fields", "reporter", "name") != "alice" || dig(t, issue, "fields", "status", "name") != "Open" {
		t.Errorf("new issue: %v", issue["fields"])
	}

	errs := []struct {
		name   string
		c      call
		code   int
		substr string
	}{
		{"missing fields", call{method: "POST", url: api + "issue", body: map[string]any{"fields": map[string]any{}}}, 400,
			`"errors":{"issuetype":"issue type is required"`},
		{"no issuetype", call{method: "POST", url: api + "issue", body: map[string]any{"fields": map[string]any{
			"project": map[string]any{"key": "OPS"}, "summary": "x"}}}, 400, `"errors":{"issuetype":"issue type is required"}`},
		{"missing summary", call{method: "POST", url: api + "issue", body: map[string]any{"fields": map[string]any{
			"project": map[string]any{"key": "OPS"}, "issuetype": map[string]any{"name": "Bug"}}}}, 400, `"summary":"You must specify a summary of the issue."`},
		{"unknown project", call{method: "POST", url: api + "issue", body: map[string]any{"fields": map[string]any{
			"project": map[string]any{"key": "NOPE"}, "issuetype": map[string]any{"name": "Bug"}, "summary": "x"}}}, 400, `"project":"valid project is required"`},
		{"unknown field", call{method: "PUT", url: api + "issue/" + key, body: map[string]any{"fields": map[string]any{"customfield_1": 1}}}, 400,
			`"customfield_1":"Field 'customfield_1' cannot be set. It is not on the appropriate screen, or unknown."`},
		{"bad component", call{method: "PUT", url: api + "issue/" + key, body: map[string]any{"fields": map[string]any{
			"components": []any{map[string]any{"name": "Nope"}}}}}, 400, "Component name 'Nope' is not valid"},
		{"bad json", call{method: "PUT", url: api + "issue/" + key, body: "{"}, 400, "errorMessages"},
		{"unknown body field", call{method: "POST", url: api + "search", body: map[string]any{"jql": "", "chump": 1}}, 400,
			`{"errorMessages":["Unrecognized field \"chump\" (Class com.atlassian.jira.rest.v2.search.SearchRequestBean), not marked as ignorable`},
		{"search body extras accepted", call{method: "POST", url: api + "search", body: map[string]any{"jql": "project = OPS", "validateQuery": "strict",
			"fieldsByKeys": false, "expand": []string{"names"}}}, 200, `"names":{`},
		{"edit missing", call{method: "PUT", url: api + "issue/OPS-99999", body: map[string]any{"fields": map[string]any{}}}, 404, "Issue Does Not Exist"},
		{"empty comment", call{method: "POST", url: api + "issue/" + key + "/comment", body: map[string]any{"body": " "}}, 400, "Comment body can not be empty!"},
		{"invalid transition", call{method: "POST", url: api + "issue/" + key + "/transitions", body: map[string]any{"transition": map[string]any{"id": "701"}}}, 400,
			"It seems that you have tried to perform a workflow operation (Close Issue) that is not valid for the current state of this issue (" + key + ")"},
		{"unknown transition", call{method: "POST", url: api + "issue/" + key + "/transitions", body: map[string]any{"transition": map[string]any{"id": "9999"}}}, 400,
			"Transition id '9999' is not valid for this issue."},
		{"bad worklog", call{method: "POST", url: api + "issue/" + key + "/worklog", body: map[string]any{"timeSpent": "soon"}}, 400, "Invalid time duration entered."},
		{"delete missing", call{method: "DELETE", url: api + "issue/NOPE-1"}, 404, "Issue Does Not Exist"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.auth = "admin"
			r := do(t, tc.c)
			if r.code != tc.code || !strings.Contains(string(r.raw), tc.substr) {
				t.Errorf("got %d %s; want %d with %q", r.code, r.raw, tc.code, tc.substr)
			}
		})
	}

	if n := srv.IssueCount(""); n != 11 {
		t.Errorf("failed creates left %d issues, want 11", n)
	}
	clk.Advance(2 * time.Minute)
	r = do(t, call{method: "PUT", url: api + "issue/" + key, auth: "admin", body: map[string]any{
		"fields": map[string]any{"summary": "VPN drops every 10 minutes on macOS", "assignee": map[string]any{"name": "bob.builder"}},
		"update": map[string]any{"labels": []any{map[string]any{"add": "macos"}, map[string]any{"remove": "vpn"}},
			"comment": []any{map[string]any{"add": map[string]any{"body": "Seen with *WireGuard* 1.0.15"}}}},
	}})
	if r.code != 204 {
		t.Fatalf("edit: %d %s", r.code, r.raw)
	}
	issue = do(t, call{url: api + "issue/" + key + "?expand=changelog", auth: "admin"}).obj(t)
	f := issue["fields"].(map[string]any)
	if f["summary"] != "VPN drops every 10 minutes on macOS" || fmt.Sprint(f["labels"]) != "[macos]" ||
		dig(t, f, "assignee", "name") != "bob.builder" || dig(t, f, "comment", "total").(float64) != 1 {
		t.Errorf("after edit: %v", f)
	}
	if f["updated"].(string) <= created {
		t.Errorf("updated did not move: %s -> %s", created, f["updated"])
	}
	if n := len(dig(t, issue, "changelog", "histories").([]any)); n != 1 {
		t.Errorf("changelog entries %d", n)
	}

	clk.Advance(time.Minute)
	if r := do(t, call{method: "POST", url: api + "issue/" + key + "/comment", auth: "alice", body: map[string]any{"body": "Also on Windows."}}); r.code != 201 ||
		dig(t, r.obj(t), "author", "name") != "alice" {
		t.Errorf("comment: %d %s", r.code, r.raw)
	}
	r = do(t, call{method: "POST", url: api + "issue/" + key + "/worklog", auth: "admin", body: map[string]any{"timeSpent": "1h 30m", "comment": "debugging"}})
	if r.code != 201 || dig(t, r.obj(t), "timeSpentSeconds").(float64) != 5400 || dig(t, r.obj(t), "timeSpent") != "1h 30m" {
		t.Errorf("worklog: %d %s", r.code, r.raw)
	}
	// Workflow: Open -> In Progress -> Resolved (Won't Fix) -> Reopened.
	for _, step := range []struct {
		id, status, resolution string
		fields                 map[string]any
	}{
		{"4", "In Progress", "", nil},
		{"5", "Resolved", "Won't Fix", map[string]any{"resolution": map[string]any{"name": "Won't Fix"}}},
		{"3", "Reopened", "", nil},
	} {
		clk.Advance(time.Minute)
		body := map[string]any{"transition": map[string]any{"id": step.id}}
		if step.fields != nil {
			body["fields"] = step.fields
		}
		if r := do(t, call{method: "POST", url: api + "issue/" + key + "/transitions", auth: "admin", body: body}); r.code != 204 {
			t.Fatalf("transition %s: %d %s", step.id, r.code, r.raw)
		}
		f := do(t, call{url: api + "issue/" + key + "?fields=status,resolution,resolutiondate", auth: "admin"}).obj(t)["fields"].(map[string]any)
		res, _ := f["resolution"].(map[string]any)
		if dig(t, f, "status", "name") != step.status || (step.resolution == "") != (res == nil) ||
			(res != nil && res["name"] != step.resolution) || (f["resolutiondate"] == nil) != (step.resolution == "") {
			t.Errorf("after %s: %v", step.id, f)
		}
	}
	// Writes are visible to searches.
	jql := url.QueryEscape(`project = OPS AND labels = macos AND status = Reopened AND updated >= "2024-06-03 09:33"`)
	if m := do(t, call{url: api + "search?jql=" + jql, auth: "admin"}).obj(t); m["total"].(float64) != 1 {
		t.Errorf("search after writes: %v", m["total"])
	}
	if m := do(t, call{url: api + "search?jql=" + url.QueryEscape(`text ~ "wireguard"`), auth: "admin"}).obj(t); m["total"].(float64) != 1 {
		t.Errorf("comment text search: %v", m["total"])
	}
	if r := do(t, call{method: "DELETE", url: api + "issue/" + key, auth: "admin"}); r.code != 204 {
		t.Fatalf("delete: %d", r.code)
	}
	if r := do(t, call{url: api + "issue/" + key, auth: "admin"}); r.code != 404 {
		t.Errorf("get after delete: %d", r.code)
	}
}

func TestJiraGoAPI(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: -1})
	if n := srv.IssueCount(""); n != 0 {
		t.Fatalf("JiraIssues -1 made %d issues", n)
	}
	is, err := srv.AddIssue(Issue{Project: "WEB", Summary: "Checkout 500", Status: "Resolved", Labels: []string{"checkout"}})
	if err != nil || is.Key != "WEB-1" || is.Resolution != "Fixed" {
		t.Fatalf("AddIssue: %+v %v", is, err)
	}
	for _, bad := range []Issue{{Project: "WEB"}, {Project: "NOPE", Summary: "x"}, {Project: "WEB", Summary: "x", Status: "Limbo"},
		{Project: "WEB", Summary: "x", Assignee: "nobody"}, {Project: "WEB", Summary: "x", Components: []string{"VPN"}}} {
		if _, err := srv.AddIssue(bad); err == nil {
			t.Errorf("AddIssue(%+v) accepted", bad)
		}
	}
	if err := srv.DeleteIssue("WEB-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.GetIssue("WEB-1"); err == nil {
		t.Error("deleted issue readable")
	}
}

func TestJiraPaging(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: 1500, Seed: 9})
	api := srv.JiraURL() + "/rest/api/2/search"
	seen := map[string]bool{}
	prevUpdated := ""
	for start := 0; ; {
		m := do(t, call{method: "POST", url: api, auth: "admin", body: map[string]any{
			"jql": "ORDER BY updated ASC, key ASC", "startAt": start, "maxResults": 400, "fields": []string{"updated"}}}).obj(t)
		issues := m["issues"].([]any)
		for _, is := range issues {
			k := dig(t, is, "key").(string)
			if seen[k] {
				t.Fatalf("%s twice", k)
			}
			seen[k] = true
			u := dig(t, is, "fields", "updated").(string)
			if u < prevUpdated {
				t.Fatalf("not ordered by updated: %s after %s", u, prevUpdated)
			}
			prevUpdated = u
		}
		start += len(issues)
		if len(issues) == 0 || start >= int(m["total"].(float64)) {
			break
		}
	}
	if len(seen) != 1500 {
		t.Errorf("paged %d issues, want 1500", len(seen))
	}
}

func TestGenerationIsDeterministic(t *testing.T) {
	get := func(seed int64) string {
		clk := newFakeClock()
		s, err := New(Options{JiraIssues: 50, Seed: seed, Clock: clk.Now, Spaces: []SpaceImport{}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.GeneratePages("GEN", 30, seed); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, k := range s.IssueKeys("") {
			is, _ := s.GetIssue(k)
			fmt.Fprintf(&b, "%s|%s|%s|%s|%v|%s\n", is.Key, is.Summary, is.Status, is.Assignee, is.Labels, is.Updated)
		}
		s.mu.RLock()
		for _, p := range s.conf.spaces["GEN"].sortedPages() {
			fmt.Fprintf(&b, "%s|%s|%d\n", p.idStr(), p.title, len(p.body))
		}
		s.mu.RUnlock()
		return b.String()
	}
	a, b, c := get(1), get(1), get(2)
	if a != b {
		t.Error("same seed, different worlds")
	}
	if a == c {
		t.Error("different seeds, same world")
	}
	if !strings.Contains(a, "OPS-1|") || !strings.Contains(a, "DATA-") || !strings.Contains(a, "WEB-") {
		t.Errorf("projects missing:\n%.500s", a)
	}
}

// TestOrderedFastPath checks that queries answered from the cached date-ordered lists return
// exactly what a full scan and sort returns.
func TestOrderedFastPath(t *testing.T) {
	clk := newFakeClock()
	s, err := New(Options{JiraIssues: 400, Seed: 4, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.GeneratePages("GEN", 300, 4); err != nil {
		t.Fatal(err)
	}
	admin := s.users["admin"]
	s.mu.RLock()
	defer s.mu.RUnlock()
	env := queryEnv{Now: s.now(), Location: time.UTC, CurrentUser: "alice"}
	for _, cql := range []string{"space = GEN ORDER BY lastmodified DESC", "type = page ORDER BY created ASC",
		`space = GEN AND lastmodified >= "2024-01-01" ORDER BY lastmodified`, "label = backup ORDER BY lastmodified DESC",
		`space = GEN AND lastmodified > "2024/02/10 13:45" ORDER BY lastmodified DESC`, `created >= "2024-03-01" ORDER BY created`,
		`text ~ "lastmodified >= '2030-01-01'" OR lastmodified >= "2024-04-01" ORDER BY lastmodified`,
		`text ~ "dashboard" AND lastmodified >= "2023-12-01" ORDER BY lastmodified DESC`} {
		got, q, err := s.runCQL(cql, s.users["alice"])
		if err != nil {
			t.Fatal(err)
		}
		var want []*content
		for _, sp := range s.conf.spaceList {
			for _, c := range sp.pages {
				if c.visibleTo(s.users["alice"]) && q.match(c, env) {
					want = append(want, c)
				}
			}
		}
		sortRecords(want, q.orderBy(), func(c *content) int64 { return c.id }, false)
		if len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%s: %d hits, want %d (>0)", cql, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: hit %d is %s, want %s", cql, i, got[i].title, want[i].title)
			}
		}
	}
	env.CurrentUser = "admin"
	for _, jql := range []string{"project = OPS ORDER BY updated ASC, key ASC", "ORDER BY updated DESC", "status = Open ORDER BY created ASC",
		"project = DATA ORDER BY updated DESC, key ASC", `project = OPS AND updated >= "2024-05-01" ORDER BY updated ASC, key ASC`,
		`updated > "2024/05/20 10:00" ORDER BY updated DESC`, `created >= '2024-04-15' AND status != Closed ORDER BY created`} {
		got, err := s.runJQL(jql, admin)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := parseQuery(dialectJQL, jql, env)
		var want []*issue
		for _, p := range s.jira.projList {
			for _, is := range p.issues {
				if q.match(is, env) {
					want = append(want, is)
				}
			}
		}
		sortRecords(want, q.orderBy(), func(is *issue) int64 { return is.id }, true)
		if len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%s: %d hits, want %d (>0)", jql, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: hit %d is %s, want %s", jql, i, got[i].key, want[i].key)
			}
		}
	}
}

func TestLowerBound(t *testing.T) {
	cases := []struct {
		q, field string
		want     string // "" for no bound
	}{
		{`space = X AND lastmodified >= "2024-01-31 13:45" ORDER BY lastmodified`, "lastmodified", "2024-01-31 13:45"},
		{`lastmodified > '2024/01/31' AND lastmodified >= "2024-02-01"`, "lastmodified", "2024-02-01 00:00"},
		{`updated >= "2024-05-01" ORDER BY updated`, "updated", "2024-05-01 00:00"},
		{`updated >= "2024-05-01" OR project = OPS`, "updated", ""},
		{`NOT updated >= "2024-05-01"`, "updated", ""},
		{`updated >= -1d`, "updated", ""},
		{`updated >= "-1d"`, "updated", ""},
		{`text ~ "updated >= '2030-01-01'" AND updated >= "2024-05-01"`, "updated", "2024-05-01 00:00"},
		{`text ~ "updated >= '2030-01-01'"`, "updated", ""},
		{`created >= "2024-05-01"`, "updated", ""},
	}
	for _, tc := range cases {
		b, ok := lowerBound(tc.q, tc.field, time.UTC)
		got := ""
		if ok {
			got = b.Format("2006-01-02 15:04")
		}
		if got != tc.want {
			t.Errorf("lowerBound(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}
