package atlassian

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/httpretry"
)

// Sentinel errors matched by errors.Is on an *Error.
var (
	ErrBadRequest   = errors.New("bad request")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrRateLimited  = errors.New("rate limited")
	ErrUnavailable  = errors.New("server unavailable")
)

// ErrNotAPI matches (errors.Is) an answer that did not come from the
// product's REST API: the HTML login page of a single sign-on proxy (often
// with 200), or a 404 without the product's JSON error from whatever serves
// a base URL lacking its context path, or the other product's address.
var ErrNotAPI = errors.New("not the product's REST API")

// ErrTimeout matches (errors.Is) a request that got no complete answer
// within Options.Timeout: the server, or something on the way, accepted the
// connection and then stayed silent.
var ErrTimeout = httpretry.ErrTimeout

// Error is a non-2xx answer from Confluence or Jira. It carries the server's
// own explanation (errorMessages, errors, message) so that a bad CQL or JQL
// reaches the user in the server's words.
type Error struct {
	Product    string // "confluence" or "jira"
	Method     string
	Path       string // request path without query, relative to the base URL
	StatusCode int
	// Messages are the server's errorMessages and message texts.
	Messages []string
	// Fields maps a field name to its error (Jira's "errors" object).
	Fields map[string]string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Reason is the authentication failure reason some servers send in
	// headers (X-Seraph-LoginReason, X-Authentication-Denied-Reason).
	Reason string
	// Base is the configured base URL, for advice about it.
	Base string

	notAPI bool // a 404 without the product's error envelope
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s: %d %s", e.Product, e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if msg := e.Message(); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if hint := e.hint(); hint != "" {
		b.WriteString(" (")
		b.WriteString(hint)
		b.WriteString(")")
	}
	return b.String()
}

// Message joins the server's messages and field errors into one line,
// without the request line. It is empty when the server explained nothing.
func (e *Error) Message() string {
	parts := append([]string(nil), e.Messages...)
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return strings.Join(parts, "; ")
}

func (e *Error) hint() string {
	switch {
	case e.notAPI:
		return baseURLAdvice(e.Product, e.Base)
	case e.StatusCode == http.StatusUnauthorized:
		return "check the username and password or token; Personal Access Tokens need Confluence 7.9+ or Jira 8.14+"
	case strings.Contains(e.Reason, "CAPTCHA"):
		return "the server wants a CAPTCHA after failed logins: log in once in a browser, then retry"
	case e.StatusCode == http.StatusTooManyRequests:
		return "the server is rate limiting: lower the request rate"
	}
	return ""
}

// Is makes errors.Is(err, ErrNotFound) and friends work.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrNotAPI:
		return e.notAPI
	case ErrUnavailable:
		return e.StatusCode == http.StatusServiceUnavailable || e.StatusCode == http.StatusBadGateway || e.StatusCode == http.StatusGatewayTimeout
	}
	return false
}

// errorBody is the union of the error envelopes of Jira and Confluence.
type errorBody struct {
	ErrorMessages []string        `json:"errorMessages"`
	Errors        json.RawMessage `json:"errors"`
	Message       string          `json:"message"`
	Reason        string          `json:"reason"`
	// Only Confluence's envelope has statusCode; Jira's has errorMessages
	// (its REST servlet's "no such resource" has status-code).
	StatusCode     json.RawMessage `json:"statusCode"`
	JiraStatusCode json.RawMessage `json:"status-code"`
	Data           *struct {
		Errors []struct {
			Message struct {
				Key         string `json:"key"`
				Translation string `json:"translation"`
			} `json:"message"`
		} `json:"errors"`
	} `json:"data"`
}

// parseError builds an *Error from a response whose body has been read.
func parseError(product string, resp *http.Response, body []byte) *Error {
	e := &Error{
		Product:    product,
		Method:     resp.Request.Method,
		Path:       resp.Request.URL.Path,
		StatusCode: resp.StatusCode,
		RetryAfter: httpretry.RetryAfter(resp.Header, time.Now()),
		Reason:     cmp.Or(resp.Header.Get("X-Authentication-Denied-Reason"), resp.Header.Get("X-Seraph-LoginReason")),
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Messages = append(e.Messages, eb.ErrorMessages...)
		if eb.Message != "" {
			e.Messages = append(e.Messages, eb.Message)
		}
		if eb.Data != nil {
			for _, de := range eb.Data.Errors {
				if t := cmp.Or(de.Message.Translation, de.Message.Key); t != "" {
					e.Messages = append(e.Messages, t)
				}
			}
		}
		// Jira's "errors" is an object of field → message; Confluence's
		// can be an array. Take the object form only.
		var fields map[string]string
		if len(eb.Errors) > 0 && json.Unmarshal(eb.Errors, &fields) == nil && len(fields) > 0 {
			e.Fields = fields
		}
		// The other product's envelope: the base URL is the other
		// product's address.
		other := eb.StatusCode != nil
		if product == "confluence" {
			other = eb.ErrorMessages != nil || eb.JiraStatusCode != nil
		}
		e.notAPI = resp.StatusCode == http.StatusNotFound && other
		return e
	}
	if text := plainText(body); text != "" {
		e.Messages = []string{text}
	}
	e.notAPI = resp.StatusCode == http.StatusNotFound
	return e
}

// Hint is the advice Error adds to the server's words, or "" (for tools
// that phrase the error themselves).
func (e *Error) Hint() string { return e.hint() }

// baseURLAdvice says what to check when something other than the
// product's REST API answers at base.
func baseURLAdvice(product, base string) string {
	p, other, ctxPath := strings.ToUpper(product), "Confluence", "/jira"
	if product == "confluence" {
		other, ctxPath = "Jira", "/confluence"
	}
	at := ""
	if base != "" {
		at = " (" + base + ")"
	}
	return fmt.Sprintf("nothing at %s_BASE_URL%s answers as the %s REST API: check that it is the address you open %s at in a browser, "+
		"with its context path if it has one (e.g. https://host%s), and not %s's", p, at, productTitle(product), productTitle(product), ctxPath, other)
}

func productTitle(p string) string {
	switch p {
	case "jira":
		return "Jira"
	case "confluence":
		return "Confluence"
	}
	return p
}

// NotAPIError is a 2xx answer that is not the JSON asked for: most often
// the HTML login page of a single sign-on proxy in front of the server.
type NotAPIError struct {
	Product, Method, Path string
	Base                  string
	// Title is the HTML page's title, if any.
	Title string
	HTML  bool
	err   error // the decoding error
}

func (e *NotAPIError) Error() string {
	what := "an answer that is not JSON"
	if e.HTML {
		what = "an HTML page"
		if e.Title != "" {
			what += fmt.Sprintf(" (%q)", e.Title)
		}
	}
	return fmt.Sprintf("%s: %s %s: got %s instead of %s's JSON: %s", e.Product, e.Method, e.Path, what, productTitle(e.Product), e.Advice())
}

// Advice says what to check.
func (e *NotAPIError) Advice() string {
	if e.HTML {
		return "a single sign-on (SSO) login page or proxy is probably in front of the server: ask for API access that bypasses it " +
			"(a Personal Access Token often does), or check the base URL" + baseAt(e.Base)
	}
	return baseURLAdvice(e.Product, e.Base)
}

func baseAt(base string) string {
	if base == "" {
		return ""
	}
	return " (" + base + ")"
}

func (e *NotAPIError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrNotAPI) true.
func (e *NotAPIError) Is(target error) bool { return target == ErrNotAPI }

// decodeError explains a 2xx answer that could not be decoded: an HTML
// page is not the API (SSO); anything else is a plain decoding error.
func decodeError(product, base string, req *http.Request, rel string, body []byte, err error) error {
	head := bytes.TrimSpace(body)
	if len(head) > 0 && head[0] == '<' {
		return &NotAPIError{Product: product, Method: req.Method, Path: rel, Base: base, HTML: true,
			Title: htmlTitle(string(body)), err: err}
	}
	return fmt.Errorf("%s: %s %s: decode response: %w", product, req.Method, rel, err)
}

// htmlTitle is the text of an HTML page's <title>, cut short, or "".
func htmlTitle(s string) string {
	i := strings.Index(strings.ToLower(s), "<title>")
	if i < 0 {
		return ""
	}
	rest := s[i+len("<title>"):]
	j := strings.Index(strings.ToLower(rest), "</title>")
	if j < 0 {
		return ""
	}
	t := strings.Join(strings.Fields(rest[:j]), " ")
	if r := []rune(t); len(r) > 80 {
		t = string(r[:80]) + "…"
	}
	return t
}

// refusedError is a refused connection explained; the Go error stays
// reachable (errors.Is) but out of the text, which says it better.
type refusedError struct {
	msg string
	err error
}

func (e *refusedError) Error() string { return e.msg }
func (e *refusedError) Unwrap() error { return e.err }

// connectionRefused explains a refused connection: nothing listens at the
// base URL's host and port.
func connectionRefused(prefix, base string, err error) error {
	return &refusedError{msg: fmt.Sprintf("%s: connection refused: is the server running at %s? "+
		"Nothing listens at that host and port: check the base URL (host, port, http or https), or the server is down", prefix, base), err: err}
}

// plainText reduces a non-JSON body (an HTML error page, a proxy's text) to
// one short line.
func plainText(body []byte) string {
	s := string(body)
	if t := htmlTitle(s); t != "" {
		return t
	}
	if strings.Contains(s, "<") {
		return ""
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
