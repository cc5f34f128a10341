package main

// Measurements for BENCHMARKS.md (issue 6), behind flags so that CI stays
// fast:
//
//	go test ./cmd/atlasbridge -run '^$' -bench MCPToolCall -benchtime 500x
//	ATLASBRIDGE_BENCH_SYNC=1000,10000 go test ./cmd/atlasbridge -run TestBenchSync -v -timeout 60m

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/mcp"
	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

// BenchmarkMCPToolCall measures, for the calls a model makes most, what the
// MCP server adds over the simulator's own response time: each iteration
// makes the tool's REST request directly (the same fields and expansions as
// the tool asks for) and then calls the tool through
// the in-process MCP client, as serve wires it. It reports p50 and p99 of
// the direct call, the tool call and their difference, and the answer's
// size in bytes and approximate tokens (bytes/4), which it also logs; the
// tool list size is reported once. semantic_search runs over an index
// that one sync builds first; its "direct" call is the same query on the
// index.
func BenchmarkMCPToolCall(b *testing.B) {
	srv := newWatchedSim(b, sim.Options{JiraIssues: 200, Seed: 21}, false)
	if err := srv.GeneratePages("GEN", 300, 21); err != nil {
		b.Fatal(err)
	}
	cfg := faultConfig(b, faultEnv(b, srv.URL, "admin-token"))
	ctx := context.Background()
	if code, _, errs := cliRun(ctx, cfg, "sync", "--progress", "none"); code != 0 {
		b.Fatalf("sync: exit %d\n%s", code, errs)
	}
	conf, err := cfg.confluence(nil)
	if err != nil {
		b.Fatal(err)
	}
	jira, err := cfg.jira(nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, searcher := range []*retrieve.Searcher{nil, testSearcher(b, ctx, cfg, conf, jira, cfg.logger(io.Discard))} {
		res, err := mcpFor(b, cfg, mcp.Options{Searcher: searcher}).ListTools(ctx, mcpgo.ListToolsRequest{})
		if err != nil {
			b.Fatal(err)
		}
		list, _ := json.Marshal(res.Tools)
		b.Logf("tool list: %d tools, %d bytes (~%d tokens)", len(res.Tools), len(list), len(list)/4)
	}
	cli := mcpFor(b, cfg, mcp.Options{Searcher: testSearcher(b, ctx, cfg, conf, jira, cfg.logger(io.Discard))})
	idx, err := openReadIndex(ctx, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()

	pageID := sim.PageID("ENG", "index.html")
	cql := `space = "GEN" AND text ~ "service"`
	const question = "how do we roll back a failed deploy?"
	for _, c := range []struct {
		name   string
		tool   string
		args   map[string]any
		direct func() error
	}{
		{"search_10_pages", "confluence_search_pages", map[string]any{"cql": cql, "limit": 10}, func() error {
			_, _, err := conf.Content.SiteSearch(ctx, cql, &atlassian.SearchOptions{ListOptions: atlassian.ListOptions{Limit: 10}})
			return err
		}},
		{"get_page", "confluence_get_page", map[string]any{"page_id": pageID}, func() error {
			_, _, err := conf.Content.Get(ctx, pageID, atlassian.ExpandPage...)
			return err
		}},
		{"get_issue", "jira_get_issue", map[string]any{"issue_key": "OPS-1"}, func() error {
			_, _, err := jira.Issues.Get(ctx, "OPS-1", &atlassian.GetIssueOptions{Fields: []string{
				"summary", "issuetype", "status", "priority", "resolution", "assignee", "reporter", "created", "updated", "duedate",
				"labels", "components", "fixVersions", "parent", "subtasks", "issuelinks", "description", "project"}})
			return err
		}},
		{"search_10_issues", "jira_search_issues", map[string]any{"jql": "project = OPS ORDER BY updated DESC", "max_results": 10}, func() error {
			_, _, err := jira.Issues.Search(ctx, "project = OPS ORDER BY updated DESC", &atlassian.SearchIssuesOptions{MaxResults: 10,
				Fields: []string{"summary", "issuetype", "status", "assignee", "priority", "updated"}})
			return err
		}},
		{"semantic_10_hits", "semantic_search", map[string]any{"query": question}, func() error {
			_, err := idx.Search(ctx, search.Query{Text: question, K: 10})
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var direct, tool, over []time.Duration
			size := 0
			for b.Loop() {
				t0 := time.Now()
				if err := c.direct(); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				text, isErr, err := toolCall(cli, c.tool, c.args)
				t2 := time.Now()
				if err != nil || isErr {
					b.Fatalf("%v %.200s", err, text)
				}
				size = len(text)
				direct = append(direct, t1.Sub(t0))
				tool = append(tool, t2.Sub(t1))
				over = append(over, t2.Sub(t1)-t1.Sub(t0))
			}
			b.Logf("%s: %d bytes (~%d tokens)", c.tool, size, size/4)
			us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
			b.ReportMetric(us(percentile(direct, .5)), "direct-p50-µs")
			b.ReportMetric(us(percentile(tool, .5)), "tool-p50-µs")
			b.ReportMetric(us(percentile(tool, .99)), "tool-p99-µs")
			b.ReportMetric(us(percentile(over, .5)), "overhead-p50-µs")
			b.ReportMetric(us(percentile(over, .99)), "overhead-p99-µs")
			b.ReportMetric(float64(size), "bytes/result")
			b.ReportMetric(float64(size)/4, "tokens/result")
		})
	}
}

// timed is one run of a binary under /usr/bin/time -v.
type timed struct {
	code           int
	stdout, stderr string
	wall           time.Duration
	maxRSSKB       int
}

var maxRSSRE = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)

func runTimed(t *testing.T, env []string, bin string, args ...string) timed {
	t.Helper()
	cmd := exec.Command("/usr/bin/time", append([]string{"-v", bin}, args...)...)
	cmd.Env, cmd.Dir = env, t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := timed{stdout: out.String(), stderr: errb.String(), wall: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if m := maxRSSRE.FindStringSubmatch(r.stderr); m != nil {
		r.maxRSSKB, _ = strconv.Atoi(m[1])
	}
	return r
}

// TestBenchSync measures, at each size in ATLASBRIDGE_BENCH_SYNC (number of
// documents: half generated pages, half issues, plus the sample space), a
// full sync of the binary against cmd/atlassim in another process
// (documents/s, by stage, peak RSS), a no-change re-sync (requests, time),
// the start-up time and RSS of a one-shot `atlasbridge search`, and the
// latency p50/p99 of 200 searches on the opened index.
func TestBenchSync(t *testing.T) {
	sizes := os.Getenv("ATLASBRIDGE_BENCH_SYNC")
	if sizes == "" {
		t.Skip("set ATLASBRIDGE_BENCH_SYNC=1000,10000 to measure")
	}
	bin := builtBinary(t)
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 2 {
			t.Fatalf("ATLASBRIDGE_BENCH_SYNC: bad size %q", s)
		}
		t.Run(strconv.Itoa(n), func(t *testing.T) { benchSync(t, bin, n) })
	}
}

func benchSync(t *testing.T, bin string, n int) {
	began := time.Now()
	base := atlassiantest.StartProcess(t, "--pages", strconv.Itoa(n/2), "--jira-issues", strconv.Itoa(n-n/2), "--seed", "1", "--token", "bench-token")
	t.Logf("n=%d: atlassim ready in %s", n, time.Since(began).Round(time.Millisecond))
	env := faultEnv(t, base, "bench-token")
	procEnv := binEnv(t, env)

	var sum summaryJSON
	full := runTimed(t, procEnv, bin, "sync", "--json", "--progress", "none")
	if full.code != 0 || json.Unmarshal([]byte(full.stdout), &sum) != nil {
		t.Fatalf("full sync: exit %d\n%s\n%.2000s", full.code, full.stdout, full.stderr)
	}
	docs := sum.Added
	t.Logf("n=%d full sync: %d documents, %d chunks embedded, %d requests in %.1fs = %.0f documents/s; peak RSS %d MiB",
		n, docs, sum.Chunks, sum.Requests, sum.Seconds, float64(docs)/sum.Seconds, full.maxRSSKB>>10)
	t.Logf("n=%d stages (seconds, summed over workers): list %.1f fetch %.1f convert %.1f chunk %.1f fit %.1f embed %.1f store %.1f",
		n, sum.Stages["list"], sum.Stages["fetch"], sum.Stages["convert"], sum.Stages["chunk"], sum.Stages["fit"], sum.Stages["embed"], sum.Stages["store"])

	var again summaryJSON
	re := runTimed(t, procEnv, bin, "sync", "--json", "--progress", "none")
	if re.code != 0 || json.Unmarshal([]byte(re.stdout), &again) != nil {
		t.Fatalf("re-sync: exit %d\n%s\n%.2000s", re.code, re.stdout, re.stderr)
	}
	t.Logf("n=%d no-change re-sync: %d requests, %.2fs (process %s), %d unchanged, %d changed; peak RSS %d MiB",
		n, again.Requests, again.Seconds, re.wall.Round(time.Millisecond), again.Unchanged, again.Added+again.Updated+again.Deleted, re.maxRSSKB>>10)

	one := runTimed(t, procEnv, bin, "search", "--live", "never", "--k", "10", "deploy rollback")
	if one.code != 0 {
		t.Fatalf("search: exit %d\n%s", one.code, one.stderr)
	}
	st := runTimed(t, procEnv, bin, "status", "--json")
	var status statusJSON
	json.Unmarshal([]byte(st.stdout), &status)
	t.Logf("n=%d store: %d documents, %d chunks, %d MiB on disk; one-shot search process (open + 1 query) %s, peak RSS %d MiB",
		n, status.Documents, status.Chunks, status.Bytes>>20, one.wall.Round(time.Millisecond), one.maxRSSKB>>10)

	ctx := context.Background()
	cfg := faultConfig(t, env)
	start := time.Now()
	x, err := openReadIndex(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	opened := time.Since(start)
	words := []string{"deploy", "rollback", "database", "migration", "incident", "latency", "certificate", "backup", "restore",
		"kubernetes", "pager", "escalation", "postgres", "replica", "timeout", "checkout", "payment", "release", "canary",
		"monitoring", "alert", "dashboard", "queue", "worker", "cache", "index", "search", "permission", "token", "vpn"}
	rng := rand.New(rand.NewPCG(1, 2))
	var lat []time.Duration
	for range 200 {
		q := words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))]
		s := time.Now()
		if _, err := x.Search(ctx, search.Query{Text: q, K: 10}); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(s))
	}
	t.Logf("n=%d in-process open %s; hybrid search k=10 over %d chunks: p50 %s p99 %s (200 queries)",
		n, opened.Round(time.Millisecond), status.Chunks, percentile(lat, .5).Round(10*time.Microsecond), percentile(lat, .99).Round(10*time.Microsecond))
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("n=%d loadavg during the run: %s", n, strings.Fields(string(load) + " ?")[0])
}
