package mcp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// TestConfluenceSearchUsers: people found by the start of a user name or
// of a word of the display name, with the key a mention takes; a named
// group; and the errors.
func TestConfluenceSearchUsers(t *testing.T) {
	f := newFixture(t, "", func(o *Options) { o.Toolsets = []string{"confluence_users"} })
	for _, tc := range []struct {
		name string
		args map[string]any
		want []string
	}{
		{"user name", map[string]any{"query": "grace"}, []string{`"columns":["key","name","display_name","mention"]`, `"grace.sre","Grace Singh","⟦@`}},
		{"word of the display name", map[string]any{"query": "sing"}, []string{`"grace.sre"`}},
		{"named group", map[string]any{"query": "ad", "group": "confluence-administrators"}, []string{`"admin","Ada Admin"`}},
		{"nobody", map[string]any{"query": "zzz"}, []string{`"users":[]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			contains(t, f.ok(t, "confluence_search_users", tc.args, nil), tc.want...)
		})
	}
	f.fails(t, "confluence_search_users", map[string]any{"query": " "}, "query is empty")
	f.fails(t, "confluence_search_users", map[string]any{"query": "a", "limit": 99}, "limit must be between 1 and 50")
	f.fails(t, "confluence_search_users", map[string]any{"query": "a", "group": "nope"}, "group nope")
}

// TestConfluenceSearchUsersBound: a group larger than the scan bound is
// read only up to it, and the answer says so instead of listing nobody.
func TestConfluenceSearchUsersBound(t *testing.T) {
	users := sim.DefaultUsers()
	for i := range maxMembersScanned + memberPage {
		users = append(users, sim.User{Name: fmt.Sprintf("user%04d", i), Groups: []string{"staff"}})
	}
	simSrv := atlassiantest.NewServer(t, sim.Options{Seed: 1, JiraIssues: -1, Users: users})
	conf, err := atlassian.NewConfluence(simSrv.ConfluenceURL(), atlassian.Options{Username: "admin", Password: "admin", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Confluence: conf, Version: "test", Toolsets: []string{"confluence_users"}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{sim: simSrv, conf: conf, srv: srv, cli: connect(t, srv, "")}
	before := simSrv.Stats()["total"]
	text := f.ok(t, "confluence_search_users", map[string]any{"query": "user2", "group": "staff"}, nil)
	contains(t, text, `"users":[]`, "searched the first 2000 members of staff")
	if n := simSrv.Stats()["total"] - before; n > maxMembersScanned/memberPage {
		t.Errorf("%d requests for one search, want at most %d", n, maxMembersScanned/memberPage)
	}
	// A match on an early page ends the scan as soon as limit is reached.
	text = f.ok(t, "confluence_search_users", map[string]any{"query": "user0001", "group": "staff", "limit": 1}, nil)
	if !strings.Contains(text, `"user0001"`) || strings.Contains(text, "note") {
		t.Errorf("early match: %s", text)
	}
}
