package search

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestHelperProcessWriter is not a test: TestAnotherProcess runs the test
// binary with ATLASBRIDGE_HELPER_DIR set to make it a writer in a process
// of its own. It upserts the sample documents, says "ready", and holds the
// lock until its stdin closes.
func TestHelperProcessWriter(t *testing.T) {
	dir := os.Getenv("ATLASBRIDGE_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	ctx := context.Background()
	x, err := Open(ctx, dir, Options{Embedder: newHashEmbedder()})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ready\n")
	bufio.NewReader(os.Stdin).ReadString('\n')
}

func TestAnotherProcess(t *testing.T) {
	if os.Getenv("ATLASBRIDGE_HELPER_DIR") != "" {
		t.Skip("inside the helper")
	}
	ctx := context.Background()
	dir := t.TempDir()
	// The reader starts on an empty index, as serve would before a sync.
	w := openWriter(t, dir, newHashEmbedder())
	w.Close()
	r := openReader(t, dir, newHashEmbedder())
	if rs, err := r.Search(ctx, Query{Text: "certificates"}); err != nil || len(rs) != 0 {
		t.Fatalf("before the sync: %v, %v", ids(rs), err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessWriter$")
	cmd.Env = append(os.Environ(), "ATLASBRIDGE_HELPER_DIR="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // on failure: let the helper go, and reap it
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper said %q, %v", line, err)
	}

	// While the helper holds the lock, a second writer is refused with its pid.
	_, err = Open(ctx, dir, Options{Embedder: newHashEmbedder()})
	var le *LockedError
	if !errors.As(err, &le) || le.PID != strconv.Itoa(cmd.Process.Pid) {
		t.Fatalf("writer while the helper runs: %v (helper pid %d)", err, cmd.Process.Pid)
	}
	// The reader sees the helper's commit without reopening.
	rs, err := r.Search(ctx, Query{Text: "rotate certificates", K: 1})
	if err != nil || len(rs) != 1 || rs[0].DocID != "confluence:200" {
		t.Fatalf("after the other process's sync: %v, %v", ids(rs), err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	// Its lock died with it.
	x, err := Open(ctx, dir, Options{Embedder: newHashEmbedder()})
	if err != nil {
		t.Fatalf("writer after the helper exited: %v", err)
	}
	x.Close()
}

// TestHelperProcessSyncForever is not a test: TestKilledSync runs it as a
// writer that upserts batches of 50 documents until it is killed.
func TestHelperProcessSyncForever(t *testing.T) {
	dir := os.Getenv("ATLASBRIDGE_HELPER_SYNC_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	ctx := context.Background()
	x, err := Open(ctx, dir, Options{Embedder: newHashEmbedder()})
	if err != nil {
		t.Fatal(err)
	}
	corpus := newSynthCorpus(11)
	for from := 0; ; from += 50 {
		if _, err := x.Upsert(ctx, corpus.docs(from, 50)); err != nil {
			t.Fatal(err)
		}
		if from == 100 {
			os.Stdout.WriteString("ready\n")
		}
	}
}

func TestKilledSync(t *testing.T) {
	if os.Getenv("ATLASBRIDGE_HELPER_SYNC_DIR") != "" {
		t.Skip("inside the helper")
	}
	ctx := context.Background()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessSyncForever$")
	cmd.Env = append(os.Environ(), "ATLASBRIDGE_HELPER_SYNC_DIR="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	// Killed in the middle of some batch: its transaction must vanish whole.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// serve first: a reader recovers the WAL the dead writer left.
	r, err := Open(ctx, dir, Options{Embedder: newHashEmbedder(), ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open after a killed sync: %v", err)
	}
	if rs, err := r.Search(ctx, Query{Text: "agent", K: 3}); err != nil || len(rs) == 0 {
		t.Fatalf("reader search after the kill: %v, %v", ids(rs), err)
	}
	r.Close()
	x, err := Open(ctx, dir, Options{Embedder: newHashEmbedder()})
	if err != nil {
		t.Fatalf("reopen after a killed sync: %v", err)
	}
	defer x.Close()
	st, err := x.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Documents < 150 || st.Documents%50 != 0 || st.Chunks != 5*st.Documents {
		t.Fatalf("after the kill: %d documents, %d chunks; want whole batches of 50 with 5 chunks each", st.Documents, st.Chunks)
	}
	if rs, err := x.Search(ctx, Query{Text: "agent", K: 3}); err != nil || len(rs) == 0 {
		t.Fatalf("search after the kill: %v, %v", ids(rs), err)
	}
}
