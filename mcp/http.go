package mcp

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// HTTPOptions configure the streamable HTTP transport.
type HTTPOptions struct {
	// SessionIdle ends a session unused for this long (default 30 minutes):
	// its id is refused afterwards and the client starts a new one.
	SessionIdle time.Duration
}

// HTTPHandler returns the streamable HTTP transport, mounted at /mcp. Both
// protocol generations are served on the same endpoint: initialize
// (2025-11-25 and earlier) and server/discover (2026-07-28). Session ids are
// issued by the server only; DELETE ends a session. Each request may carry
// its caller's own Atlassian credentials in the headers mcp-atlassian uses
// (see CallerFromHeaders): every live call it makes then runs as that
// caller. Authentication of the endpoint itself, and limits on requests,
// belong in front of this handler.
func (s *Server) HTTPHandler(opts HTTPOptions) http.Handler {
	if opts.SessionIdle <= 0 {
		opts.SessionIdle = 30 * time.Minute
	}
	h := server.NewStreamableHTTPServer(s.mcp,
		server.WithEndpointPath("/mcp"),
		server.WithStreamableHTTPLogger(s.log),
		server.WithSessionIdManager(newSessions(opts.SessionIdle, time.Now)),
		server.WithSessionIdleTTL(opts.SessionIdle),
		server.WithHTTPContextFunc(func(ctx context.Context, r *http.Request) context.Context {
			if c, ok := CallerFromHeaders(r.Header); ok {
				return atlassian.WithCaller(ctx, c)
			}
			return ctx
		}),
	)
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)
	return mux
}

// The headers a caller sends its own credentials in: those of
// mcp-atlassian, which IDE configurations already hold.
const (
	headerPrefix = "X-Atlassian-"
	headerToken  = "-Personal-Token"
	headerUser   = "-Username"
	headerPass   = "-Password"
)

// CallerFromHeaders reads a caller's own credentials from the request
// headers X-Atlassian-Confluence-Personal-Token and
// X-Atlassian-Jira-Personal-Token, or -Username and -Password of either
// product. ok is false when the request brings none at all.
func CallerFromHeaders(h http.Header) (c atlassian.Caller, ok bool) {
	read := func(product string) *atlassian.Credentials {
		cr := atlassian.Credentials{
			Token:    strings.TrimSpace(h.Get(headerPrefix + product + headerToken)),
			Username: strings.TrimSpace(h.Get(headerPrefix + product + headerUser)),
			Password: h.Get(headerPrefix + product + headerPass),
		}
		if cr.Token == "" && cr.Username == "" {
			return nil
		}
		return &cr
	}
	c.Confluence, c.Jira = read("Confluence"), read("Jira")
	return c, c.Confluence != nil || c.Jira != nil
}

// sessions issues session ids and keeps those in use: an id the server did
// not issue, one ended with DELETE, and one idle too long are refused.
type sessions struct {
	idle time.Duration
	now  func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time // last use of each live session
}

func newSessions(idle time.Duration, now func() time.Time) *sessions {
	return &sessions{idle: idle, now: now, seen: map[string]time.Time{}}
}

var errUnknownSession = errors.New("unknown session id: initialize a new session")

// Generate issues a new session id: 128 bits or more from crypto/rand.
func (m *sessions) Generate() string {
	id := "mcp-session-" + rand.Text()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for old, t := range m.seen {
		if now.Sub(t) > m.idle {
			delete(m.seen, old)
		}
	}
	m.seen[id] = now
	return id
}

// Validate accepts an id issued here and still in use, and marks it used.
func (m *sessions) Validate(id string) (terminated bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.seen[id]
	if !ok {
		return false, errUnknownSession
	}
	now := m.now()
	if now.Sub(t) > m.idle {
		delete(m.seen, id)
		return true, nil
	}
	m.seen[id] = now
	return false, nil
}

// Terminate ends a session (DELETE, or the idle sweeper).
func (m *sessions) Terminate(id string) (notAllowed bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.seen, id)
	return false, nil
}
