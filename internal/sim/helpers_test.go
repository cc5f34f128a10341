package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 6, 3, 9, 30, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// server is a simulator on a loopback HTTP server, like atlassiantest.Server, which these tests
// cannot use: atlassiantest imports this package.
type server struct {
	*Sim
	*httptest.Server
}

func (s *server) ConfluenceURL() string { return s.URL + "/confluence" }

func (s *server) JiraURL() string { return s.URL + "/jira" }

// newServer starts a simulator and closes it when the test ends.
func newServer(t testing.TB, opts Options) *server {
	t.Helper()
	sim, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim.Handler())
	t.Cleanup(ts.Close)
	return &server{Sim: sim, Server: ts}
}

// testServer starts a default simulator with a fake clock.
func testServer(t *testing.T, opts Options) (*server, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	if opts.Clock == nil {
		opts.Clock = clk.Now
	}
	return newServer(t, opts), clk
}

// call is one HTTP exchange; auth is "admin", "alice", "bearer:<token>", "basic:<u>:<p>" or "".
type call struct {
	method, url, auth string
	body              any
}

type reply struct {
	code   int
	header http.Header
	raw    []byte
}

func (r reply) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.raw, &m); err != nil {
		t.Fatalf("decode %s: %v", r.raw, err)
	}
	return m
}

func (r reply) list(t *testing.T) []any {
	t.Helper()
	var l []any
	if err := json.Unmarshal(r.raw, &l); err != nil {
		t.Fatalf("decode list %s: %v", r.raw, err)
	}
	return l
}

func do(t testing.TB, c call) reply {
	t.Helper()
	var body io.Reader
	if c.body != nil {
		if s, ok := c.body.(string); ok {
			body = bytes.NewBufferString(s)
		} else {
			b, err := json.Marshal(c.body)
			if err != nil {
				t.Fatal(err)
			}
			body = bytes.NewReader(b)
		}
	}
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, c.url, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case c.auth == "admin" || c.auth == "alice":
		req.SetBasicAuth(c.auth, c.auth)
	case len(c.auth) > 7 && c.auth[:7] == "bearer:":
		req.Header.Set("Authorization", "Bearer "+c.auth[7:])
	case len(c.auth) > 6 && c.auth[:6] == "basic:":
		u, p, _ := bytes.Cut([]byte(c.auth[6:]), []byte(":"))
		req.SetBasicAuth(string(u), string(p))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{code: resp.StatusCode, header: resp.Header, raw: raw}
}

// dig follows a path of keys and indexes ("results", 0, "version") through decoded JSON.
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("dig %v: %T at %q is not an object", path, v, k)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("dig %v: no element %d", path, k)
			}
			v = l[k]
		}
	}
	return v
}

// uploadFile posts one file as the multipart field "file", as admin, with the X-Atlassian-Token
// header when token is not empty.
func uploadFile(t *testing.T, url, token, name, body string) reply {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(body))
	mw.Close()
	req, err := http.NewRequest("POST", url, &b)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", "admin")
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("X-Atlassian-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, raw: raw}
}
