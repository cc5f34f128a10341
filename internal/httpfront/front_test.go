package httpfront

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const token = "0123456789abcdef-token"

// echo is the guarded handler: it answers 200 with the body it read.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Write(b)
})

func serve(t *testing.T, next http.Handler, opts Options) *httptest.Server {
	t.Helper()
	if opts.Token == "" {
		opts.Token = token
	}
	h, err := Wrap(next, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func do(t *testing.T, ts *httptest.Server, method string, header map[string]string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+"/mcp", body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestWrapRefusesShortToken(t *testing.T) {
	for _, tok := range []string{"", "short", strings.Repeat("x", MinTokenLength-1)} {
		if _, err := Wrap(echo, Options{Token: tok}); !errors.Is(err, ErrTokenTooShort) {
			t.Errorf("token %q: %v", tok, err)
		}
	}
	if _, err := Wrap(echo, Options{Token: strings.Repeat("x", MinTokenLength)}); err != nil {
		t.Error(err)
	}
	if a, b := NewToken(), NewToken(); a == b || CheckToken(a) != nil {
		t.Errorf("NewToken: %q %q", a, b)
	}
}

func TestAuthAndOrigin(t *testing.T) {
	ts := serve(t, echo, Options{AllowedOrigins: []string{"https://app.example.com/"}})
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"no header", nil, http.StatusUnauthorized},
		{"wrong token", map[string]string{"Authorization": "Bearer " + token + "x"}, http.StatusUnauthorized},
		{"prefix of the token", map[string]string{"Authorization": "Bearer " + token[:16]}, http.StatusUnauthorized},
		{"basic", map[string]string{"Authorization": "Basic " + token}, http.StatusUnauthorized},
		{"token alone", map[string]string{"Authorization": token}, http.StatusUnauthorized},
		{"bearer", map[string]string{"Authorization": "Bearer " + token}, http.StatusOK},
		{"lower case scheme", map[string]string{"Authorization": "bearer " + token}, http.StatusOK},
		{"upper case scheme", map[string]string{"Authorization": "BEARER " + token}, http.StatusOK},
		{"loopback origin", map[string]string{"Authorization": "Bearer " + token, "Origin": "http://localhost:5173"}, http.StatusOK},
		{"loopback ip origin", map[string]string{"Authorization": "Bearer " + token, "Origin": "http://127.0.0.1:3000"}, http.StatusOK},
		{"allowed origin", map[string]string{"Authorization": "Bearer " + token, "Origin": "https://APP.example.com"}, http.StatusOK},
		{"foreign origin", map[string]string{"Authorization": "Bearer " + token, "Origin": "https://evil.example"}, http.StatusForbidden},
		{"rebinding origin", map[string]string{"Authorization": "Bearer " + token, "Origin": "http://localhost.evil.example"}, http.StatusForbidden},
		{"null origin", map[string]string{"Authorization": "Bearer " + token, "Origin": "null"}, http.StatusForbidden},
		{"foreign origin without token", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, ts, http.MethodPost, tc.header, strings.NewReader(`{"a":1}`))
			if code != tc.want {
				t.Errorf("status %d, want %d: %s", code, tc.want, body)
			}
		})
	}
}

// TestAuthFailuresLogged: failures are logged without the token sent, at
// most one line per interval with the count of those not logged.
func TestAuthFailuresLogged(t *testing.T) {
	var log bytes.Buffer
	ts := serve(t, echo, Options{Logger: slog.New(slog.NewTextHandler(&log, nil)), AuthLogEvery: time.Hour})
	const sent = "guessed-token-9f8e7d6c5b4a"
	for range 5 {
		do(t, ts, http.MethodPost, map[string]string{"Authorization": "Bearer " + sent}, strings.NewReader("{}"))
	}
	if n := strings.Count(log.String(), "authentication failed"); n != 1 {
		t.Errorf("%d lines for 5 failures within the interval, want 1:\n%s", n, log.String())
	}
	if strings.Contains(log.String(), sent) || strings.Contains(log.String(), token) {
		t.Errorf("a token reached the log:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "wrong token") {
		t.Errorf("the log does not say why:\n%s", log.String())
	}
	var log2 bytes.Buffer
	ts = serve(t, echo, Options{Logger: slog.New(slog.NewTextHandler(&log2, nil)), AuthLogEvery: time.Nanosecond})
	for range 3 { // each past the interval: each logged
		do(t, ts, http.MethodPost, nil, strings.NewReader("{}"))
	}
	if n := strings.Count(log2.String(), "authentication failed"); n != 3 {
		t.Errorf("%d lines for 3 spaced failures, want 3", n)
	}
}

func TestBodyLimits(t *testing.T) {
	ts := serve(t, echo, Options{})
	auth := map[string]string{"Authorization": "Bearer " + token}
	exact := `{"p":"` + strings.Repeat("a", DefaultMaxBody-8) + `"}`
	for _, tc := range []struct {
		name string
		body io.Reader
		want int
	}{
		{"at the limit", strings.NewReader(exact), http.StatusOK},
		{"one byte over", strings.NewReader(exact + " "), http.StatusRequestEntityTooLarge},
		// Without a length: the limit holds while reading.
		{"over, chunked", io.MultiReader(strings.NewReader(exact), strings.NewReader("  ")), http.StatusRequestEntityTooLarge},
		{"deep", strings.NewReader(strings.Repeat("[", DefaultMaxDepth+1) + strings.Repeat("]", DefaultMaxDepth+1)), http.StatusBadRequest},
		{"as deep as allowed", strings.NewReader(strings.Repeat("[", DefaultMaxDepth) + strings.Repeat("]", DefaultMaxDepth)), http.StatusOK},
		{"long array", strings.NewReader(`{"ids":[` + strings.Repeat("1,", DefaultMaxArray) + `1]}`), http.StatusBadRequest},
		{"array as long as allowed", strings.NewReader(`{"ids":[` + strings.Repeat("1,", DefaultMaxArray-1) + `1]}`), http.StatusOK},
		{"commas and brackets in strings", strings.NewReader(`{"q":"` + strings.Repeat("[,", 5000) + `\"]"}`), http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, ts, http.MethodPost, auth, tc.body)
			if code != tc.want {
				t.Errorf("status %d, want %d: %.200s", code, tc.want, body)
			}
		})
	}
}

// TestInFlightCap: past MaxInFlight requests being served, the next is
// refused at once with 503 and Retry-After; a GET stream is not counted.
func TestInFlightCap(t *testing.T) {
	release := make(chan struct{})
	var entered sync.WaitGroup
	held := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			entered.Done()
			<-release
		}
	})
	ts := serve(t, held, Options{MaxInFlight: 2})
	auth := map[string]string{"Authorization": "Bearer " + token}
	entered.Add(2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			do(t, ts, http.MethodPost, auth, strings.NewReader("{}"))
		}()
	}
	entered.Wait()
	if code, _ := do(t, ts, http.MethodPost, auth, strings.NewReader("{}")); code != http.StatusServiceUnavailable {
		t.Errorf("third request in flight: status %d, want 503", code)
	}
	if code, _ := do(t, ts, http.MethodGet, auth, nil); code != http.StatusOK {
		t.Errorf("GET while full: status %d, want 200", code)
	}
	close(release)
	wg.Wait()
	entered.Add(1) // the next request passes the handler's Done
	if code, _ := do(t, ts, http.MethodPost, auth, strings.NewReader("{}")); code != http.StatusOK {
		t.Errorf("after the others ended: status %d, want 200", code)
	}
}
