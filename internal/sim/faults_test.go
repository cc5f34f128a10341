package sim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	t.Run("error rate", func(t *testing.T) {
		srv, _ := testServer(t, Options{JiraIssues: 1, ErrorRate: 1})
		for _, u := range []string{srv.ConfluenceURL() + "/rest/api/space", srv.JiraURL() + "/rest/api/2/myself"} {
			r := do(t, call{url: u, auth: "admin"})
			if r.code != 503 || r.header.Get("Retry-After") == "" {
				t.Errorf("%s: %d %s", u, r.code, r.raw)
			}
		}
		// The simulator's own endpoints are never faulted.
		if r := do(t, call{url: srv.URL + "/__sim/stats"}); r.code != 200 {
			t.Errorf("stats under faults: %d", r.code)
		}
	})
	t.Run("partial error rate", func(t *testing.T) {
		srv, _ := testServer(t, Options{JiraIssues: 1, ErrorRate: 0.3, Seed: 5})
		fails := 0
		for i := 0; i < 200; i++ {
			if do(t, call{url: srv.JiraURL() + "/rest/api/2/serverInfo"}).code == 503 {
				fails++
			}
		}
		if fails < 30 || fails > 90 {
			t.Errorf("%d of 200 failed at rate 0.3", fails)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		srv, clk := testServer(t, Options{JiraIssues: 1, RateLimit: 2})
		u := srv.ConfluenceURL() + "/rest/api/space"
		codes, left := []int{}, []string{}
		for i := 0; i < 3; i++ {
			r := do(t, call{url: u, auth: "admin"})
			codes, left = append(codes, r.code), append(left, r.header.Get("X-RateLimit-Remaining"))
			// DC sends the budget on successful answers too.
			for h, want := range map[string]string{"X-RateLimit-Limit": "2", "X-RateLimit-FillRate": "2", "X-RateLimit-Interval-Seconds": "1"} {
				if got := r.header.Get(h); got != want {
					t.Errorf("answer %d: %s = %q, want %q", i, h, got, want)
				}
			}
		}
		if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
			t.Fatalf("codes %v, want 200 200 429", codes)
		}
		if strings.Join(left, ",") != "1,0,0" {
			t.Errorf("X-RateLimit-Remaining %v, want 1,0,0", left)
		}
		// The bucket is per user: alice still has hers.
		if r := do(t, call{url: u, auth: "alice"}); r.code != 200 {
			t.Errorf("alice after admin's bucket ran dry: %d", r.code)
		}
		// Jira is another server, with its own bucket for admin.
		myself := srv.JiraURL() + "/rest/api/2/myself"
		for i, want := range []int{200, 200, 429} {
			r := do(t, call{url: myself, auth: "admin"})
			if r.code != want {
				t.Fatalf("jira answer %d: %d, want %d", i, r.code, want)
			}
			if r.code == 429 && (r.header.Get("Retry-After") != "1" || !strings.Contains(string(r.raw), "errorMessages")) {
				t.Errorf("jira 429: %v %s", r.header, r.raw)
			}
		}
		// The bucket fills by the wall clock (a token each half second
		// here), not by the simulator's clock.
		clk.Advance(time.Hour)
		if r := do(t, call{url: u, auth: "admin"}); r.code != 429 {
			t.Errorf("the simulator's clock refilled the bucket: %d", r.code)
		}
		time.Sleep(600 * time.Millisecond)
		if r := do(t, call{url: u, auth: "admin"}); r.code != 200 {
			t.Errorf("after waiting: %d", r.code)
		}
	})
	t.Run("latency", func(t *testing.T) {
		srv, _ := testServer(t, Options{JiraIssues: 1, Latency: 30 * time.Millisecond})
		began := time.Now()
		do(t, call{url: srv.JiraURL() + "/rest/api/2/serverInfo"})
		if d := time.Since(began); d < 30*time.Millisecond {
			t.Errorf("request took %v with 30ms latency", d)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		for _, o := range []Options{{ErrorRate: 2}, {RateLimit: -1}, {Users: []User{{Name: ""}}},
			{Users: []User{{Name: "a"}, {Name: "a"}}}} {
			if _, err := New(o); err == nil {
				t.Errorf("New(%+v) accepted", o)
			}
		}
	})
}

// TestConcurrentUse mixes readers and writers; run with -race.
func TestConcurrentUse(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: 50})
	cb, jb := srv.ConfluenceURL()+"/rest/api/", srv.JiraURL()+"/rest/api/2/"
	done := make(chan struct{})
	errs := make(chan string, 100)
	for w := 0; w < 4; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 15; i++ {
				var r reply
				switch (w + i) % 5 {
				case 0:
					r = do(t, call{url: cb + "content/search?expand=body.view&cql=space%3DENG%20ORDER%20BY%20lastmodified", auth: "alice"})
				case 1:
					r = do(t, call{url: jb + "search?jql=project%3DOPS%20ORDER%20BY%20updated", auth: "admin"})
				case 2:
					r = do(t, call{method: "POST", url: cb + "content", auth: "admin", body: map[string]any{"type": "page",
						"title": fmt.Sprintf("Concurrent %d-%d", w, i), "space": map[string]any{"key": "ENG"},
						"body": map[string]any{"storage": map[string]any{"value": "<p>x</p>", "representation": "storage"}}}})
				case 3:
					r = do(t, call{method: "POST", url: jb + "issue/OPS-1/comment", auth: "admin", body: map[string]any{"body": "busy"}})
				default:
					r = do(t, call{url: cb + "search?cql=text~%22rollback%22", auth: "admin"})
				}
				if r.code >= 300 {
					errs <- fmt.Sprintf("%d %s", r.code, r.raw)
				}
			}
		}(w)
	}
	for w := 0; w < 4; w++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestTimeZone(t *testing.T) {
	srv, clk := testServer(t, Options{JiraIssues: -1, TimeZone: time.FixedZone("CEST", 2*3600)})
	p, err := srv.AddPage(Page{Space: "ENG", Title: "Zoned", Body: "<p>z</p>"})
	if err != nil {
		t.Fatal(err)
	}
	m := do(t, call{url: srv.ConfluenceURL() + "/rest/api/content/" + p.ID + "?expand=version", auth: "admin"}).obj(t)
	if w := dig(t, m, "version", "when").(string); w != "2024-06-03T11:30:00.000+02:00" {
		t.Errorf("confluence date %q", w)
	}
	is, err := srv.AddIssue(Issue{Project: "OPS", Summary: "zoned"})
	if err != nil {
		t.Fatal(err)
	}
	f := do(t, call{url: srv.JiraURL() + "/rest/api/2/issue/" + is.Key + "?fields=created", auth: "admin"}).obj(t)["fields"].(map[string]any)
	if f["created"] != "2024-06-03T11:30:00.000+0200" {
		t.Errorf("jira date %q", f["created"])
	}
	clk.Advance(5 * time.Minute)
	if _, err := srv.UpdatePage(Page{ID: p.ID, Body: "<p>z2</p>"}); err != nil {
		t.Fatal(err)
	}
	// A CQL date without zone is read in the server's zone: 11:33 local is 09:33 UTC.
	for _, tc := range []struct {
		cql  string
		want float64
	}{{`lastmodified >= "2024-06-03 11:33"`, 1}, {`lastmodified >= "2024-06-03 11:36"`, 0}} {
		m := do(t, call{url: srv.ConfluenceURL() + "/rest/api/content/search?cql=" + url.QueryEscape(tc.cql), auth: "admin"}).obj(t)
		if m["size"].(float64) != tc.want {
			t.Errorf("%s: %v hits, want %v", tc.cql, m["size"], tc.want)
		}
	}
}
