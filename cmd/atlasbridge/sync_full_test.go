package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// statusDocs is the number of documents `status --json` reports.
func statusDocs(t *testing.T, cfg *config) int {
	t.Helper()
	var out bytes.Buffer
	if err := runStatus(context.Background(), []string{"--json"}, cfg, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Documents int `json:"documents"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("status --json: %v: %s", err, out.Bytes())
	}
	return st.Documents
}

// A full rebuild that finds much less than the index holds (here the
// allow-list lost the projects most issues are in; for real, an account
// that lost permissions) is not swapped in: exit 5, the index unchanged.
// --force swaps it in.
func TestSyncFullDropGuard(t *testing.T) {
	cfg, srv := syncSimConfig(t, 40)
	ctx := context.Background()
	if err := runSync(ctx, []string{"--progress", "none"}, cfg, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	before := statusDocs(t, cfg)
	keep := "WEB"
	if n := len(srv.IssueKeys(keep)); float64(40-n) <= 0.2*float64(before) {
		t.Fatalf("setup: narrowing to %s drops %d of %d documents, not more than 20%%", keep, 40-n, before)
	}
	narrowed := *cfg
	narrowed.Projects = []string{keep}

	var errb bytes.Buffer
	err := runSync(ctx, []string{"--progress", "none", "--full"}, &narrowed, nil, io.Discard, &errb)
	if syncExitCode(err) != exitRefused || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), "kept") {
		t.Fatalf("sync --full that loses most issues: exit %d (%v), want %d naming --force and the kept index", syncExitCode(err), err, exitRefused)
	}
	if n := statusDocs(t, cfg); n != before {
		t.Errorf("%d documents after the refused rebuild, want %d", n, before)
	}
	if gens := generationsIn(t, cfg.DataDir); len(gens) != 0 {
		t.Errorf("the refused rebuild left %v behind", gens)
	}

	if err := runSync(ctx, []string{"--progress", "none", "--full", "--force"}, &narrowed, nil, io.Discard, io.Discard); err != nil {
		t.Fatalf("sync --full --force: %v", err)
	}
	if n := statusDocs(t, cfg); n >= before {
		t.Errorf("%d documents after the forced rebuild, want fewer than %d", n, before)
	}
}

// generationsIn lists the index generations in a data directory.
func generationsIn(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.IsDir() && strings.HasPrefix(e.Name(), "gen-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestKill9DuringFullSync kills atlasbridge sync --full with SIGKILL while
// it builds the new index: the old index still opens, holds the same
// documents and answers the same searches; the next sync --full replaces
// it and deletes what the killed one wrote.
func TestKill9DuringFullSync(t *testing.T) {
	t.Parallel() // mostly waits on the slow simulator and child processes
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := builtBinary(t)
	srv := newWatchedSim(t, sim.Options{JiraIssues: 120, Seed: 11, Latency: 15 * time.Millisecond}, false)
	if err := srv.GeneratePages("GEN", 60, 11); err != nil {
		t.Fatal(err)
	}
	env := faultEnv(t, srv.URL, "admin-token")
	procEnv := binEnv(t, env)
	cfg := faultConfig(t, env)
	began := time.Now()
	if code, out, errs := binRun(t, bin, procEnv, "sync", "--progress", "none"); code != 0 {
		t.Fatalf("first sync: exit %d\n%s\n%s", code, out, errs)
	}
	full := time.Since(began)
	want := readCounts(t, cfg)
	search := func() string {
		t.Helper()
		code, out, errs := binRun(t, bin, procEnv, "search", "--live", "never", "--json", "deploy the release")
		if code != 0 || out == "" {
			t.Fatalf("search: exit %d\n%s\n%s", code, out, errs)
		}
		return out
	}
	wantHits := search()

	// Kill the rebuild once it is under way: half way through a full
	// sync's time, later when that was still before the build began.
	killed := false
	for _, part := range []time.Duration{2, 3, 4} {
		delay := full * (part - 1) / part
		cmd := exec.Command(bin, "sync", "--progress", "none", "--full")
		cmd.Env, cmd.Dir = procEnv, t.TempDir()
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			t.Fatalf("sync --full finished (%v) before the kill at %s: the test proves nothing\n%s", err, delay, errb.String())
		case <-time.After(delay):
		}
		building := len(generationsIn(t, cfg.DataDir)) > 0
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-done
		if building {
			t.Logf("killed sync --full after %s, while it built", delay.Round(time.Millisecond))
			killed = true
			break
		}
	}
	if !killed {
		t.Fatal("no kill landed while the new index was being built")
	}

	sameIndex(t, "after sync --full was killed", readCounts(t, cfg), want)
	if got := search(); got != wantHits {
		t.Errorf("search after the kill answers differently:\n%s\nwant:\n%s", got, wantHits)
	}

	if code, out, errs := binRun(t, bin, procEnv, "sync", "--progress", "none", "--full"); code != 0 {
		t.Fatalf("sync --full after the kill: exit %d\n%s\n%s", code, out, errs)
	}
	sameIndex(t, "after the next sync --full", readCounts(t, cfg), want)
	if gens := generationsIn(t, cfg.DataDir); len(gens) != 1 {
		t.Errorf("generations after the rebuild: %v, want the current one only (the killed one's deleted)", gens)
	}
	if got := search(); got != wantHits {
		t.Errorf("search after the rebuild answers differently:\n%s\nwant:\n%s", got, wantHits)
	}
	// The next sync deletes the replaced index.
	if code, out, errs := binRun(t, bin, procEnv, "sync", "--progress", "none"); code != 0 {
		t.Fatalf("sync after the rebuild: exit %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "index.db")); !os.IsNotExist(err) {
		t.Errorf("the replaced index.db is still there after a sync (%v)", err)
	}
}

// A serve started on the old index answers from the rebuilt one once
// sync --full has swapped it in, without a restart.
func TestServeFollowsAFullRebuild(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 20, Seed: 3})
	cfg := simConfig(t, simEnv(srv, "ATLASBRIDGE_DATA_DIR", t.TempDir(), "ATLASBRIDGE_LOG_LEVEL", "info"))
	if err := runSync(t.Context(), []string{"--progress", "none"}, cfg, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	cli := startServe(t, cfg)
	type status struct {
		Indexed   bool
		Documents int
		Projects  []struct{ Key string }
	}
	var before status
	callJSON(t, cli, "index_status", nil, &before)
	var a semanticAnswer
	callJSON(t, cli, "semantic_search", map[string]any{"query": "on-call pager", "projects": []string{"OPS"}}, &a)
	if !slices.Contains(a.origins(), "index") {
		t.Fatalf("setup: serve does not answer from the index: %+v", a)
	}

	narrowed := *cfg
	narrowed.Projects = []string{"WEB"}
	if err := runSync(t.Context(), []string{"--progress", "none", "--full", "--force"}, &narrowed, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var after status
	callJSON(t, cli, "index_status", nil, &after)
	if !after.Indexed || after.Documents >= before.Documents || len(after.Projects) != 1 || after.Projects[0].Key != "WEB" {
		t.Errorf("serve after the rebuild: %+v; before: %d documents in %d projects; want only WEB", after, before.Documents, len(before.Projects))
	}
	a = semanticAnswer{}
	callJSON(t, cli, "semantic_search", map[string]any{"query": "on-call pager", "projects": []string{"OPS"}}, &a)
	for i, o := range a.origins() {
		if o == "index" && slices.ContainsFunc(a.Results[i], func(c string) bool { return strings.Contains(c, "OPS-") }) {
			t.Errorf("serve still answers from the replaced index: %v", a.Results[i])
		}
	}
}
