package sim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/benchref"
)

// The benchmarks measure the simulator side only (handler called in-process) on a world of 100k
// pages and 100k issues: go test -run '^$' -bench . ./internal/sim/

var (
	bigOnce sync.Once
	bigSim  *Sim
	bigErr  error
	bigLoad time.Duration
)

func bigWorld(b *testing.B) *Sim {
	bigOnce.Do(func() {
		began := time.Now()
		clk := newFakeClock()
		bigSim, bigErr = New(Options{JiraIssues: 100000, Seed: 1, Clock: clk.Now})
		if bigErr == nil {
			bigErr = bigSim.GeneratePages("BIG", 100000, 1)
		}
		bigLoad = time.Since(began)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	b.Logf("world of 100k pages + 100k issues built in %v", bigLoad)
	return bigSim
}

// cpuTime is the process's user+system CPU time: on a shared, loaded machine it measures the
// simulator's cost better than wall time. Benchmarks report it as cpu-ns/op.
func cpuTime() time.Duration { return benchref.CPUTime() }

// measure runs fn b.N times and reports CPU time per op next to wall time.
func measure(b *testing.B, fn func(i int)) {
	b.ResetTimer()
	began := cpuTime()
	for i := 0; i < b.N; i++ {
		fn(i)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-began)/float64(b.N), "cpu-ns/op")
}

func serve(b *testing.B, h http.Handler, path string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.SetBasicAuth("admin", "admin")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body.String())
	}
}

// BenchmarkCQLPage100 pages through a CQL search, 100 results per request (ids only).
func BenchmarkCQLPage100(b *testing.B) {
	h := bigWorld(b).Handler()
	cql := url.QueryEscape("space = BIG AND type = page ORDER BY lastmodified ASC")
	measure(b, func(i int) {
		serve(b, h, fmt.Sprintf("/confluence/rest/api/content/search?cql=%s&limit=100&start=%d", cql, (i*100)%99900))
	})
}

// BenchmarkCQLPage100Cold runs a new query (not in the result cache) each time.
func BenchmarkCQLPage100Cold(b *testing.B) {
	h := bigWorld(b).Handler()
	measure(b, func(i int) {
		cql := url.QueryEscape(fmt.Sprintf(`space = BIG AND lastmodified >= "2024-%02d-%02d" ORDER BY lastmodified ASC`, 1+i%5, 1+i%28))
		serve(b, h, "/confluence/rest/api/content/search?limit=100&cql="+cql)
	})
}

// BenchmarkCQLTextPage100 is a cold full-text query over the 100k pages.
func BenchmarkCQLTextPage100(b *testing.B) {
	h := bigWorld(b).Handler()
	words := []string{"rollback", "backup", "canary", "dashboard", "freeze"}
	measure(b, func(i int) {
		cql := url.QueryEscape(fmt.Sprintf(`space = BIG AND text ~ "%s step %d"`, words[i%len(words)], i))
		serve(b, h, "/confluence/rest/api/content/search?limit=100&cql="+cql)
	})
}

// BenchmarkCQLPage50Bodies pages with bodies expanded (50 per request, the DC cap).
func BenchmarkCQLPage50Bodies(b *testing.B) {
	h := bigWorld(b).Handler()
	cql := url.QueryEscape("space = BIG ORDER BY lastmodified ASC")
	measure(b, func(i int) {
		serve(b, h, fmt.Sprintf("/confluence/rest/api/content/search?cql=%s&limit=50&expand=body.storage,version&start=%d", cql, (i*50)%99900))
	})
}

// BenchmarkJQLPage100 pages through a JQL search with all navigable fields.
func BenchmarkJQLPage100(b *testing.B) {
	h := bigWorld(b).Handler()
	jql := url.QueryEscape("project = OPS ORDER BY updated ASC, key ASC")
	measure(b, func(i int) {
		serve(b, h, fmt.Sprintf("/jira/rest/api/2/search?jql=%s&maxResults=100&startAt=%d", jql, (i*100)%30000))
	})
}

// BenchmarkJQLPage100Cold runs a new JQL query each time.
func BenchmarkJQLPage100Cold(b *testing.B) {
	h := bigWorld(b).Handler()
	measure(b, func(i int) {
		jql := url.QueryEscape(fmt.Sprintf(`updated >= "2024-%02d-%02d" ORDER BY updated ASC`, 2+i%4, 1+i%28))
		serve(b, h, "/jira/rest/api/2/search?fields=summary,updated&maxResults=100&jql="+jql)
	})
}

// BenchmarkGetPage fetches one page with body and version.
func BenchmarkGetPage(b *testing.B) {
	s := bigWorld(b)
	h := s.Handler()
	id := PageID("ENG", "deployment-rollback.html")
	measure(b, func(i int) {
		serve(b, h, "/confluence/rest/api/content/"+id+"?expand=body.storage,body.view,version,ancestors")
	})
}

// BenchmarkCQLIncrementalCold is a crawler's incremental query (changes of the last days), new each time.
func BenchmarkCQLIncrementalCold(b *testing.B) {
	h := bigWorld(b).Handler()
	measure(b, func(i int) {
		cql := url.QueryEscape(fmt.Sprintf(`space = BIG AND type = page AND lastmodified >= "2024-05-%02d %02d:%02d" ORDER BY lastmodified ASC`, 20+i%10, i%24, i%60))
		serve(b, h, "/confluence/rest/api/content/search?limit=100&cql="+cql)
	})
}

// BenchmarkJQLIncrementalCold is the Jira counterpart.
func BenchmarkJQLIncrementalCold(b *testing.B) {
	h := bigWorld(b).Handler()
	measure(b, func(i int) {
		jql := url.QueryEscape(fmt.Sprintf(`project = OPS AND updated >= "2024-05-%02d %02d:%02d" ORDER BY updated ASC, key ASC`, 20+i%10, i%24, i%60))
		serve(b, h, "/jira/rest/api/2/search?maxResults=100&jql="+jql)
	})
}
