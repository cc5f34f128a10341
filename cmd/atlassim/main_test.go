package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{"defaults", nil, "", func(t *testing.T, c *config) {
			if c.opts.JiraIssues != 200 || c.opts.Spaces != nil || c.opts.Users[0].Name != "admin" || len(c.opts.Users) != 2 {
				t.Errorf("defaults: %+v", c.opts)
			}
		}},
		{"pairs", []string{"--confluence-html", "a", "--space", "A", "--confluence-html", "b", "--space", "B"}, "", func(t *testing.T, c *config) {
			if len(c.opts.Spaces) != 2 || c.opts.Spaces[1].Key != "B" || c.opts.Spaces[1].HTMLDir != "b" {
				t.Errorf("spaces: %+v", c.opts.Spaces)
			}
		}},
		{"main user", []string{"--user", "bob", "--password", "pw", "--token", "t0k"}, "", func(t *testing.T, c *config) {
			u := c.opts.Users[0]
			if u.Name != "bob" || u.Password != "pw" || u.Token != "t0k" || len(c.opts.Users) != 3 {
				t.Errorf("users: %+v", c.opts.Users)
			}
		}},
		{"no issues", []string{"--jira-issues", "0"}, "", func(t *testing.T, c *config) {
			if c.opts.JiraIssues >= 0 {
				t.Errorf("--jira-issues 0 gave %d", c.opts.JiraIssues)
			}
		}},
		{"faults", []string{"--latency", "50ms", "--error-rate", "0.1", "--rate-limit", "20", "--jira-version", "8.20.0"}, "", func(t *testing.T, c *config) {
			if c.opts.Latency != 50*time.Millisecond || c.opts.ErrorRate != 0.1 || c.opts.RateLimit != 20 || c.opts.JiraVersion != "8.20.0" {
				t.Errorf("faults: %+v", c.opts)
			}
		}},
		{"timezone", []string{"--timezone", "Europe/Berlin"}, "", func(t *testing.T, c *config) {
			if c.opts.TimeZone.String() != "Europe/Berlin" {
				t.Errorf("zone %v", c.opts.TimeZone)
			}
		}},
		{"bad timezone", []string{"--timezone", "Mars/Olympus"}, "--timezone", nil},
		{"user timezone", []string{"--timezone", "Europe/London", "--user-timezone", "Asia/Tokyo"}, "", func(t *testing.T, c *config) {
			if c.opts.TimeZone.String() != "Europe/London" || c.opts.UserTimeZone.String() != "Asia/Tokyo" {
				t.Errorf("zones %v / %v", c.opts.TimeZone, c.opts.UserTimeZone)
			}
		}},
		{"anonymous", []string{"--anonymous-read", "--no-pat"}, "", func(t *testing.T, c *config) {
			if !c.opts.AnonymousRead || !c.opts.NoPAT {
				t.Errorf("anonymous-read %v, no-pat %v", c.opts.AnonymousRead, c.opts.NoPAT)
			}
		}},
		{"bad user timezone", []string{"--user-timezone", "Mars/Olympus"}, "--user-timezone", nil},
		{"unpaired", []string{"--confluence-html", "a"}, "give them in pairs", nil},
		{"bad addr", []string{"--addr", "nope"}, "--addr", nil},
		{"negative pages", []string{"--pages", "-1"}, "--pages", nil},
		{"extra args", []string{"serve"}, "unexpected arguments", nil},
		{"unknown flag", []string{"--frobnicate"}, "flag provided but not defined", nil},
		{"empty password", []string{"--password", ""}, "must not be empty", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"--addr", "127.0.0.1:0", "--jira-issues", "20", "--token", "tok", "--pages", "10"}, &out)
	}()
	urlRE := regexp.MustCompile(`jira:\s+(http://\S+)`)
	var jira string
	for deadline := time.Now().Add(10 * time.Second); jira == "" && time.Now().Before(deadline); {
		if m := urlRE.FindStringSubmatch(out.String()); m != nil {
			jira = m[1]
			break
		}
		select {
		case err := <-errc:
			t.Fatalf("run stopped early: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if jira == "" {
		t.Fatalf("no URL printed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "confluence: http://") {
		t.Errorf("confluence URL missing:\n%s", out.String())
	}
	req, _ := http.NewRequest("GET", jira+"/rest/api/2/search?maxResults=0", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"total":20`) {
		t.Errorf("search: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
}
