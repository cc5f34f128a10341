package indexer

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// roundTripper adapts a function to http.RoundTripper.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// clientsWith returns clients of the world's servers whose requests go
// through rt (retries fast, as the world's own).
func (w *world) clientsWith(opts atlassian.Options, rt http.RoundTripper) (*atlassian.Confluence, *atlassian.Jira) {
	w.t.Helper()
	opts.RetryWait, opts.MaxRetryWait = time.Millisecond, 5*time.Millisecond
	opts.HTTPClient = &http.Client{Transport: rt}
	conf, err := atlassian.NewConfluence(w.srv.ConfluenceURL(), opts)
	if err != nil {
		w.t.Fatal(err)
	}
	jira, err := atlassian.NewJira(w.srv.JiraURL(), opts)
	if err != nil {
		w.t.Fatal(err)
	}
	return conf, jira
}

// Several workers under the server's per-user bucket: the sync sends no
// request the announced budget does not cover (no 429) and reports the
// pace it kept.
func TestSyncKeepsToTheAnnouncedBudget(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 400, RateLimit: 3})
	if err := w.srv.GeneratePages("GEN", 60, 2); err != nil {
		t.Fatal(err)
	}
	var total, refused atomic.Int32
	conf, jira := w.clientsWith(atlassian.Options{Username: "admin", Password: "admin", MaxConcurrent: 4, MaxRetries: 8}, roundTripper(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		total.Add(1)
		if err == nil && resp.StatusCode == http.StatusTooManyRequests {
			refused.Add(1)
		}
		return resp, err
	}))
	idx := w.open()
	ix := w.indexer(idx, func(o *Options) { o.Confluence, o.Jira, o.Concurrency = conf, jira, 8 })
	sum := w.sync(ix, RunOptions{})
	if n := total.Load(); n <= 2*3 {
		t.Fatalf("the sync made %d requests: too few to use up a bucket of 3 per product", n)
	}
	if n := refused.Load(); n > 0 {
		t.Errorf("%d of %d requests found the bucket empty (429)", n, total.Load())
	}
	for _, src := range []string{search.SourceConfluence, search.SourceJira} {
		p, ok := sum.Paces[src]
		if !ok || !p.Announced || p.Assumed || p.Limit != 3 || p.PerSecond != 3 {
			t.Errorf("%s pace %+v (reported: %v), want the announced 3 a second", src, p, ok)
		}
	}
	if sum.Paces[search.SourceJira].Waited <= 0 && sum.Paces[search.SourceConfluence].Waited <= 0 {
		t.Error("no request waited for the budget: the test did not exercise it")
	}
}

// A server that announces nothing is paced by the assumed budget, and the
// summary says so. The sample space is four Confluence requests: at 50 a
// second after a burst of 2, a loaded CI machine answered them more than
// 20 ms apart and none waited. At 5 a second after 1, a request waits
// unless the one before it took over 200 ms.
func TestSyncKeepsToAnAssumedBudget(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 5})
	conf, jira := w.clientsWith(atlassian.Options{Username: "admin", Password: "admin", AssumedRate: 5, AssumedBurst: 1}, http.DefaultTransport)
	ix := w.indexer(w.open(), func(o *Options) { o.Confluence, o.Jira = conf, jira })
	sum := w.sync(ix, RunOptions{})
	for _, src := range []string{search.SourceConfluence, search.SourceJira} {
		p, ok := sum.Paces[src]
		if !ok || p.Announced || !p.Assumed || p.PerSecond != 5 || p.Limit != 1 || p.Waited <= 0 {
			t.Errorf("%s pace %+v (reported: %v), want the assumed 5 a second after 1, with some waiting", src, p, ok)
		}
	}
}

// A container whose fetches run out of retries keeps its watermark, the
// sync says it failed, and the next sync picks up what it missed.
func TestSyncOutOfRetriesKeepsTheWatermark(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 10})
	idx := w.open()
	w.sync(w.indexer(idx, nil), RunOptions{})
	ctx := context.Background()
	key := w.srv.IssueKeys("OPS")[0]
	before, err := idx.Watermark(ctx, search.SourceJira, "OPS")
	if err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(5 * time.Minute)
	if _, _, err := w.jira.Issues.AddComment(ctx, key, "Rotated the pager keys on Tuesday."); err != nil {
		t.Fatal(err)
	}

	// Every issue body fetch answers 503, retries included.
	conf, jira := w.clientsWith(atlassian.Options{Username: "admin", Password: "admin", MaxRetries: 2}, roundTripper(func(r *http.Request) (*http.Response, error) {
		if strings.Contains(r.URL.RawQuery, "renderedFields") {
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	}))
	ix := w.indexer(idx, func(o *Options) { o.Confluence, o.Jira = conf, jira })
	w.clk.Advance(time.Minute)
	sum, err := ix.Sync(ctx, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ops *ContainerSummary
	for i, c := range sum.Containers {
		if c.Source == search.SourceJira && c.Container == "OPS" {
			ops = &sum.Containers[i]
		}
	}
	if !sum.Failed() || ops == nil || ops.Errors == 0 && ops.Err == nil {
		t.Fatalf("the sync does not report the failed fetches: failed %v, OPS %+v", sum.Failed(), ops)
	}
	after, err := idx.Watermark(ctx, search.SourceJira, "OPS")
	if err != nil {
		t.Fatal(err)
	}
	if !after.Updated.Equal(before.Updated) {
		t.Errorf("watermark moved from %v to %v past an edit that was not stored", before.Updated, after.Updated)
	}

	w.sync(w.indexer(idx, nil), RunOptions{})
	if doc := searchOne(t, idx, "rotated pager keys Tuesday"); doc.Key != key {
		t.Errorf("the edit missed by the failed sync was not picked up: found %s", doc.Key)
	}
}
