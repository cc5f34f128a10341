package atlassian

import (
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
	Data          *struct {
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
		return e
	}
	if text := plainText(body); text != "" {
		e.Messages = []string{text}
	}
	return e
}

// plainText reduces a non-JSON body (an HTML error page, a proxy's text) to
// one short line.
func plainText(body []byte) string {
	s := string(body)
	if i := strings.Index(strings.ToLower(s), "<title>"); i >= 0 {
		rest := s[i+len("<title>"):]
		if j := strings.Index(strings.ToLower(rest), "</title>"); j >= 0 {
			return strings.TrimSpace(rest[:j])
		}
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
