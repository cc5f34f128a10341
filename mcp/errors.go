package mcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// toolError is an error meant for the model: a bad argument, a refusal, or
// a failure of the servers explained. Handlers and the argument helpers
// return it as a plain error; newTool's wrapper (toolResult) turns it into
// a tool result with isError set, since mcp-go would turn any handler error
// into a JSON-RPC error that the model never sees.
type toolError struct {
	msg string
	err error // the cause, if any
}

func (e *toolError) Error() string { return e.msg }
func (e *toolError) Unwrap() error { return e.err }

// argError is a mistake in the arguments, found before any request. An
// input it quotes goes through quoteInput first.
func argError(format string, args ...any) error {
	return &toolError{msg: fmt.Sprintf(format, args...)}
}

// maxQuoted is how many characters of an input an error or a note quotes:
// enough to recognise it, never the whole of what a model may have sent.
const maxQuoted = 80

// quoteInput is s cut to maxQuoted characters, saying how long it was.
func quoteInput(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return s
	}
	return fmt.Sprintf("%s… (%d characters)", string([]rune(s)[:maxQuoted]), utf8.RuneCountInString(s))
}

// clipWords cuts each word of s longer than maxQuoted (a server quoting an
// input back) with quoteInput.
func clipWords(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = quoteInput(w)
	}
	return strings.Join(words, " ")
}

// maxErrorChars bounds a whole error message: the server's own words can
// quote an input at any length (a duplicate title, a JQL clause).
const maxErrorChars = 1000

// serverError is err from the clients explained in one actionable
// sentence. subject names what the call was about ("page 123", "issue
// OPS-7"); badRequest is the hint added to a 400 answer (for example how
// to fix CQL).
func serverError(err error, subject, badRequest string) error {
	return &toolError{msg: explain(err, quoteInput(subject), badRequest), err: err}
}

// toolResult is the one place an error meant for the model (a toolError,
// wrapped or not) becomes a tool result with isError set. Any other error
// is a broken invariant (a bug) and stays a Go error.
func toolResult(res *mcpgo.CallToolResult, err error) (*mcpgo.CallToolResult, error) {
	var te *toolError
	if errors.As(err, &te) {
		return mcpgo.NewToolResultError(oneLine(err.Error(), maxErrorChars)), nil
	}
	return res, err
}

// errorResult is serverError as a finished tool result, and userError is
// argError as one: for code that builds a result itself rather than
// returning the error to newTool's wrapper.
func errorResult(err error, subject, badRequest string) (*mcpgo.CallToolResult, error) {
	return toolResult(nil, serverError(err, subject, badRequest))
}

func userError(format string, args ...any) (*mcpgo.CallToolResult, error) {
	return toolResult(nil, argError(format, args...))
}

// explain turns an error from the clients into one actionable sentence.
func explain(err error, subject, badRequest string) string {
	if errors.Is(err, context.Canceled) {
		return "the request was cancelled"
	}
	if errors.Is(err, atlassian.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return "the server did not answer in time (" + err.Error() + "): retry, or ask for less (smaller limit or max_chars); " +
			"if it keeps happening the server is down or slow, and ATLASBRIDGE_TIMEOUT_SECONDS raises the limit"
	}
	var na *atlassian.NotAPIError
	if errors.As(err, &na) {
		return na.Error()
	}
	var ae *atlassian.Error
	if !errors.As(err, &ae) {
		// Transport failures carry their own advice (DNS, TLS, refused).
		return "could not reach the server: " + err.Error()
	}
	product := productName(ae.Product)
	msg := oneLine(clipWords(ae.Message()), maxErrorChars/2)
	if strings.HasPrefix(msg, "null for uri") {
		msg = "" // Jira's generic 404 text says nothing
	}
	with := func(s string) string {
		if msg == "" {
			return s
		}
		return s + " (" + product + " said: " + msg + ")"
	}
	switch ae.StatusCode {
	case http.StatusUnauthorized:
		p := strings.ToUpper(ae.Product)
		s := fmt.Sprintf("authentication failed: check %s_USERNAME/%s_API_TOKEN or %s_PERSONAL_TOKEN", p, p, p)
		if strings.Contains(ae.Reason, "CAPTCHA") {
			s += "; the server asks for a CAPTCHA after failed logins: log in once in a browser"
		}
		return s
	case http.StatusForbidden:
		return with(fmt.Sprintf("permission denied on %s: the configured %s user may not do this", subject, product))
	case http.StatusNotFound:
		if errors.Is(err, atlassian.ErrNotAPI) {
			return fmt.Sprintf("%s did not answer for %s: %s", product, subject, ae.Hint())
		}
		return with(fmt.Sprintf("%s does not exist or you cannot see it", subject))
	case http.StatusBadRequest:
		s := product + " rejected the request"
		if msg != "" {
			s += ": " + msg
		}
		if badRequest != "" {
			s += " (" + badRequest + ")"
		}
		return s
	case http.StatusConflict:
		return with(fmt.Sprintf("%s changed or already exists: re-read it and retry", subject))
	case http.StatusTooManyRequests:
		return product + " is rate limiting requests: wait a minute, then retry with fewer calls"
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusInternalServerError:
		return with(fmt.Sprintf("%s failed (%d %s): retry later", product, ae.StatusCode, http.StatusText(ae.StatusCode)))
	}
	return with(fmt.Sprintf("%s answered %d %s", product, ae.StatusCode, http.StatusText(ae.StatusCode)))
}

func productName(p string) string {
	switch p {
	case "jira":
		return "Jira"
	case "confluence":
		return "Confluence"
	}
	return p
}

// queryHint is the hint added to a 400 answer to a CQL or JQL query
// (lang): the advice to quote values with spaces only when query has an
// unquoted value followed by a word that is no keyword.
func queryHint(lang, query string) string {
	example := `project = OPS AND status = "In Progress" ORDER BY updated DESC`
	if lang == "CQL" {
		example = `space = "ENG" AND text ~ "deploy" ORDER BY lastmodified DESC`
	}
	if unquotedSpaces(query) {
		return "fix the " + lang + ": quote values with spaces, e.g. " + example
	}
	return "fix the " + lang + ", e.g. " + example
}

// unquotedValue matches a comparison whose value is a bare word followed
// by another bare word: status = In Progress.
var unquotedValue = regexp.MustCompile(`(?i)(!?=|!?~)\s*([A-Za-z0-9_.-]+)\s+([A-Za-z0-9_.-]+)`)

var queryKeywords = map[string]bool{"and": true, "or": true, "not": true, "order": true, "in": true, "is": true,
	"was": true, "changed": true, "by": true, "asc": true, "desc": true}

func unquotedSpaces(query string) bool {
	for _, m := range unquotedValue.FindAllStringSubmatch(query, -1) {
		if !queryKeywords[strings.ToLower(m[3])] {
			return true
		}
	}
	return false
}
