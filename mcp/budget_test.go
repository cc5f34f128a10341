package mcp

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// newFixtureSim is newFixture over a simulator with other options.
func newFixtureSim(t testing.TB, simOpts sim.Options) *fixture {
	t.Helper()
	sim := atlassiantest.NewServer(t, simOpts)
	conf, jira := clients(t, sim, "admin")
	srv, err := New(Options{Confluence: conf, Jira: jira, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sim: sim, conf: conf, jira: jira, srv: srv, cli: connect(t, srv, "")}
}

// Long titles and summaries as real sites have them: the reference
// documentation's section titles, and bug reports whose summary says it
// all.
var (
	longTitles = []string{
		"26.3. Continuous Archiving and Point-in-Time Recovery (PITR) — Setting Up WAL Archiving on a Standby Server",
		"27.2. Log-Shipping Standby Servers: Planning, Standby Server Operation and Preparing the Primary for Standby Servers",
		"20.5. Write Ahead Log: Settings, Checkpoints, Archiving, Recovery, Archive Recovery and Recovery Target Parameters",
		"9.16. JSON Functions and Operators: Processing and Creating JSON Data, the SQL/JSON Path Language and Its Operators",
		"Chapter 30. Reliability and the Write-Ahead Log: Data Checksums, WAL Configuration and WAL Internals Explained",
		"F.29. pg_stat_statements — track statistics of SQL planning and execution, with the views and functions it adds",
		"25.1. Routine Vacuuming: Vacuuming Basics, Recovering Disk Space, Updating Planner Statistics, Preventing Wraparound",
		"ALTER TABLE — change the definition of a table: columns, constraints, storage parameters, partitions and ownership",
		"55.4. Streaming Replication Protocol: Replication Commands, Physical and Logical Streaming, and Base Backup Messages",
		"19.6. Upgrading a PostgreSQL Cluster: Upgrading Data via pg_dumpall, via pg_upgrade, and via Logical Replication",
		"24.3. Continuous Archiving and PITR in Practice: Making a Base Backup Using the Low Level API, Step by Step Examples",
		"Appendix E. Release Notes: Migration to Version 15, Changes, Server, Replication and Recovery, Utility Commands",
	}
	longSummaries = []string{
		"Checkout p99 latency doubled after the 2.3 deploy on the payments-api canary while the connection pool was resized",
		"Nightly base backup of orders-db fails with 'could not archive WAL segment' after the archive bucket policy change",
		"Pager alert storm from auth-gateway during the Thursday deploy window floods the on-call channel with duplicate pages",
		"Replica lag on the analytics standby grows past 30 minutes whenever the weekly VACUUM FULL of the events table runs",
		"TLS certificate for grafana.internal expires in 7 days and the automated renewal job has been failing since Monday",
		"VPN clients on Ubuntu 22.04 drop after 45 minutes because the rekey interval differs between the client and the gateway",
		"Rollback of order-service release 2025.1.0 failed on canary: the schema migration was not reversible and blocked deploys",
		"Disk usage on the logging cluster above 90% after the log retention change was applied to the wrong index pattern",
		"Search results in the internal wiki miss pages edited in the last hour because the incremental indexer skips the overlap",
		"Support tickets mention intermittent 502 errors from the public API gateway during the nightly certificate reload",
		"Kubernetes node pool autoscaler does not scale down after the batch jobs finish, leaving twelve idle nodes running",
		"On-call handover checklist lacks the status page login and the escalation phone tree, so handovers take too long",
	}
)

// TestSearchHitsSize checks the target of issue 3 on realistic corpora:
// ten search hits take at most 1,600 bytes of tool output, while every hit
// keeps its identifier and title, and excerpts survive where titles leave
// room for them.
func TestSearchHitsSize(t *testing.T) {
	f := newFixtureSim(t, sim.Options{Seed: 21, JiraIssues: 200})
	if err := f.sim.GeneratePages("GEN", 300, 21); err != nil {
		t.Fatal(err)
	}
	for i, title := range longTitles {
		body := fmt.Sprintf("<p>The walarchive setting %d decides where completed WAL segments go; see the archive_command and restore_command examples below, "+
			"which copy each segment to the backup host and verify it before the primary recycles it.</p>", i)
		if _, err := f.sim.AddPage(sim.Page{Space: "ENG", Title: title, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	for i, summary := range longSummaries {
		assignee := []string{"alice", "admin", ""}[i%3]
		if _, err := f.sim.AddIssue(sim.Issue{Project: "DATA", Type: []string{"Bug", "Task", "Improvement"}[i%3], Summary: summary,
			Priority: []string{"Critical", "Major", "Minor", "Blocker"}[i%4], Status: []string{"Open", "In Progress", "Reopened"}[i%3],
			Assignee: assignee, Labels: []string{"longsummary"}, Description: "h2. What happened\nSee the summary."}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, tool string
		args       map[string]any
		list, id   string // the rows and the identifier column
		title      string
		excerpts   int // at least this many hits keep an excerpt
	}{
		{"generated pages (benchmark)", "confluence_search_pages", map[string]any{"cql": `space = "GEN" AND text ~ "service"`, "limit": 10}, "results", "id", "title", 8},
		{"generated pages, newest first", "confluence_search_pages", map[string]any{"cql": `space = "GEN" AND type = page ORDER BY lastmodified DESC`, "limit": 10}, "results", "id", "title", 8},
		{"reference titles", "confluence_search_pages", map[string]any{"cql": `space = "ENG" AND text ~ "walarchive"`, "limit": 10}, "results", "id", "title", 0},
		{"pages of two spaces", "confluence_search_pages", map[string]any{"cql": `text ~ "backup" OR text ~ "walarchive"`, "limit": 10}, "results", "id", "title", 0},
		{"issues (benchmark)", "jira_search_issues", map[string]any{"jql": "project = OPS ORDER BY updated DESC", "max_results": 10}, "issues", "key", "summary", 0},
		{"long summaries", "jira_search_issues", map[string]any{"jql": "labels = longsummary ORDER BY key ASC", "max_results": 10}, "issues", "key", "summary", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := f.ok(t, tc.tool, tc.args, nil)
			rows := jrows(t, text, tc.list)
			if len(rows) != 10 {
				t.Fatalf("%d hits, want 10:\n%s", len(rows), text)
			}
			t.Logf("10 hits: %d bytes", len(text))
			if testing.Verbose() {
				t.Log(text)
			}
			if len(text) > 1600 {
				t.Errorf("10 hits take %d bytes, target 1600:\n%s", len(text), text)
			}
			excerpts := 0
			for _, r := range rows {
				if r[tc.id] == "" || utf8.RuneCountInString(r[tc.title]) < 40 && strings.HasSuffix(r[tc.title], "…") {
					t.Errorf("hit lost its %s or most of its %s: %v", tc.id, tc.title, r)
				}
				if r["excerpt"] != "" {
					excerpts++
					if utf8.RuneCountInString(r["excerpt"]) < 20 && strings.HasSuffix(r["excerpt"], "…") {
						t.Errorf("an excerpt cut too short to help: %q", r["excerpt"])
					}
				}
			}
			if excerpts < tc.excerpts {
				t.Errorf("%d hits keep an excerpt, want at least %d:\n%s", excerpts, tc.excerpts, text)
			}
		})
	}
	// The long summaries are kept whole when the answer has room.
	text := f.ok(t, "jira_search_issues", map[string]any{"jql": "labels = longsummary ORDER BY key ASC", "max_results": 3}, nil)
	for i, r := range jrows(t, text, "issues") {
		if r["summary"] != longSummaries[i] {
			t.Errorf("summary cut in a short answer: %q", r["summary"])
		}
	}
}

// TestFit checks the budget on answers no real site would produce: it
// holds whatever the length of the text, and cuts no more than needed.
func TestFit(t *testing.T) {
	long := strings.Repeat("überlange Zeile mit \"Anführungszeichen\" und <tags> ", 40)
	cases := []struct {
		name    string
		hits    int
		title   string
		excerpt string
		other   string
	}{
		{"short text is left alone", 10, "Deploy", "roll back with care", "Open"},
		{"long excerpts", 10, "Deploy Runbook", long, "Open"},
		{"long titles", 10, long, long, "Open"},
		{"long everything", 10, long, long, long},
		{"one hit", 1, long, long, long},
		{"three hits", 3, long, long, long},
		{"fifty hits", 50, long, long, long},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tb := &table{columns: []string{"id", "title", "status", "modified", "excerpt"}}
			for i := range tc.hits {
				tb.add(fmt.Sprint(1000+i), tc.title, tc.other, "2026-01-02", tc.excerpt)
			}
			out := &struct {
				Total   int        `json:"total"`
				Columns []string   `json:"columns"`
				Results [][]string `json:"results"`
			}{Total: tc.hits, Columns: tb.columns, Results: tb.rows}
			before := encodedSize(out)
			fitHits(out, tc.hits,
				trim{fields: tb.cells("excerpt"), floor: 24, drop: true},
				trim{fields: tb.cells("title"), floor: 40},
				trim{fields: tb.cells("title", "status"), floor: 12})
			size := encodedSize(out)
			if size > hitsBudget(tc.hits) {
				t.Errorf("%d bytes, budget %d", size, hitsBudget(tc.hits))
			}
			if before <= hitsBudget(tc.hits) && size != before {
				t.Errorf("an answer within budget was cut: %d → %d bytes", before, size)
			}
			if before > hitsBudget(tc.hits) && size < hitsBudget(tc.hits)*9/10 {
				t.Errorf("cut to %d bytes, far under the budget of %d: cuts more than needed", size, hitsBudget(tc.hits))
			}
			for _, r := range tb.rows {
				if r[0] == "" || r[3] != "2026-01-02" || !utf8.ValidString(strings.Join(r, "")) {
					t.Fatalf("identifier or date touched, or invalid UTF-8: %q", r)
				}
			}
		})
	}
}

// TestJSONStringLen compares the reckoning of fit with what jsonResult
// sends, on every kind of character that JSON escapes.
func TestJSONStringLen(t *testing.T) {
	var all strings.Builder
	for r := rune(0); r < 0x80; r++ {
		all.WriteRune(r)
	}
	for _, s := range []string{"", "plain", all.String(), "é€😀", "\u2028\u2029", "bad \xff\xfe utf-8", `"quoted" \ back`, "<tags> & amps", "…"} {
		b, err := encode(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonStringLen(s); got != len(b) {
			t.Errorf("jsonStringLen(%q) = %d, encoded %d: %s", s, got, len(b), b)
		}
	}
}

func TestFitUnencodable(t *testing.T) {
	if fit(func() {}, 1<<20) {
		t.Error("a value that does not encode fits a budget")
	}
}

// TestCutLine checks that fit's cut is oneLine's on one-line text.
func TestCutLine(t *testing.T) {
	texts := []string{longTitles[0], longSummaries[3], "écrire une très longue phrase accentuée pour voir où elle se coupe", "nospacesatallinthisverylongwordthatgoesonandon"}
	for _, s := range texts {
		for n := 1; n < utf8.RuneCountInString(s); n++ {
			if got, want := cutLine(s, n), oneLine(s, n); got != want {
				t.Errorf("cutLine(%q, %d) = %q, oneLine gives %q", s, n, got, want)
			}
		}
	}
}

func TestCutText(t *testing.T) {
	cases := []struct {
		s           string
		n, floor    int
		drop        bool
		want        string
		wantMaxRune int
	}{
		{"short", 10, 4, true, "short", 5},
		{"a much longer excerpt of text", 5, 8, true, "", 0},
		{"a much longer title of a page", 5, 8, false, "", 8},
		{"a much longer title of a page", 15, 8, false, "", 15},
		{"", 0, 0, true, "", 0},
	}
	for _, tc := range cases {
		got := cutText(tc.s, tc.n, tc.floor, tc.drop)
		if tc.want != "" && got != tc.want || utf8.RuneCountInString(got) > tc.wantMaxRune || tc.wantMaxRune > 0 && got == "" {
			t.Errorf("cutText(%q, %d, %d, %v) = %q", tc.s, tc.n, tc.floor, tc.drop, got)
		}
	}
}

// BenchmarkFit measures what the budget costs an answer of ten hits whose
// excerpts must be cut.
//
//	go test ./mcp -run '^$' -bench Fit
func BenchmarkFit(b *testing.B) {
	excerpt := strings.Repeat("roll back the deploy with kubectl rollout undo ", 4)
	for b.Loop() {
		tb := &table{columns: []string{"id", "title", "modified", "excerpt"}}
		for i := range 10 {
			tb.add(fmt.Sprint(300000000+i), longTitles[i][:40], "2026-01-02", excerpt)
		}
		out := &pageList{Columns: tb.columns, Results: tb.rows}
		fitHits(out, 10, trim{fields: tb.cells("excerpt"), floor: 24, drop: true}, trim{fields: tb.cells("title"), floor: 40})
	}
}

// TestPageTable checks the shape of page hits: what all hits share is
// given once, a url column only for hits without an id, and no empty
// column.
func TestPageTable(t *testing.T) {
	conf, err := atlassian.NewConfluence("https://wiki.example.com/confluence", atlassian.Options{Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{conf: conf}
	page := func(id, space, typ string) pageHit {
		return pageHit{ID: id, Title: "Title " + id, Space: space, Type: typ, Modified: "2026-01-0" + id[len(id)-1:], Excerpt: "text of " + id}
	}
	cases := []struct {
		name    string
		hits    []pageHit
		columns []string
		space   string
		typ     string
	}{
		{"one space", []pageHit{page("1", "ENG", ""), page("2", "ENG", "")}, []string{"id", "title", "modified", "excerpt"}, "ENG", ""},
		{"two spaces", []pageHit{page("1", "ENG", ""), page("2", "OPS", "")}, []string{"id", "title", "space", "modified", "excerpt"}, "", ""},
		{"blog posts", []pageHit{page("1", "ENG", "blogpost"), page("2", "ENG", "blogpost")}, []string{"id", "title", "modified", "excerpt"}, "ENG", "blogpost"},
		{"a page and a blog post", []pageHit{page("1", "ENG", ""), page("2", "ENG", "blogpost")}, []string{"id", "title", "type", "modified", "excerpt"}, "ENG", ""},
		{"a space hit", []pageHit{page("1", "ENG", ""), {Title: "Engineering", Type: "space", Space: "ENG", URL: "/display/ENG"}},
			[]string{"id", "title", "type", "modified", "url", "excerpt"}, "ENG", ""},
		{"one hit", []pageHit{page("1", "ENG", "")}, []string{"id", "title", "space", "modified", "excerpt"}, "", ""},
		{"no hit", nil, []string{"id", "title"}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := s.pageTable(tc.hits, pageList{Total: len(tc.hits)})
			if !slices.Equal(out.Columns, tc.columns) || out.Space != tc.space || out.Type != tc.typ || len(out.Results) != len(tc.hits) {
				t.Fatalf("columns %v space %q type %q rows %v, want %v %q %q", out.Columns, out.Space, out.Type, out.Results, tc.columns, tc.space, tc.typ)
			}
			if out.PageURL != "https://wiki.example.com/confluence/pages/viewpage.action?pageId={id}" {
				t.Errorf("page_url %q", out.PageURL)
			}
			if j := slices.Index(out.Columns, "url"); j >= 0 {
				for _, r := range out.Results {
					if (r[0] == "") != (r[j] != "") {
						t.Errorf("row %v: a url exactly when there is no id", r)
					}
				}
				if r := out.Results[len(out.Results)-1]; r[j] != "https://wiki.example.com/confluence/display/ENG" {
					t.Errorf("space hit url %q", r[j])
				}
			}
			b, _ := encode(out)
			if strings.Contains(string(b), "null") {
				t.Errorf("null in %s", b)
			}
		})
	}
}

// TestFitTail checks a tail trim: the last fields go first, whole, and
// the first ones keep all their text.
func TestFitTail(t *testing.T) {
	texts := make([]string, 10)
	fields := make([]*string, 10)
	for i := range texts {
		texts[i] = strings.Repeat("x", 100)
		fields[i] = &texts[i]
	}
	out := &struct{ Texts []string }{texts}
	full := encodedSize(out)
	limit := full - 350 // four fields must go
	if !fit(out, limit, trim{fields: fields, tail: true}) {
		t.Fatalf("does not fit in %d", limit)
	}
	for i, s := range texts {
		if want := i < 6; (s != "") != want || s != "" && len(s) != 100 {
			t.Errorf("field %d = %d bytes, want kept whole: %v", i, len(s), want)
		}
	}
}
