package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/indexer"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// simConfig returns a configuration pointing at a fresh simulator (the
// sample space and n generated issues) with a temporary data directory.
func syncSimConfig(t *testing.T, issues int) (*config, *atlassiantest.Server) {
	t.Helper()
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: issues, Seed: 3})
	env := map[string]string{
		"CONFLUENCE_BASE_URL":       srv.ConfluenceURL(),
		"CONFLUENCE_PERSONAL_TOKEN": "admin-token",
		"JIRA_BASE_URL":             srv.JiraURL(),
		"JIRA_PERSONAL_TOKEN":       "admin-token",
		"ATLASBRIDGE_DATA_DIR":      t.TempDir(),
		"ATLASBRIDGE_LOG_LEVEL":     "warn",
	}
	cfg, err := loadConfig(func(k string) string { return env[k] }, "")
	if err != nil {
		t.Fatal(err)
	}
	return cfg, srv
}

func syncExitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return 1
}

func TestSyncThenStatus(t *testing.T) {
	cfg, _ := syncSimConfig(t, 25)
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := runSync(ctx, []string{"--progress", "none"}, cfg, nil, &out, &errb); err != nil {
		t.Fatalf("sync: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "sync finished") || !strings.Contains(out.String(), "time by stage") {
		t.Errorf("summary:\n%s", out.String())
	}

	out.Reset()
	if err := runSync(ctx, []string{"--progress", "none", "--json"}, cfg, nil, &out, &errb); err != nil {
		t.Fatalf("second sync: %v", err)
	}
	var sum summaryJSON
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("sync --json: %v\n%s", err, out.String())
	}
	if sum.Added+sum.Updated+sum.Deleted != 0 || sum.Unchanged == 0 {
		t.Errorf("no-change sync summary: %+v", sum)
	}

	out.Reset()
	if err := runStatus(ctx, []string{"--json"}, cfg, nil, &out, &errb); err != nil {
		t.Fatalf("status --json: %v", err)
	}
	var st map[string]any
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("status --json is not one JSON object: %v\n%s", err, out.String())
	}
	spaces, _ := st["confluence"].([]any)
	projects, _ := st["jira"].([]any)
	if len(spaces) != 1 || len(projects) == 0 {
		t.Fatalf("status: %d spaces, %d projects:\n%s", len(spaces), len(projects), out.String())
	}
	if n, ok := spaces[0].(map[string]any)["pages"].(float64); !ok || n < 1 {
		t.Errorf("space entry without a pages count: %v", spaces[0])
	}
	issues := 0.0
	for _, p := range projects {
		n, ok := p.(map[string]any)["issues"].(float64)
		if !ok {
			t.Errorf("project entry without an issues count: %v", p)
		}
		issues += n
	}
	if issues != 25 {
		t.Errorf("status counts %v issues, want 25", issues)
	}

	out.Reset()
	if err := runStatus(ctx, nil, cfg, nil, &out, &errb); err != nil {
		t.Fatalf("status: %v", err)
	}
	for _, want := range []string{"embedder", "builtin/", "ENG", "pages", "issues", "LAST SYNC"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSyncExitCodes(t *testing.T) {
	cfg, _ := syncSimConfig(t, 5)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown flag", []string{"--nope"}, 2, "not defined"},
		{"stray argument", []string{"ENG"}, 2, "unexpected argument"},
		{"bad schedule", []string{"--schedule", "every tuesday"}, 2, "--schedule"},
		{"full with schedule", []string{"--schedule", "@hourly", "--full"}, 2, "cannot be combined"},
		{"bad progress", []string{"--progress", "fancy"}, 2, "--progress"},
		{"unknown project is skipped", []string{"--projects", "NOPE", "--progress", "none"}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runSync(ctx, tc.args, cfg, nil, io.Discard, io.Discard)
			if got := syncExitCode(err); got != tc.code {
				t.Fatalf("exit code %d (%v), want %d", got, err, tc.code)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q lacks %q", err, tc.msg)
			}
		})
	}

	t.Run("another sync holds the directory", func(t *testing.T) {
		emb, err := embed.New(cfg.Embed)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := search.Open(ctx, cfg.DataDir, search.Options{Embedder: emb})
		if err != nil {
			t.Fatal(err)
		}
		defer idx.Close()
		err = runSync(ctx, []string{"--progress", "none"}, cfg, nil, io.Discard, io.Discard)
		if syncExitCode(err) != exitLocked || !strings.Contains(err.Error(), "another sync is running") {
			t.Errorf("sync while locked: %v (code %d)", err, syncExitCode(err))
		}
	})

	t.Run("nothing configured", func(t *testing.T) {
		empty, err := loadConfig(func(string) string { return "" }, "")
		if err != nil {
			t.Fatal(err)
		}
		err = runSync(ctx, nil, empty, nil, io.Discard, io.Discard)
		if syncExitCode(err) != 2 || !strings.Contains(err.Error(), "CONFLUENCE_BASE_URL") {
			t.Errorf("sync without servers: %v", err)
		}
	})

	t.Run("total failure", func(t *testing.T) {
		down, _ := syncSimConfig(t, 5)
		down.Confluence.BaseURL += "/nowhere"
		down.Jira.BaseURL += "/nowhere"
		err := runSync(ctx, []string{"--progress", "none"}, down, nil, io.Discard, io.Discard)
		if syncExitCode(err) != 1 || !strings.Contains(err.Error(), "nothing could be synced") {
			t.Errorf("sync with both servers unreachable: %v (code %d), want code 1", err, syncExitCode(err))
		}
	})

	t.Run("partial failure", func(t *testing.T) {
		// A server that fails every request once retries are spent leaves
		// the sync finished but failed: exit code 3 for cron.
		bad, srv := syncSimConfig(t, 5)
		_ = srv
		bad.Confluence.Client.MaxRetries = -1
		bad.Jira.BaseURL = bad.Jira.BaseURL + "/nowhere"
		err := runSync(ctx, []string{"--progress", "none"}, bad, nil, io.Discard, io.Discard)
		if syncExitCode(err) != exitPartial {
			t.Errorf("sync with a broken Jira URL: %v (code %d), want code %d", err, syncExitCode(err), exitPartial)
		}
	})
}

func TestStatusWithoutIndex(t *testing.T) {
	cfg, _ := syncSimConfig(t, 1)
	cfg.DataDir += "/never-synced"
	err := runStatus(context.Background(), nil, cfg, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "atlasbridge sync") {
		t.Errorf("status without an index: %v", err)
	}
}

func TestScheduleSkipsWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for cron ticks")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var running, most, runs atomic.Int32
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	err := scheduleSyncs(ctx, "@every 1s", log, func(ctx context.Context) {
		n := running.Add(1)
		defer running.Add(-1)
		mu.Lock()
		if n > most.Load() {
			most.Store(n)
		}
		mu.Unlock()
		if runs.Add(1) == 1 {
			// The first run outlasts two ticks, which must be skipped.
			time.Sleep(2300 * time.Millisecond)
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if most.Load() != 1 || runs.Load() != 1 {
		t.Errorf("runs = %d, most at once = %d; want 1 and 1", runs.Load(), most.Load())
	}
}

// signalWriter closes seen when a line containing want is written.
type signalWriter struct {
	want string
	once sync.Once
	seen chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func statusIssues(t *testing.T, cfg *config) int {
	t.Helper()
	var out bytes.Buffer
	if err := runStatus(context.Background(), []string{"--json"}, cfg, nil, &out, io.Discard); err != nil {
		t.Fatalf("status: %v", err)
	}
	var st statusJSON
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range st.Jira {
		n += p.Issues
	}
	return n
}

func TestBackgroundSync(t *testing.T) {
	cfg, _ := syncSimConfig(t, 5)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := backgroundSync(context.Background(), "sometimes", cfg, quiet); err == nil {
		t.Error("a bad spec was accepted")
	}
	done := &signalWriter{want: "background sync done", seen: make(chan struct{})}
	stop, err := backgroundSync(context.Background(), "@hourly", cfg, slog.New(slog.NewTextHandler(done, nil)))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done.seen:
	case <-time.After(30 * time.Second):
		t.Fatal("the first background sync did not finish within 30s")
	}
	if n := statusIssues(t, cfg); n != 5 {
		t.Errorf("after the background sync the index holds %d issues, want 5", n)
	}
	stop()
	stop()
}

func TestProgressPrinter(t *testing.T) {
	p := indexer.Progress{Source: "confluence", Container: "ENG", Phase: "fetch", Done: 50, Total: 200, Elapsed: 2 * time.Second}
	t.Run("bar", func(t *testing.T) {
		var out bytes.Buffer
		pr := newProgressPrinter("bar", &out, slog.New(slog.DiscardHandler))
		pr.update(indexer.Progress{Source: "confluence", Container: "ENG", Phase: "list"})
		pr.update(p)
		pr.finish() // an interrupted sync still ends the line
		got := out.String()
		for _, want := range []string{"listing changes", "[#######", "50/200", "25/s", "ETA 6s", "\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("bar output %q lacks %q", got, want)
			}
		}
	})
	t.Run("log", func(t *testing.T) {
		var out bytes.Buffer
		pr := newProgressPrinter("log", io.Discard, slog.New(slog.NewTextHandler(&out, nil)))
		pr.every = 0
		pr.update(p)
		if !strings.Contains(out.String(), "sync progress") || !strings.Contains(out.String(), "done=50") {
			t.Errorf("log output %q", out.String())
		}
	})
	t.Run("auto off a terminal logs", func(t *testing.T) {
		if pr := newProgressPrinter("auto", &bytes.Buffer{}, slog.New(slog.DiscardHandler)); pr.mode != "log" {
			t.Errorf("mode = %q", pr.mode)
		}
	})
}

func TestSyncFullRebuildsAfterAnEmbedderChange(t *testing.T) {
	cfg, _ := syncSimConfig(t, 5)
	ctx := context.Background()
	if err := runSync(ctx, []string{"--progress", "none"}, cfg, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	cfg.Embed.Dimensions = 256 // another model
	err := runSync(ctx, []string{"--progress", "none"}, cfg, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "sync --full") {
		t.Fatalf("sync with another embedder: %v, want a pointer to sync --full", err)
	}
	var out bytes.Buffer
	if err := runSync(ctx, []string{"--progress", "none", "--full", "--json"}, cfg, nil, &out, io.Discard); err != nil {
		t.Fatalf("sync --full after the embedder change: %v", err)
	}
	var sum summaryJSON
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.Added == 0 {
		t.Fatalf("full rebuild summary: %v %s", err, out.String())
	}
	var st bytes.Buffer
	if err := runStatus(ctx, []string{"--json"}, cfg, nil, &st, io.Discard); err != nil {
		t.Fatalf("status after the rebuild: %v", err)
	}
	if !strings.Contains(st.String(), "-256") {
		t.Errorf("status after the rebuild does not show the 256-dimension model:\n%s", st.String())
	}
}

// A sync the servers answer anonymously (a PAT sent to a server older than
// PATs) or as another account exits 5 and deletes nothing.
func TestSyncRefusedExitsFive(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 5, Seed: 3, AnonymousRead: true, NoPAT: true})
	dir := t.TempDir()
	configAs := func(creds map[string]string) *config {
		env := map[string]string{
			"CONFLUENCE_BASE_URL": srv.ConfluenceURL(), "JIRA_BASE_URL": srv.JiraURL(),
			"ATLASBRIDGE_DATA_DIR": dir, "ATLASBRIDGE_LOG_LEVEL": "error",
		}
		for k, v := range creds {
			env[k] = v
		}
		cfg, err := loadConfig(func(k string) string { return env[k] }, "")
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	ctx := context.Background()
	admin := configAs(map[string]string{"CONFLUENCE_USERNAME": "admin", "CONFLUENCE_PASSWORD": "admin", "JIRA_USERNAME": "admin", "JIRA_PASSWORD": "admin"})
	if err := runSync(ctx, []string{"--progress", "none"}, admin, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	docs := func() int { return statusDocs(t, admin) }
	before := docs()
	for _, tc := range []struct {
		name  string
		creds map[string]string
		args  []string
		msg   string
	}{
		{"PAT on a server before PATs", map[string]string{"CONFLUENCE_PERSONAL_TOKEN": "admin-token", "JIRA_PERSONAL_TOKEN": "admin-token"}, []string{"--full"}, "anonymous"},
		{"another account", map[string]string{"CONFLUENCE_USERNAME": "alice", "CONFLUENCE_PASSWORD": "alice", "JIRA_USERNAME": "alice", "JIRA_PASSWORD": "alice"}, []string{"--reconcile"}, "another user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runSync(ctx, append([]string{"--progress", "none"}, tc.args...), configAs(tc.creds), nil, io.Discard, io.Discard)
			if syncExitCode(err) != exitRefused || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("exit code %d (%v), want %d mentioning %q", syncExitCode(err), err, exitRefused, tc.msg)
			}
			if n := docs(); n != before {
				t.Errorf("%d documents after the refused sync, want %d", n, before)
			}
		})
	}
}

// A sync against servers that announce a rate limit says how it was paced.
func TestSyncReportsItsPace(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 5, Seed: 3, RateLimit: 200})
	env := map[string]string{
		"CONFLUENCE_BASE_URL": srv.ConfluenceURL(), "CONFLUENCE_PERSONAL_TOKEN": "admin-token",
		"JIRA_BASE_URL": srv.JiraURL(), "JIRA_PERSONAL_TOKEN": "admin-token",
		"ATLASBRIDGE_DATA_DIR": t.TempDir(), "ATLASBRIDGE_LOG_LEVEL": "error",
	}
	cfg, err := loadConfig(func(k string) string { return env[k] }, "")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := runSync(context.Background(), []string{"--progress", "none"}, cfg, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"confluence rate limit: 200 requests/s (bucket of 200)", "jira rate limit: 200 requests/s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

// TestSyncFullRebuildsAfterABadEmbedderState: an embedder state the
// configured embedder cannot restore (another version of it wrote it) stops
// a sync with a pointer to sync --full, which deletes the index and
// rebuilds it.
func TestSyncFullRebuildsAfterABadEmbedderState(t *testing.T) {
	cfg, _ := syncSimConfig(t, 5)
	ctx := context.Background()
	if err := runSync(ctx, []string{"--progress", "none"}, cfg, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	emb, err := embed.New(cfg.Embed)
	if err != nil {
		t.Fatal(err)
	}
	x, err := search.Open(ctx, cfg.DataDir, search.Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.SetMeta(ctx, search.EmbedderStateKey, []byte("written by another version")); err != nil {
		t.Fatal(err)
	}
	x.Close()
	err = runSync(ctx, []string{"--progress", "none"}, cfg, nil, io.Discard, io.Discard)
	if !errors.Is(err, search.ErrEmbedderState) || !strings.Contains(err.Error(), "sync --full") {
		t.Fatalf("sync with a bad embedder state: %v, want a pointer to sync --full", err)
	}
	var out bytes.Buffer
	if err := runSync(ctx, []string{"--progress", "none", "--full", "--json"}, cfg, nil, &out, io.Discard); err != nil {
		t.Fatalf("sync --full after the bad state: %v", err)
	}
	var sum summaryJSON
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.Added == 0 || sum.Unchanged != 0 {
		t.Fatalf("full rebuild summary (want every document added again): %v %s", err, out.String())
	}
}
