package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/httpretry"
)

// Errors of the remote embedders, to test with errors.Is.
var (
	// ErrModelNotFound: the server does not know the model (not pulled,
	// misspelt, or no such deployment).
	ErrModelNotFound = errors.New("model not found")
	// ErrUnauthorized: the API key is missing, wrong or lacks access.
	ErrUnauthorized = errors.New("unauthorized (check the API key)")
	// ErrRateLimited: the server kept answering 429 after all retries.
	ErrRateLimited = errors.New("rate limited")
	// ErrRedirectRefused: the server redirected a request carrying the API
	// key to another scheme, host or port.
	ErrRedirectRefused = errors.New("redirect with the API key to another origin refused")
	// ErrDimensionMismatch: the server returned vectors of another length
	// than before or than asked for.
	ErrDimensionMismatch = errors.New("dimension mismatch")
)

// APIError is an error answer of an embedding server.
type APIError struct {
	StatusCode int
	// Message is the server's error message, with the API key redacted.
	Message    string
	kind       error         // one of the Err… values above, or nil
	retryAfter time.Duration // how long the server asked to wait
}

// Error reads "HTTP 401: Incorrect API key provided".
func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if e.kind != nil {
		return fmt.Sprintf("%v: HTTP %d: %s", e.kind, e.StatusCode, msg)
	}
	return fmt.Sprintf("HTTP %d: %s", e.StatusCode, msg)
}

// Unwrap lets errors.Is match ErrModelNotFound, ErrUnauthorized and
// ErrRateLimited.
func (e *APIError) Unwrap() error { return e.kind }

// maxResponseBytes caps what we read of an answer: 64 MiB is ~100 batches
// of 3072-dimension vectors in JSON.
const maxResponseBytes = 64 << 20

// errTooLarge: the answer exceeds maxResponseBytes; asking again will not
// make it smaller.
var errTooLarge = fmt.Errorf("answer larger than %d MiB", maxResponseBytes>>20)

// httpCore is the one path of the remote embedders to the network: JSON
// POST with the retries of package httpretry, and secrets kept out of
// errors.
type httpCore struct {
	client *http.Client
	retry  httpretry.Policy
	secret string // redacted from every error message
}

func newHTTPCore(c *http.Client, secret string) *httpCore {
	if c == nil {
		// Generous: a local server may load the model on the first request
		// and embed a batch on CPU.
		c = &http.Client{Timeout: 2 * time.Minute}
	}
	retry := httpretry.Policy{
		Retries:       4,
		Wait:          500 * time.Millisecond,
		MaxWait:       time.Minute,
		MaxRetryAfter: time.Minute,
		Retry:         retryable,
	}
	if secret != "" && c.CheckRedirect == nil {
		cc := *c
		cc.CheckRedirect = sameOriginRedirect
		c = &cc
	}
	return &httpCore{client: c, retry: retry, secret: secret}
}

// retryable is the embedders' retry policy. An embedding request changes
// nothing on the server, so every 429 and 5xx answer and every network
// failure is tried again, except a refused connection (nobody listens at
// the URL) and an answer too large to read.
func retryable(err error) (time.Duration, bool) {
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		return apiErr.retryAfter, transient(apiErr.StatusCode)
	}
	return 0, !httpretry.Refused(err) && !errors.Is(err, errTooLarge) && !errors.Is(err, ErrRedirectRefused)
}

// transient reports the answers worth asking again for: 429 and 5xx.
func transient(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// sameOriginRedirect refuses a redirect to another scheme, host or port:
// the request carries the API key, which the standard client would send
// on (same host, other scheme) or drop silently. The error says where the
// redirect pointed, so the base URL can be fixed.
func sameOriginRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if origin(req.URL) != origin(via[len(via)-1].URL) {
		return fmt.Errorf("%w: the server sent it to %s://%s%s: set the base URL to that address", ErrRedirectRefused, req.URL.Scheme, req.URL.Host, req.URL.Path)
	}
	return nil
}

// origin is a URL's scheme, host and port, the default port made explicit.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// response is a completed HTTP exchange.
type response struct {
	status     int
	body       []byte
	retryAfter time.Duration // the server's Retry-After, 0 when it sent none
}

// postJSON sends body as JSON to u and returns the answer of the first try
// that is neither 429, 5xx nor a transient network error. Other non-2xx
// answers are returned, not turned into errors: the caller knows its API's
// error shapes.
func (c *httpCore) postJSON(ctx context.Context, u string, header http.Header, body any) (*response, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", c.redactErr(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	var resp *response
	tries, err := c.retry.Do(ctx, func(ctx context.Context) error {
		r, err := c.send(req.Clone(ctx), payload)
		if err != nil {
			return err
		}
		if transient(r.status) {
			return c.apiError(r)
		}
		resp = r
		return nil
	})
	switch {
	case err == nil:
		return resp, nil
	case tries == 1:
		return nil, err
	case errors.Is(err, ErrRateLimited):
		return nil, fmt.Errorf("%w after %d tries: %w", ErrRateLimited, tries, err)
	}
	return nil, fmt.Errorf("after %d tries: %w", tries, err)
}

// send does one request with payload as its body.
func (c *httpCore) send(req *http.Request, payload []byte) (*response, error) {
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil }
	req.Body, _ = req.GetBody()
	req.ContentLength = int64(len(payload))
	res, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w%s", c.redactErr(err), refusedHint(err))
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", c.redactErr(err))
	}
	if len(body) > maxResponseBytes {
		return nil, errTooLarge
	}
	return &response{status: res.StatusCode, body: body, retryAfter: httpretry.RetryAfter(res.Header, time.Now())}, nil
}

func refusedHint(err error) string {
	if httpretry.Refused(err) {
		return " (is the embedding server running at this URL?)"
	}
	return ""
}

// apiError turns a non-2xx answer into an *APIError, reading the message
// from the JSON shapes of OpenAI ({"error":{"message":…}}), Ollama and TEI
// ({"error":"…"}) or the body's text.
func (c *httpCore) apiError(r *response) *APIError {
	e := &APIError{StatusCode: r.status, Message: c.redact(errorMessage(r.body)), retryAfter: r.retryAfter}
	switch {
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		e.kind = ErrUnauthorized
	case r.status == http.StatusTooManyRequests:
		e.kind = ErrRateLimited
	case r.status == http.StatusNotFound && strings.Contains(strings.ToLower(e.Message), "model"),
		strings.Contains(strings.ToLower(e.Message), "model_not_found"),
		strings.Contains(strings.ToLower(e.Message), "deploymentnotfound"):
		e.kind = ErrModelNotFound
	}
	return e
}

func errorMessage(body []byte) string {
	var shaped struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &shaped) == nil {
		var s string
		if json.Unmarshal(shaped.Error, &s) == nil && s != "" {
			return s
		}
		var obj struct {
			Message string `json:"message"`
			Code    any    `json:"code"`
		}
		if json.Unmarshal(shaped.Error, &obj) == nil && obj.Message != "" {
			if code, ok := obj.Code.(string); ok && code != "" {
				return obj.Message + " (" + code + ")"
			}
			return obj.Message
		}
		if shaped.Message != "" {
			return shaped.Message
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func (c *httpCore) redact(s string) string {
	if c.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, c.secret, "[redacted]")
}

// redactErr keeps the key out of transport errors, which quote the URL
// (and the URL's user:password, which url.Error does not hide).
func (c *httpCore) redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = u.Redacted()
		}
	}
	if c.secret != "" && strings.Contains(err.Error(), c.secret) {
		return errors.New(c.redact(err.Error()))
	}
	return err
}

// dimsGuard remembers the vector length of a remote model and reports a
// change, which would corrupt the index.
type dimsGuard struct {
	want int // asked for; 0 means any, fixed by the first answer
	seen atomic.Int64
}

func (g *dimsGuard) check(got int) error {
	if g.want > 0 && got != g.want {
		return fmt.Errorf("%w: asked for %d dimensions, got %d (does the model support dimensions?)", ErrDimensionMismatch, g.want, got)
	}
	if got == 0 {
		return fmt.Errorf("%w: empty vector", ErrDimensionMismatch)
	}
	if g.seen.CompareAndSwap(0, int64(got)) {
		return nil
	}
	if prev := g.seen.Load(); prev != int64(got) {
		return fmt.Errorf("%w: got %d dimensions, earlier answers had %d (did the model change on the server?)", ErrDimensionMismatch, got, prev)
	}
	return nil
}

// toUnit converts a vector to float32 and scales it to unit length; a
// vector of zeros or of non-finite numbers is an error.
func toUnit(v []float64) ([]float32, error) {
	var s float64
	for _, x := range v {
		s += x * x
	}
	if s == 0 || s != s || s > 1e300 {
		return nil, fmt.Errorf("server returned a zero or non-finite vector")
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	normalize(out)
	return out, nil
}

// batches splits texts into runs of at most size.
func batches(texts []string, size int) [][]string {
	var out [][]string
	for len(texts) > 0 {
		n := min(size, len(texts))
		out = append(out, texts[:n])
		texts = texts[n:]
	}
	return out
}
