package mcp

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// BenchmarkToolOverhead measures what the MCP layer adds to a call: each
// iteration makes the same REST calls directly with the client and then
// through the tool (in-process MCP client → server → handler → client →
// simulator), and reports the p50 of both and of their difference, plus
// the size of the tool's answer.
//
//	go test ./mcp -run '^$' -bench ToolOverhead -benchtime 2000x
func BenchmarkToolOverhead(b *testing.B) {
	f := newFixture(b, "", nil)
	if err := f.sim.GeneratePages("GEN", 500, 3); err != nil {
		b.Fatal(err)
	}
	page, err := f.sim.AddPage(sim.Page{Space: "GEN", Title: "Typical Runbook", Body: typicalPage})
	if err != nil {
		b.Fatal(err)
	}
	issue, err := f.sim.AddIssue(sim.Issue{Project: "OPS", Type: "Bug", Summary: "Checkout p99 latency doubled after the 2.3 deploy",
		Description: typicalIssue, Priority: "Major", Assignee: "alice", Labels: []string{"checkout", "latency"}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cql := `space = "GEN" AND text ~ "rollback"`
	cases := []struct {
		name   string
		tool   string
		args   map[string]any
		direct func() error
	}{
		{"confluence_search_pages", "confluence_search_pages", map[string]any{"cql": cql, "limit": 10}, func() error {
			_, _, err := f.conf.Content.SiteSearch(ctx, cql, &atlassian.SearchOptions{ListOptions: atlassian.ListOptions{Limit: 10}})
			return err
		}},
		{"confluence_get_page", "confluence_get_page", map[string]any{"page_id": page.ID}, func() error {
			_, _, err := f.conf.Content.Get(ctx, page.ID, atlassian.ExpandPage...)
			return err
		}},
		{"jira_get_issue", "jira_get_issue", map[string]any{"issue_key": issue.Key}, func() error {
			_, _, err := f.jira.Issues.Get(ctx, issue.Key, &atlassian.GetIssueOptions{Fields: issueFields})
			return err
		}},
		{"jira_search_issues", "jira_search_issues", map[string]any{"jql": "project = OPS ORDER BY updated DESC", "max_results": 10}, func() error {
			_, _, err := f.jira.Issues.Search(ctx, "project = OPS ORDER BY updated DESC", &atlassian.SearchIssuesOptions{MaxResults: 10,
				Fields: []string{"summary", "issuetype", "status", "assignee", "priority", "updated"}})
			return err
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var direct, tool, over []time.Duration
			size := 0
			for b.Loop() {
				t0 := time.Now()
				if err := c.direct(); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				text, isErr, err := callTool(f.cli, c.tool, c.args)
				t2 := time.Now()
				if err != nil || isErr {
					b.Fatalf("%v %s", err, text)
				}
				size = len(text)
				direct = append(direct, t1.Sub(t0))
				tool = append(tool, t2.Sub(t1))
				over = append(over, t2.Sub(t1)-t1.Sub(t0))
			}
			b.ReportMetric(p50(direct), "direct-p50-µs")
			b.ReportMetric(p50(tool), "tool-p50-µs")
			b.ReportMetric(p50(over), "overhead-p50-µs")
			b.ReportMetric(float64(size), "bytes/result")
		})
	}
}

func p50(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Nanoseconds()) / 1e3
}

// typicalPage is a page of the size and shape of a real runbook (~6 KB
// of storage format).
var typicalPage = `<h1>Checkout service runbook</h1><p>Owner: payments team. Escalation: #payments-oncall.</p>
<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Read the <ac:link><ri:page ri:content-title="Deploy Runbook"/></ac:link> before any change.</p></ac:rich-text-body></ac:structured-macro>
<h2>Symptoms</h2><ul><li>p99 latency above 800 ms on the checkout dashboard</li><li>5xx rate above 1% for 5 minutes</li><li>queue depth of payments-worker above 10k</li></ul>
<h2>Diagnosis</h2><p>Check the recent deploys, then the database:</p>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">sql</ac:parameter><ac:plain-text-body><![CDATA[SELECT pid, state, query_start, query
FROM pg_stat_activity
WHERE datname = 'checkout' AND state <> 'idle'
ORDER BY query_start;]]></ac:plain-text-body></ac:structured-macro>
<table><tbody><tr><th>Metric</th><th>Normal</th><th>Page at</th></tr><tr><td>p99 latency</td><td>250 ms</td><td>800 ms</td></tr><tr><td>error rate</td><td>0.1%</td><td>1%</td></tr><tr><td>queue depth</td><td>200</td><td>10000</td></tr></tbody></table>
<h2>Rollback</h2><ol><li>Announce in #ops.</li><li>Run the rollback:</li></ol>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter><ac:plain-text-body><![CDATA[kubectl rollout undo deployment/checkout -n production
kubectl rollout status deployment/checkout -n production]]></ac:plain-text-body></ac:structured-macro>
<ac:structured-macro ac:name="warning"><ac:rich-text-body><p>Never roll back across a schema migration without the DBA on call.</p></ac:rich-text-body></ac:structured-macro>
<h2>Follow-up</h2><p>Open a ticket with <ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">OPS-123</ac:parameter></ac:structured-macro> as template and write the postmortem within 48 hours.</p>
<ac:task-list><ac:task><ac:task-status>incomplete</ac:task-status><ac:task-body>Update the dashboard links</ac:task-body></ac:task></ac:task-list>` +
	strings.Repeat(`<p>Background: the checkout service talks to the payments gateway through a circuit breaker; when the gateway slows down, the breaker opens after 20 failures in 10 seconds and checkout answers 503 until it closes again. Most incidents so far were a slow gateway, not our code.</p>`, 8)

// typicalIssue is a bug report of a usual length, in wiki markup.
var typicalIssue = `h2. What happened
After the 2.3 deploy the p99 latency of checkout went from 250 ms to 520 ms.

h2. Steps to reproduce
# Open the cart with 3 items
# Pay with a saved card
# Watch the *checkout-latency* panel

{code:sql}
SELECT count(*) FROM orders WHERE created_at > now() - interval '1 hour';
{code}

h2. Expected
p99 under 300 ms, as before the deploy. See [the runbook|https://wiki.example.com/display/OPS/Checkout+runbook].`
