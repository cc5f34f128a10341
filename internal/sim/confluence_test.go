package sim

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: 5})
	cases := []struct {
		name, url, auth string
		code            int
		contains        string
		seraph          bool
	}{
		{"confluence basic", srv.ConfluenceURL() + "/rest/api/user/current", "admin", 200, `"username":"admin"`, false},
		{"confluence bearer", srv.ConfluenceURL() + "/rest/api/user/current", "bearer:alice-token", 200, `"username":"alice"`, false},
		{"confluence wrong password", srv.ConfluenceURL() + "/rest/api/space", "basic:admin:nope", 401, "AUTHENTICATED_FAILED", true},
		{"confluence unknown user", srv.ConfluenceURL() + "/rest/api/space", "basic:mallory:x", 401, "AUTHENTICATED_FAILED", true},
		{"confluence wrong token", srv.ConfluenceURL() + "/rest/api/space", "bearer:nope", 401, "AUTHENTICATED_FAILED", true},
		{"confluence anonymous", srv.ConfluenceURL() + "/rest/api/space", "", 401, `"statusCode":401`, false},
		{"jira basic", srv.JiraURL() + "/rest/api/2/myself", "alice", 200, `"name":"alice"`, false},
		{"jira bearer", srv.JiraURL() + "/rest/api/2/myself", "bearer:admin-token", 200, `"name":"admin"`, false},
		{"jira wrong password", srv.JiraURL() + "/rest/api/2/myself", "basic:alice:admin", 401, "AUTHENTICATED_FAILED", true},
		{"jira anonymous", srv.JiraURL() + "/rest/api/2/search", "", 401, `"errorMessages":["You are not authenticated. Authentication required to perform this operation."]`, false},
		{"jira serverInfo is public", srv.JiraURL() + "/rest/api/2/serverInfo", "", 200, `"deploymentType":"Server"`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, call{url: tc.url, auth: tc.auth})
			if r.code != tc.code || !strings.Contains(string(r.raw), tc.contains) {
				t.Fatalf("got %d %s; want %d containing %q", r.code, r.raw, tc.code, tc.contains)
			}
			if got := r.header.Get("X-Seraph-LoginReason") == "AUTHENTICATED_FAILED"; got != tc.seraph {
				t.Errorf("X-Seraph-LoginReason set = %v, want %v", got, tc.seraph)
			}
		})
	}
}

func TestConfluenceReads(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: -1})
	api := srv.ConfluenceURL() + "/rest/api/"
	vpn := PageID("ENG", "vpn-setup.html")
	ops := PageID("ENG", "operations.html")
	page, err := srv.GetPage(vpn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddPage(Page{Type: "comment", ParentID: vpn, Body: "<p>Works on Fedora too.</p>", Author: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddAttachment(vpn, "wg-diagram.png", "image/png", 20480); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		code       int
		check      func(t *testing.T, m map[string]any)
	}{
		{"space list", "space?limit=10", 200, func(t *testing.T, m map[string]any) {
			if dig(t, m, "results", 0, "key") != "ENG" || dig(t, m, "size").(float64) != 1 {
				t.Errorf("spaces: %v", m)
			}
		}},
		{"space by key", "space/ENG?expand=description.plain,homepage", 200, func(t *testing.T, m map[string]any) {
			if dig(t, m, "homepage", "title") != "Engineering Handbook" {
				t.Errorf("homepage: %v", m["homepage"])
			}
		}},
		{"space missing", "space/NOPE", 404, nil},
		{"content expanded", "content/" + vpn + "?expand=body.storage,body.view,version,space,ancestors,history,metadata.labels,children.page", 200,
			func(t *testing.T, m map[string]any) {
				if !strings.Contains(dig(t, m, "body", "storage", "value").(string), `<ac:structured-macro ac:name="code">`) {
					t.Error("storage body lacks the code macro")
				}
				view := dig(t, m, "body", "view", "value").(string)
				if !strings.Contains(view, `<pre class="syntaxhighlighter-pre"`) || strings.Contains(view, "ac:") {
					t.Errorf("view not rendered: %.300s", view)
				}
				if dig(t, m, "version", "number").(float64) != 1 || dig(t, m, "space", "key") != "ENG" {
					t.Error("version/space")
				}
				anc := dig(t, m, "ancestors").([]any)
				if len(anc) != 2 || dig(t, anc, 1, "title") != "Security" {
					t.Errorf("ancestors: %v", anc)
				}
				if labels := dig(t, m, "metadata", "labels", "results").([]any); len(labels) != 3 {
					t.Errorf("labels: %v", labels)
				}
				exp := m["_expandable"].(map[string]any)
				for _, k := range []string{"body", "version", "space", "ancestors", "history", "metadata", "children"} {
					if _, ok := exp[k]; ok {
						t.Errorf("_expandable still lists expanded %q", k)
					}
				}
				if d := dig(t, m, "history", "createdDate").(string); !strings.HasSuffix(d, "Z") || len(d) != len("2024-06-03T09:30:00.000Z") {
					t.Errorf("date format %q", d)
				}
			}},
		{"content not expanded", "content/" + vpn, 200, func(t *testing.T, m map[string]any) {
			if _, ok := m["body"]; ok {
				t.Error("body present without expand")
			}
			if _, ok := dig(t, m, "_expandable").(map[string]any)["body"]; !ok {
				t.Error("body not in _expandable")
			}
		}},
		{"content missing", "content/123", 404, func(t *testing.T, m map[string]any) {
			if m["message"] != "No content found with id: ContentId{id=123}" || m["reason"] != "Not Found" ||
				dig(t, m, "data", "authorized") != false {
				t.Errorf("404 body: %v", m)
			}
		}},
		{"content by title", "content?spaceKey=ENG&title=" + url.QueryEscape("VPN Setup") + "&expand=version", 200, func(t *testing.T, m map[string]any) {
			if dig(t, m, "size").(float64) != 1 || dig(t, m, "results", 0, "id") != vpn {
				t.Errorf("by title: %v", m)
			}
		}},
		{"content bad type", "content?spaceKey=ENG&type=comment", 400, nil},
		{"cql search", "content/search?cql=" + url.QueryEscape(`space = ENG AND label = "vpn" AND type = page`), 200, func(t *testing.T, m map[string]any) {
			if dig(t, m, "size").(float64) != 1 || dig(t, m, "results", 0, "title") != "VPN Setup" {
				t.Errorf("cql: %v", m)
			}
		}},
		{"cql text and order", "content/search?cql=" + url.QueryEscape(`space = ENG AND text ~ "rollback" ORDER BY title`), 200, func(t *testing.T, m map[string]any) {
			res := dig(t, m, "results").([]any)
			if len(res) < 3 {
				t.Fatalf("want several rollback pages, got %d", len(res))
			}
			for i := 1; i < len(res); i++ {
				if strings.ToLower(dig(t, res, i-1, "title").(string)) > strings.ToLower(dig(t, res, i, "title").(string)) {
					t.Errorf("not ordered by title at %d", i)
				}
			}
		}},
		{"cql ancestor", "content/search?cql=" + url.QueryEscape("ancestor = "+ops) + "&limit=100", 200, func(t *testing.T, m map[string]any) {
			if n := dig(t, m, "size").(float64); n != 9 {
				t.Errorf("descendants of Operations for admin: %v", n)
			}
		}},
		{"cql parse error", "content/search?cql=" + url.QueryEscape("space = ENG AND ("), 400, func(t *testing.T, m map[string]any) {
			if m["message"] != "Could not parse cql : space = ENG AND (" || m["statusCode"].(float64) != 400 {
				t.Errorf("cql error: %v", m)
			}
		}},
		{"cql missing", "content/search", 400, nil},
		{"site search", "search?cql=" + url.QueryEscape(`siteSearch ~ "wireguard" AND space = ENG`), 200, nil},
		{"site search text", "search?cql=" + url.QueryEscape(`text ~ "wireguard"`), 200, func(t *testing.T, m map[string]any) {
			r := dig(t, m, "results", 0).(map[string]any)
			if !strings.Contains(r["excerpt"].(string), "@@@hl@@@WireGuard@@@endhl@@@") {
				t.Errorf("excerpt %q lacks highlight", r["excerpt"])
			}
			if dig(t, r, "resultGlobalContainer", "title") != "Engineering Handbook" || r["url"] != "/display/ENG/VPN+Setup" ||
				dig(t, r, "content", "id") != vpn || r["friendlyLastModified"] == "" {
				t.Errorf("result: %v", r)
			}
			if m["totalSize"].(float64) < 1 || m["cqlQuery"] == "" {
				t.Errorf("envelope: %v", m)
			}
		}},
		{"site search plain excerpt", "search?excerpt=none&cql=" + url.QueryEscape(`text ~ "wireguard"`), 200, func(t *testing.T, m map[string]any) {
			if dig(t, m, "results", 0, "excerpt") != "" {
				t.Error("excerpt=none still has an excerpt")
			}
		}},
		{"child pages", "content/" + ops + "/child/page?limit=3", 200, func(t *testing.T, m map[string]any) {
			if dig(t, m, "results", 0, "title") != "On-call Rotation and Pager" || m["size"].(float64) != 3 {
				t.Errorf("children: %v", m)
			}
			if _, ok := dig(t, m, "_links").(map[string]any)["next"]; !ok {
				t.Error("no next link")
			}
		}},
		{"child comments", "content/" + vpn + "/child/comment?expand=body.storage,version&depth=all", 200, func(t *testing.T, m map[string]any) {
			if dig(t, m, "results", 0, "body", "storage", "value") != "<p>Works on Fedora too.</p>" ||
				dig(t, m, "results", 0, "version", "by", "username") != "alice" {
				t.Errorf("comments: %v", m)
			}
		}},
		{"child attachments", "content/" + vpn + "/child/attachment", 200, func(t *testing.T, m map[string]any) {
			a := dig(t, m, "results", 0).(map[string]any)
			if dig(t, a, "metadata", "mediaType") != "image/png" || dig(t, a, "extensions", "fileSize").(float64) != 20480 ||
				!strings.HasPrefix(dig(t, a, "_links", "download").(string), "/download/attachments/"+vpn+"/wg-diagram.png") {
				t.Errorf("attachment: %v", a)
			}
		}},
		{"child of missing", "content/1/child/page", 404, nil},
		{"labels", "content/" + vpn + "/label", 200, func(t *testing.T, m map[string]any) {
			if dig(t, m, "results", 0, "prefix") != "global" || dig(t, m, "results", 0, "name") != "vpn" {
				t.Errorf("labels: %v", m)
			}
		}},
		{"source file property", "content/" + vpn + "/property/sourcefile", 200, func(t *testing.T, m map[string]any) {
			if dig(t, m, "value", "value") != "vpn-setup.html" {
				t.Errorf("property: %v", m)
			}
		}},
		{"unknown property", "content/" + vpn + "/property/nope", 404, nil},
		{"unknown endpoint", "nothing/here", 404, nil},
		{"user by name", "user?username=alice", 200, func(t *testing.T, m map[string]any) {
			if m["displayName"] != "Alice Example" || m["type"] != "known" {
				t.Errorf("user: %v", m)
			}
		}},
		{"unknown user", "user?username=nobody", 404, nil},
		{"user without name", "user", 400, nil},
		{"all children", "content/" + ops + "/child?expand=page", 200, func(t *testing.T, m map[string]any) {
			if dig(t, m, "page", "size").(float64) != 6 {
				t.Errorf("children: %v", m)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, call{url: api + tc.path, auth: "admin"})
			if r.code != tc.code {
				t.Fatalf("status %d, want %d: %s", r.code, tc.code, r.raw)
			}
			if tc.check != nil {
				tc.check(t, r.obj(t))
			}
		})
	}
	if page.Title != "VPN Setup" {
		t.Errorf("GetPage title %q", page.Title)
	}
}

func TestRestrictions(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: -1})
	api := srv.ConfluenceURL() + "/rest/api/"
	secret := PageID("ENG", "secrets-management.html")
	security := PageID("ENG", "security.html")
	for _, tc := range []struct {
		user      string
		code      int
		inSearch  bool
		childrenN int
	}{{"admin", 200, true, 5}, {"alice", 404, false, 3}} {
		t.Run(tc.user, func(t *testing.T) {
			if r := do(t, call{url: api + "content/" + secret, auth: tc.user}); r.code != tc.code {
				t.Errorf("get restricted page: %d, want %d", r.code, tc.code)
			}
			m := do(t, call{url: api + "content/search?cql=" + url.QueryEscape(`text ~ "vault"`), auth: tc.user}).obj(t)
			found := false
			for _, r := range m["results"].([]any) {
				found = found || dig(t, r, "id") == secret
			}
			if found != tc.inSearch {
				t.Errorf("restricted page in search = %v, want %v", found, tc.inSearch)
			}
			ch := do(t, call{url: api + "content/" + security + "/child/page", auth: tc.user}).obj(t)
			if n := int(ch["size"].(float64)); n != tc.childrenN {
				t.Errorf("children of Security: %d, want %d", n, tc.childrenN)
			}
		})
	}
	m := do(t, call{url: api + "content/" + secret + "/restriction/byOperation", auth: "admin"}).obj(t)
	if dig(t, m, "read", "restrictions", "user", "results", 0, "username") != "admin" ||
		dig(t, m, "update", "restrictions", "user", "size").(float64) != 0 {
		t.Errorf("restrictions: %v", m)
	}
	if r := do(t, call{url: api + "content/" + secret + "/restriction/byOperation", auth: "alice"}); r.code != 404 {
		t.Errorf("alice reads restrictions of a hidden page: %d", r.code)
	}
	h := do(t, call{url: api + "content/" + secret + "/history?expand=lastUpdated", auth: "admin"}).obj(t)
	if dig(t, h, "lastUpdated", "number").(float64) != 1 || dig(t, h, "createdBy", "username") != "admin" {
		t.Errorf("history: %v", h)
	}
	// Restrictions are inherited: a child of a restricted page is hidden too.
	child, err := srv.AddPage(Page{Space: "ENG", Title: "Vault unseal keys", ParentID: secret, Body: "<p>k</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, call{url: api + "content/" + child.ID, auth: "alice"}); r.code != 404 {
		t.Errorf("child of restricted page visible to alice: %d", r.code)
	}
	if err := srv.RestrictPage(secret); err != nil {
		t.Fatal(err)
	}
	if r := do(t, call{url: api + "content/" + child.ID, auth: "alice"}); r.code != 200 {
		t.Errorf("after lifting the restriction: %d", r.code)
	}

	// A group restriction: alice is in confluence-users, admin is not.
	if err := srv.RestrictPageToGroups(secret, "confluence-users"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user string
		code int
	}{{"alice", 200}, {"admin", 404}} {
		if r := do(t, call{url: api + "content/" + child.ID, auth: tc.user}); r.code != tc.code {
			t.Errorf("group-restricted page, %s: %d, want %d", tc.user, r.code, tc.code)
		}
		cql := url.QueryEscape(`id = ` + child.ID)
		hits := do(t, call{url: api + "content/search?cql=" + cql, auth: tc.user}).obj(t)["results"].([]any)
		if want := map[bool]int{true: 1, false: 0}[tc.code == 200]; len(hits) != want {
			t.Errorf("CQL as %s: %d hits, want %d", tc.user, len(hits), want)
		}
	}
	m = do(t, call{url: api + "content/" + secret + "/restriction/byOperation", auth: "alice"}).obj(t)
	if g := dig(t, m, "read", "restrictions", "group", "results").([]any); len(g) != 1 || g[0].(map[string]any)["name"] != "confluence-users" {
		t.Errorf("read restriction groups: %v", g)
	}
	if err := srv.RestrictPage(secret, "admin"); err != nil {
		t.Fatal(err)
	}
	if r := do(t, call{url: api + "content/" + child.ID, auth: "admin"}); r.code != 200 {
		t.Errorf("a user named by the restriction besides the group: %d", r.code)
	}
}

func TestConfluencePaging(t *testing.T) {
	srv, _ := testServer(t, Options{Spaces: []SpaceImport{}, JiraIssues: -1})
	if err := srv.GeneratePages("BIG", 1234, 7); err != nil {
		t.Fatal(err)
	}
	base := srv.ConfluenceURL()
	for _, tc := range []struct {
		name, first string
		wantLimit   int
	}{
		{"cql ids", "/rest/api/content/search?limit=500&cql=" + url.QueryEscape("space = BIG AND type = page ORDER BY lastmodified ASC"), 200},
		{"cql with bodies", "/rest/api/content/search?limit=500&expand=body.storage&cql=" + url.QueryEscape("space = BIG AND type = page"), 50},
		{"space listing", "/rest/api/content?spaceKey=BIG&limit=1000", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			next := tc.first
			var last time.Time
			for pages := 0; next != ""; pages++ {
				if pages > 100 {
					t.Fatal("too many pages")
				}
				m := do(t, call{url: base + next, auth: "admin"}).obj(t)
				if lim := int(m["limit"].(float64)); lim != tc.wantLimit {
					t.Fatalf("limit %d, want %d (silently capped)", lim, tc.wantLimit)
				}
				for _, r := range m["results"].([]any) {
					id := dig(t, r, "id").(string)
					if seen[id] {
						t.Fatalf("id %s twice", id)
					}
					seen[id] = true
				}
				if strings.Contains(tc.name, "ids") {
					for _, r := range m["results"].([]any) {
						p, _ := srv.GetPage(dig(t, r, "id").(string))
						if p.Updated.Before(last) {
							t.Fatalf("not ordered by lastmodified")
						}
						last = p.Updated
					}
				}
				next, _ = dig(t, m, "_links").(map[string]any)["next"].(string)
			}
			if len(seen) != 1235 { // 1234 generated + the space home page
				t.Errorf("paged through %d pages, want 1235", len(seen))
			}
		})
	}
}

func TestConfluenceWrites(t *testing.T) {
	srv, clk := testServer(t, Options{JiraIssues: -1})
	api := srv.ConfluenceURL() + "/rest/api/"
	parent := PageID("ENG", "operations.html")
	body := func(title, storage string, version int, extra map[string]any) map[string]any {
		m := map[string]any{"type": "page", "title": title, "space": map[string]any{"key": "ENG"},
			"body": map[string]any{"storage": map[string]any{"value": storage, "representation": "storage"}}}
		if version > 0 {
			m["version"] = map[string]any{"number": version}
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	r := do(t, call{method: "POST", url: api + "content", auth: "admin", body: body("Chaos drills", "<p>Break things on purpose.</p>", 0,
		map[string]any{"ancestors": []any{map[string]any{"id": parent}}})})
	if r.code != 200 {
		t.Fatalf("create: %d %s", r.code, r.raw)
	}
	created := r.obj(t)
	id := created["id"].(string)
	if dig(t, created, "ancestors", 1, "id") != parent || dig(t, created, "version", "number").(float64) != 1 {
		t.Errorf("created: %v", created)
	}
	firstWhen := dig(t, created, "version", "when").(string)

	errs := []struct {
		name   string
		c      call
		code   int
		substr string
	}{
		{"duplicate title", call{method: "POST", url: api + "content", body: body("chaos drills", "<p>x</p>", 0, nil)}, 400,
			"A page with this title already exists: A page already exists with the title chaos drills in the space with key ENG"},
		{"no space", call{method: "POST", url: api + "content", body: map[string]any{"type": "page", "title": "x"}}, 400, "space is required"},
		{"unknown space", call{method: "POST", url: api + "content", body: map[string]any{"type": "page", "title": "x", "space": map[string]any{"key": "NOPE"}}}, 404, "NOPE"},
		{"bad json", call{method: "POST", url: api + "content", body: "{"}, 400, "Could not parse request body"},
		{"stale version", call{method: "PUT", url: api + "content/" + id, body: body("Chaos drills", "<p>v2</p>", 1, nil)}, 409,
			"Version must be incremented on update. Current version is: 1"},
		{"skipped version", call{method: "PUT", url: api + "content/" + id, body: body("Chaos drills", "<p>v2</p>", 3, nil)}, 409, "Current version is: 1"},
		{"no version", call{method: "PUT", url: api + "content/" + id, body: body("Chaos drills", "<p>v2</p>", 0, nil)}, 400, "version"},
		{"rename onto existing", call{method: "PUT", url: api + "content/" + id, body: body("VPN Setup", "<p>v2</p>", 2, nil)}, 400, "already exists"},
		{"update missing", call{method: "PUT", url: api + "content/42", body: body("x", "<p/>", 2, nil)}, 404, "ContentId{id=42}"},
		{"delete missing", call{method: "DELETE", url: api + "content/42"}, 404, "ContentId{id=42}"},
		{"bad label body", call{method: "POST", url: api + "content/" + id + "/label", body: "nope"}, 400, "labels"},
		{"bad label name", call{method: "POST", url: api + "content/" + id + "/label", body: []any{map[string]any{"name": "a:b"}}}, 400, "Label name 'a:b' is not valid"},
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

	clk.Advance(90 * time.Second)
	r = do(t, call{method: "PUT", url: api + "content/" + id, auth: "alice", body: body("Chaos engineering drills", "<p>Game days every quarter.</p>", 2, nil)})
	if r.code != 200 {
		t.Fatalf("update: %d %s", r.code, r.raw)
	}
	up := r.obj(t)
	if dig(t, up, "version", "number").(float64) != 2 || dig(t, up, "version", "when") == firstWhen ||
		dig(t, up, "version", "by", "username") != "alice" {
		t.Errorf("version did not move: %v", up["version"])
	}
	// The write is visible to later reads and searches.
	m := do(t, call{url: api + "content/search?cql=" + url.QueryEscape(`text ~ "game days"`), auth: "admin"}).obj(t)
	if m["size"].(float64) != 1 || dig(t, m, "results", 0, "title") != "Chaos engineering drills" {
		t.Errorf("search after update: %v", m)
	}
	m = do(t, call{url: api + "content/search?cql=" + url.QueryEscape(`lastmodified >= "2024-06-03 09:31"`), auth: "admin"}).obj(t)
	if m["size"].(float64) != 1 {
		t.Errorf("lastmodified search after update: %v", m["size"])
	}
	// Labels, comments and blog posts.
	if r := do(t, call{method: "POST", url: api + "content/" + id + "/label", auth: "admin",
		body: []any{map[string]any{"prefix": "global", "name": "chaos"}}}); r.code != 200 || !strings.Contains(string(r.raw), `"name":"chaos"`) {
		t.Errorf("add label: %d %s", r.code, r.raw)
	}
	if m := do(t, call{url: api + "content/search?cql=label=chaos", auth: "admin"}).obj(t); m["size"].(float64) != 1 {
		t.Errorf("label search: %v", m)
	}
	r = do(t, call{method: "POST", url: api + "content", auth: "admin", body: map[string]any{"type": "comment",
		"container": map[string]any{"id": id, "type": "page"}, "body": map[string]any{"storage": map[string]any{"value": "<p>+1</p>", "representation": "storage"}}}})
	if r.code != 200 || dig(t, r.obj(t), "container", "id") != id {
		t.Errorf("comment: %d %s", r.code, r.raw)
	}
	r = do(t, call{method: "POST", url: api + "content", auth: "admin", body: map[string]any{"type": "blogpost", "title": "Q2 reliability update",
		"space": map[string]any{"key": "ENG"}, "body": map[string]any{"storage": map[string]any{"value": "<p>Fewer pages.</p>", "representation": "storage"}}}})
	if r.code != 200 {
		t.Fatalf("blogpost: %d %s", r.code, r.raw)
	}
	if m := do(t, call{url: api + "content?spaceKey=ENG&type=blogpost", auth: "admin"}).obj(t); m["size"].(float64) != 1 {
		t.Errorf("blog listing: %v", m)
	}
	// Move to another parent through PUT ancestors.
	r = do(t, call{method: "PUT", url: api + "content/" + id, auth: "admin", body: body("Chaos engineering drills", "", 3,
		map[string]any{"ancestors": []any{map[string]any{"id": PageID("ENG", "security.html")}}})})
	if r.code != 200 || dig(t, r.obj(t), "ancestors", 1, "title") != "Security" {
		t.Errorf("move by ancestors: %d %s", r.code, r.raw)
	}
	// Delete: later reads and searches no longer see it.
	if r := do(t, call{method: "DELETE", url: api + "content/" + id, auth: "admin"}); r.code != 204 {
		t.Fatalf("delete: %d", r.code)
	}
	if r := do(t, call{url: api + "content/" + id, auth: "admin"}); r.code != 404 {
		t.Errorf("get after delete: %d", r.code)
	}
	if m := do(t, call{url: api + "content/search?cql=label=chaos", auth: "admin"}).obj(t); m["size"].(float64) != 0 {
		t.Errorf("search after delete: %v", m)
	}
}

func TestGoAPI(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: -1})
	if err := srv.GeneratePages("OPSX", 3, 1); err != nil {
		t.Fatal(err)
	}
	p, err := srv.AddPage(Page{Space: "ENG", Title: "Pager etiquette", Body: "<p>Be kind.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddPage(Page{Space: "ENG", Title: "Pager etiquette"}); err == nil {
		t.Error("duplicate title accepted")
	}
	if _, err := srv.AddPage(Page{Space: "NOPE", Title: "x"}); err == nil {
		t.Error("unknown space accepted")
	}
	up, err := srv.UpdatePage(Page{ID: p.ID, Body: "<p>Be very kind.</p>"})
	if err != nil || up.Version != 2 || up.Title != "Pager etiquette" {
		t.Fatalf("update: %+v %v", up, err)
	}
	if err := srv.MovePage(p.ID, "OPSX"); err != nil {
		t.Fatal(err)
	}
	got, _ := srv.GetPage(p.ID)
	if got.Space != "OPSX" {
		t.Errorf("moved page in %s", got.Space)
	}
	if err := srv.MovePage(p.ID, "NOPE"); err == nil {
		t.Error("move to unknown space accepted")
	}
	if err := srv.DeletePage(p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.GetPage(p.ID); err == nil {
		t.Error("deleted page still readable")
	}
	if err := srv.DeletePage(p.ID); err == nil {
		t.Error("double delete accepted")
	}
	if n := srv.PageCount("OPSX"); n != 4 {
		t.Errorf("OPSX pages %d, want 4 (3 + home)", n)
	}
	if err := srv.AddSpace("TEAM", "Team space"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"TEAM", "no spaces", ""} {
		if err := srv.AddSpace(bad, "x"); err == nil {
			t.Errorf("AddSpace(%q) accepted", bad)
		}
	}
	if _, err := srv.AddPage(Page{Space: "TEAM", Title: "Team charter"}); err != nil {
		t.Errorf("page in new space: %v", err)
	}
}

func TestStats(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: 3})
	for i := 0; i < 3; i++ {
		do(t, call{url: srv.ConfluenceURL() + "/rest/api/content/" + fmt.Sprint(i), auth: "admin"})
	}
	do(t, call{url: srv.JiraURL() + "/rest/api/2/serverInfo"})
	st := do(t, call{url: srv.URL + "/__sim/stats"}).obj(t)
	if st["GET /confluence/rest/api/content/{id}"].(float64) != 3 || st["total"].(float64) != 4 {
		t.Errorf("stats: %v", st)
	}
	if got := srv.Stats()["GET /jira/rest/api/2/serverInfo"]; got != 1 {
		t.Errorf("Stats(): %d", got)
	}
	if r := do(t, call{method: "POST", url: srv.URL + "/__sim/stats/reset"}); r.code != 204 {
		t.Fatalf("reset: %d", r.code)
	}
	if st := srv.Stats(); st["total"] != 0 {
		t.Errorf("after reset: %v", st)
	}
}

func TestQuirkNextStart(t *testing.T) {
	for _, quirk := range []bool{false, true} {
		t.Run(fmt.Sprint(quirk), func(t *testing.T) {
			srv, _ := testServer(t, Options{Spaces: []SpaceImport{}, JiraIssues: -1, QuirkNextStart: quirk})
			if err := srv.GeneratePages("Q", 120, 1); err != nil {
				t.Fatal(err)
			}
			m := do(t, call{url: srv.ConfluenceURL() + "/rest/api/content/search?cql=space%3DQ&expand=body.storage&limit=100", auth: "admin"}).obj(t)
			next, _ := url.Parse(dig(t, m, "_links", "next").(string))
			want := "50"
			if quirk {
				want = "100"
			}
			if got := next.Query().Get("start"); got != want || m["limit"].(float64) != 50 {
				t.Errorf("next start %s, want %s (limit %v)", got, want, m["limit"])
			}
		})
	}
}

// TestPageVersions: an update keeps the version it replaces, listed newest
// first with author, date and message, and readable with
// status=historical&version=N (history.latest false, status current).
func TestPageVersions(t *testing.T) {
	srv, _ := testServer(t, Options{})
	cb := srv.ConfluenceURL()
	p, err := srv.AddPage(Page{Space: "ENG", Title: "Versioned", Body: "<p>one</p>"})
	if err != nil {
		t.Fatal(err)
	}
	for i, msg := range []string{"second", ""} {
		r := do(t, call{method: "PUT", url: cb + "/rest/api/content/" + p.ID, auth: "admin", body: map[string]any{
			"type": "page", "title": fmt.Sprintf("Versioned %d", i+2), "version": map[string]any{"number": i + 2, "message": msg},
			"body": map[string]any{"storage": map[string]any{"value": fmt.Sprintf("<p>v%d</p>", i+2), "representation": "storage"}}}})
		if r.code != http.StatusOK {
			t.Fatalf("update %d: %d %s", i+2, r.code, r.raw)
		}
	}
	for _, path := range []string{"/rest/experimental/content/", "/rest/api/content/"} {
		list := do(t, call{url: cb + path + p.ID + "/version", auth: "admin"}).obj(t)
		res := list["results"].([]any)
		if len(res) != 3 || list["size"].(float64) != 3 {
			t.Fatalf("%s: want 3 versions: %v", path, list)
		}
		for i, want := range []struct {
			n   float64
			msg string
		}{{3, ""}, {2, "second"}, {1, ""}} {
			v := res[i].(map[string]any)
			if v["number"] != want.n || v["message"] != want.msg || v["by"].(map[string]any)["username"] != "admin" || v["when"] == "" {
				t.Errorf("%s: version %d: %v", path, i, v)
			}
		}
		page := do(t, call{url: cb + path + p.ID + "/version?limit=2", auth: "admin"}).obj(t)
		if len(page["results"].([]any)) != 2 || page["_links"].(map[string]any)["next"] == nil {
			t.Errorf("%s: paging: %v", path, page)
		}
	}
	old := do(t, call{url: cb + "/rest/api/content/" + p.ID + "?status=historical&version=2&expand=body.storage,version,history", auth: "admin"}).obj(t)
	if old["title"] != "Versioned 2" || old["status"] != "current" || old["version"].(map[string]any)["number"] != 2.0 ||
		old["version"].(map[string]any)["message"] != "second" || old["history"].(map[string]any)["latest"] != false ||
		old["body"].(map[string]any)["storage"].(map[string]any)["value"] != "<p>v2</p>" {
		t.Errorf("version 2: %v", old)
	}
	cur := do(t, call{url: cb + "/rest/api/content/" + p.ID + "?status=historical&version=3&expand=body.storage", auth: "admin"}).obj(t)
	if cur["body"].(map[string]any)["storage"].(map[string]any)["value"] != "<p>v3</p>" {
		t.Errorf("version 3 (current): %v", cur)
	}
	if r := do(t, call{url: cb + "/rest/api/content/" + p.ID + "?status=historical&version=9", auth: "admin"}); r.code != http.StatusNotFound {
		t.Errorf("a version that never was: %d", r.code)
	}
	// Without status=historical a version argument reads the current page, as before.
	if r := do(t, call{url: cb + "/rest/api/content/" + p.ID + "?version=1", auth: "admin"}).obj(t); r["title"] != "Versioned 3" {
		t.Errorf("version without status: %v", r["title"])
	}
}

func TestConfluenceAttachmentUpload(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: -1})
	api := srv.ConfluenceURL() + "/rest/api/"
	page, err := srv.AddPage(Page{Space: "ENG", Title: "Upload probe", Body: "<p>x</p>"})
	if err != nil {
		t.Fatal(err)
	}
	upload := func(token, name, body string) reply {
		return uploadFile(t, api+"content/"+page.ID+"/child/attachment", token, name, body)
	}
	if r := upload("", "a.csv", "x"); r.code != 403 {
		t.Errorf("without the token: %d %s", r.code, r.raw)
	}
	r := upload("no-check", "data.csv", "a,b\n1,2\n")
	if r.code != 200 {
		t.Fatalf("upload: %d %s", r.code, r.raw)
	}
	at := dig(t, r.obj(t), "results", 0).(map[string]any)
	if at["title"] != "data.csv" || dig(t, at, "extensions", "fileSize") != 8.0 {
		t.Errorf("uploaded: %v", at)
	}
	link := srv.ConfluenceURL() + dig(t, at, "_links", "download").(string)
	if got := do(t, call{url: link, auth: "admin"}); got.code != 200 || string(got.raw) != "a,b\n1,2\n" {
		t.Errorf("download: %d %q", got.code, got.raw)
	}
	if r := upload("no-check", "data.csv", "again"); r.code != 400 || !strings.Contains(string(r.raw), "same file name") {
		t.Errorf("same name again: %d %s", r.code, r.raw)
	}
	if got := do(t, call{url: srv.ConfluenceURL() + "/download/attachments/" + page.ID + "/nope.txt", auth: "admin"}); got.code != 404 {
		t.Errorf("unknown file: %d", got.code)
	}
}
