package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// sharedWorld is a simulator with admin (syncs the shared index), alice
// (sees no restricted item) and bob (in the administrators' groups, not
// the syncer), and one data directory all three search with their own
// credentials.
type sharedWorld struct {
	srv     *watchedSim
	dataDir string
}

func (w *sharedWorld) config(t *testing.T, user string) *config {
	t.Helper()
	return faultConfig(t, faultEnv(t, w.srv.URL, user+"-token", "ATLASBRIDGE_DATA_DIR", w.dataDir))
}

// secretDoc is an item alice must never see anything of: its id, title,
// and a phrase of its body that no question names.
type secretDoc struct {
	id, title, phrase, question string
}

// cliAnswer is `atlasbridge search --json` as a user, its query echo left
// out (it repeats the question).
type cliAnswer struct {
	results []searchResultJSON
	text    string // results and notes, as printed
}

func (w *sharedWorld) search(t *testing.T, cfg *config, question string) cliAnswer {
	t.Helper()
	code, out, errs := cliRun(context.Background(), cfg, "search", "--json", "--k", "10", question)
	if code != 0 {
		t.Fatalf("search %q: exit %d\n%s", question, code, errs)
	}
	var res struct {
		Results []searchResultJSON
		Notes   []string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("search %q: %v\n%s", question, err, out)
	}
	b, _ := json.Marshal(struct {
		R []searchResultJSON
		N []string
	}{res.Results, res.Notes})
	return cliAnswer{results: res.Results, text: string(b)}
}

func (a cliAnswer) find(id string) (searchResultJSON, bool) {
	for _, r := range a.results {
		if r.ID == id || r.Key == id {
			return r, true
		}
	}
	return searchResultJSON{}, false
}

// stdioSearch runs serve over stdio with cfg and returns the text of one
// semantic_search call.
func stdioSearch(t *testing.T, cfg *config, question string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, nil, cfg, inR, outW, io.Discard)
		outW.Close()
	}()
	args, _ := json.Marshal(map[string]any{"query": question})
	go io.WriteString(inW, strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"semantic_search","arguments":` + string(args) + `}}`,
	}, "\n")+"\n")
	sc := bufio.NewScanner(outR)
	sc.Buffer(nil, 4<<20)
	var answer string
	for sc.Scan() {
		var msg struct {
			ID     any             `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) == nil && msg.ID == 2.0 {
			answer = string(msg.Result)
			break
		}
	}
	inW.Close()
	cancel()
	go io.Copy(io.Discard, outR)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve over stdio: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve over stdio did not stop")
	}
	if answer == "" {
		t.Fatalf("no answer to semantic_search %q over stdio", question)
	}
	return answer
}

// secretsIn lists what of the secrets shows in text.
func secretsIn(text string, secrets []secretDoc) []string {
	var out []string
	for _, s := range secrets {
		for _, bit := range []string{s.id, s.title, s.phrase} {
			if strings.Contains(strings.ToLower(text), strings.ToLower(bit)) {
				out = append(out, fmt.Sprintf("%q (of %s)", bit, s.title))
			}
		}
	}
	return out
}

// TestSharedIndexTrimmedToOwnCredentials: admin syncs an index into a data
// directory that alice and bob search with their own credentials, from the
// CLI, from a stdio server and over HTTP. Alice, outside every restriction, gets not
// one id, title or word of a page restricted to admin, one restricted to a
// group, one under a restricted parent, an issue at a security level, a
// comment limited to a group, nor of a page restricted between two syncs
// (no new version); bob, in the groups, finds the group's pages (flagged
// restricted) and the issue, and the comment through the servers' search.
// With the servers down, alice keeps only what the index knows to be open.
func TestSharedIndexTrimmedToOwnCredentials(t *testing.T) {
	users := append(sim.DefaultUsers(), sim.User{Name: "bob", Password: "bob", Token: "bob-token", DisplayName: "Bob Builder",
		Groups: []string{"confluence-administrators", "jira-administrators", "jira-software-users"}})
	srv := newWatchedSim(t, sim.Options{JiraIssues: 3, Seed: 5, Users: users,
		SecurityLevels: map[string][]string{"Staff only": {"jira-administrators"}}}, false)
	w := &sharedWorld{srv: srv, dataDir: t.TempDir()}
	page := func(p sim.Page) sim.Page {
		t.Helper()
		got, err := srv.AddPage(p)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	hidden := page(sim.Page{Space: "ENG", Title: "Zephyrquartz ledger reconciliation",
		Body: "<p>The zephyrquartz reconciliation moves the quarterly ledger between the vaults.</p>"})
	grouped := page(sim.Page{Space: "ENG", Title: "Obsidianwren ledger audit",
		Body: "<p>The obsidianwren audit of the quarterly ledger counts the bronze tokens.</p>"})
	child := page(sim.Page{Space: "ENG", Title: "Marigoldfen ledger appendix", ParentID: hidden.ID,
		Body: "<p>The marigoldfen appendix lists the harbour pilots.</p>"})
	later := page(sim.Page{Space: "ENG", Title: "Tamarindvole ledger handbook",
		Body: "<p>The tamarindvole handbook explains the lantern rota.</p>"})
	overview := page(sim.Page{Space: "ENG", Title: "Quarterly ledger overview",
		Body: "<p>The quarterly ledger and its reconciliation, for everyone.</p>"})
	if err := srv.RestrictPage(hidden.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := srv.RestrictPageToGroups(grouped.ID, "confluence-administrators"); err != nil {
		t.Fatal(err)
	}
	secret, err := srv.AddIssue(sim.Issue{Project: "OPS", Summary: "Cobaltheron ledger breach",
		Description: "The cobaltheron breach opened the copper gate."})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetIssueSecurity(secret.Key, "Staff only"); err != nil {
		t.Fatal(err)
	}
	open, err := srv.AddIssue(sim.Issue{Project: "OPS", Summary: "Ledger review",
		Description: "A review of the ledger for everyone."})
	if err != nil {
		t.Fatal(err)
	}
	jira, err := atlassian.NewJira(srv.URL+"/jira", atlassian.Options{Token: "admin-token", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	req, err := jira.NewRequest(context.Background(), http.MethodPost, "rest/api/2/issue/"+open.Key+"/comment", nil,
		map[string]any{"body": "The quillfeather settlement closes the walnut account.", "visibility": map[string]any{"type": "group", "value": "jira-administrators"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jira.Do(req, nil); err != nil {
		t.Fatal(err)
	}

	admin, alice, bob := w.config(t, "admin"), w.config(t, "alice"), w.config(t, "bob")
	sync := func() {
		t.Helper()
		if code, out, errs := cliRun(context.Background(), admin, "sync", "--progress", "none"); code != 0 {
			t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
		}
	}
	sync()
	// Before the restriction, the handbook is open to alice from the index.
	if _, ok := w.search(t, alice, "tamarindvole ledger handbook").find(later.ID); !ok {
		t.Fatal("alice does not find the open handbook before it is restricted; the test proves nothing")
	}
	if err := srv.RestrictPageToGroups(later.ID, "confluence-administrators"); err != nil {
		t.Fatal(err)
	}
	sync()

	secrets := []secretDoc{
		{hidden.ID, hidden.Title, "between the vaults", "zephyrquartz ledger reconciliation"},
		{grouped.ID, grouped.Title, "bronze tokens", "obsidianwren ledger audit"},
		{child.ID, child.Title, "harbour pilots", "marigoldfen ledger appendix"},
		{secret.Key, "Cobaltheron ledger breach", "copper gate", "cobaltheron ledger breach"},
		{"quillfeather", "quillfeather settlement", "walnut account", "quillfeather settlement"},
		{later.ID, later.Title, "lantern rota", "tamarindvole ledger handbook"},
	}
	t.Run("alice", func(t *testing.T) {
		for _, s := range secrets {
			if l := secretsIn(w.search(t, alice, s.question).text, secrets); l != nil {
				t.Errorf("CLI %q shows alice %v", s.question, l)
			}
			if l := secretsIn(stdioSearch(t, alice, s.question), secrets); l != nil {
				t.Errorf("stdio %q shows alice %v", s.question, l)
			}
		}
		if _, ok := w.search(t, alice, "quarterly ledger overview").find(overview.ID); !ok {
			t.Error("alice does not find the open overview")
		}
	})
	t.Run("alice over HTTP", func(t *testing.T) {
		url, _ := runServeHTTP(t, faultConfig(t, faultEnv(t, w.srv.URL, "admin-token", "ATLASBRIDGE_DATA_DIR", w.dataDir, "ATLASBRIDGE_LOG_LEVEL", "info")))
		cli := perUserClient(t, url, testHTTPToken, "alice")
		for _, s := range secrets {
			text, _ := callText(t, cli, "semantic_search", map[string]any{"query": s.question})
			if l := secretsIn(text, secrets); l != nil {
				t.Errorf("HTTP %q shows alice %v", s.question, l)
			}
		}
	})
	t.Run("bob", func(t *testing.T) {
		for _, tc := range []struct {
			id, question string
			restricted   bool
		}{{grouped.ID, "obsidianwren ledger audit", true}, {later.ID, "tamarindvole ledger handbook", true},
			{secret.Key, "cobaltheron ledger breach", true}, {overview.ID, "quarterly ledger overview", false}} {
			r, ok := w.search(t, bob, tc.question).find(tc.id)
			if !ok || r.Origin != "index" || r.Restricted != tc.restricted {
				t.Errorf("bob, %q: found %v, origin %q, restricted %v; want the index's hit, restricted %v", tc.question, ok, r.Origin, r.Restricted, tc.restricted)
			}
		}
		a := w.search(t, bob, "zephyrquartz ledger reconciliation")
		if l := secretsIn(a.text, secrets[:1]); l != nil {
			t.Errorf("bob, outside the page's user restriction, sees %v", l)
		}
		if r, ok := w.search(t, bob, "quillfeather settlement").find(open.Key); !ok || r.Origin != "live" {
			t.Errorf("bob, in the comment's group, does not find it through the servers' search: %v %+v", ok, r)
		}
		if !strings.Contains(stdioSearch(t, bob, "obsidianwren ledger audit"), grouped.Title) {
			t.Error("bob does not find the group's page over stdio")
		}
	})
	t.Run("admin", func(t *testing.T) {
		if r, ok := w.search(t, admin, "tamarindvole ledger handbook").find(later.ID); !ok || !r.Restricted {
			t.Errorf("admin: the page restricted between syncs is found %v, restricted %v", ok, r.Restricted)
		}
	})
	t.Run("servers down", func(t *testing.T) {
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		defer down.Close()
		offline := func(user string) *config {
			return faultConfig(t, faultEnv(t, down.URL, user+"-token", "ATLASBRIDGE_DATA_DIR", w.dataDir))
		}
		a := w.search(t, offline("alice"), "tamarindvole ledger handbook overview")
		if l := secretsIn(a.text, secrets); l != nil {
			t.Errorf("offline, alice sees %v", l)
		}
		if _, ok := a.find(overview.ID); !ok {
			t.Errorf("offline, alice loses the open overview: %s", a.text)
		}
		if !strings.Contains(a.text, "could not be asked") {
			t.Errorf("offline, alice's answer does not say hits were left out: %s", a.text)
		}
		if _, ok := w.search(t, offline("admin"), "tamarindvole ledger handbook").find(later.ID); !ok {
			t.Error("offline, admin (who synced the index) loses a restricted page")
		}
	})
}

// TestSyncerSearchesOffline: right after a sync, with the servers down and
// no search made before, the account that synced is known from the sync:
// its search keeps every hit, restricted ones included, and asks nothing.
// Another account on the same data directory, never seen online, keeps
// none of the index's hits and is told how many were left out.
func TestSyncerSearchesOffline(t *testing.T) {
	srv := newWatchedSim(t, sim.Options{JiraIssues: -1, Seed: 4}, false)
	p, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Payroll export procedure",
		Body: "<p>The payroll export runs through the quarantined finance bridge.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RestrictPage(p.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	ctx := context.Background()
	sync := faultConfig(t, faultEnv(t, srv.URL, "admin-token", "ATLASBRIDGE_DATA_DIR", dataDir))
	if code, out, errs := cliRun(ctx, sync, "sync", "--progress", "none"); code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	w := &sharedWorld{srv: srv, dataDir: dataDir}
	admin := w.search(t, faultConfig(t, faultEnv(t, down.URL, "admin-token", "ATLASBRIDGE_DATA_DIR", dataDir)), "payroll export procedure")
	if r, ok := admin.find(p.ID); !ok || !r.Restricted {
		t.Errorf("offline, the syncing account: restricted page found %v (restricted %v): %s", ok, r.Restricted, admin.text)
	}
	alice := w.search(t, faultConfig(t, faultEnv(t, down.URL, "alice-token", "ATLASBRIDGE_DATA_DIR", dataDir)), "payroll export procedure")
	if len(alice.results) > 0 || !strings.Contains(alice.text, "could not be asked") {
		t.Errorf("offline, an account never seen: %s", alice.text)
	}
}
