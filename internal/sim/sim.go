package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// User is an account known to both simulated products.
type User struct {
	Name        string   // login name (Server "name"/"username")
	Password    string   // for HTTP Basic
	Token       string   // personal access token, sent as "Authorization: Bearer <token>"
	DisplayName string   // shown in user objects
	Email       string   // defaults to name@example.com
	Groups      []string // informational; returned by Jira myself
	// TimeZone is the zone of the account's profile: CQL and JQL dates without a zone are read
	// in it. Nil means Options.UserTimeZone.
	TimeZone *time.Location
	// LoginDenied makes the server refuse this account's Basic logins the way Seraph does once
	// it wants a CAPTCHA: the request goes on as anonymous, with X-Seraph-LoginReason:
	// AUTHENTICATION_DENIED (so a 200 when anonymous access is on).
	LoginDenied bool

	anonymous bool // the anonymous caller, not an account
}

// SpaceImport names a folder of HTML files imported as one Confluence space.
type SpaceImport struct {
	Key     string // space key, e.g. "PG"
	Name    string // space name; defaults to Key
	HTMLDir string // folder on disk whose *.html files become pages
}

// Options configures a simulator. The zero value is a usable default world: users admin/admin and
// alice/alice, the embedded sample space ENG, 200 generated Jira issues.
type Options struct {
	// Users replaces the default users (admin/admin with token "admin-token", and alice/alice with
	// token "alice-token", who cannot see restricted pages).
	Users []User
	// Spaces to import. Nil imports the embedded sample space (key ENG); an empty non-nil slice
	// imports nothing.
	Spaces []SpaceImport
	// JiraIssues is the number of generated issues: 0 means the default 200, negative means none.
	JiraIssues int
	// Seed makes generated issues and pages deterministic.
	Seed int64
	// Epoch dates the generated issues and pages: they are created and changed before it, at
	// offsets drawn from Seed. Zero means the start of the clock's current UTC day, so that two
	// worlds made the same day are the same, byte for byte, whatever the minute (and two syncs of
	// them build the same index); set it to get the same world on any day.
	Epoch time.Time
	// Latency is added to every REST request.
	Latency time.Duration
	// ErrorRate is the probability (0..1) that a REST request fails with 503.
	ErrorRate float64
	// RateLimit is the number of REST requests per second allowed to each user (a token bucket
	// per user, shared by all of that user's connections, holding as many tokens as one second
	// refills), as Jira/Confluence DC rate limiting does. Every answer carries X-RateLimit-Limit,
	// -Remaining, -FillRate and -Interval-Seconds; a request finding the bucket empty gets 429
	// with Retry-After. Zero means unlimited.
	RateLimit float64
	// Clock returns "now"; defaults to time.Now. Tests pass a fake to control dates.
	Clock func() time.Time
	// TimeZone is the server's zone: both products render timestamps in it, with its daylight
	// saving (Confluence writes "…Z" in a London winter and "…+01:00" in its summer). Defaults to
	// UTC.
	TimeZone *time.Location
	// UserTimeZone is the profile zone of every account without its own (User.TimeZone): CQL and
	// JQL dates without a zone are read in the caller's profile zone, not the server's, so the
	// offsets in answers say nothing about how a query is read. Defaults to TimeZone.
	UserTimeZone *time.Location
	// JiraVersion is reported by serverInfo; "8.x" serves only the old /issue/createmeta, 9+ only
	// the new createmeta endpoints. Defaults to "9.12.0".
	JiraVersion string
	// DataCenter reports deploymentType "DataCenter" instead of "Server".
	DataCenter bool
	// QuirkNextStart reproduces a Confluence DC quirk: when a limit is silently capped, the
	// _links.next of the page still advances start by the limit asked for, skipping results.
	// Clients should compute the next start as start + results received.
	QuirkNextStart bool
	// AnonymousRead serves requests without credentials as the anonymous user (HTTP 200,
	// X-AUSERNAME: anonymous) instead of 401, as an instance that allows anonymous access does.
	// Anonymous may see nothing: no space, page, project or issue, and may change nothing.
	AnonymousRead bool
	// NoPAT plays a server older than personal access tokens (Confluence < 7.9, Jira < 8.14):
	// its login filter does not know "Authorization: Bearer" and ignores it, so such a request
	// is anonymous.
	NoPAT bool
	// SecurityLevels are the issue security levels (name → the groups whose members may see an
	// issue at that level); see Sim.SetIssueSecurity.
	SecurityLevels map[string][]string
	// ProjectRoles maps a project role to the groups whose members hold it in every project, for
	// comments restricted to a role. Nil means Administrators (jira-administrators), Developers
	// and Users (jira-software-users).
	ProjectRoles map[string][]string
	// Logger receives one debug line per request; defaults to discarding.
	Logger *slog.Logger
}

// Sim is a simulated Jira + Confluence. It is safe for concurrent use.
type Sim struct {
	opts  Options
	now   func() time.Time
	log   *slog.Logger
	users map[string]*User // by name
	byTok map[string]*User
	anon  *User // the caller of a request without (usable) credentials
	// levelNames are the security levels in a stable order, for their ids.
	levelNames []string

	mu   sync.RWMutex
	conf *confluence
	jira *jira
	// functions answers openSprints() and the other data functions of JQL.
	functions *jqlFunctions

	faultMu sync.Mutex
	rng     *rand.Rand
	buckets map[string]*bucket // by user name ("anonymous" for requests without credentials)

	statsMu sync.Mutex
	stats   map[string]int64

	mux *http.ServeMux
}

// New builds a simulator and loads its initial world.
func New(opts Options) (*Sim, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.JiraVersion == "" {
		opts.JiraVersion = "9.12.0"
	}
	if _, err := parseVersion(opts.JiraVersion); err != nil {
		return nil, fmt.Errorf("sim: jira version: %w", err)
	}
	if opts.ErrorRate < 0 || opts.ErrorRate > 1 {
		return nil, fmt.Errorf("sim: error rate %v: must be between 0 and 1", opts.ErrorRate)
	}
	if opts.RateLimit < 0 {
		return nil, fmt.Errorf("sim: rate limit %v: must not be negative", opts.RateLimit)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if len(opts.Users) == 0 {
		opts.Users = DefaultUsers()
	}
	if opts.TimeZone == nil {
		opts.TimeZone = time.UTC
	}
	if opts.UserTimeZone == nil {
		opts.UserTimeZone = opts.TimeZone
	}
	clock, loc := opts.Clock, opts.TimeZone
	s := &Sim{
		opts:  opts,
		now:   func() time.Time { return clock().In(loc) },
		log:   opts.Logger,
		users: map[string]*User{},
		byTok: map[string]*User{},
		rng:   rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed)),
		stats: map[string]int64{},
	}
	for i := range opts.Users {
		u := opts.Users[i]
		if u.Name == "" {
			return nil, fmt.Errorf("sim: user %d: empty name", i)
		}
		if u.DisplayName == "" {
			u.DisplayName = u.Name
		}
		if u.Email == "" {
			u.Email = u.Name + "@example.com"
		}
		if u.TimeZone == nil {
			u.TimeZone = opts.UserTimeZone
		}
		if _, dup := s.users[u.Name]; dup {
			return nil, fmt.Errorf("sim: user %q: defined twice", u.Name)
		}
		s.users[u.Name] = &u
		if u.Token != "" {
			s.byTok[u.Token] = &u
		}
	}
	s.anon = &User{Name: "anonymous", DisplayName: "Anonymous", TimeZone: opts.UserTimeZone, anonymous: true}
	s.buckets = map[string]*bucket{}
	for name := range opts.SecurityLevels {
		s.levelNames = append(s.levelNames, name)
	}
	slices.Sort(s.levelNames)
	s.conf = newConfluence()
	s.jira = newJira(opts.JiraVersion)
	for _, u := range s.users {
		s.jira.people[u.Name] = u.DisplayName
	}
	for _, p := range people {
		if _, ok := s.jira.people[p[0]]; !ok {
			s.jira.people[p[0]] = p[1]
		}
	}

	spaces := opts.Spaces
	if spaces == nil {
		if err := s.importDefaultSpace(); err != nil {
			return nil, err
		}
	}
	for _, sp := range spaces {
		if _, err := s.ImportHTMLDir(sp); err != nil {
			return nil, err
		}
	}
	n := opts.JiraIssues
	if n == 0 {
		n = 200
	}
	if n > 0 {
		if err := s.generateIssues(n, opts.Seed); err != nil {
			return nil, err
		}
	}
	s.jira.seedAgile(s.now())
	s.jira.placeInSprints()
	s.functions = &jqlFunctions{s: s}
	s.mux = s.routes()
	return s, nil
}

// userZone is the profile zone of the account name (the default profile zone for people who are
// not accounts of the simulator).
func (s *Sim) userZone(name string) *time.Location {
	if u := s.users[name]; u != nil {
		return u.TimeZone
	}
	return s.opts.UserTimeZone
}

// DefaultUsers returns the users of a default simulator: admin (all permissions) and alice (cannot
// see restricted pages).
func DefaultUsers() []User {
	return []User{
		{Name: "admin", Password: "admin", Token: "admin-token", DisplayName: "Ada Admin",
			Groups: []string{"confluence-administrators", "jira-administrators", "jira-software-users"}},
		{Name: "alice", Password: "alice", Token: "alice-token", DisplayName: "Alice Example",
			Groups: []string{"confluence-users", "jira-software-users"}},
	}
}

// Handler returns the HTTP handler serving both products (under /confluence and /jira) and the
// simulator's own /__sim endpoints.
func (s *Sim) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Stats returns the number of requests served per route pattern (e.g.
// "GET /confluence/rest/api/content/{id}") and under "total".
func (s *Sim) Stats() map[string]int64 {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := make(map[string]int64, len(s.stats))
	for k, v := range s.stats {
		out[k] = v
	}
	return out
}

// ResetStats clears the request counters.
func (s *Sim) ResetStats() {
	s.statsMu.Lock()
	s.stats = map[string]int64{}
	s.statsMu.Unlock()
}

func (s *Sim) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/__sim/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		pattern = "unmatched"
	}
	s.statsMu.Lock()
	s.stats[pattern]++
	s.stats["total"]++
	s.statsMu.Unlock()
	s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "pattern", pattern)

	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if s.opts.RateLimit > 0 {
		left, wait := s.takeToken(r)
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.bucketSize()))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(left))
		h.Set("X-RateLimit-FillRate", strconv.Itoa(s.bucketSize()))
		h.Set("X-RateLimit-Interval-Seconds", "1")
		h.Set("Retry-After", strconv.Itoa(wait))
		if wait > 0 {
			s.productError(w, r, http.StatusTooManyRequests, "Rate limit exceeded.")
			return
		}
	}
	if s.injectFault() {
		w.Header().Set("Retry-After", "1")
		s.productError(w, r, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// bucket is one user's rate-limit tokens.
type bucket struct {
	tokens float64
	last   time.Time
}

// bucketSize is the capacity of a bucket and the tokens one interval (a second) adds.
func (s *Sim) bucketSize() int { return max(1, int(math.Round(s.opts.RateLimit))) }

// takeToken takes one token from the bucket of the request's user and returns the tokens left;
// when the bucket is empty it takes none and returns the seconds until one is back. Jira and
// Confluence are separate servers, so each has its own bucket per user. Buckets fill by the
// wall clock, not Options.Clock: a real server's budget runs on the time its clients wait by,
// and a test's frozen clock would never give a token back.
func (s *Sim) takeToken(r *http.Request) (left, wait int) {
	name := "anonymous"
	if u, res := s.authenticate(r); res == authOK {
		name = u.Name
	}
	if strings.HasPrefix(r.URL.Path, "/jira/") {
		name = "jira:" + name
	} else {
		name = "confluence:" + name
	}
	size := float64(s.bucketSize())
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	now := time.Now()
	b := s.buckets[name]
	if b == nil {
		b = &bucket{tokens: size, last: now}
		s.buckets[name] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(size, b.tokens+el*size)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return int(b.tokens), 0
	}
	return 0, max(1, int(math.Ceil((1-b.tokens)/size)))
}

func (s *Sim) injectFault() bool {
	if s.opts.ErrorRate <= 0 {
		return false
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.rng.Float64() < s.opts.ErrorRate
}

// productError writes an error in the envelope of the product the request is for.
func (s *Sim) productError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/jira/") {
		jiraError(w, code, msg)
		return
	}
	confError(w, code, msg)
}

func (s *Sim) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /__sim/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	m.HandleFunc("POST /__sim/stats/reset", func(w http.ResponseWriter, r *http.Request) {
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
	s.confluenceRoutes(m)
	s.jiraRoutes(m)
	return m
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "sim: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// parseVersion reads "9.12.0" into its numbers.
func parseVersion(v string) ([]int, error) {
	parts := strings.Split(v, ".")
	out := make([]int, 0, 3)
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: want numbers like 9.12.0", v)
		}
		out = append(out, n)
	}
	for len(out) < 3 {
		out = append(out, 0)
	}
	return out, nil
}
