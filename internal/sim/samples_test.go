package sim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const samplesDir = "../../testdata/atlassian-samples"

func loadSample(t *testing.T, name string) any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode sample %s: %v", name, err)
	}
	return v
}

func keysOf(t *testing.T, v any, where string) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: %T is not an object", where, v)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// shapeCheck compares the keys of one nested object of the sample and of the simulator.
type shapeCheck struct {
	path   []any    // where the object is, in both documents
	exact  bool     // same key set; otherwise the sample's keys must all be present
	ignore []string // keys the sample has that the simulator deliberately does not serve
}

func checkShape(t *testing.T, sample, ours any, c shapeCheck) {
	t.Helper()
	where := strings.Trim(strings.ReplaceAll(strings.Trim(jsonPath(c.path), " "), " ", "."), ".")
	want := slices.DeleteFunc(keysOf(t, dig(t, sample, c.path...), "sample "+where),
		func(k string) bool { return slices.Contains(c.ignore, k) })
	got := keysOf(t, dig(t, ours, c.path...), "simulator "+where)
	var missing, extra []string
	for _, k := range want {
		if !slices.Contains(got, k) {
			missing = append(missing, k)
		}
	}
	for _, k := range got {
		if !slices.Contains(want, k) && !slices.Contains(c.ignore, k) {
			extra = append(extra, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s: simulator lacks keys %v (has %v)", where, missing, got)
	}
	if c.exact && len(extra) > 0 {
		t.Errorf("%s: simulator has extra keys %v (sample %v)", where, extra, want)
	}
}

func jsonPath(p []any) string {
	var b strings.Builder
	for _, x := range p {
		b.WriteString(" ")
		b.WriteString(strings.Trim(strings.ReplaceAll(toString(x), " ", ""), " "))
	}
	return "$" + b.String()
}

func toString(x any) string {
	b, _ := json.Marshal(x)
	return strings.Trim(string(b), `"`)
}

// TestSampleShapes loads each copied real payload and checks that the simulator's response for the
// same endpoint has the same keys at the top level and in the main nested objects.
func TestSampleShapes(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: 30})
	cb, jb := srv.ConfluenceURL()+"/rest/api/", srv.JiraURL()+"/rest/api/2/"
	page, err := srv.AddPage(Page{Space: "ENG", Title: "Shape probe", Body: "<p>x</p>", Labels: []string{"probe"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddAttachment(page.ID, "file.txt", "text/plain", 12); err != nil {
		t.Fatal(err)
	}
	child, err := srv.AddPage(Page{Space: "ENG", Title: "Shape child", ParentID: page.ID, Body: "<p>y</p>"})
	if err != nil {
		t.Fatal(err)
	}
	created := do(t, call{method: "POST", url: cb + "content", auth: "admin", body: map[string]any{
		"type": "page", "title": "Created shape", "space": map[string]any{"key": "ENG"},
		"ancestors": []any{map[string]any{"id": page.ID}},
		"body":      map[string]any{"storage": map[string]any{"value": "<h2>This is a test</h2>", "representation": "storage"}},
	}}).obj(t)
	createdID := created["id"].(string)
	issue := srv.IssueKeys("OPS")[0]

	cases := []struct {
		sample string
		get    func() any
		checks []shapeCheck
	}{
		{"confluence/space_list.server7.json", func() any { return do(t, call{url: cb + "space", auth: "admin"}).obj(t) },
			[]shapeCheck{{exact: true}, {path: []any{"results", 0}, exact: true}, {path: []any{"results", 0, "_links"}, exact: true},
				{path: []any{"results", 0, "_expandable"}, exact: true}, {path: []any{"_links"}, exact: true}}},
		{"confluence/content_create.post_response.server.json", func() any { return created },
			[]shapeCheck{{exact: true}, {path: []any{"space"}, exact: true}, {path: []any{"space", "_expandable"}},
				{path: []any{"history"}, exact: true}, {path: []any{"history", "createdBy"}, exact: true},
				{path: []any{"history", "_expandable"}, exact: true},
				{path: []any{"version"}, exact: true}, {path: []any{"version", "by"}, exact: true},
				{path: []any{"ancestors", 0}, exact: true}, {path: []any{"ancestors", 0, "_links"}, exact: true},
				{path: []any{"ancestors", 0, "_expandable"}, exact: true},
				{path: []any{"container"}, exact: true}, {path: []any{"body"}, exact: true},
				{path: []any{"body", "storage"}, exact: true}, {path: []any{"_links"}, exact: true},
				{path: []any{"_expandable"}, exact: true}}},
		{"confluence/content_update.put_response.server.json", func() any {
			return do(t, call{method: "PUT", url: cb + "content/" + createdID, auth: "admin", body: map[string]any{
				"type": "page", "title": "Created shape", "version": map[string]any{"number": 2},
				"body": map[string]any{"storage": map[string]any{"value": "<p>v2</p>", "representation": "storage"}},
			}}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"version"}, exact: true}, {path: []any{"history"}, exact: true},
			{path: []any{"body", "storage"}, exact: true}, {path: []any{"_links"}, exact: true}}},
		{"confluence/content_get.expand_body_editor_version.server7.json", func() any {
			return do(t, call{url: cb + "content/" + page.ID + "?expand=body.storage,version,space", auth: "admin"}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"version"}, exact: true}, {path: []any{"version", "by"}, exact: true},
			{path: []any{"version", "by", "profilePicture"}, exact: true}, {path: []any{"_links"}, exact: true},
			// The sample lists "space" as expandable although it expanded it; we do not.
			{path: []any{"_expandable"}, exact: true, ignore: []string{"space"}}}},
		{"confluence/content_list_by_title.expand_version.server.json", func() any {
			return do(t, call{url: cb + "content?spaceKey=ENG&title=Shape+probe&expand=version", auth: "admin"}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"results", 0}, exact: true}, {path: []any{"results", 0, "version"}, exact: true},
			{path: []any{"results", 0, "version", "by"}, exact: true}, {path: []any{"results", 0, "_links"}, exact: true},
			{path: []any{"results", 0, "_expandable"}, exact: true}, {path: []any{"_links"}, exact: true}}},
		{"confluence/content_list_by_title.expand_ancestors.server.json", func() any {
			return do(t, call{url: cb + "content?spaceKey=ENG&title=Shape+child&expand=ancestors", auth: "admin"}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"results", 0}, exact: true}, {path: []any{"results", 0, "ancestors", 0}, exact: true},
			{path: []any{"results", 0, "ancestors", 0, "_expandable"}, exact: true}}},
		{"confluence/content_list_by_title.empty.server.json", func() any {
			return do(t, call{url: cb + "content?spaceKey=ENG&title=Nope&expand=ancestors", auth: "admin"}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"_links"}, exact: true}}},
		{"confluence/content_versions.experimental.server7.json", func() any {
			return do(t, call{url: srv.ConfluenceURL() + "/rest/experimental/content/" + createdID + "/version", auth: "admin"}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"results", 0}, exact: true}, {path: []any{"results", 0, "_links"}, exact: true},
			{path: []any{"results", 0, "_expandable"}, exact: true}, {path: []any{"_links"}, exact: true}}},
		{"confluence/child_attachment_list.server_trimmed.json", func() any {
			return do(t, call{url: cb + "content/" + page.ID + "/child/attachment?expand=version", auth: "admin"}).obj(t)
		}, []shapeCheck{{}, {path: []any{"results", 0}}, {path: []any{"results", 0, "_links"}}, {path: []any{"results", 0, "version"}}}},

		{"jira/issue_get.server5_sdk.json", func() any { return do(t, call{url: jb + "issue/" + issue, auth: "admin"}).obj(t) },
			[]shapeCheck{{exact: true}, {path: []any{"fields"}}, {path: []any{"fields", "issuetype"}}, {path: []any{"fields", "reporter"}},
				{path: []any{"fields", "status"}}, {path: []any{"fields", "priority"}, exact: true}, {path: []any{"fields", "project"}},
				{path: []any{"fields", "watches"}, exact: true}, {path: []any{"fields", "votes"}, exact: true},
				{path: []any{"fields", "comment"}, exact: true}, {path: []any{"fields", "worklog"}, exact: true},
				{path: []any{"fields", "progress"}}}},
		{"jira/issue_get.expand_changelog.linkedin_server.json", func() any {
			return do(t, call{url: jb + "issue/" + transitionedIssue(t, srv.Sim) + "?expand=changelog&fields=created", auth: "admin"}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"fields"}, exact: true, ignore: []string{"customfield_10460"}},
			{path: []any{"changelog"}, exact: true}, {path: []any{"changelog", "histories", 0}, exact: true},
			{path: []any{"changelog", "histories", 0, "author"}, exact: true},
			{path: []any{"changelog", "histories", 0, "items", 0}, exact: true}}},
		{"jira/issue_create.post_response.server5_sdk.json", func() any {
			return do(t, call{method: "POST", url: jb + "issue", auth: "admin", body: map[string]any{"fields": map[string]any{
				"project": map[string]any{"key": "OPS"}, "issuetype": map[string]any{"name": "Task"}, "summary": "Shape"}}}).obj(t)
		}, []shapeCheck{{exact: true}}},
		{"jira/comments_list.server5_sdk.json", func() any {
			do(t, call{method: "POST", url: jb + "issue/" + issue + "/comment", auth: "admin", body: map[string]any{"body": "hi"}})
			return do(t, call{url: jb + "issue/" + issue + "/comment", auth: "admin"}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"comments", 0}, exact: true}, {path: []any{"comments", 0, "author"}},
			{path: []any{"comments", 0, "author", "avatarUrls"}}}},
		{"jira/comment_create.post_response.server5_sdk.json", func() any {
			return do(t, call{method: "POST", url: jb + "issue/" + issue + "/comment", auth: "admin", body: map[string]any{"body": "new comment"}}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"updateAuthor"}}}},
		{"jira/error_400_invalid_field.server5_sdk.json", func() any {
			return do(t, call{method: "PUT", url: jb + "issue/" + issue, auth: "admin", body: map[string]any{"fields": map[string]any{"invalid": "x"}}}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"errors"}, exact: true}}},
		{"jira/error_400_unrecognized_field.server5_sdk.json", func() any {
			return do(t, call{method: "PUT", url: jb + "issue/" + issue, auth: "admin", body: map[string]any{"chump": 1}}).obj(t)
		}, []shapeCheck{{exact: true}}},
		{"jira/error_404_not_found.json", func() any { return do(t, call{url: jb + "issue/NOPE-1", auth: "admin"}).obj(t) },
			[]shapeCheck{{exact: true}}},
		{"jira/board_sprints.server2016_anon.json", func() any {
			return do(t, call{url: srv.JiraURL() + "/rest/agile/1.0/board/1/sprint", auth: "admin"}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"values", 0}, exact: true}, {path: []any{"values", 1}},
			{path: []any{"values", 2}, exact: true}}},
		{"jira/project_get.apache.json", func() any { return do(t, call{url: jb + "project/OPS", auth: "admin"}).obj(t) },
			[]shapeCheck{{}, {path: []any{"lead"}}, {path: []any{"issueTypes", 0}, exact: true}}},
		{"jira/search.apache_jira8.json", func() any {
			return do(t, call{url: jb + "search?jql=project%3DOPS&fields=summary,status,resolution", auth: "admin"}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"issues", 0}, exact: true}, {path: []any{"issues", 0, "fields"}, exact: true}}},
		{"jira/search.server_sdk.json", func() any { return do(t, call{url: jb + "search?jql=project%3DOPS", auth: "admin"}).obj(t) },
			// isLast was added to this fixture by its maintainers in 2025; Server's /search has none.
			// creator arrived in Jira 6, after this Jira 5 recording; the SDK
			// instance recorded had no custom fields, ours has some (as the
			// Jira 7 and LinkedIn samples do).
			[]shapeCheck{{exact: true, ignore: []string{"isLast"}}, {path: []any{"issues", 0}, exact: true},
				{path: []any{"issues", 0, "fields"}, exact: true, ignore: []string{"creator", "customfield_10200", "customfield_10201", "customfield_10202"}},
				{path: []any{"issues", 0, "fields", "reporter"}}}},
		{"jira/search.linkedin_server.json", func() any {
			return do(t, call{method: "POST", url: jb + "search", auth: "admin", body: map[string]any{
				"jql": "assignee is not EMPTY", "fields": []string{"summary", "assignee"}, "maxResults": 200}}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"issues", 0, "fields"}, exact: true}, {path: []any{"issues", 0, "fields", "assignee"}, exact: true}}},
		{"jira/transitions.apache_jira8.json", func() any {
			return do(t, call{url: jb + "issue/" + issue + "/transitions", auth: "admin"}).obj(t)
		}, []shapeCheck{{exact: true}, {path: []any{"transitions", 0}}, {path: []any{"transitions", 0, "to"}, exact: true},
			{path: []any{"transitions", 0, "to", "statusCategory"}, exact: true}}},
		{"jira/user_get.server5_sdk.json", func() any { return do(t, call{url: jb + "user?username=admin", auth: "admin"}).obj(t) },
			[]shapeCheck{{}, {path: []any{"avatarUrls"}}}},
		{"jira/issue_votes.linkedin_server.json", func() any { return do(t, call{url: jb + "issue/" + issue + "/votes", auth: "admin"}).obj(t) },
			[]shapeCheck{{exact: true}}},
	}
	for _, tc := range cases {
		t.Run(tc.sample, func(t *testing.T) {
			sample := loadSample(t, tc.sample)
			ours := tc.get()
			for _, c := range tc.checks {
				checkShape(t, sample, ours, c)
			}
		})
	}

	// Lists: the elements of bare-array samples.
	lists := []struct {
		sample, url string
		unwrap      string // the simulator's key holding the list, when it wraps it
		exact       bool
	}{
		{"jira/field_list.linkedin_server.json", jb + "field", "", false},
		{"jira/project_list.apache.trimmed.json", jb + "project", "", false},
		// Server wraps link types in {"issueLinkTypes": [...]}; the fixture saved only the array.
		{"jira/issue_link_types.apache.json", jb + "issueLinkType", "issueLinkTypes", true},
	}
	// A project's versions: a released one with a date and no
	// description (the sample's second), and one without a date.
	versions := loadSample(t, "jira/project_versions.apache_jira8.json").([]any)
	ours := do(t, call{url: jb + "project/OPS/versions", auth: "admin"}).list(t)
	checkShape(t, versions[1], ours[0], shapeCheck{exact: true})
	newVersion := do(t, call{method: "POST", url: jb + "version", auth: "admin", body: map[string]any{"name": "Shape 1", "project": "OPS"}}).obj(t)
	for _, v := range versions {
		if _, dated := v.(map[string]any)["releaseDate"]; !dated {
			checkShape(t, v, newVersion, shapeCheck{exact: true, ignore: []string{"description"}})
			break
		}
	}
	// A user search answers a bare array of the user objects of GET user,
	// without their groups (never expandable there).
	users := do(t, call{url: jb + "user/search?username=adm", auth: "admin"}).list(t)
	assignable := do(t, call{url: jb + "user/assignable/search?username=a&issueKey=" + issue, auth: "admin"}).list(t)
	for what, list := range map[string][]any{"user/search": users, "user/assignable/search": assignable} {
		if len(list) == 0 {
			t.Fatalf("%s found nobody", what)
		}
		checkShape(t, loadSample(t, "jira/user_get.server5_sdk.json"), list[0], shapeCheck{ignore: []string{"groups", "expand"}})
	}
	for _, tc := range lists {
		t.Run(tc.sample, func(t *testing.T) {
			sample := loadSample(t, tc.sample).([]any)
			r := do(t, call{url: tc.url, auth: "admin"})
			var ours []any
			if tc.unwrap != "" {
				ours = r.obj(t)[tc.unwrap].([]any)
			} else {
				ours = r.list(t)
			}
			checkShape(t, sample[0], ours[0], shapeCheck{exact: tc.exact})
		})
	}
	_ = child
}

// transitionedIssue returns the key of an issue whose changelog is not empty.
func transitionedIssue(t *testing.T, s *Sim) string {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, p := range s.jira.projList {
		for _, is := range p.issues {
			if len(is.history) > 0 {
				return is.key
			}
		}
	}
	t.Fatal("no issue has a changelog")
	return ""
}
