// Package httpfront guards an HTTP handler that serves a team: a bearer
// token, the DNS-rebinding rule on Origin, and bounds on what a request may
// cost (body size, JSON shape, requests in flight) before anything parses
// it. It knows nothing of MCP or Atlassian.
package httpfront

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	// DefaultMaxBody bounds one request body: tool arguments are small, and
	// the MCP library reads a whole body into memory.
	DefaultMaxBody = 256 << 10
	// DefaultMaxInFlight bounds the requests with a body being served at once.
	DefaultMaxInFlight = 32
	// DefaultMaxDepth and DefaultMaxArray bound the nesting of a JSON body
	// and the length of any array in it: no tool takes more.
	DefaultMaxDepth = 32
	DefaultMaxArray = 1000
	// MinTokenLength is the shortest bearer token accepted.
	MinTokenLength = 16
)

// Options configure Wrap.
type Options struct {
	// Token is the bearer token every request must carry (required).
	Token string
	// AllowedOrigins are origins ("https://app.example.com") a browser
	// request may come from besides loopback ones.
	AllowedOrigins []string
	// MaxBody, MaxInFlight, MaxDepth and MaxArray default to the constants
	// above.
	MaxBody            int64
	MaxInFlight        int
	MaxDepth, MaxArray int
	// Logger receives failed authentications, at most one line per
	// AuthLogEvery (default 10s) with the count of those not logged.
	Logger       *slog.Logger
	AuthLogEvery time.Duration
}

// ErrTokenTooShort is returned by CheckToken for a token that is guessable.
var ErrTokenTooShort = fmt.Errorf("bearer token shorter than %d characters", MinTokenLength)

// CheckToken refuses a token shorter than MinTokenLength.
func CheckToken(token string) error {
	if len(token) < MinTokenLength {
		return ErrTokenTooShort
	}
	return nil
}

// NewToken returns a random token (130 bits) for a server started without
// one.
func NewToken() string { return rand.Text() }

// Wrap returns next behind the checks of opts, in the order: Origin (403),
// bearer token (401), requests in flight (503), body size (413), JSON shape
// (400).
func Wrap(next http.Handler, opts Options) (http.Handler, error) {
	if err := CheckToken(opts.Token); err != nil {
		return nil, err
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.MaxArray <= 0 {
		opts.MaxArray = DefaultMaxArray
	}
	if opts.AuthLogEvery <= 0 {
		opts.AuthLogEvery = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	origins := make([]string, 0, len(opts.AllowedOrigins))
	for _, o := range opts.AllowedOrigins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			origins = append(origins, strings.ToLower(o))
		}
	}
	f := &front{next: next, opts: opts, origins: origins, want: []byte(opts.Token),
		slots: make(chan struct{}, opts.MaxInFlight)}
	f.authLog.every = opts.AuthLogEvery
	return f, nil
}

type front struct {
	next    http.Handler
	opts    Options
	origins []string
	want    []byte
	slots   chan struct{}
	authLog rateLog
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && !f.originAllowed(o) {
		http.Error(w, "origin not allowed: start the server with --allowed-origins "+o+" to accept requests from it", http.StatusForbidden)
		return
	}
	if why := f.authenticate(r); why != "" {
		f.authLog.log(f.opts.Logger, "authentication failed", "reason", why, "remote", remoteHost(r))
		w.Header().Set("WWW-Authenticate", `Bearer realm="atlasbridge"`)
		http.Error(w, "missing or wrong bearer token: send Authorization: Bearer <ATLASBRIDGE_HTTP_TOKEN>", http.StatusUnauthorized)
		return
	}
	if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodDelete {
		// A GET holds an event stream open for as long as the client
		// listens: it is not counted among the requests in flight.
		f.next.ServeHTTP(w, r)
		return
	}
	select {
	case f.slots <- struct{}{}:
		defer func() { <-f.slots }()
	default:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many requests in flight: retry", http.StatusServiceUnavailable)
		return
	}
	if r.ContentLength > f.opts.MaxBody {
		tooLarge(w, f.opts.MaxBody)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, f.opts.MaxBody+1))
	if err != nil {
		http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if int64(len(body)) > f.opts.MaxBody {
		tooLarge(w, f.opts.MaxBody)
		return
	}
	if err := checkShape(body, f.opts.MaxDepth, f.opts.MaxArray); err != nil {
		http.Error(w, "request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.next.ServeHTTP(w, r)
}

func tooLarge(w http.ResponseWriter, max int64) {
	http.Error(w, fmt.Sprintf("request body over %d bytes", max), http.StatusRequestEntityTooLarge)
}

// authenticate returns why r is not authenticated, or "". The scheme is
// matched without regard to case (RFC 9110); the token in constant time.
func (f *front) authenticate(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "no Authorization header"
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "not a Bearer token"
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), f.want) != 1 {
		return "wrong token"
	}
	return ""
}

// originAllowed accepts loopback origins and the configured ones.
func (f *front) originAllowed(origin string) bool {
	o := strings.ToLower(strings.TrimRight(origin, "/"))
	if slices.Contains(f.origins, o) {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	return Loopback(u.Hostname())
}

// Loopback reports whether host names only this machine.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rateLog logs at most one line per every, counting those it drops.
type rateLog struct {
	every time.Duration

	mu      sync.Mutex
	last    time.Time
	dropped int
}

func (l *rateLog) log(log *slog.Logger, msg string, attrs ...any) {
	l.mu.Lock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.dropped++
		l.mu.Unlock()
		return
	}
	dropped := l.dropped
	l.last, l.dropped = now, 0
	l.mu.Unlock()
	if dropped > 0 {
		attrs = append(attrs, "not_logged_since_last", dropped)
	}
	log.Warn(msg, attrs...)
}

// errShape is the family of errors checkShape returns.
var errShape = errors.New("JSON too deep or too long")

// checkShape bounds the nesting of a JSON document and the length of its
// arrays without decoding it: one pass over the bytes, strings skipped.
// Whether it is valid JSON is the parser's business.
func checkShape(b []byte, maxDepth, maxArray int) error {
	type level struct {
		array  bool
		commas int // an array of n elements has n-1
	}
	var stack []level
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if len(stack) >= maxDepth {
				return fmt.Errorf("%w: nested deeper than %d", errShape, maxDepth)
			}
			stack = append(stack, level{array: c == '['})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if len(stack) > 0 && stack[len(stack)-1].array {
				top := &stack[len(stack)-1]
				top.commas++
				if top.commas >= maxArray {
					return fmt.Errorf("%w: an array longer than %d", errShape, maxArray)
				}
			}
		}
	}
	return nil
}
