package search

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/atlasbridge/atlasbridge/search/internal/keyword"
)

var updateSnippets = flag.Bool("update", false, "rewrite the golden files in testdata")

// snippetChunk is a stored chunk with what the index knows of its document,
// as testdata/snippet-chunks.json keeps them: real chunk texts written by
// the indexer (the demo's sample space and issues, and the PostgreSQL manual
// of the eval), read back from their index.db.
type snippetChunk struct {
	Name       string   `json:"name"`
	Source     string   `json:"source"`
	Type       string   `json:"type"`
	Title      string   `json:"title"`
	Breadcrumb []string `json:"breadcrumb"`
	Heading    string   `json:"heading"`
	First      bool     `json:"first"`
	Text       string   `json:"text"`
}

func (c snippetChunk) source() snippetSource {
	return snippetSource{text: c.Text, breadcrumb: c.Breadcrumb, heading: c.Heading, title: c.Title,
		source: c.Source, typ: c.Type, first: c.First}
}

func loadSnippetChunks(t testing.TB) map[string]snippetChunk {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "snippet-chunks.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []snippetChunk
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatalf("testdata/snippet-chunks.json: %v", err)
	}
	m := make(map[string]snippetChunk, len(cs))
	for _, c := range cs {
		m[c.Name] = c
	}
	return m
}

// checkSnippet fails t unless got is a well-formed snippet of src: at most
// size bytes, valid UTF-8, single spaces, "…" only at its ends, and every
// word taken from the source text.
func checkSnippet(t *testing.T, src, got string, size int) {
	t.Helper()
	if len(got) > max(size, minSnippet) {
		t.Errorf("snippet of %d bytes > %d: %q", len(got), size, got)
	}
	if !utf8.ValidString(got) {
		t.Errorf("invalid UTF-8: %q", got)
	}
	if got != strings.TrimSpace(got) || strings.Contains(got, "  ") {
		t.Errorf("stray spaces in %q", got)
	}
	if inner := strings.TrimSuffix(strings.TrimPrefix(got, "…"), "…"); strings.Contains(inner, "…") && !strings.Contains(src, "…") {
		t.Errorf("ellipsis inside %q", got)
	}
	forEachWord(got, func(w string) {
		if !strings.Contains(src, w) {
			t.Errorf("word %q of %q is not in the source", w, got)
		}
	})
}

// forEachWord calls fn with every maximal run of letters and digits of s.
func forEachWord(s string, fn func(string)) {
	start := -1
	for i, r := range s {
		if keyword.IsWordRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			fn(s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		fn(s[start:])
	}
}

// markdownLeft are traces of markdown and of the indexer's first line and
// headers that no snippet of the real chunks may show.
var markdownLeft = []string{"**", "](", "```", "|", " # ", "## ", " › ", "> ", "\\_", "<br", "Last edited by",
	"Type: ", "Reporter: ", "Labels: "}

func TestSnippetOfRealChunks(t *testing.T) {
	chunks := loadSnippetChunks(t)
	cases := []struct {
		chunk, query string
		wantIn       []string // all of these, in order
		wantOut      []string
	}{
		{"confluence page, first chunk", "who gets woken up at night when the site is down",
			[]string{"How to get access, connect to internal systems", "Access Requests · VPN Setup"}, []string{"Security How"}},
		{"confluence page, first chunk", "vpn", []string{"VPN Setup"}, nil},
		{"confluence section with code", "undo a bad release in production",
			[]string{"kubectl rollout undo deployment/payments-api -n production", "rollback does not undo"}, []string{"Info:**"}},
		{"confluence section with code", "lock the pipeline", []string{"Block the pipeline for the service: deployctl lock payments-api"}, nil},
		{"confluence escalation", "escalation manager", []string{"escalates to the engineering manager"}, []string{"Escalation:"}},
		{"confluence table", "orders budget", []string{"POST /api/v2/orders, 400 ms, Checkout team"}, []string{"Author"}},
		{"jira issue, first chunk", "rollback payments", []string{"Rollback of payments-api release 2025.1.0 failed"},
			[]string{"Description", "Grace Singh"}},
		{"jira issue, first chunk", "dashboard errors", []string{"Watch the dashboard for errors"}, nil},
		{"jira comment chunk", "postmortem review", []string{"Added this to the agenda of the weekly postmortem review."}, []string{"Bob Builder"}},
		{"jira description chunk", "postmortem payments outage", []string{"Write postmortem for the payments-api outage"}, nil},
		{"pg escapes and tip", "locale settings per database", []string{"Tip: The other locale settings lc_messages, lc_monetary"}, nil},
		{"pg escapes and tip", "icu locale provider", []string{"icu_locale · Specifies the ICU locale ID"}, nil},
		{"pg note and overlap", "trojan horse superuser", []string{"trojan-horse"}, nil},
		{"pg table with br", "replication backup mode", []string{"userepl bool User can initiate streaming replication"}, []string{"pg_user pg_user"}},
		{"pg overlap and code", "options support function signature", []string{"must have the signature · options(relopts"}, nil},
		{"pg nested list", "reformat dat file", []string{"reformat_dat_file.pl"}, nil},
	}
	var golden strings.Builder
	for _, tc := range cases {
		c, ok := chunks[tc.chunk]
		if !ok {
			t.Fatalf("no chunk %q in testdata/snippet-chunks.json", tc.chunk)
		}
		t.Run(tc.chunk+"/"+tc.query, func(t *testing.T) {
			got := makeSnippet(c.source(), keyword.Tokenize(tc.query), DefaultSnippetSize)
			fmt.Fprintf(&golden, "%s | %s\n\t%s\n", tc.chunk, tc.query, got)
			checkSnippet(t, c.Text, got, DefaultSnippetSize)
			rest := got
			for _, w := range tc.wantIn {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("snippet %q lacks %q (or has it out of order)", got, w)
					break
				}
				rest = rest[i+len(w):]
			}
			for _, w := range append(tc.wantOut, markdownLeft...) {
				if strings.Contains(got, w) {
					t.Errorf("snippet %q has %q", got, w)
				}
			}
			if head := strings.Join(c.Breadcrumb, breadcrumbSep); strings.Contains(got, head) {
				t.Errorf("snippet %q repeats the breadcrumb", got)
			}
		})
	}
	compareGolden(t, filepath.Join("testdata", "snippets.golden"), golden.String())
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateSnippets {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./search -run %s -update)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs (run go test ./search -run %s -update and review the diff):\n%s", path, t.Name(), got)
	}
}

func TestSnippetHeaderOnly(t *testing.T) {
	c := loadSnippetChunks(t)["jira header only"]
	got := makeSnippet(c.source(), keyword.Tokenize("postmortem"), DefaultSnippetSize)
	// Nothing but header lines: they are the snippet, one segment a line.
	if !strings.Contains(got, "Labels: postmortem, incident · Components: Alerting · Created: 2026-09-03") || strings.Contains(got, "OPS-53: Write") {
		t.Errorf("snippet %q", got)
	}
	checkSnippet(t, c.Text, got, DefaultSnippetSize)
}

func TestChunkBody(t *testing.T) {
	bc := []string{"ENG", "Runbooks", "Restart"}
	cases := []struct {
		name         string
		src          snippetSource
		body, header string
	}{
		{"breadcrumb and heading", snippetSource{text: "ENG › Runbooks › Restart › Linux\n\nRun it.", breadcrumb: bc, heading: "Linux"},
			"Run it.", ""},
		{"breadcrumb only", snippetSource{text: "ENG › Runbooks › Restart", breadcrumb: bc}, "", ""},
		{"another head is body", snippetSource{text: "ENG › Other\n\nRun it.", breadcrumb: bc}, "ENG › Other\n\nRun it.", ""},
		{"no breadcrumb known", snippetSource{text: "Run it."}, "Run it.", ""},
		{"confluence header", snippetSource{text: "ENG › Runbooks › Restart\n\nLabels: ops\nAuthor: A · Last edited by B on 2026-01-02\n\n# Restart\n\nRun it.",
			breadcrumb: bc, source: SourceConfluence, typ: "page", first: true},
			"# Restart\n\nRun it.", "Labels: ops\nAuthor: A · Last edited by B on 2026-01-02"},
		{"header lines only in the first chunk", snippetSource{text: "ENG › Runbooks › Restart\n\nLabels: ops\n\nRun it.",
			breadcrumb: bc, source: SourceConfluence, typ: "page"}, "Labels: ops\n\nRun it.", ""},
		{"comments have none", snippetSource{text: "Labels: ops\n\nRun it.", source: SourceConfluence, typ: "comment", first: true},
			"Labels: ops\n\nRun it.", ""},
		{"a paragraph that only starts like one", snippetSource{text: "Labels: ops\nare free text\n\nRun it.", source: SourceConfluence, typ: "page", first: true},
			"Labels: ops\nare free text\n\nRun it.", ""},
		{"jira header", snippetSource{text: "OPS › OPS-1: Crash\n\nType: Bug · Status: Open\nReporter: Ann\n\n## Description\n\nIt crashes.",
			breadcrumb: []string{"OPS", "OPS-1: Crash"}, source: SourceJira, first: true},
			"## Description\n\nIt crashes.", "Type: Bug · Status: Open\nReporter: Ann"},
		{"jira without header", snippetSource{text: "## Description\n\nType: it crashes.", source: SourceJira, first: true},
			"## Description\n\nType: it crashes.", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, header := chunkBody(tc.src)
			if body != tc.body || header != tc.header {
				t.Errorf("chunkBody = %q, %q; want %q, %q", body, header, tc.body, tc.header)
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	cases := []struct{ name, md, want string }{
		{"paragraph lines join", "one line\nand the next.\n\nA new one.", "one line and the next. A new one."},
		{"list items", "Intro:\n\n- [Access] requests\n- VPN *setup*\n  continued\n1. first\n2) second\n- [x] done",
			"Intro: Access requests · VPN setup continued · first · second · done"},
		{"headings", "# Page\n\n## Install\n\nRun it.\n\n### Why?\n\nBecause.", "Install: Run it. Why? Because."},
		{"dropped heading", "# Title\n\nBody.", "Body."},
		{"code fence", "Run:\n\n```bash\nmake   all\n  make test\n```\n\nDone.", "Run: make all · make test · Done."},
		{"code keeps markdown-like text", "```\n**x** [y](z) a_b\n```", "**x** [y](z) a_b"},
		{"table", "| Key | Value |\n|---|:--:|\n| `a|b` | **two** |\n| x | y | z |", "Key: Value · a|b: two · x, y, z"},
		{"escaped pipe in a cell", `| a \| b | c |`, "a | b: c"},
		{"quote and admonition", "> **Warning: Leaked secret**\n>\n> Rotate it.", "Warning: Leaked secret · Rotate it."},
		{"code in a quote", "> Try:\n>\n> ```\n> BEGIN; SELECT 1;\n> > x\n> ```\n>\n> Then.", "Try: BEGIN; SELECT 1; > x · Then."},
		{"inline code", "Use `SELECT *` and `a`b`.", "Use SELECT * and a b."},
		{"double backticks", "Use ``a`b`` here.", "Use a`b here."},
		{"escapes", `pg\_regress \*not\* \[x\] C:\path`, `pg_regress *not* [x] C:\path`},
		{"emphasis", "**bold**, *em*, _em_, ~~gone~~, snake_case, 2 * 3, count(*), a*b*c", "bold, em, em, gone, snake_case, 2 * 3, count(*), a*b*c"},
		{"links", "See [Section 5.8](https://x/y.html) and ![diagram](d.png) or [ref].", "See Section 5.8 and diagram or ref."},
		{"brackets after a word stay", "array[1] and f[x]", "array[1] and f[x]"},
		{"br", "a<br />b<BR>c", "a b c"},
		{"rules", "above\n\n---\n\nbelow\n***", "above · below"},
		{"setext underline", "Title\n=====\n\ntext", "Title · text"},
		{"overlap ending a quoted code block", "…END$$;\n> ```\n>\n> This works.\n\n## Next\n\nText.", "…END$$; This works. Next: Text."},
		{"overlap marker", "…end of the last paragraph.\n\nNext.", "…end of the last paragraph. Next."},
		{"controls and bad bytes", "a\u202eb\x00c\xffd", "a b c d"},
		{"heading at the end", "text\n\n## Next", "text · Next"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := plainText(tc.md, func(_ int, text string) bool { return text == "Title" || text == "Page" })
			if got != tc.want {
				t.Errorf("plainText(%q)\n got %q\nwant %q", tc.md, got, tc.want)
			}
		})
	}
}

func TestCutSnippet(t *testing.T) {
	long := strings.Repeat("filler words about nothing in particular. ", 20)
	cases := []struct {
		name, text, query string
		size              int
		want              string   // exact, when set
		wantIn            []string // else: all of these
		prefix, suffix    bool     // "…" at the start, at the end
	}{
		{name: "short text whole", text: "Install  the\nagent.", query: "agent", size: 240, want: "Install the agent."},
		{name: "around the match", text: long + "Rotate the TLS certificates every ninety days. " + long, query: "rotate certificates",
			size: 240, wantIn: []string{"Rotate the TLS certificates every ninety days."}, prefix: true, suffix: true},
		{name: "densest cluster wins", text: "vacuum " + long + "autovacuum daemon settings: autovacuum naptime and vacuum cost. " + long,
			query: "autovacuum daemon vacuum", size: 240, wantIn: []string{"autovacuum daemon settings: autovacuum naptime and vacuum cost."},
			prefix: true, suffix: true},
		{name: "stemmed terms match", text: long + "The agent was restarted twice. " + long, query: "restarting agents", size: 120,
			wantIn: []string{"The agent was restarted twice."}, prefix: true, suffix: true},
		{name: "no match: the top", text: long, query: "zebra", size: 240, wantIn: []string{"filler words about"}, suffix: true},
		{name: "match at the top", text: "Zebra crossings. " + long, query: "zebra", size: 100, wantIn: []string{"Zebra crossings."}, suffix: true},
		{name: "match at the end", text: long + "The zebra.", query: "zebra", size: 100, wantIn: []string{"in particular. The zebra."}, prefix: true},
		{name: "multibyte", text: strings.Repeat("ÄÖÜ éè ", 60) + "target word " + strings.Repeat("ÄÖÜ éè ", 60), query: "target", size: 240,
			wantIn: []string{"target word"}, prefix: true, suffix: true},
		{name: "one endless word", text: strings.Repeat("é", 400), query: "x", size: 100, suffix: true},
		{name: "tiny budget", text: long + "needle here. " + long, query: "needle", size: 5, wantIn: []string{"needle"}, prefix: true, suffix: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := cutSnippet(tc.text, keyword.Tokenize(tc.query), tc.size)
			checkSnippet(t, tc.text, got, tc.size)
			if tc.want != "" && got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			for _, w := range tc.wantIn {
				if !strings.Contains(got, w) {
					t.Errorf("snippet %q lacks %q", got, w)
				}
			}
			if tc.want == "" {
				if p := strings.HasPrefix(got, "…"); p != tc.prefix {
					t.Errorf("snippet %q: leading ellipsis %v, want %v", got, p, tc.prefix)
				}
				if s := strings.HasSuffix(got, "…"); s != tc.suffix {
					t.Errorf("snippet %q: trailing ellipsis %v, want %v", got, s, tc.suffix)
				}
			}
		})
	}
}

// TestSearchSnippetIsBody checks the snippet of a search result against a
// document chunked as the indexer does: breadcrumb line, header, markdown.
func TestSearchSnippetIsBody(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	bc := []string{"Engineering", "Security"}
	doc := Document{ID: "confluence:9", Source: SourceConfluence, Container: "ENG", Key: "9", Title: "Security", Type: "page",
		URL: "https://wiki.example/9", Updated: testTime, Breadcrumb: bc, Chunks: []Chunk{
			{Index: 0, Text: "Engineering › Security\n\nAuthor: Ada · Last edited by Ada on 2026-11-25\n\n# Security\n\n" +
				"How to get **access** to [internal systems](https://x/y).\n\n- VPN setup\n- Secrets"},
			{Index: 1, Heading: "Certificates", Text: "Engineering › Security › Certificates\n\n" + strings.Repeat("Words that pad. ", 30) +
				"Rotate the `TLS` certificates every *ninety* days. " + strings.Repeat("More padding here. ", 30)},
		}}
	// A first chunk with only its header: the snippet comes from the next.
	lo := Document{ID: "confluence:10", Source: SourceConfluence, Container: "ENG", Key: "10", Title: "Large Objects", Type: "page",
		URL: "https://wiki.example/10", Updated: testTime, Breadcrumb: []string{"Engineering", "Large Objects"}, Chunks: []Chunk{
			{Index: 0, Text: "Engineering › Large Objects\n\nAuthor: Ada · Last edited by Ada on 2026-11-25"},
			{Index: 1, Heading: "Introduction", Text: "Engineering › Large Objects › Introduction\n\n## Introduction\n\n" +
				"Each one is stored in pieces of one table, with its own owner, and read through a file-like interface."},
		}}
	if _, err := x.Upsert(ctx, []Document{doc, lo}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query       string
		size        int
		want        string
		wantHeading string
		wantErr     bool
	}{
		{query: "large objects", want: "Introduction: Each one is stored in pieces of one table, with its own owner, and read through a file-like interface."},
		{query: "internal systems access", want: "How to get access to internal systems. VPN setup · Secrets"},
		{query: "rotate certificates", size: 80, wantHeading: "Certificates", want: "…Words that pad. Rotate the TLS certificates every ninety days. More…"},
		{query: "rotate", size: -1, wantErr: true},
	} {
		t.Run(tc.query, func(t *testing.T) {
			rs, err := x.Search(ctx, Query{Text: tc.query, Mode: Keyword, K: 1, SnippetSize: tc.size})
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error for a negative SnippetSize")
				}
				return
			}
			if err != nil || len(rs) != 1 {
				t.Fatalf("Search = %v, %v", rs, err)
			}
			if rs[0].Snippet != tc.want {
				t.Errorf("snippet %q, want %q", rs[0].Snippet, tc.want)
			}
			if rs[0].Heading != tc.wantHeading {
				t.Errorf("heading %q, want %q: the test meant to hit another chunk", rs[0].Heading, tc.wantHeading)
			}
		})
	}
}

// FuzzSnippet checks makeSnippet on any chunk text: no panic, valid UTF-8,
// within its size, and every word it shows taken from the chunk.
func FuzzSnippet(f *testing.F) {
	for _, c := range loadSnippetChunks(f) {
		f.Add(c.Text, c.Title, c.Heading, c.Source, "rollback the release", 240, c.First)
	}
	for _, s := range []string{"", "…", "a`b`c", "**x**y", "[a](b", "| a | b |\n|---|", "```\ncode", "# h\n## h2", "\xff\xfe",
		"x\u202ey", strings.Repeat("é", 300), "> > **T:** t", `\_\*\[`, "1. a\n- b\n  - c"} {
		f.Add(s, "T", "", SourceJira, "a b é", 32, true)
	}
	f.Fuzz(func(t *testing.T, text, title, heading, source, query string, size int, first bool) {
		size = min(max(size, -10), 2000)
		src := snippetSource{text: text, breadcrumb: []string{"S", title}, heading: heading, title: title, source: source, first: first}
		got := makeSnippet(src, keyword.Tokenize(query), size)
		if len(got) > max(size, minSnippet) {
			t.Fatalf("snippet of %d bytes > %d: %q", len(got), size, got)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
		forEachWord(got, func(w string) {
			if !strings.Contains(text, w) {
				t.Fatalf("word %q of %q is not in the text %q", w, got, text)
			}
		})
	})
}

// BenchmarkSnippet measures makeSnippet on the real chunks of
// testdata/snippet-chunks.json, one snippet per chunk per iteration.
func BenchmarkSnippet(b *testing.B) {
	chunks := loadSnippetChunks(b)
	terms := keyword.Tokenize("rollback database settings for the locale")
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range chunks {
			makeSnippet(c.source(), terms, DefaultSnippetSize)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(chunks)), "ns/snippet")
}
