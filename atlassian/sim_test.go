package atlassian_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// These tests drive the clients against the simulator over HTTP: paging
// through large result sets, fault storms, writes and permissions.

func clients(t *testing.T, srv *atlassiantest.Server, opts atlassian.Options) (*atlassian.Confluence, *atlassian.Jira) {
	t.Helper()
	c, err := atlassian.NewConfluence(srv.ConfluenceURL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	j, err := atlassian.NewJira(srv.JiraURL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, j
}

var admin = atlassian.Options{Username: "admin", Password: "admin"}

// crawlCQL pages through a CQL search and returns the ids in order.
func crawlCQL(t *testing.T, c *atlassian.Confluence, cql string, limit int) []string {
	t.Helper()
	var ids []string
	opts := &atlassian.SearchOptions{ListOptions: atlassian.ListOptions{Limit: limit}}
	for {
		p, _, err := c.Content.Search(t.Context(), cql, opts)
		if err != nil {
			t.Fatalf("search at %d: %v", opts.Start, err)
		}
		for _, r := range p.Results {
			ids = append(ids, r.ID.String())
		}
		next, ok := p.Next()
		if !ok {
			return ids
		}
		opts.Start = next
	}
}

// crawlJQL pages through a JQL search and returns the keys in order.
func crawlJQL(t *testing.T, j *atlassian.Jira, jql string, max int) []string {
	t.Helper()
	var keys []string
	opts := &atlassian.SearchIssuesOptions{MaxResults: max, Fields: []string{"summary", "updated"}}
	for {
		p, _, err := j.Issues.Search(t.Context(), jql, opts)
		if err != nil {
			t.Fatalf("search at %d: %v", opts.StartAt, err)
		}
		for _, is := range p.Issues {
			keys = append(keys, is.Key)
		}
		next, ok := p.Next()
		if !ok {
			return keys
		}
		opts.StartAt = next
	}
}

func unique(t *testing.T, ids []string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("%s seen twice", id)
		}
		seen[id] = true
	}
	return seen
}

func TestPagingThroughThousands(t *testing.T) {
	tests := []struct {
		name string
		opts sim.Options
	}{
		{"clean", sim.Options{Spaces: []sim.SpaceImport{}, JiraIssues: 1500, Seed: 7}},
		{"503 storm and rate limit", sim.Options{Spaces: []sim.SpaceImport{}, JiraIssues: 1500, Seed: 7, ErrorRate: 0.3, RateLimit: 400}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // the storm honours the simulator's Retry-After: 1 on each 503
			srv := atlassiantest.NewServer(t, tc.opts)
			if err := srv.GeneratePages("BIG", 1200, 3); err != nil {
				t.Fatal(err)
			}
			wantPages := srv.PageCount("BIG")
			if wantPages < 1200 {
				t.Fatalf("simulator holds %d pages", wantPages)
			}
			opts := admin
			opts.RetryWait, opts.MaxRetries = 1e6, 20 // 1ms
			c, j := clients(t, srv, opts)

			ids := crawlCQL(t, c, `space = BIG AND type = page ORDER BY id`, 200)
			if got := len(unique(t, ids)); got != wantPages {
				t.Errorf("crawled %d pages, want %d", got, wantPages)
			}
			keys := crawlJQL(t, j, `ORDER BY updated ASC, key ASC`, 250)
			if got := len(unique(t, keys)); got != 1500 {
				t.Errorf("crawled %d issues, want 1500", got)
			}
			if tc.opts.ErrorRate > 0 {
				// 7 CQL pages and 6 JQL pages: every failure was retried.
				if total := srv.Stats()["total"]; total <= 13 {
					t.Errorf("requests served = %d: the storm injected no fault", total)
				}
			}
		})
	}
}

func TestConfluenceRoundTrip(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: -1})
	c, _ := clients(t, srv, admin)
	ctx := t.Context()

	spaces, err := c.Spaces.All(ctx)
	if err != nil || len(spaces) == 0 {
		t.Fatalf("spaces = %v, %v", spaces, err)
	}
	home := spaces[0]
	created, _, err := c.Content.Create(ctx, atlassian.NewPage{SpaceKey: home.Key, Title: "Runbook: rotate the pager", Storage: "<p>first</p>"})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID.String()
	if created.Version.Number != 1 {
		t.Fatalf("version = %d", created.Version.Number)
	}
	updated, _, err := c.Content.Update(ctx, id, atlassian.PageUpdate{Title: created.Title, Storage: "<p>second</p>", Version: 1})
	if err != nil || updated.Version.Number != 2 {
		t.Fatalf("update = %v, %v", updated, err)
	}
	// A writer still holding version 1 gets a conflict, not an overwrite.
	_, _, err = c.Content.Update(ctx, id, atlassian.PageUpdate{Title: created.Title, Storage: "<p>stale</p>", Version: 1})
	if !errors.Is(err, atlassian.ErrConflict) {
		t.Fatalf("stale update err = %v, want conflict", err)
	}
	got, _, err := c.Content.Get(ctx, id, atlassian.ExpandPage...)
	if err != nil || got.Storage() != "<p>second</p>" || got.Version.Number != 2 || got.SpaceKey() != home.Key {
		t.Fatalf("get = %+v, %v", got, err)
	}
	byTitle, _, err := c.Content.FindByTitle(ctx, home.Key, "Runbook: rotate the pager")
	if err != nil || byTitle.ID.String() != id {
		t.Fatalf("by title = %v, %v", byTitle, err)
	}
	if _, _, err := c.Content.FindByTitle(ctx, home.Key, "No such page"); !errors.Is(err, atlassian.ErrNotFound) {
		t.Fatalf("missing title err = %v", err)
	}
	if _, _, err := c.Content.AddComment(ctx, id, "<p>looks good</p>"); err != nil {
		t.Fatal(err)
	}
	comments, _, err := c.Content.Comments(ctx, id, nil)
	if err != nil || len(comments.Results) != 1 || !strings.Contains(comments.Results[0].Storage(), "looks good") {
		t.Fatalf("comments = %+v, %v", comments, err)
	}
	labels, _, err := c.Content.AddLabels(ctx, id, "oncall", "runbook")
	if err != nil || len(labels) != 2 {
		t.Fatalf("labels = %v, %v", labels, err)
	}
	hits, _, err := c.Content.SiteSearch(ctx, `text ~ "second" AND space = `+atlassian.Quote(home.Key), nil)
	if err != nil || hits.TotalSize < 1 {
		t.Fatalf("site search = %+v, %v", hits, err)
	}
	if _, err := c.Content.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Content.Get(ctx, id); !errors.Is(err, atlassian.ErrNotFound) {
		t.Fatalf("get after delete err = %v", err)
	}
	_, _, err = c.Content.Search(ctx, `spaze = ENG`, nil)
	if !errors.Is(err, atlassian.ErrBadRequest) || !strings.Contains(err.Error(), "cql") {
		t.Fatalf("bad CQL err = %v", err)
	}
}

func TestJiraRoundTrip(t *testing.T) {
	for _, version := range []string{"9.12.0", "8.20.0"} {
		t.Run(version, func(t *testing.T) {
			srv := atlassiantest.NewServer(t, sim.Options{Spaces: []sim.SpaceImport{}, JiraVersion: version, JiraIssues: 20, Seed: 1})
			_, j := clients(t, srv, atlassian.Options{Token: "admin-token"})
			ctx := t.Context()
			me, _, err := j.Meta.Myself(ctx)
			if err != nil || me.Name != "admin" {
				t.Fatalf("myself = %v, %v", me, err)
			}
			si, _, err := j.Meta.ServerInfo(ctx)
			if err != nil || si.Version != version {
				t.Fatalf("server info = %+v, %v", si, err)
			}
			projects, _, err := j.Projects.List(ctx)
			if err != nil || len(projects) == 0 {
				t.Fatalf("projects = %v, %v", projects, err)
			}
			p := projects[0].Key
			fields, err := j.Meta.CreateFields(ctx, p, "Bug")
			if err != nil || len(fields) == 0 || !fields[0].Required {
				t.Fatalf("create fields = %+v, %v", fields, err)
			}
			if _, err := j.Meta.CreateFields(ctx, p, "Spaceship"); err == nil || !strings.Contains(err.Error(), "valid types") {
				t.Fatalf("unknown type err = %v", err)
			}
			ci, _, err := j.Issues.Create(ctx, atlassian.IssueInput{Fields: map[string]any{
				"project": map[string]string{"key": p}, "issuetype": map[string]string{"name": "Bug"},
				"summary": "Login times out after 30 s", "description": "h2. Steps\n# open the page\n# wait",
			}})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := j.Issues.Create(ctx, atlassian.IssueInput{Fields: map[string]any{"project": map[string]string{"key": p}}}); !errors.Is(err, atlassian.ErrBadRequest) {
				t.Fatalf("create without summary err = %v", err)
			}
			if _, err := j.Issues.Update(ctx, ci.Key, atlassian.IssueInput{Fields: map[string]any{"summary": "Login times out after 30 seconds"}}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := j.Issues.AddComment(ctx, ci.Key, "seen on *staging* too"); err != nil {
				t.Fatal(err)
			}
			trs, _, err := j.Issues.Transitions(ctx, ci.Key)
			if err != nil || len(trs) == 0 {
				t.Fatalf("transitions = %v, %v", trs, err)
			}
			if _, err := j.Issues.DoTransition(ctx, ci.Key, trs[0].ID, nil, "starting"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := j.Issues.AddWorklog(ctx, ci.Key, atlassian.NewWorklog{TimeSpent: "1h 30m", Comment: "debugging"}); err != nil {
				t.Fatal(err)
			}
			wl, _, err := j.Issues.Worklogs(ctx, ci.Key)
			if err != nil || wl.Total != 1 || wl.Worklogs[0].TimeSpentSeconds != 5400 {
				t.Fatalf("worklogs = %+v, %v", wl, err)
			}
			is, _, err := j.Issues.Get(ctx, ci.Key, &atlassian.GetIssueOptions{Expand: []string{"renderedFields", "names"}})
			if err != nil {
				t.Fatal(err)
			}
			if is.Fields.Summary != "Login times out after 30 seconds" || is.Fields.Status.Name != trs[0].To.Name {
				t.Errorf("issue = %q in %v", is.Fields.Summary, is.Fields.Status)
			}
			if is.RenderedFields == nil || !strings.Contains(is.RenderedFields.Description, "<h2") || !strings.Contains(is.RenderedFields.Description, "<ol") {
				t.Errorf("rendered description = %+v", is.RenderedFields)
			}
			comments, _, err := j.Issues.Comments(ctx, ci.Key, 0, 50, true)
			if err != nil || comments.Total < 2 || !strings.Contains(comments.Comments[0].Body, "<b>staging</b>") {
				t.Fatalf("rendered comments = %+v, %v", comments, err)
			}
			_, _, err = j.Issues.Search(ctx, `project = `+p+` AND statuz = Open`, nil)
			if !errors.Is(err, atlassian.ErrBadRequest) || !strings.Contains(err.Error(), "statuz") {
				t.Fatalf("bad JQL err = %v", err)
			}
			_, _, err = j.Issues.Get(ctx, p+"-99999", nil)
			if !errors.Is(err, atlassian.ErrNotFound) || !strings.Contains(err.Error(), "Issue Does Not Exist") {
				t.Fatalf("missing issue err = %v", err)
			}
		})
	}
}

func TestPermissionsAndAuth(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: -1})
	restricted, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Salaries", Body: "<p>secret</p>", Restricted: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := clients(t, srv, atlassian.Options{Username: "alice", Password: "alice"})
	if _, _, err := alice.Content.Get(t.Context(), restricted.ID); !errors.Is(err, atlassian.ErrNotFound) {
		t.Fatalf("alice sees a restricted page: err = %v", err)
	}
	ids := crawlCQL(t, alice, `space = ENG`, 50)
	for _, id := range ids {
		if id == restricted.ID {
			t.Fatal("restricted page in alice's search")
		}
	}
	for name, opts := range map[string]atlassian.Options{
		"wrong password": {Username: "admin", Password: "nope", MaxRetries: -1},
		"wrong token":    {Token: "nope", MaxRetries: -1},
	} {
		t.Run(name, func(t *testing.T) {
			c, j := clients(t, srv, opts)
			_, _, err := c.Users.Current(t.Context())
			if !errors.Is(err, atlassian.ErrUnauthorized) {
				t.Errorf("confluence err = %v", err)
			}
			_, _, err = j.Meta.Myself(t.Context())
			if !errors.Is(err, atlassian.ErrUnauthorized) || strings.Contains(err.Error(), "nope") {
				t.Errorf("jira err = %v", err)
			}
		})
	}
}

func ExampleQuote() {
	fmt.Println(`space = ENG AND title = ` + atlassian.Quote(`The "new" runbook`))
	// Output: space = ENG AND title = "The \"new\" runbook"
}

// TestConfigurationMistakes: a base URL that does not lead to the
// product's REST API, or an SSO login page answering for it, is said to
// be that, with what to check (they read as a missing issue, a missing
// space list, or "invalid character '<'").
func TestConfigurationMistakes(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 3, Seed: 1})
	sso := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!DOCTYPE html><html><head><title>Sign in - Corp SSO</title></head><body><form>…</form></body></html>")
	}))
	t.Cleanup(sso.Close)
	for _, tc := range []struct {
		name string
		call func() error
		want []string
	}{
		{"jira without its context path", func() error {
			j, _ := atlassian.NewJira(srv.URL, admin)
			_, _, err := j.Issues.Get(t.Context(), "OPS-1", nil)
			return err
		}, []string{"JIRA_BASE_URL", "context path", "https://host/jira"}},
		{"confluence at jira's address", func() error {
			c, _ := atlassian.NewConfluence(srv.JiraURL(), admin)
			_, _, err := c.Spaces.List(t.Context(), nil)
			return err
		}, []string{"CONFLUENCE_BASE_URL", "not Jira's"}},
		{"sso login page", func() error {
			j, _ := atlassian.NewJira(sso.URL+"/jira", admin)
			_, _, err := j.Issues.Get(t.Context(), "OPS-1", nil)
			return err
		}, []string{"HTML page", "Sign in - Corp SSO", "single sign-on"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, atlassian.ErrNotAPI) {
				t.Fatalf("errors.Is(err, ErrNotAPI) = false: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), "invalid character") {
				t.Errorf("a decoding error reaches the user: %v", err)
			}
		})
	}
	// The product's own 404 stays a plain not-found.
	_, j := clients(t, srv, admin)
	_, _, err := j.Issues.Get(t.Context(), "OPS-999", nil)
	if !errors.Is(err, atlassian.ErrNotFound) || errors.Is(err, atlassian.ErrNotAPI) {
		t.Errorf("a missing issue: %v", err)
	}
}

func TestSearchUsers(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 30, Seed: 1})
	_, j := clients(t, srv, admin)
	key := srv.IssueKeys("OPS")[0]
	for _, tc := range []struct {
		name string
		opts atlassian.UserSearchOptions
		want string // a user name among the answers
		err  error
	}{
		{"by user name", atlassian.UserSearchOptions{Query: "adm"}, "admin", nil},
		{"by e-mail", atlassian.UserSearchOptions{Query: "admin@"}, "admin", nil},
		{"assignable for an issue", atlassian.UserSearchOptions{Query: "adm", IssueKey: key}, "admin", nil},
		{"assignable in a project", atlassian.UserSearchOptions{Query: "adm", ProjectKey: "OPS"}, "admin", nil},
		{"no such issue", atlassian.UserSearchOptions{Query: "adm", IssueKey: "OPS-99999"}, "", atlassian.ErrNotFound},
		{"no query", atlassian.UserSearchOptions{}, "", atlassian.ErrBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			us, _, err := j.Meta.SearchUsers(t.Context(), tc.opts)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, u := range us {
				found = found || u.Name == tc.want
			}
			if !found {
				t.Errorf("%s not among %+v", tc.want, us)
			}
		})
	}
}

func TestIssueLinks(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 30, Seed: 1})
	_, j := clients(t, srv, admin)
	ctx := t.Context()
	keys := srv.IssueKeys("OPS")
	a, b := keys[0], keys[1]
	types, _, err := j.Meta.LinkTypes(ctx)
	if err != nil || len(types) == 0 || types[0].Inward == "" || types[0].Outward == "" {
		t.Fatalf("link types %+v, %v", types, err)
	}
	if _, err := j.Issues.Link(ctx, atlassian.LinkInput{Type: "Duplicate", Inward: a, Outward: b, Comment: "same thing"}); err != nil {
		t.Fatal(err)
	}
	// find returns key's Duplicate link with other.
	find := func(key, other string) (atlassian.IssueLink, bool) {
		is, _, err := j.Issues.Get(ctx, key, &atlassian.GetIssueOptions{Fields: []string{"issuelinks"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range is.Fields.IssueLinks {
			if l.Type.Name == "Duplicate" && (l.InwardIssue != nil && l.InwardIssue.Key == other || l.OutwardIssue != nil && l.OutwardIssue.Key == other) {
				return l, true
			}
		}
		return atlassian.IssueLink{}, false
	}
	// a duplicates b: a's link points outward to b, b's inward to a.
	la, ok := find(a, b)
	if !ok || la.OutwardIssue == nil || la.OutwardIssue.Key != b {
		t.Fatalf("%s links %+v", a, la)
	}
	if lb, ok := find(b, a); !ok || lb.InwardIssue == nil || lb.InwardIssue.Key != a {
		t.Fatalf("%s links %+v", b, lb)
	}
	for _, tc := range []struct {
		in   atlassian.LinkInput
		want error
	}{
		{atlassian.LinkInput{Type: "Nope", Inward: a, Outward: b}, atlassian.ErrNotFound},
		{atlassian.LinkInput{Type: "Blocks", Inward: a, Outward: "OPS-99999"}, atlassian.ErrNotFound},
		{atlassian.LinkInput{Type: "Blocks", Inward: a, Outward: a}, atlassian.ErrBadRequest},
	} {
		if _, err := j.Issues.Link(ctx, tc.in); !errors.Is(err, tc.want) {
			t.Errorf("Link(%+v) = %v, want %v", tc.in, err, tc.want)
		}
	}
	if _, err := j.Issues.DeleteLink(ctx, la.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := find(a, b); ok {
		t.Error("the link is still there after DeleteLink")
	}
	if _, err := j.Issues.DeleteLink(ctx, la.ID); !errors.Is(err, atlassian.ErrNotFound) {
		t.Errorf("second DeleteLink = %v", err)
	}
}

func TestVersionsAndComponents(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 3, Seed: 1})
	_, j := clients(t, srv, admin)
	ctx := t.Context()
	vs, _, err := j.Projects.Versions(ctx, "OPS")
	if err != nil || len(vs) == 0 || vs[0].Name == "" || vs[0].ID == "" {
		t.Fatalf("versions %+v, %v", vs, err)
	}
	cs, _, err := j.Projects.Components(ctx, "OPS")
	if err != nil || len(cs) == 0 || cs[0].Name == "" {
		t.Fatalf("components %+v, %v", cs, err)
	}
	v, _, err := j.Projects.CreateVersion(ctx, atlassian.VersionInput{ProjectKey: "OPS", Name: "2026.1", ReleaseDate: "2026-03-01"})
	if err != nil || v.Name != "2026.1" || v.Released || v.ReleaseDate != "2026-03-01" {
		t.Fatalf("created %+v, %v", v, err)
	}
	if vs2, _, _ := j.Projects.Versions(ctx, "OPS"); len(vs2) != len(vs)+1 {
		t.Errorf("%d versions after creating one, want %d", len(vs2), len(vs)+1)
	}
	_, _, err = j.Projects.CreateVersion(ctx, atlassian.VersionInput{ProjectKey: "OPS", Name: "2026.1"})
	var ae *atlassian.Error
	if !errors.As(err, &ae) || ae.Fields["name"] == "" {
		t.Errorf("duplicate version: %v", err)
	}
	if _, _, err := j.Projects.Versions(ctx, "NOPE"); !errors.Is(err, atlassian.ErrNotFound) {
		t.Errorf("versions of a missing project: %v", err)
	}
}

func TestUpdateComment(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 30, Seed: 1,
		Users: []sim.User{{Name: "admin", Password: "admin"}, {Name: "alice", Password: "alice"}}})
	_, j := clients(t, srv, admin)
	_, alice := clients(t, srv, atlassian.Options{Username: "alice", Password: "alice"})
	ctx := t.Context()
	key := srv.IssueKeys("OPS")[0]
	c, _, err := j.Issues.AddComment(ctx, key, "first")
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := j.Issues.UpdateComment(ctx, key, c.ID, "second")
	if err != nil || u.Body != "second" || u.ID != c.ID {
		t.Fatalf("updated %+v, %v", u, err)
	}
	if _, _, err := alice.Issues.UpdateComment(ctx, key, c.ID, "hijack"); !errors.Is(err, atlassian.ErrForbidden) {
		t.Errorf("another user's edit: %v", err)
	}
	if got, _, err := j.Issues.Comment(ctx, key, c.ID); err != nil || got.Body != "second" || got.ID != c.ID {
		t.Fatalf("Comment: %+v, %v", got, err)
	}
	if _, _, err := j.Issues.Comment(ctx, key, "999999"); !errors.Is(err, atlassian.ErrNotFound) {
		t.Fatalf("missing comment: %v", err)
	}
	if _, _, err := j.Issues.UpdateComment(ctx, key, "999999", "x"); !errors.Is(err, atlassian.ErrNotFound) {
		t.Errorf("a missing comment: %v", err)
	}
}

func TestRemoteLinks(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 30, Seed: 1})
	_, j := clients(t, srv, admin)
	ctx := t.Context()
	key := srv.IssueKeys("OPS")[0]
	id, _, err := j.Issues.AddRemoteLink(ctx, key, "https://runbooks.example.com/db", "DB runbook", "mentioned in")
	if err != nil || id == 0 {
		t.Fatalf("add: %d, %v", id, err)
	}
	ls, _, err := j.Issues.RemoteLinks(ctx, key)
	if err != nil || len(ls) != 1 || ls[0].ID != id || ls[0].Object.URL != "https://runbooks.example.com/db" || ls[0].Object.Title != "DB runbook" || ls[0].Relationship != "mentioned in" {
		t.Fatalf("links %+v, %v", ls, err)
	}
	if _, _, err := j.Issues.AddRemoteLink(ctx, key, "not a url", "x", ""); !errors.Is(err, atlassian.ErrBadRequest) {
		t.Errorf("a bad URL: %v", err)
	}
	if _, _, err := j.Issues.RemoteLinks(ctx, "OPS-99999"); !errors.Is(err, atlassian.ErrNotFound) {
		t.Errorf("a missing issue: %v", err)
	}
}

func TestPageVersions(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{Seed: 1})
	c, _ := clients(t, srv, admin)
	ctx := t.Context()
	p, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Versioned", Body: "<p>one</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Content.Update(ctx, p.ID, atlassian.PageUpdate{Title: "Versioned", Storage: "<p>two</p>", Version: 1, Message: "fix typo"}); err != nil {
		t.Fatal(err)
	}
	vs, _, err := c.Content.Versions(ctx, p.ID, &atlassian.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Results) != 2 || vs.Results[0].Number != 2 || vs.Results[0].Message != "fix typo" || vs.Results[1].Number != 1 ||
		vs.Results[0].By.Username != "admin" || vs.Results[0].When.IsZero() {
		t.Fatalf("versions: %+v", vs.Results)
	}
	old, _, err := c.Content.GetVersion(ctx, p.ID, 1, "body.storage", "version")
	if err != nil || old.Storage() != "<p>one</p>" || old.Version.Number != 1 {
		t.Fatalf("version 1: %+v, %v", old, err)
	}
	if _, _, err := c.Content.GetVersion(ctx, p.ID, 7); !errors.Is(err, atlassian.ErrNotFound) {
		t.Errorf("a missing version: %v", err)
	}
	if _, _, err := c.Content.Versions(ctx, "999999999", nil); !errors.Is(err, atlassian.ErrNotFound) {
		t.Errorf("versions of a missing page: %v", err)
	}
}
