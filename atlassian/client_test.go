package atlassian

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fast options keep retry tests quick.
var fast = Options{RetryWait: time.Millisecond, MaxRetryWait: 5 * time.Millisecond}

func TestNewRequest(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		wantAuth string
	}{
		{"basic", Options{Username: "bob", Password: "pw"}, "Basic Ym9iOnB3"},
		{"bearer wins", Options{Username: "bob", Password: "pw", Token: "pat"}, "Bearer pat"},
		{"anonymous", Options{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewConfluence("https://host/confluence/", tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			req, err := c.NewRequest(t.Context(), http.MethodPost, "rest/api/content/"+"a%2Fb", nil, map[string]int{"x": 1})
			if err != nil {
				t.Fatal(err)
			}
			if got := req.URL.String(); got != "https://host/confluence/rest/api/content/a%2Fb" {
				t.Errorf("url = %s", got)
			}
			if got := req.Header.Get("Authorization"); got != tc.wantAuth {
				t.Errorf("Authorization = %q, want %q", got, tc.wantAuth)
			}
			if req.Header.Get("X-Atlassian-Token") != "no-check" || req.Header.Get("Content-Type") != "application/json" {
				t.Errorf("headers = %v", req.Header)
			}
		})
	}
}

func TestNewClientBadURL(t *testing.T) {
	for _, u := range []string{"", "wiki.example.com", "ftp://host", "http://"} {
		if _, err := NewJira(u, Options{}); err == nil {
			t.Errorf("NewJira(%q) accepted", u)
		}
	}
}

func TestAbsURL(t *testing.T) {
	c, _ := NewConfluence("https://host/wiki/cf", Options{})
	if got := c.AbsURL("/display/ENG/Home"); got != "https://host/wiki/cf/display/ENG/Home" {
		t.Errorf("AbsURL = %s", got)
	}
	if got := c.AbsURL("https://other/x"); got != "https://other/x" {
		t.Errorf("AbsURL absolute = %s", got)
	}
}

// flaky answers with the given statuses in turn, then 200 {"key":"ABC-1"}.
func flaky(t *testing.T, statuses []int, header http.Header) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(statuses[i])
			io.WriteString(w, `{"errorMessages":["busy"],"errors":{}}`)
			return
		}
		io.WriteString(w, `{"id":"1","key":"ABC-1","self":"x"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetry(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		post      bool
		wantCalls int32
		wantErr   error
	}{
		{"429 then ok", []int{429, 429}, false, 3, nil},
		{"503 storm then ok", []int{503, 503, 503, 503}, false, 5, nil},
		{"502 and 504 on GET", []int{502, 504}, false, 3, nil},
		{"too many failures", []int{503, 503, 503, 503, 503, 503, 503}, false, 6, ErrUnavailable},
		{"400 is final", []int{400}, false, 1, ErrBadRequest},
		{"404 is final", []int{404}, false, 1, ErrNotFound},
		{"POST retried on 429", []int{429}, true, 2, nil},
		{"POST retried on 503", []int{503}, true, 2, nil},
		{"POST not retried on 502", []int{502}, true, 1, ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := flaky(t, tc.statuses, nil)
			j, err := NewJira(srv.URL, fast)
			if err != nil {
				t.Fatal(err)
			}
			if tc.post {
				_, _, err = j.Issues.Create(t.Context(), IssueInput{Fields: map[string]any{"summary": "x"}})
			} else {
				_, _, err = j.Issues.Get(t.Context(), "ABC-1", nil)
			}
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got := n.Load(); got != tc.wantCalls {
				t.Fatalf("calls = %d, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	srv, n := flaky(t, []int{429}, http.Header{"Retry-After": {"1"}})
	j, _ := NewJira(srv.URL, fast)
	start := time.Now()
	if _, _, err := j.Issues.Get(t.Context(), "ABC-1", nil); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Fatalf("calls = %d", n.Load())
	}
	// The backoff alone would be ~1ms: waiting the second proves Retry-After won.
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Fatalf("retried after %v, want the server's 1s", waited)
	}
}

func TestSearchPostIsRetried(t *testing.T) {
	srv, n := flaky(t, []int{502}, nil)
	j, _ := NewJira(srv.URL, fast)
	if _, _, err := j.Issues.Search(t.Context(), "project = ABC", nil); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Fatalf("calls = %d, want the read-only POST retried", n.Load())
	}
}

func TestRetryRewindsBody(t *testing.T) {
	var bodies []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		first := len(bodies) == 1
		mu.Unlock()
		if first {
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, `{"startAt":0,"total":0,"issues":[]}`)
	}))
	defer srv.Close()
	j, _ := NewJira(srv.URL, fast)
	if _, _, err := j.Issues.Search(t.Context(), `text ~ "x"`, &SearchIssuesOptions{MaxResults: 5}); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 || bodies[0] != bodies[1] || !strings.Contains(bodies[1], `"jql":"text ~ \"x\""`) {
		t.Fatalf("bodies = %q", bodies)
	}
}

// TestConnectionRefusedExplainedAtOnce: nothing listening is said at once
// (it was retried for ~15 s), in words, without the raw dial error.
func TestConnectionRefusedExplainedAtOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := NewConfluence("http://"+addr+"/confluence", Options{MaxRetries: 3, RetryWait: time.Millisecond, Logger: log})
	_, _, err = c.Spaces.List(t.Context(), nil)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "is the server running") ||
		!strings.Contains(err.Error(), "check the base URL") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "dial tcp") {
		t.Errorf("the raw Go error is in the text: %v", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("errors.Is(err, ECONNREFUSED) = false: %v", err)
	}
	if strings.Contains(logged.String(), "retrying") {
		t.Errorf("a refused connection was retried:\n%s", logged.String())
	}
}

func TestHangingServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, _ := NewConfluence(srv.URL, Options{Timeout: 50 * time.Millisecond, MaxRetries: 1, RetryWait: time.Millisecond})
	_, _, err := c.Spaces.List(t.Context(), nil)
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") || !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
}

func TestConcurrencyCap(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
		io.WriteString(w, `{"results":[],"start":0,"limit":25,"size":0,"_links":{}}`)
	}))
	defer srv.Close()
	c, _ := NewConfluence(srv.URL, Options{MaxConcurrent: 2})
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if _, _, err := c.Spaces.List(t.Context(), nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 2 {
		t.Fatalf("peak in flight = %d, want ≤ 2", p)
	}
}

// arrivals answers {} to everything and returns when each request arrived.
func arrivals(t *testing.T) (*httptest.Server, func() []time.Time) {
	var mu sync.Mutex
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Time(nil), times...)
	}
}

func TestRateLimit(t *testing.T) {
	srv, arrived := arrivals(t)
	c, _ := NewJira(srv.URL, Options{RateLimit: 50, MaxConcurrent: 8})
	var wg sync.WaitGroup
	start := time.Now()
	for range 6 {
		wg.Go(func() { c.Meta.Myself(t.Context()) })
	}
	wg.Wait()
	// The 6th turn at 50/s comes 5 intervals of 20ms after the first, which
	// is no earlier than start. Measured from the first arrival instead,
	// a first request slowed by its connection setup (the race detector,
	// a busy machine) shortened the span below what the limiter allowed.
	last := start
	for _, ts := range arrived() {
		if ts.After(last) {
			last = ts
		}
	}
	if span := last.Sub(start); span < 95*time.Millisecond {
		t.Fatalf("6 requests took %v at 50 req/s, want ≥ 100ms", span)
	}
}

// A request given up while it waits for the rate limit gives its turn back:
// the next request is not delayed by one that was never sent.
func TestRateLimitCancelledWaitGivesBackItsTurn(t *testing.T) {
	srv, arrived := arrivals(t)
	const every = time.Second // with half of it as slack for a busy machine
	c, _ := NewJira(srv.URL, Options{RateLimit: float64(time.Second) / float64(every), MaxRetries: -1})
	if _, _, err := c.Meta.Myself(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { _, _, err := c.Meta.Myself(ctx); done <- err }()
	time.Sleep(every / 4) // let it reserve the next turn
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: err = %v", err)
	}
	if _, _, err := c.Meta.Myself(t.Context()); err != nil {
		t.Fatal(err)
	}
	times := arrived()
	if len(times) != 2 {
		t.Fatalf("%d requests reached the server, want 2", len(times))
	}
	// Without the turn given back the second request waits two intervals.
	if gap := times[1].Sub(times[0]); gap > every*3/2 {
		t.Fatalf("second request sent %v after the first, want about %v", gap, every)
	}
}

func TestErrorBodies(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		is      error
		want    []string
		notWant string
	}{
		{"confluence 404", 404, nil, `{"statusCode":404,"data":{"authorized":false,"valid":true,"errors":[],"successful":false},"message":"No content found with id: ContentId{id=9}","reason":"Not Found"}`,
			ErrNotFound, []string{"404 Not Found", "No content found with id: ContentId{id=9}"}, ""},
		{"cql 400", 400, nil, `{"statusCode":400,"data":{"authorized":false,"valid":true,"errors":[],"successful":false},"message":"Could not parse cql : spaze = X","reason":"Bad Request"}`,
			ErrBadRequest, []string{"Could not parse cql : spaze = X"}, ""},
		{"conflict", 409, nil, `{"statusCode":409,"message":"Version must be incremented on update. Current version is: 5","reason":"Conflict"}`,
			ErrConflict, []string{"Current version is: 5"}, ""},
		{"401 html", 401, http.Header{"X-Seraph-Loginreason": {"AUTHENTICATED_FAILED"}}, `<html><head><title>Unauthorized (401)</title></head><body>...</body></html>`,
			ErrUnauthorized, []string{"Unauthorized (401)", "check the username and password or token"}, "<html>"},
		{"captcha", 403, http.Header{"X-Authentication-Denied-Reason": {"CAPTCHA_CHALLENGE; login-url=http://x/login.jsp"}}, ``,
			ErrForbidden, []string{"CAPTCHA"}, ""},
		{"confluence nested errors", 400, nil, `{"statusCode":400,"data":{"errors":[{"message":{"key":"k","translation":"A page with this title already exists"}}]},"message":"com.atlassian.confluence.api.service.exceptions.BadRequestException: Could not create content with type page","reason":"Bad Request"}`,
			ErrBadRequest, []string{"A page with this title already exists"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c, _ := NewConfluence(srv.URL+"/confluence", Options{Token: "sekret-pat", MaxRetries: -1})
			_, _, err := c.Content.Get(t.Context(), "9")
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want %q", err, w)
				}
			}
			if tc.notWant != "" && strings.Contains(err.Error(), tc.notWant) {
				t.Errorf("err = %q contains %q", err, tc.notWant)
			}
			if strings.Contains(err.Error(), "sekret-pat") {
				t.Error("token in error")
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Path != "/rest/api/content/9" {
				t.Errorf("path = %+v", ae)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"name": "admin"})
	}))
	defer srv.Close()
	t.Run("unknown CA", func(t *testing.T) {
		j, _ := NewJira(srv.URL, Options{MaxRetries: -1})
		_, _, err := j.Meta.Myself(t.Context())
		if err == nil || !strings.Contains(err.Error(), "unknown authority") || !strings.Contains(err.Error(), "CA bundle") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("CA file", func(t *testing.T) {
		ca := filepath.Join(t.TempDir(), "ca.pem")
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := NewJira(srv.URL, Options{CAFile: ca})
		if err != nil {
			t.Fatal(err)
		}
		u, _, err := j.Meta.Myself(t.Context())
		if err != nil || u.Name != "admin" {
			t.Fatalf("myself = %v, %v", u, err)
		}
	})
	t.Run("bad CA file", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.pem")
		os.WriteFile(bad, []byte("not a cert"), 0o600)
		if _, err := NewJira(srv.URL, Options{CAFile: bad}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("insecure", func(t *testing.T) {
		j, _ := NewJira(srv.URL, Options{Insecure: true})
		if _, _, err := j.Meta.Myself(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDNSFailure(t *testing.T) {
	j, _ := NewJira("http://no-such-host.invalid", Options{MaxRetries: -1})
	_, _, err := j.Meta.Myself(t.Context())
	if err == nil || !strings.Contains(err.Error(), "cannot resolve host") {
		t.Fatalf("err = %v", err)
	}
}

func TestErrorsRedactCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "proxy refused header Authorization: "+r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	for name, opts := range map[string]Options{
		"basic":  {Username: "bob", Password: "hunter2-secret", MaxRetries: -1},
		"bearer": {Token: "pat-0123456789", MaxRetries: -1},
	} {
		t.Run(name, func(t *testing.T) {
			j, _ := NewJira(srv.URL, opts)
			_, _, err := j.Meta.Myself(t.Context())
			if err == nil || !strings.Contains(err.Error(), "proxy refused") || !strings.Contains(err.Error(), "[redacted]") {
				t.Fatalf("err = %v", err)
			}
			for _, secret := range []string{"hunter2-secret", "pat-0123456789", "Ym9iOmh1bnRlcjItc2VjcmV0"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("err %q holds a secret", err)
				}
			}
		})
	}
}
