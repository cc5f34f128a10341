package atlassiantest

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StartProcess builds cmd/atlassim and runs it as a process of its own on a
// free loopback port, with args (atlassim's flags, --addr excepted), so that
// its memory and CPU are not counted as the test's. It returns the base URL
// (Confluence under /confluence, Jira under /jira) once the simulator says
// it is ready, waiting as long as a large generated data set takes, and kills
// it when the test ends. The test must run inside the module.
func StartProcess(t testing.TB, args ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "atlassim")
	build := exec.Command("go", "build", "-o", bin, "github.com/atlasbridge/atlasbridge/cmd/atlassim")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build atlassim: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, append([]string{"--addr", addr}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		ok := false
		for sc.Scan() {
			if !ok && strings.HasPrefix(sc.Text(), "jira:") { // the last line atlassim prints when ready
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("atlassim exited before it was ready")
		}
	case <-time.After(20 * time.Minute):
		t.Fatal("atlassim did not start within 20 minutes")
	}
	return "http://" + addr
}
