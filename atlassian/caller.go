package atlassian

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Credentials are one caller's own login to a product: a Personal Access
// Token, or a user name and password for servers without tokens.
type Credentials struct {
	Username, Password string
	Token              string
}

// empty reports whether c holds nothing to log in with.
func (c Credentials) empty() bool { return c.Token == "" && c.Username == "" }

// Caller holds the credentials a request brought for each product; a nil
// product means the caller brought none for it.
type Caller struct {
	Confluence, Jira *Credentials
}

type callerKey struct{}

// WithCaller returns a context under which every request of a Confluence
// or Jira client runs as the caller instead of the configured account.
// Credentials travel in the context so that every call made for one
// request (a tool, its live fallback, a verify) runs as its caller without
// a client per request: the clients, their transport and limits are
// shared. A product the caller brought no credentials for is refused
// (ErrNoCallerCredentials), never served with the configured account.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller of ctx, if WithCaller set one.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// ErrNoCallerCredentials is returned for a request made for a caller who
// brought no credentials for this product.
var ErrNoCallerCredentials = errors.New("no credentials of the caller for this product")

// ErrRedirectRefused is returned when a server redirects a request that
// carries credentials to another scheme, host or port.
var ErrRedirectRefused = errors.New("redirect with credentials to another origin refused")

// credentials returns what a request of product under ctx logs in with:
// the caller's own credentials, or the configured account's.
func (c *Client) credentials(ctx context.Context) (Credentials, error) {
	own := Credentials{Username: c.opts.Username, Password: c.opts.Password, Token: c.opts.Token}
	caller, ok := CallerFrom(ctx)
	if !ok {
		return own, nil
	}
	cr := caller.Confluence
	if c.product == "jira" {
		cr = caller.Jira
	}
	if cr == nil || cr.empty() {
		return Credentials{}, fmt.Errorf("%s: %w: send X-Atlassian-%s-Personal-Token (or -Username and -Password)",
			c.product, ErrNoCallerCredentials, productName(c.product))
	}
	return *cr, nil
}

func productName(p string) string {
	if p == "jira" {
		return "Jira"
	}
	return "Confluence"
}

// checkRedirect refuses to follow a redirect that leaves the origin
// (scheme, host or port) of the request it follows while carrying
// credentials, and says where it pointed; the standard client would follow
// it, dropping or (for a scheme change on the same host) keeping them.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	prev := via[len(via)-1]
	if prev.Header.Get("Authorization") == "" {
		return nil
	}
	if origin(req.URL) != origin(prev.URL) {
		where := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
		return fmt.Errorf("%w: the server sent it to %s: set the base URL to the address the server redirects to", ErrRedirectRefused, where)
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

// withoutUserinfo removes "user:password@" from a URL as typed, for error
// messages: a base URL with credentials in it is never echoed.
func withoutUserinfo(raw string) string {
	i := strings.Index(raw, "://")
	rest, scheme := raw, ""
	if i >= 0 {
		scheme, rest = raw[:i+3], raw[i+3:]
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		rest = "[redacted]@" + rest[at+1:]
	}
	return scheme + rest
}
