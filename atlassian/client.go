package atlassian

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configure a Client. The zero value works against an open server
// with sane timeouts, retries and concurrency.
type Options struct {
	// Username and Password (or an API token used as password) select HTTP
	// Basic auth. Token selects a Personal Access Token sent as
	// "Authorization: Bearer" and wins when both are set.
	Username, Password string
	Token              string

	// CAFile adds a PEM bundle to the system roots (corporate CAs).
	// Insecure skips certificate verification and logs a warning.
	CAFile   string
	Insecure bool

	// Timeout bounds one HTTP attempt (default 30s).
	Timeout time.Duration
	// RateLimit is the most requests per second sent (0: unlimited).
	RateLimit float64
	// MaxConcurrent caps requests in flight (default 4).
	MaxConcurrent int
	// MaxRetries is how many times a retryable failure is retried
	// (default 5; negative: never).
	MaxRetries int
	// RetryWait is the first backoff (default 500ms); it doubles up to
	// MaxRetryWait (default 30s), with jitter. A server's Retry-After wins
	// when longer.
	RetryWait, MaxRetryWait time.Duration

	UserAgent string
	Logger    *slog.Logger
	// HTTPClient replaces the client built from the TLS options (tests).
	HTTPClient *http.Client
}

// Client is the HTTP core shared by the Confluence and Jira clients: every
// request to either product goes through NewRequest and Do.
type Client struct {
	product string
	base    *url.URL // always ends with "/"
	http    *http.Client
	opts    Options
	log     *slog.Logger
	limit   *limiter
	budget  budget // the server's announced rate limit (budget.go)
	slots   chan struct{}
}

// Response wraps the HTTP response of a successful call.
type Response struct {
	*http.Response
	// Attempts is how many HTTP attempts the call took (1 without retries).
	Attempts int
}

func newClient(product, baseURL string, opts Options) (*Client, error) {
	if strings.TrimSpace(baseURL) == "" {
		return nil, fmt.Errorf("%s: no base URL", product)
	}
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("%s: base URL: %w", product, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q: want http(s)://host[:port][/context]", product, baseURL)
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	u.Path = strings.TrimRight(u.Path, "/") + "/"
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 4
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 5
	}
	if opts.RetryWait <= 0 {
		opts.RetryWait = 500 * time.Millisecond
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = 30 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "atlasbridge"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{product: product, base: u, opts: opts, log: log, slots: make(chan struct{}, opts.MaxConcurrent)}
	if opts.RateLimit > 0 {
		c.limit = &limiter{every: time.Duration(float64(time.Second) / opts.RateLimit)}
	}
	c.http = opts.HTTPClient
	if c.http == nil {
		tr, err := transport(opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", product, err)
		}
		if opts.Insecure {
			log.Warn("TLS certificate verification is disabled", "product", product)
		}
		c.http = &http.Client{Transport: tr}
	}
	return c, nil
}

func transport(opts Options) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyFromEnvironment
	tr.MaxIdleConnsPerHost = opts.MaxConcurrent
	tr.ResponseHeaderTimeout = opts.Timeout
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA bundle: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s: no PEM certificate found", opts.CAFile)
		}
		cfg.RootCAs = pool
	}
	if opts.Insecure {
		cfg.InsecureSkipVerify = true
	}
	tr.TLSClientConfig = cfg
	return tr, nil
}

// BaseURL returns the product's base URL, with its context path and no
// trailing slash ("https://host/confluence").
func (c *Client) BaseURL() string { return strings.TrimSuffix(c.base.String(), "/") }

// AbsURL resolves a server-relative link ("/display/ENG/Home", as found in
// _links.webui) against the base URL, keeping the context path.
func (c *Client) AbsURL(link string) string {
	if link == "" {
		return ""
	}
	if strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://") {
		return link
	}
	return c.BaseURL() + "/" + strings.TrimPrefix(link, "/")
}

type idempotentKey struct{}

// markIdempotent lets Do retry a POST that only reads (JQL search).
func markIdempotent(req *http.Request) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), idempotentKey{}, true))
}

// NewRequest builds a request for path (relative to the base URL, e.g.
// "rest/api/content/123"), with query parameters and a JSON body when body
// is not nil. Path segments taken from user input must be escaped by the
// caller with url.PathEscape.
func (c *Client) NewRequest(ctx context.Context, method, path string, query url.Values, body any) (*http.Request, error) {
	rel, err := url.Parse(strings.TrimPrefix(path, "/"))
	if err != nil {
		return nil, fmt.Errorf("%s: path %q: %w", c.product, path, err)
	}
	u := c.base.ResolveReference(rel)
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var r io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s: encode body: %w", c.product, err)
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.product, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// Confluence and Jira refuse state-changing requests without it (XSRF check).
	req.Header.Set("X-Atlassian-Token", "no-check")
	switch {
	case c.opts.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	case c.opts.Username != "":
		req.SetBasicAuth(c.opts.Username, c.opts.Password)
	}
	return req, nil
}

// Do sends req, retrying what is safe to retry, and decodes a JSON answer
// into v (when v is not nil). A non-2xx answer is an *Error.
func (c *Client) Do(req *http.Request, v any) (*Response, error) {
	ctx := req.Context()
	idempotent := req.Method != http.MethodPost && req.Method != http.MethodPatch || ctx.Value(idempotentKey{}) != nil
	for attempt := 1; ; attempt++ {
		resp, body, err := c.attempt(req)
		if err == nil && resp.StatusCode < 300 {
			if v != nil && len(bytes.TrimSpace(body)) > 0 {
				if err := json.Unmarshal(body, v); err != nil {
					return nil, fmt.Errorf("%s: %s %s: decode response: %w", c.product, req.Method, req.URL.Path, err)
				}
			}
			return &Response{Response: resp, Attempts: attempt}, nil
		}
		var apiErr *Error
		if err == nil {
			apiErr = parseError(c.product, resp, body)
			apiErr.Path = c.relPath(req.URL.Path)
			c.redact(apiErr)
		}
		wait, retry := c.shouldRetry(attempt, idempotent, apiErr, err)
		if !retry {
			if apiErr != nil {
				return nil, apiErr
			}
			return nil, c.transportError(req, err)
		}
		c.log.Debug("retrying", "product", c.product, "method", req.Method, "path", req.URL.Path, "attempt", attempt, "wait", wait, "status", statusOf(apiErr), "err", errString(err))
		if err := sleep(ctx, wait); err != nil {
			if apiErr != nil {
				return nil, fmt.Errorf("%w (gave up waiting: %w)", apiErr, err)
			}
			return nil, c.transportError(req, err)
		}
		if req.GetBody != nil {
			b, gerr := req.GetBody()
			if gerr != nil {
				return nil, fmt.Errorf("%s: rewind body: %w", c.product, gerr)
			}
			req.Body = b
		}
	}
}

// attempt sends one HTTP request under the concurrency cap and rate limit
// and reads the whole body.
func (c *Client) attempt(req *http.Request) (*http.Response, []byte, error) {
	ctx := req.Context()
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	defer func() { <-c.slots }()
	if c.limit != nil {
		if err := c.limit.wait(ctx); err != nil {
			return nil, nil, err
		}
	}
	err := c.budget.take(ctx)
	defer c.budget.release()
	if err != nil {
		return nil, nil, err
	}
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	resp, err := c.http.Do(req.WithContext(actx))
	if err != nil {
		var ne net.Error
		if ctx.Err() == nil && (actx.Err() != nil || errors.As(err, &ne) && ne.Timeout()) {
			err = &timeoutError{after: c.opts.Timeout, err: err}
		}
		return nil, nil, err
	}
	defer resp.Body.Close()
	c.budget.observe(resp.Header)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			err = &timeoutError{after: c.opts.Timeout, err: err}
		}
		return nil, nil, err
	}
	resp.Request = req
	return resp, body, nil
}

// redact removes the configured credentials from the server's words: a
// proxy or a server that echoes the request's headers in an error page must
// not get a secret printed or handed to a model.
func (c *Client) redact(e *Error) {
	var secrets []string
	for _, s := range []string{c.opts.Password, c.opts.Token} {
		if len(s) >= 4 {
			secrets = append(secrets, s)
		}
	}
	if c.opts.Username != "" && c.opts.Password != "" {
		secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(c.opts.Username+":"+c.opts.Password)))
	}
	if len(secrets) == 0 {
		return
	}
	clean := func(s string) string {
		for _, secret := range secrets {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
		return s
	}
	for i, m := range e.Messages {
		e.Messages[i] = clean(m)
	}
	for k, v := range e.Fields {
		e.Fields[k] = clean(v)
	}
	e.Reason = clean(e.Reason)
}

// maxBody bounds what one response may hold in memory.
const maxBody = 256 << 20

func (c *Client) relPath(p string) string {
	rel := strings.TrimPrefix(p, strings.TrimSuffix(c.base.Path, "/"))
	if rel == "" {
		return "/"
	}
	return rel
}

// shouldRetry decides whether a failed attempt is retried and after how long.
func (c *Client) shouldRetry(attempt int, idempotent bool, apiErr *Error, err error) (time.Duration, bool) {
	if c.opts.MaxRetries < 0 || attempt > c.opts.MaxRetries {
		return 0, false
	}
	backoff := c.opts.RetryWait << (attempt - 1)
	if backoff > c.opts.MaxRetryWait || backoff <= 0 {
		backoff = c.opts.MaxRetryWait
	}
	// Full jitter on the upper half keeps clients from moving in lockstep.
	backoff = backoff/2 + rand.N(backoff/2+1)
	if apiErr != nil {
		switch apiErr.StatusCode {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			// The server refused the request before acting on it: safe for
			// any method.
		case http.StatusBadGateway, http.StatusGatewayTimeout:
			if !idempotent {
				return 0, false
			}
		default:
			return 0, false
		}
		if apiErr.RetryAfter > backoff {
			backoff = apiErr.RetryAfter
		}
		if backoff > c.opts.MaxRetryWait && apiErr.RetryAfter > c.opts.MaxRetryWait {
			backoff = apiErr.RetryAfter // the server knows best; the context bounds it
		}
		return backoff, true
	}
	if err == nil || errors.Is(err, context.Canceled) {
		return 0, false
	}
	var te *timeoutError
	if errors.As(err, &te) {
		return backoff, idempotent
	}
	if notSent(err) {
		return backoff, true
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return backoff, idempotent
	}
	return 0, false
}

// notSent reports errors that prove the request never reached the server.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		var dns *net.DNSError
		return !errors.As(err, &dns) || dns.IsTemporary
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

type timeoutError struct {
	after time.Duration
	err   error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no answer within %s: %v", e.after, e.err)
}
func (e *timeoutError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrTimeout) true.
func (e *timeoutError) Is(target error) bool { return target == ErrTimeout }

// transportError explains a failure that produced no HTTP answer.
func (c *Client) transportError(req *http.Request, err error) error {
	prefix := fmt.Sprintf("%s: %s %s", c.product, req.Method, c.relPath(req.URL.Path))
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &dns):
		return fmt.Errorf("%s: cannot resolve host %q: check the base URL and DNS: %w", prefix, dns.Name, err)
	case errors.As(err, &unknownCA) || errors.As(err, &certErr) && errors.As(certErr.Err, &unknownCA):
		return fmt.Errorf("%s: the server's TLS certificate is signed by an unknown authority: set the CA bundle file (e.g. CONFLUENCE_CA_FILE/JIRA_CA_FILE) to your corporate CA: %w", prefix, err)
	case errors.As(err, &hostErr):
		return fmt.Errorf("%s: the server's TLS certificate does not match the host name: check the base URL: %w", prefix, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%s: connection refused: is the server running at %s? %w", prefix, c.BaseURL(), err)
	}
	var te *timeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

func statusOf(e *Error) int {
	if e == nil {
		return 0
	}
	return e.StatusCode
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// limiter spaces requests at least every apart.
type limiter struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	at := l.next
	l.next = l.next.Add(l.every)
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		return sleep(ctx, d)
	}
	return nil
}
