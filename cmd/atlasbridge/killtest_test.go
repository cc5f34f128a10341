package main

// kill -9 at random points of a sync: the binary is built, run against a
// slow simulator and killed; a normal sync afterwards must leave exactly
// what a clean full sync leaves.

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// builtBinary builds atlasbridge into a temporary directory (CGO off, as
// released).
func builtBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "atlasbridge")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// binEnv is the process environment of a binary run with env: nothing
// inherited but PATH, and a HOME of its own.
func binEnv(t *testing.T, env map[string]string) []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// binRun runs the binary to the end and returns its exit code and output.
func binRun(t *testing.T, bin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Dir = env, t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// TestKill9DuringSync kills atlasbridge sync with SIGKILL at random points,
// several times in a row, then lets a sync finish: the index then equals a
// clean full sync of the same world, with nothing lost or duplicated, and
// the data directory's lock never outlives its holder.
func TestKill9DuringSync(t *testing.T) {
	t.Parallel() // mostly waits (Retry-After, latency, child processes): overlap it with the others
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	kills, issues := 3, 120
	if longFaults() {
		kills, issues = 12, 600
	}
	bin := builtBinary(t)
	srv := newWatchedSim(t, sim.Options{JiraIssues: issues, Seed: 9, Latency: 15 * time.Millisecond}, false)
	if err := srv.GeneratePages("GEN", issues/2, 9); err != nil {
		t.Fatal(err)
	}

	// The clean sync, in its own data directory, also times a full sync.
	cleanEnv := faultEnv(t, srv.URL, "admin-token")
	began := time.Now()
	if code, out, errs := binRun(t, bin, binEnv(t, cleanEnv), "sync", "--progress", "none"); code != 0 {
		t.Fatalf("clean sync: exit %d\n%s\n%s", code, out, errs)
	}
	full := time.Since(began)
	want := readCounts(t, faultConfig(t, cleanEnv))
	t.Logf("clean sync: %s, %d documents, %d chunks", full.Round(time.Millisecond), len(want.docs), want.total)

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ATLASBRIDGE_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("kill points from seed %d (ATLASBRIDGE_KILL_SEED=%d repeats them)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	env := faultEnv(t, srv.URL, "admin-token")
	procEnv := binEnv(t, env)
	// run starts a sync and kills it after delay; it says whether the kill
	// landed mid-sync.
	run := func(name string, args []string, delay time.Duration) bool {
		cmd := exec.Command(bin, args...)
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
			t.Logf("run %s (%v): finished before the kill at %s (%v)", name, args[1:], delay.Round(time.Millisecond), err)
			if err != nil {
				t.Errorf("run %s: sync after earlier kills failed: %v\n%s", name, err, errb.String())
			}
			return false
		case <-time.After(delay):
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := <-done
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Logf("run %s: exited (%v) before the SIGKILL at %s landed", name, err, delay.Round(time.Millisecond))
			return false
		}
		t.Logf("run %s (%v): killed after %s", name, args[1:], delay.Round(time.Millisecond))
		return true
	}
	killed := 0
	for i := range kills {
		// Anywhere from the start (opening the store) to the end (the last
		// upserts and the watermark), also past it: a later kill point
		// sometimes lands after a finished sync, which must not hurt.
		delay := time.Duration(rng.Int64N(int64(full)*11/10)) + 10*time.Millisecond
		// Once a sync has finished, a plain sync is short: every other run
		// is a full rebuild (Reset, then the whole crawl), killed in turn.
		args := []string{"sync", "--progress", "none"}
		if i%2 == 1 {
			args = append(args, "--full")
		}
		if run(strconv.Itoa(i+1), args, delay) {
			killed++
		}
	}
	// Random points can all fall past the end (a short incremental run, a
	// busy machine): one full rebuild killed a third of the way in makes
	// sure that at least one kill lands mid-sync.
	if killed == 0 && run("extra", []string{"sync", "--progress", "none", "--full"}, full/3) {
		killed++
	}
	if killed == 0 {
		t.Errorf("no run was killed mid-sync: the test proved nothing (full sync takes %s)", full)
	}

	// The lock of a killed writer is gone: a normal sync runs (not exit 4)
	// and completes the index.
	code, out, errs := binRun(t, bin, procEnv, "sync", "--progress", "none")
	if code != 0 {
		t.Fatalf("sync after %d kills: exit %d\n%s\n%s", killed, code, out, errs)
	}
	got := readCounts(t, faultConfig(t, env))
	sameIndex(t, "after kill -9", got, want)
	checkWorld(t, srv.Sim, []string{"ENG", "GEN"}, got)

	// And the index is one a reader opens and searches.
	if code, out, errs := binRun(t, bin, procEnv, "search", "--live", "never", "deploy"); code != 0 || out == "" {
		t.Errorf("search after the kills: exit %d\n%s\n%s", code, out, errs)
	}
}
