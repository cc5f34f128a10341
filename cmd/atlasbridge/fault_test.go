package main

// The fault suite of issue 6: sync under injected server errors, rate
// limits and latency; a damaged store; and every way a server can be out of
// reach or refuse us, as the CLI and the MCP tools report it. Long variants
// run with ATLASBRIDGE_LONG=1.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/mcp"
	"github.com/atlasbridge/atlasbridge/search"
)

// longFaults reports whether the long variants of the fault suite run.
func longFaults() bool { return os.Getenv("ATLASBRIDGE_LONG") == "1" }

// watchedSim is a simulator behind a loopback server that records what it
// answered (status codes, the Host of every request) and can answer some
// requests itself (intercept), as a proxy or a permission check would.
type watchedSim struct {
	*sim.Sim
	srv *httptest.Server
	URL string

	mu        sync.Mutex
	codes     map[int]int
	auth      map[string]int // Authorization headers seen (to prove which credentials were sent)
	refused   map[string]time.Time
	retryGaps []time.Duration // from a 429 or 503 (with Retry-After: 1) to the same request again
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

// newWatchedSim starts a simulator with opts; tls serves HTTPS with a
// certificate from a CA nobody trusts.
func newWatchedSim(t testing.TB, opts sim.Options, tls bool) *watchedSim {
	t.Helper()
	sim, err := sim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	w := &watchedSim{Sim: sim, codes: map[int]int{}, auth: map[string]int{}}
	w.refused = map[string]time.Time{}
	h := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := &codeRecorder{ResponseWriter: rw, code: http.StatusOK}
		// A request is the same request again when method, URL and body are.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		key := r.Method + " " + r.URL.RequestURI() + " " + hex.EncodeToString(sum[:8])
		w.mu.Lock()
		w.auth[r.Header.Get("Authorization")]++
		if at, ok := w.refused[key]; ok {
			w.retryGaps = append(w.retryGaps, time.Since(at))
			delete(w.refused, key)
		}
		icpt := w.intercept
		w.mu.Unlock()
		if icpt == nil || !icpt(rec, r) {
			sim.Handler().ServeHTTP(rec, r)
		}
		w.mu.Lock()
		w.codes[rec.code]++
		if rec.code == http.StatusTooManyRequests || rec.code == http.StatusServiceUnavailable {
			w.refused[key] = time.Now()
		}
		w.mu.Unlock()
	})
	if tls {
		w.srv = httptest.NewTLSServer(h)
	} else {
		w.srv = httptest.NewServer(h)
	}
	t.Cleanup(w.srv.Close)
	w.URL = w.srv.URL
	return w
}

func (w *watchedSim) ConfluenceURL() string { return w.URL + "/confluence" }
func (w *watchedSim) JiraURL() string       { return w.URL + "/jira" }

// setIntercept installs (or with nil removes) a handler that answers the
// requests it returns true for.
func (w *watchedSim) setIntercept(f func(w http.ResponseWriter, r *http.Request) bool) {
	w.mu.Lock()
	w.intercept = f
	w.mu.Unlock()
}

// code returns how many answers had status code c.
func (w *watchedSim) code(c int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.codes[c]
}

type codeRecorder struct {
	http.ResponseWriter
	code int
}

// Unwrap lets http.ResponseController reach the connection (Hijack).
func (c *codeRecorder) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *codeRecorder) WriteHeader(code int) {
	c.code = code
	c.ResponseWriter.WriteHeader(code)
}

// worldClock is a simulator clock that stands still at a fixed midday
// while worlds are generated (dates count back from it, so two simulators
// built with one seed hold the same world) and runs in real time once
// started (the rate limiter refills by it).
type worldClock struct {
	mu      sync.Mutex
	base    time.Time
	started time.Time
}

func newWorldClock() *worldClock {
	return &worldClock{base: time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)}
}

// Now is the simulators' Options.Clock.
func (c *worldClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started.IsZero() {
		return c.base
	}
	return c.base.Add(time.Since(c.started))
}

// Start lets the clock run.
func (c *worldClock) Start() {
	c.mu.Lock()
	c.started = time.Now()
	c.mu.Unlock()
}

// faultEnv is the environment of a run against base URLs (a trailing
// "/confluence" and "/jira" are added), with token as the personal access
// token of both products and a temporary data directory.
func faultEnv(t testing.TB, base, token string, extra ...string) map[string]string {
	env := map[string]string{
		"CONFLUENCE_BASE_URL":       base + "/confluence",
		"CONFLUENCE_PERSONAL_TOKEN": token,
		"JIRA_BASE_URL":             base + "/jira",
		"JIRA_PERSONAL_TOKEN":       token,
		"ATLASBRIDGE_DATA_DIR":      t.TempDir(),
		"ATLASBRIDGE_LOG_LEVEL":     "warn",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// faultConfig loads env as main does, with retries shortened so that a
// server that is down fails a test in milliseconds rather than the
// production backoff's ~15 s. The retry policy itself is unchanged.
func faultConfig(t testing.TB, env map[string]string) *config {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return env[k] }, filepath.Join(t.TempDir(), "none.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*product{&cfg.Confluence, &cfg.Jira} {
		p.Client.RetryWait = 5 * time.Millisecond
		p.Client.MaxRetryWait = 20 * time.Millisecond
	}
	return cfg
}

// cliRun runs one subcommand in process and returns its exit code, stdout
// and stderr (with the final "atlasbridge: …" line main would print).
func cliRun(ctx context.Context, cfg *config, name string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	err := commands()[name].run(ctx, args, cfg, strings.NewReader(""), &out, &errb)
	code := syncExitCode(err)
	if err != nil && err.Error() != "" {
		fmt.Fprintln(&errb, "atlasbridge:", err)
	}
	return code, out.String(), errb.String()
}

var loopbackURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

// indexCounts is what a data directory holds: the ids of its documents and
// the number of chunks per container.
type indexCounts struct {
	docs   map[string]time.Time
	chunks map[string]int // "source/container" → chunks
	docsIn map[string]int // "source/container" → documents
	texts  map[string]int // chunk text → how many chunks hold it
	total  int
}

// readCounts opens cfg's index read-only, as search and serve do.
func readCounts(t testing.TB, cfg *config) indexCounts {
	t.Helper()
	ctx := context.Background()
	x, err := openReadIndex(ctx, cfg, nil)
	if err != nil {
		t.Fatalf("open the index: %v", err)
	}
	defer x.Close()
	docs, err := x.DocumentIDs(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := x.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := indexCounts{docs: docs, chunks: map[string]int{}, docsIn: map[string]int{}, texts: map[string]int{}, total: st.Chunks}
	seq, errf := x.ChunkTexts(ctx)
	for text := range seq {
		// Two simulators differ in their port only: links must compare equal.
		c.texts[loopbackURL.ReplaceAllString(text, "http://sim")]++
	}
	if err := errf(); err != nil {
		t.Fatal(err)
	}
	for _, cs := range st.Containers {
		c.chunks[cs.Source+"/"+cs.Container] = cs.Chunks
		c.docsIn[cs.Source+"/"+cs.Container] = cs.Documents
	}
	return c
}

// sameIndex fails unless got holds exactly the documents and chunk counts
// of want (a clean sync of the same world).
func sameIndex(t testing.TB, what string, got, want indexCounts) {
	t.Helper()
	var missing, extra []string
	for id := range want.docs {
		if _, ok := got.docs[id]; !ok {
			missing = append(missing, id)
		}
	}
	for id := range got.docs {
		if _, ok := want.docs[id]; !ok {
			extra = append(extra, id)
		}
	}
	if len(missing)+len(extra) > 0 {
		t.Errorf("%s: %d documents missing %v, %d extra %v (clean sync: %d documents)", what, len(missing), head(missing), len(extra), head(extra), len(want.docs))
	}
	for k, n := range want.chunks {
		if got.chunks[k] != n {
			t.Errorf("%s: %s holds %d chunks, a clean sync %d", what, k, got.chunks[k], n)
		}
	}
	if got.total != want.total {
		t.Errorf("%s: %d chunks in all, a clean sync %d", what, got.total, want.total)
	}
	shown := 0
	for text, n := range got.texts {
		if n > want.texts[text] && shown < 3 {
			shown++
			t.Errorf("%s: %d chunks hold this text, a clean sync %d:\n%.400s", what, n, want.texts[text], text)
		}
	}
	for text, n := range want.texts {
		if n > got.texts[text] && shown < 6 {
			shown++
			t.Errorf("%s: %d chunks hold this text, a clean sync %d:\n%.400s", what, got.texts[text], n, text)
		}
	}
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}

// checkWorld fails unless the index holds every issue of the simulator and
// at least every page and blog post of its spaces.
func checkWorld(t testing.TB, sim *sim.Sim, spaces []string, c indexCounts) {
	t.Helper()
	for _, key := range sim.IssueKeys("") {
		if _, ok := c.docs["jira:"+key]; !ok {
			t.Errorf("issue %s is not in the index", key)
		}
	}
	for _, sp := range spaces {
		docs := c.docsIn["confluence/"+sp]
		if want := sim.PageCount(sp); docs < want {
			t.Errorf("space %s: %d Confluence documents indexed, the simulator has %d pages and blog posts", sp, docs, want)
		}
	}
}

// TestFaultSyncUnderErrorsAndRateLimit syncs against a simulator that fails
// 20% of requests with 503 and rate-limits with 429 + Retry-After, with
// latency: the sync completes, holds every page and issue, and equals a
// clean sync of the same world exactly (no duplicate, no stale chunk).
// skipLongFault skips, in -short runs, a fault test that syncs whole
// worlds over and over: the race-detector run in CI is -short, and these
// take minutes under it while exercising the same code as the plain run.
func skipLongFault(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("long fault run: left to the plain go test")
	}
}

func TestFaultSyncUnderErrorsAndRateLimit(t *testing.T) {
	skipLongFault(t)
	t.Parallel() // mostly waits (Retry-After, latency, child processes): overlap it with the others
	// The crawler asks for many documents per request: a low rate limit
	// (the bucket holds as many tokens as the rate) is what makes it meet 429s.
	issues, rate := 150, 3.0
	if longFaults() {
		issues, rate = 2000, 5
	}
	// Two simulators of the same world: the faulty one and, for the
	// reference sync, a clean one. Generated dates count back from the
	// simulator's clock: it stands still while both worlds are generated.
	clock := newWorldClock()
	opts := sim.Options{JiraIssues: issues, Seed: 7, ErrorRate: 0.2, RateLimit: rate, Latency: 3 * time.Millisecond, Clock: clock.Now}
	faulty := newWatchedSim(t, opts, false)
	if err := faulty.GeneratePages("GEN", issues, 7); err != nil {
		t.Fatal(err)
	}
	clean := newWatchedSim(t, sim.Options{JiraIssues: issues, Seed: 7, Clock: clock.Now}, false)
	if err := clean.GeneratePages("GEN", issues, 7); err != nil {
		t.Fatal(err)
	}
	clock.Start()
	cfg := faultConfig(t, faultEnv(t, faulty.URL, "admin-token"))
	// faultConfig keeps the client's own backoff short: what slows the
	// sync down is then the server's Retry-After, which must win.
	ctx := context.Background()
	start := time.Now()
	var code int
	var out, errs string
	runs := 0
	for runs < 3 {
		runs++
		code, out, errs = cliRun(ctx, cfg, "sync", "--progress", "none", "--json")
		if code == 0 {
			break
		}
		if code != exitPartial {
			t.Fatalf("sync under faults: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
		}
		t.Logf("sync %d: exit 3 (some documents failed after retries); syncing again as the message says", runs)
	}
	if code != 0 {
		t.Fatalf("sync under faults did not converge in %d runs: exit %d\n%s\n%s", runs, code, out, errs)
	}
	took := time.Since(start)
	n429, n503 := faulty.code(http.StatusTooManyRequests), faulty.code(http.StatusServiceUnavailable)
	total := faulty.Stats()["total"]
	t.Logf("sync under faults: %d run(s), %s, %d requests, %d answered 429, %d answered 503", runs, took.Round(time.Millisecond), total, n429, n503)
	if n503 == 0 {
		t.Errorf("no 503 was injected: the test proves nothing")
	}
	// The client keeps to the bucket the answers announce: only requests
	// sent before the first announcement (at most the 4 in flight per
	// product) may find it empty, and the summary reports the pace.
	if n429 > 8 {
		t.Errorf("%d requests were answered 429: the client does not keep to the announced %v/s", n429, rate)
	}
	var sum summaryJSON
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("sync --json: %v\n%s", err, out)
	}
	for _, src := range []string{"confluence", "jira"} {
		if p, ok := sum.Paces[src]; !ok || p.Assumed || p.PerSecond != rate {
			t.Errorf("%s pace reported %+v (%v), want the announced %v/s", src, p, ok, rate)
		}
	}
	// The simulator answers 429 and 503 with Retry-After: 1. Every request
	// refused so must come again no sooner than a second later.
	faulty.mu.Lock()
	gaps := slices.Clone(faulty.retryGaps)
	faulty.mu.Unlock()
	if len(gaps) == 0 {
		t.Errorf("no refused request was retried: the test proves nothing")
	}
	for _, g := range gaps {
		if g < 950*time.Millisecond {
			t.Errorf("a request refused with Retry-After: 1 came again after %s", g.Round(time.Millisecond))
		}
	}
	if float64(n429) > 0.5*float64(total) {
		t.Errorf("%d of %d requests were answered 429: the client hammers a rate-limited server", n429, total)
	}
	t.Logf("%d retries of refused requests, the shortest after %s", len(gaps), slices.Min(append(gaps, time.Hour)).Round(time.Millisecond))

	got := readCounts(t, cfg)
	checkWorld(t, faulty.Sim, []string{"ENG", "GEN"}, got)

	// The same world without faults, synced into a second directory.
	ccfg := faultConfig(t, faultEnv(t, clean.URL, "admin-token"))
	if code, out, errs := cliRun(ctx, ccfg, "sync", "--progress", "none"); code != 0 {
		t.Fatalf("clean sync: exit %d\n%s\n%s", code, out, errs)
	}
	sameIndex(t, "sync under faults", got, readCounts(t, ccfg))

	// No document comes back twice from a search.
	x, err := openReadIndex(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	res, err := x.Search(ctx, search.Query{Text: "deploy incident rollback database", K: search.MaxK})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range res {
		id := r.Source + ":" + r.Key
		if seen[id] {
			t.Errorf("search returned %s twice", id)
		}
		seen[id] = true
	}
}

// TestFaultCorruptStore damages the store file in the ways a crash, a full
// disk or a stray copy do: every command says which file and what to run,
// none panics, and sync --full rebuilds.
func TestFaultCorruptStore(t *testing.T) {
	skipLongFault(t)
	srv := newWatchedSim(t, sim.Options{JiraIssues: 15, Seed: 2}, false)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"truncated", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()/3); err != nil {
				t.Fatal(err)
			}
		}},
		{"header overwritten", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, 100), 0); err != nil {
				t.Fatal(err)
			}
		}},
		{"pages scrambled", func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Keep the 100-byte header and the first page, scramble the rest.
			for i := 4096; i < len(b); i += 7 {
				b[i] ^= 0x5A
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"not a database", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("this is a text file that someone saved over the index\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"empty file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := faultConfig(t, faultEnv(t, srv.URL, "admin-token"))
			if code, out, errs := cliRun(ctx, cfg, "sync", "--progress", "none"); code != 0 {
				t.Fatalf("first sync: exit %d\n%s\n%s", code, out, errs)
			}
			want := readCounts(t, cfg)
			db := filepath.Join(cfg.DataDir, "index.db")
			// A clean close checkpoints the WAL into index.db; drop what is
			// left so the damage is all there is.
			for _, s := range []string{"-wal", "-shm"} {
				os.Remove(db + s)
			}
			tc.damage(t, db)

			for _, c := range []struct {
				cmd  string
				args []string
			}{
				{"status", nil},
				{"search", []string{"--live", "never", "deploy"}},
				{"doctor", []string{"--timeout", "5s"}},
				{"sync", []string{"--progress", "none"}},
			} {
				code, out, errs := runNoPanic(t, ctx, cfg, c.cmd, c.args...)
				all := out + errs
				if code == 0 && tc.name != "empty file" {
					// An empty file is a new, empty store to SQLite: sync may
					// fill it. Any other damage must be reported.
					t.Errorf("%s on a damaged store: exit 0\n%s", c.cmd, all)
					continue
				}
				if code == 0 {
					continue
				}
				if !strings.Contains(all, db) && !strings.Contains(all, cfg.DataDir) {
					t.Errorf("%s: the message does not name the store %s:\n%s", c.cmd, db, all)
				}
				if !strings.Contains(all, "sync --full") && !strings.Contains(all, "atlasbridge sync") {
					t.Errorf("%s: the message does not say how to fix it (atlasbridge sync --full):\n%s", c.cmd, all)
				}
			}

			t.Run("sync --full alone", func(t *testing.T) {
				code, out, errs := runNoPanic(t, ctx, cfg, "sync", "--full", "--progress", "none")
				if code != 0 {
					t.Fatalf("sync --full: exit %d\n%s\n%s", code, out, errs)
				}
				sameIndex(t, "after sync --full", readCounts(t, cfg), want)
			})
			t.Run("status after the repair", func(t *testing.T) {
				if code, out, errs := runNoPanic(t, ctx, cfg, "status"); code != 0 {
					t.Fatalf("status after sync --full: exit %d\n%s\n%s", code, out, errs)
				}
			})
		})
	}
}

// runNoPanic is cliRun that turns a panic into a test failure naming the
// command.
func runNoPanic(t *testing.T, ctx context.Context, cfg *config, name string, args ...string) (code int, out, errs string) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s %v panicked: %v", name, args, r)
			code = -1
		}
	}()
	return cliRun(ctx, cfg, name, args...)
}

// unreachableURL returns a loopback URL nothing listens on.
func unreachableURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// mcpFor builds the MCP server serve would build from cfg and connects an
// in-process client to it.
func mcpFor(t testing.TB, cfg *config, opts mcp.Options) *client.Client {
	t.Helper()
	log := cfg.logger(io.Discard)
	conf, err := cfg.confluence(log)
	if err != nil {
		t.Fatal(err)
	}
	jira, err := cfg.jira(log)
	if err != nil {
		t.Fatal(err)
	}
	opts.Confluence, opts.Jira = conf, jira
	if opts.Spaces == nil {
		opts.Spaces = cfg.Spaces
	}
	if opts.Projects == nil {
		opts.Projects = cfg.Projects
	}
	srv, err := mcp.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := client.NewInProcessClient(srv.MCPServer())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx := context.Background()
	if err := cli.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var init mcpgo.InitializeRequest
	init.Params.ClientInfo = mcpgo.Implementation{Name: "fault-test", Version: "1"}
	if _, err := cli.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return cli
}

// toolCall calls a tool and returns its text and error flag; err is a
// protocol-level failure (which the model never sees: a bug).
func toolCall(cli *client.Client, name string, args map[string]any) (string, bool, error) {
	var req mcpgo.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := cli.CallTool(context.Background(), req)
	if err != nil {
		return "", false, err
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcpgo.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), res.IsError, nil
}

// TestFaultServerUnreachable covers what stands between us and a server:
// nothing listening, a name that does not resolve, a certificate from an
// unknown CA, a wrong token and a 403. Each gives a specific message that
// says what to change, from sync, search and doctor, and as an MCP tool
// error the model can relay.
func TestFaultServerUnreachable(t *testing.T) {
	srv := newWatchedSim(t, sim.Options{JiraIssues: 5, Seed: 4}, false)
	tlsSim := newWatchedSim(t, sim.Options{JiraIssues: 5, Seed: 4}, true)
	forbidden := newWatchedSim(t, sim.Options{JiraIssues: 5, Seed: 4}, false)
	forbidden.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/jira/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"errorMessages":["You do not have the permission to see the specified issue."],"errors":{}}`)
		} else {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"statusCode":403,"message":"User not permitted to view content","reason":"Forbidden"}`)
		}
		return true
	})
	pageID := sim.PageID("ENG", "index.html")
	for _, tc := range []struct {
		name   string
		base   string
		token  string
		cli    []string // each must appear in the output of sync, search and doctor
		tool   []string // each must appear in the MCP tool error
		doctor []string // each must appear in doctor's report too
	}{
		{"connection refused", unreachableURL(t), "admin-token",
			[]string{"connection refused", "is the server running at"}, []string{"could not reach the server", "connection refused"}, nil},
		// A 64-byte label is no DNS name: Go's resolver answers "no such
		// host" without sending a query, as a real NXDOMAIN does.
		{"dns failure", "http://" + strings.Repeat("w", 64) + ".invalid", "admin-token",
			[]string{"cannot resolve host", "check the base URL"}, []string{"cannot resolve host"}, nil},
		{"tls unknown ca", tlsSim.URL, "admin-token",
			[]string{"unknown authority", "CA_FILE"}, []string{"unknown authority", "CA_FILE"}, nil},
		{"wrong token", srv.URL, "not-the-token",
			[]string{"401", "token"}, []string{"authentication failed", "PERSONAL_TOKEN"}, []string{"PERSONAL_TOKEN"}},
		{"forbidden", forbidden.URL, "admin-token",
			[]string{"403", "permission"}, []string{"permission denied"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cfg := faultConfig(t, faultEnv(t, tc.base, tc.token))
			for _, c := range []struct {
				cmd  string
				args []string
			}{
				{"sync", []string{"--progress", "none"}},
				{"search", []string{"deploy rollback"}},
				{"doctor", []string{"--timeout", "10s"}},
			} {
				code, out, errs := runNoPanic(t, ctx, cfg, c.cmd, c.args...)
				all := out + errs
				if code == 0 && c.cmd != "search" {
					t.Errorf("%s: exit 0 against a server it cannot use:\n%s", c.cmd, all)
				}
				wants := tc.cli
				if c.cmd == "doctor" {
					wants = append(wants[:len(wants):len(wants)], tc.doctor...)
				}
				for _, want := range wants {
					if !strings.Contains(all, want) {
						t.Errorf("%s: the output lacks %q:\n%s", c.cmd, want, all)
					}
				}
				if strings.Contains(all, "panic") || strings.Contains(all, "goroutine ") {
					t.Errorf("%s: output looks like a crash:\n%s", c.cmd, all)
				}
				if strings.Contains(all, "admin-token") || strings.Contains(all, "not-the-token") {
					t.Errorf("%s: a token reached the output:\n%s", c.cmd, all)
				}
			}
			cli := mcpFor(t, cfg, mcp.Options{ReadOnly: true})
			for _, call := range []struct {
				tool string
				args map[string]any
			}{
				{"confluence_get_page", map[string]any{"page_id": pageID}},
				{"jira_get_issue", map[string]any{"issue_key": "OPS-1"}},
				{"jira_search_issues", map[string]any{"jql": "project = OPS"}},
			} {
				text, isErr, err := toolCall(cli, call.tool, call.args)
				if err != nil {
					t.Errorf("%s: a protocol error the model never sees: %v", call.tool, err)
					continue
				}
				if !isErr {
					t.Errorf("%s: no tool error: %s", call.tool, text)
					continue
				}
				for _, want := range tc.tool {
					if !strings.Contains(text, want) {
						t.Errorf("%s: the tool error lacks %q: %s", call.tool, want, text)
					}
				}
			}
		})
	}
}

// TestFaultDeletedPage deletes a synced page on the server: the MCP tool
// says it does not exist, search --verify drops it with a note, and a
// reconciling sync removes it from the index.
func TestFaultDeletedPage(t *testing.T) {
	srv := newWatchedSim(t, sim.Options{JiraIssues: 5, Seed: 5}, false)
	cfg := faultConfig(t, faultEnv(t, srv.URL, "admin-token"))
	ctx := context.Background()
	if code, out, errs := cliRun(ctx, cfg, "sync", "--progress", "none"); code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
	}
	// The page to delete: the top hit of a search, so --verify sees it.
	code, out, errs := cliRun(ctx, cfg, "search", "--json", "--live", "never", "--source", "confluence", "--k", "3", "deploy")
	if code != 0 {
		t.Fatalf("search: exit %d\n%s", code, errs)
	}
	var res struct {
		Results []searchResultJSON `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Results) == 0 {
		t.Fatalf("search --json: %v\n%s", err, out)
	}
	victim := res.Results[0]
	if err := srv.DeletePage(victim.ID); err != nil {
		t.Fatal(err)
	}
	before := readCounts(t, cfg)

	cli := mcpFor(t, cfg, mcp.Options{ReadOnly: true})
	text, isErr, err := toolCall(cli, "confluence_get_page", map[string]any{"page_id": victim.ID})
	if err != nil || !isErr || !strings.Contains(text, "does not exist") || !strings.Contains(text, victim.ID) {
		t.Errorf("confluence_get_page of a deleted page: err %v, isError %v: %s", err, isErr, text)
	}

	code, out, errs = cliRun(ctx, cfg, "search", "--json", "--verify", "--source", "confluence", "--k", "3", "deploy")
	if code != 0 {
		t.Fatalf("search --verify: exit %d\n%s", code, errs)
	}
	if strings.Contains(out, `"id":"`+victim.ID+`"`) {
		t.Errorf("search --verify still returns the deleted page %s:\n%s", victim.ID, out)
	}
	if !strings.Contains(out+errs, "deleted") {
		t.Errorf("search --verify does not say a hit was deleted:\n%s\n%s", out, errs)
	}
	t.Run("verify with --live never", func(t *testing.T) {
		// --live never only means "no live search": the user still asked
		// for the hits to be checked.
		_, out, errs := cliRun(ctx, cfg, "search", "--json", "--live", "never", "--verify", "--source", "confluence", "--k", "3", "deploy")
		if strings.Contains(out, `"id":"`+victim.ID+`"`) {
			t.Errorf("search --verify --live never returns the deleted page %s:\n%s\n%s", victim.ID, out, errs)
		}
	})

	if code, out, errs := cliRun(ctx, cfg, "sync", "--reconcile", "--progress", "none", "--json"); code != 0 {
		t.Fatalf("sync --reconcile: exit %d\n%s\n%s", code, out, errs)
	}
	after := readCounts(t, cfg)
	if _, ok := after.docs["confluence:"+victim.ID]; ok {
		t.Errorf("the deleted page %s is still indexed after sync --reconcile", victim.ID)
	}
	if len(after.docs) >= len(before.docs) {
		t.Errorf("documents %d → %d after deleting a page and reconciling", len(before.docs), len(after.docs))
	}
}

// TestFaultConnectionDrops cuts 15% of connections without an answer (a
// proxy restart, a load balancer timing out): the sync retries what is safe
// to retry and ends with the same index as a clean sync.
func TestFaultConnectionDrops(t *testing.T) {
	skipLongFault(t)
	t.Parallel()
	clock := newWorldClock()
	flaky := newWatchedSim(t, sim.Options{JiraIssues: 60, Seed: 8, Clock: clock.Now}, false)
	clean := newWatchedSim(t, sim.Options{JiraIssues: 60, Seed: 8, Clock: clock.Now}, false)
	for _, w := range []*watchedSim{flaky, clean} {
		if err := w.GeneratePages("GEN", 60, 8); err != nil {
			t.Fatal(err)
		}
	}
	clock.Start()
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(8, 8))
	dropped := 0
	flaky.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		drop := rng.Float64() < 0.15
		if drop {
			dropped++
		}
		mu.Unlock()
		if !drop {
			return false
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return false
		}
		conn.Close()
		return true
	})
	ctx := context.Background()
	cfg := faultConfig(t, faultEnv(t, flaky.URL, "admin-token"))
	code, out, errs := 0, "", ""
	for run := 1; run <= 3; run++ {
		code, out, errs = cliRun(ctx, cfg, "sync", "--progress", "none")
		if code != exitPartial {
			break
		}
		t.Logf("sync %d: exit 3, syncing again", run)
	}
	if code != 0 {
		t.Fatalf("sync with dropped connections: exit %d\n%s\n%s", code, out, errs)
	}
	mu.Lock()
	t.Logf("%d connections dropped without an answer", dropped)
	if dropped == 0 {
		t.Errorf("no connection was dropped: the test proves nothing")
	}
	mu.Unlock()
	ccfg := faultConfig(t, faultEnv(t, clean.URL, "admin-token"))
	if code, out, errs := cliRun(ctx, ccfg, "sync", "--progress", "none"); code != 0 {
		t.Fatalf("clean sync: exit %d\n%s\n%s", code, out, errs)
	}
	sameIndex(t, "sync with dropped connections", readCounts(t, cfg), readCounts(t, ccfg))
}
