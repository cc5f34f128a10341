package sim

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func searchKeys(t *testing.T, api, jql string) (int, string) {
	t.Helper()
	r := do(t, call{url: api + "search?fields=summary&maxResults=200&jql=" + url.QueryEscape(jql), auth: "admin"})
	if r.code != 200 {
		return r.code, string(r.raw)
	}
	var keys []string
	for _, is := range r.obj(t)["issues"].([]any) {
		keys = append(keys, is.(map[string]any)["key"].(string))
	}
	return r.code, strings.Join(keys, ",")
}

func TestAgileBoardsSprintsAndJQL(t *testing.T) {
	srv, clk := testServer(t, Options{JiraIssues: -1})
	api := srv.JiraURL() + "/rest/api/2/"
	agile := srv.JiraURL() + "/rest/agile/1.0/"
	epic, err := srv.AddIssue(Issue{Project: "OPS", Type: "Epic", Summary: "VPN rework"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := srv.AddIssue(Issue{Project: "OPS", Summary: "Rotate VPN keys", Assignee: "alice"})
	b, _ := srv.AddIssue(Issue{Project: "OPS", Summary: "Document the VPN"})

	boards := do(t, call{url: agile + "board?projectKeyOrId=OPS", auth: "admin"}).obj(t)
	if boards["total"] != 2.0 || dig(t, boards, "values", 0, "type") != "scrum" || dig(t, boards, "values", 1, "type") != "kanban" {
		t.Fatalf("boards of OPS: %v", boards)
	}
	if r := do(t, call{url: agile + "board?projectKeyOrId=NOPE", auth: "admin"}); r.code != 400 {
		t.Errorf("boards of an unknown project: %d %s", r.code, r.raw)
	}
	sprints := do(t, call{url: agile + "board/2/sprint?state=active", auth: "admin"}).obj(t)
	vals := sprints["values"].([]any)
	if len(vals) != 1 || dig(t, sprints, "values", 0, "name") != "OPS Sprint 2" {
		t.Fatalf("active sprints of OPS: %v", sprints)
	}
	active := int(dig(t, sprints, "values", 0, "id").(float64))
	if r := do(t, call{url: agile + "board/2/sprint?state=open", auth: "admin"}); r.code != 400 || !strings.Contains(string(r.raw), "future, active, closed") {
		t.Errorf("bad state: %d %s", r.code, r.raw)
	}
	if r := do(t, call{url: agile + "board/3/sprint", auth: "admin"}); r.code != 400 {
		t.Errorf("kanban sprints: %d %s", r.code, r.raw)
	}

	// Move one issue to the active sprint and set the epic of the other.
	sid := itoa(active)
	if r := do(t, call{method: "POST", url: agile + "sprint/" + sid + "/issue", auth: "admin", body: map[string]any{"issues": []string{a.Key}}}); r.code != 204 {
		t.Fatalf("move: %d %s", r.code, r.raw)
	}
	if r := do(t, call{method: "PUT", url: api + "issue/" + b.Key, auth: "admin", body: map[string]any{"fields": map[string]any{epicFieldID: epic.Key}}}); r.code != 204 {
		t.Fatalf("epic link: %d %s", r.code, r.raw)
	}
	if r := do(t, call{method: "PUT", url: api + "issue/" + b.Key, auth: "admin", body: map[string]any{"fields": map[string]any{epicFieldID: a.Key}}}); r.code != 400 || !strings.Contains(string(r.raw), "not an Epic") {
		t.Errorf("epic link to a task: %d %s", r.code, r.raw)
	}
	got := do(t, call{url: api + "issue/" + a.Key + "?fields=" + sprintFieldID, auth: "admin"}).obj(t)
	if s, _ := dig(t, got, "fields", sprintFieldID, 0).(string); !strings.Contains(s, "state=ACTIVE,name=OPS Sprint 2") {
		t.Errorf("sprint field: %v", got["fields"])
	}
	in := do(t, call{url: agile + "sprint/" + sid + "/issue", auth: "admin"}).obj(t)
	if in["total"] != 1.0 || dig(t, in, "issues", 0, "key") != a.Key {
		t.Errorf("sprint issues: %v", in)
	}

	// A status change and a reassignment for the history operators.
	clk.Advance(time.Hour)
	if r := do(t, call{method: "POST", url: api + "issue/" + a.Key + "/transitions", auth: "alice", body: map[string]any{"transition": map[string]any{"id": "4"}}}); r.code != 204 {
		t.Fatalf("transition: %d %s", r.code, r.raw)
	}
	if r := do(t, call{method: "PUT", url: api + "issue/" + b.Key, auth: "admin", body: map[string]any{"fields": map[string]any{"assignee": map[string]any{"name": "alice"}}}}); r.code != 204 {
		t.Fatalf("assign: %d %s", r.code, r.raw)
	}
	link := do(t, call{method: "POST", url: api + "issueLink", auth: "admin", body: map[string]any{"type": map[string]any{"name": "Blocks"},
		"inwardIssue": map[string]any{"key": a.Key}, "outwardIssue": map[string]any{"key": b.Key}}})
	if link.code != 201 {
		t.Fatalf("link: %d %s", link.code, link.raw)
	}

	tests := []struct{ jql, want string }{
		{"sprint in openSprints()", a.Key},
		{"sprint in closedSprints() OR sprint in futureSprints()", ""},
		{"sprint is EMPTY AND project = OPS ORDER BY key", epic.Key + "," + b.Key},
		{`"Epic Link" = ` + epic.Key, b.Key},
		{"status was Open AND status = \"In Progress\"", a.Key},
		{"status changed BY alice", a.Key},
		{"status changed FROM Open TO \"In Progress\" AFTER -2h", a.Key},
		{"status was not Open", ""},
		{"assignee changed", b.Key},
		{"assignee was EMPTY AND assignee = alice", b.Key},
		{"assignee in membersOf(\"jira-administrators\")", ""},
		{"assignee in membersOf(\"confluence-users\") ORDER BY key", a.Key + "," + b.Key},
		{"issue in linkedIssues(" + a.Key + ")", b.Key},
		{"issue in linkedIssues(" + b.Key + ", \"is blocked by\")", a.Key},
		{"issue in linkedIssues(" + b.Key + ", blocks)", ""},
		// Several descriptions are ORed (Jira's TestJqlFunctions: 'duplicates', 'is duplicated by').
		{"issue in linkedIssues(" + b.Key + ", blocks, \"is blocked by\")", a.Key},
		{"fixVersion in unreleasedVersions(OPS)", ""},
		{"assignee = currentUser()", ""},
	}
	for _, tc := range tests {
		if code, keys := searchKeys(t, api, tc.jql); code != 200 || keys != tc.want {
			t.Errorf("%s: %d %q, want %q", tc.jql, code, keys, tc.want)
		}
	}
	for jql, msg := range map[string]string{
		"issue in linkedIssues(OPS-999)":             "Issue 'OPS-999' could not be found in function 'linkedIssues'.",
		"issue in linkedIssues(OPS-1, blocks, fred)": "Issue link type 'fred' could not be found in function 'linkedIssues'.",
		"assignee in membersOf(nobody)":              "Function 'membersOf' can not generate a list of usernames for group 'nobody'; the group does not exist.",
		"summary was x":                              "The operator 'was' is not supported by the 'summary' field.",
		"sprint = openSprints()":                     "Operator '=' does not support the multi-value function 'openSprints()' for field 'sprint'.",
		"fixVersion in releasedVersions(X)":          "Could not resolve the project 'X' provided to function 'releasedVersions'.",
	} {
		if code, body := searchKeys(t, api, jql); code != 400 || !strings.Contains(body, msg) {
			t.Errorf("%s: %d %s, want %q", jql, code, body, msg)
		}
	}

	// Sprint lifecycle: create, rename, start (refused while another is active), complete.
	r := do(t, call{method: "POST", url: agile + "sprint", auth: "admin", body: map[string]any{"name": "OPS Sprint 4", "originBoardId": 2}})
	if r.code != 201 || r.obj(t)["state"] != "future" {
		t.Fatalf("create sprint: %d %s", r.code, r.raw)
	}
	nid := itoa(int(r.obj(t)["id"].(float64)))
	start := map[string]any{"state": "active", "startDate": "2024-05-01T09:00:00.000+02:00", "endDate": "2024-05-15T09:00:00.000+02:00"}
	if r := do(t, call{method: "POST", url: agile + "sprint/" + nid, auth: "admin", body: start}); r.code != 400 || !strings.Contains(string(r.raw), "already has an active sprint") {
		t.Errorf("second active sprint: %d %s", r.code, r.raw)
	}
	if r := do(t, call{method: "POST", url: agile + "sprint/" + sid, auth: "admin", body: map[string]any{"state": "closed"}}); r.code != 200 || r.obj(t)["completeDate"] == nil {
		t.Fatalf("complete: %d %s", r.code, r.raw)
	}
	if code, keys := searchKeys(t, api, "sprint in openSprints()"); code != 200 || keys != "" {
		t.Errorf("after completing, open sprint issues: %q (open work goes back to the backlog)", keys)
	}
	if r := do(t, call{method: "POST", url: agile + "sprint/" + nid, auth: "admin", body: start}); r.code != 200 || r.obj(t)["state"] != "active" {
		t.Errorf("start: %d %s", r.code, r.raw)
	}
	if r := do(t, call{method: "POST", url: agile + "sprint/" + nid, auth: "admin", body: map[string]any{"name": "Renamed", "state": "future"}}); r.code != 400 {
		t.Errorf("active back to future: %d %s", r.code, r.raw)
	}
	if r := do(t, call{method: "POST", url: agile + "sprint/" + sid + "/issue", auth: "admin", body: map[string]any{"issues": []string{b.Key}}}); r.code != 400 {
		t.Errorf("move to a closed sprint: %d %s", r.code, r.raw)
	}
	if r := do(t, call{method: "POST", url: agile + "backlog/issue", auth: "admin", body: map[string]any{"issues": []string{"OPS-999"}}}); r.code != 400 {
		t.Errorf("move an unknown issue: %d %s", r.code, r.raw)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestJiraAttachments(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: -1})
	api := srv.JiraURL() + "/rest/api/2/"
	is, _ := srv.AddIssue(Issue{Project: "OPS", Summary: "Crash on start"})
	upload := func(token, name, body string) reply {
		return uploadFile(t, api+"issue/"+is.Key+"/attachments", token, name, body)
	}
	if r := upload("", "app.log", "x"); r.code != 403 || !strings.Contains(string(r.raw), "XSRF check failed") {
		t.Errorf("upload without the token: %d %s", r.code, r.raw)
	}
	r := upload("no-check", "app.log", "line 1\nline 2\n")
	if r.code != 200 {
		t.Fatalf("upload: %d %s", r.code, r.raw)
	}
	list := r.list(t)
	a := list[0].(map[string]any)
	if a["filename"] != "app.log" || a["size"] != 14.0 || !strings.HasPrefix(a["mimeType"].(string), "text/") {
		t.Errorf("uploaded: %v", a)
	}
	meta := do(t, call{url: api + "attachment/" + a["id"].(string), auth: "admin"})
	checkShape(t, loadSample(t, "jira/attachment_get.server5_sdk.json"), meta.obj(t), shapeCheck{})
	if got := do(t, call{url: a["content"].(string), auth: "admin"}); got.code != 200 || string(got.raw) != "line 1\nline 2\n" {
		t.Errorf("download: %d %q", got.code, got.raw)
	}
	issue := do(t, call{url: api + "issue/" + is.Key + "?fields=attachment", auth: "admin"}).obj(t)
	if dig(t, issue, "fields", "attachment", 0, "filename") != "app.log" {
		t.Errorf("issue attachments: %v", issue["fields"])
	}
	if r := do(t, call{url: api + "attachment/999999", auth: "admin"}); r.code != 404 {
		t.Errorf("unknown attachment: %d", r.code)
	}
}
