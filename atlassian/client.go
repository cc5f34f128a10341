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
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/atlasbridge/atlasbridge/internal/httpretry"
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
	// AssumedRate paces requests (per second, after a burst of
	// AssumedBurst) until the server announces its own rate limit, which
	// then governs; 0 sends as fast as MaxConcurrent allows until then.
	// DefaultAssumedRate and DefaultAssumedBurst are the values to use
	// against Data Center when nothing else is known.
	AssumedRate  float64
	AssumedBurst int
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
	retry   httpretry.Policy // without Retry and OnRetry, which Do sets per request
	limit   *rate.Limiter    // nil: unlimited
	budget  budget           // the server's announced rate limit (budget.go)
	slots   chan struct{}    // the cap on requests in flight
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
		// url.Error repeats the URL, user:password@ included: keep its reason only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s: base URL %q: %w", product, withoutUserinfo(baseURL), err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q: want http(s)://host[:port][/context]", product, withoutUserinfo(baseURL))
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
	if opts.AssumedRate > 0 {
		c.budget.assume(opts.AssumedRate, float64(max(1, opts.AssumedBurst)), time.Now())
	}
	if opts.RateLimit > 0 {
		// A burst of one: requests are spaced evenly, as RateLimit promises.
		c.limit = rate.NewLimiter(rate.Limit(opts.RateLimit), 1)
	}
	c.retry = httpretry.Policy{
		Retries: opts.MaxRetries,
		Wait:    opts.RetryWait,
		MaxWait: opts.MaxRetryWait,
		Timeout: opts.Timeout,
		Gate:    c.gate,
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
	if c.http.CheckRedirect == nil {
		hc := *c.http
		hc.CheckRedirect = checkRedirect
		c.http = &hc
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
	cred, err := c.credentials(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case cred.Token != "":
		req.Header.Set("Authorization", "Bearer "+cred.Token)
	case cred.Username != "":
		req.SetBasicAuth(cred.Username, cred.Password)
	}
	return req, nil
}

// Do sends req, retrying what is safe to retry (see retryable), and decodes
// a JSON answer into v (when v is not nil). A non-2xx answer is an *Error.
func (c *Client) Do(req *http.Request, v any) (*Response, error) {
	idempotent := req.Method != http.MethodPost && req.Method != http.MethodPatch || req.Context().Value(idempotentKey{}) != nil
	p := c.retry
	p.Retry = func(err error) (time.Duration, bool) { return retryable(err, idempotent) }
	p.OnRetry = func(attempt int, wait time.Duration, err error) {
		c.log.Debug("retrying", "product", c.product, "method", req.Method, "path", req.URL.Path, "attempt", attempt, "wait", wait, "err", err)
	}
	var resp *http.Response
	var body []byte
	sent := false
	attempts, err := p.Do(req.Context(), func(ctx context.Context) error {
		if sent && req.GetBody != nil {
			b, err := req.GetBody()
			if err != nil {
				return fmt.Errorf("rewind body: %w", err)
			}
			req.Body = b
		}
		sent = true
		r, b, err := c.send(req.WithContext(ctx))
		if err != nil {
			return err
		}
		r.Request = req
		if r.StatusCode >= 300 {
			apiErr := parseError(c.product, r, b)
			apiErr.Path, apiErr.Base = c.relPath(req.URL.Path), c.BaseURL()
			c.redact(ctx, apiErr)
			return apiErr
		}
		resp, body = r, b
		return nil
	})
	if err != nil {
		if _, ok := errors.AsType[*Error](err); ok {
			return nil, err
		}
		return nil, c.transportError(req, err)
	}
	if raw, ok := v.(*RawBody); ok {
		raw.Data, raw.Type = body, resp.Header.Get("Content-Type")
		return &Response{Response: resp, Attempts: attempts}, nil
	}
	if v != nil && len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, v); err != nil {
			return nil, decodeError(c.product, c.BaseURL(), req, c.relPath(req.URL.Path), body, err)
		}
	}
	return &Response{Response: resp, Attempts: attempts}, nil
}

// retryable is the client's retry policy. A 429 or 503 answer means the
// server refused the request before acting on it, and a request that never
// reached the server was not acted on either: both are retried whatever the
// method. After a gateway error (502, 504), a timeout or a dropped
// connection the server may have acted, so only idempotent requests are
// retried: never a POST that creates or changes something.
func retryable(err error, idempotent bool) (time.Duration, bool) {
	if apiErr, ok := errors.AsType[*Error](err); ok {
		switch {
		case httpretry.Unprocessed(apiErr.StatusCode):
			return apiErr.RetryAfter, true
		case httpretry.GatewayFailure(apiErr.StatusCode):
			return apiErr.RetryAfter, idempotent
		}
		return 0, false
	}
	switch {
	case errors.Is(err, context.Canceled):
		return 0, false
	case errors.Is(err, ErrTimeout):
		return 0, idempotent
	case httpretry.Refused(err):
		// Nobody listens at the URL: asking again will not help, and the
		// error says what to check at once.
		return 0, false
	case httpretry.NotSent(err):
		return 0, true
	case httpretry.Dropped(err):
		return 0, idempotent
	}
	return 0, false
}

// gate holds a place under the cap on requests in flight and waits for the
// rate limits (ours and the server's), before an attempt and outside its
// timeout. A wait cut short
// gives back the limiter's token.
func (c *Client) gate(ctx context.Context) (func(), error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.limit != nil {
		if err := c.limit.Wait(ctx); err != nil {
			<-c.slots
			return nil, err
		}
	}
	// The server's own budget, shared by every worker of this client.
	if err := c.budget.take(ctx); err != nil {
		c.budget.release()
		<-c.slots
		return nil, err
	}
	return func() { c.budget.release(); <-c.slots }, nil
}

// send makes one HTTP request and reads the whole body.
func (c *Client) send(req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	c.budget.observe(resp.Header)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, err
	}
	return resp, body, nil
}

// redact removes the configured and the caller's credentials from the server's words: a
// proxy or a server that echoes the request's headers in an error page must
// not get a secret printed or handed to a model.
func (c *Client) redact(ctx context.Context, e *Error) {
	var secrets []string
	creds := []Credentials{{Username: c.opts.Username, Password: c.opts.Password, Token: c.opts.Token}}
	if own, err := c.credentials(ctx); err == nil {
		creds = append(creds, own)
	}
	for _, cr := range creds {
		for _, s := range []string{cr.Password, cr.Token} {
			if len(s) >= 4 {
				secrets = append(secrets, s)
			}
		}
		if cr.Username != "" && cr.Password != "" {
			secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(cr.Username+":"+cr.Password)))
		}
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
		return connectionRefused(prefix, c.BaseURL(), err)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}
