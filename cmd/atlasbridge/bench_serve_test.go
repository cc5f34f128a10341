package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/benchref"
)

// TestBenchServeFirstQuery measures what a user of a fresh `atlasbridge
// serve` (stdio, as an IDE runs it) waits for: the serve process is started
// on the index in ATLASBRIDGE_BENCH_SERVE_INDEX, initialized, and after a
// pause (none: the question comes with the handshake; 2 s: a person typing
// it) asked ten semantic_search questions in a row; it logs the first
// answer's latency and the median of the other nine, three rounds each.
// The servers are unreachable (the live fallback fails fast), so it times
// the index:
//
//	ATLASBRIDGE_BENCH_SERVE_INDEX=/tmp/cold/scale/builtin-100000-0 go test ./cmd/atlasbridge -run BenchServeFirstQuery -v
func TestBenchServeFirstQuery(t *testing.T) {
	dir := os.Getenv("ATLASBRIDGE_BENCH_SERVE_INDEX")
	if dir == "" {
		t.Skip("set ATLASBRIDGE_BENCH_SERVE_INDEX to an index directory to measure")
	}
	bin := builtBinary(t)
	env := binEnv(t, map[string]string{
		"ATLASBRIDGE_DATA_DIR":      dir,
		"CONFLUENCE_BASE_URL":       "http://127.0.0.1:9",
		"JIRA_BASE_URL":             "http://127.0.0.1:9",
		"CONFLUENCE_PERSONAL_TOKEN": "unused-token",
		"JIRA_PERSONAL_TOKEN":       "unused-token",
	})
	questions := []string{"kaka tori", "mo lu sen", "pa ka lu", "tori mo", "sen pa", "lu kaka", "ka sen tori", "mo mo lu", "pa tori", "kaka sen"}
	ref := benchref.Measure(5) // the figures as ratios: a slower machine or a slower program
	for _, pause := range []time.Duration{0, 2 * time.Second} {
		for round := range 3 {
			first, rest := serveQuestions(t, bin, env, pause, questions)
			load, _ := os.ReadFile("/proc/loadavg")
			med := rest[len(rest)/2]
			t.Logf("pause %v, round %d, load %s: first answer %v (%s), median of the next %d %v (%s)", pause, round+1,
				strings.Fields(string(load) + " ?")[0], first.Round(time.Millisecond), benchref.Ratio(first, ref),
				len(rest), med.Round(100*time.Microsecond), benchref.Ratio(med, ref))
		}
	}
}

// serveQuestions runs one serve process through the handshake, the pause
// and the questions, and returns the first answer's latency and the
// others', sorted.
func serveQuestions(t *testing.T, bin string, env []string, pause time.Duration, questions []string) (time.Duration, []time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env, cmd.Dir, cmd.Stderr = env, t.TempDir(), io.Discard
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
	defer cmd.Wait()
	defer stdin.Close()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 4<<20)
	call := func(id int, method, params string) {
		t.Helper()
		fmt.Fprintf(stdin, `{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`+"\n", id, method, params)
		for sc.Scan() {
			var m struct {
				ID    *int            `json:"id"`
				Error json.RawMessage `json:"error"`
			}
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.ID != nil && *m.ID == id {
				if m.Error != nil {
					t.Fatalf("%s: %s", method, m.Error)
				}
				return
			}
		}
		t.Fatalf("%s: serve closed its output: %v", method, sc.Err())
	}
	call(1, "initialize", `{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}`)
	fmt.Fprintln(stdin, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	time.Sleep(pause)
	var lat []time.Duration
	for i, q := range questions {
		start := time.Now()
		call(10+i, "tools/call", fmt.Sprintf(`{"name":"semantic_search","arguments":{"query":%q}}`, q))
		lat = append(lat, time.Since(start))
	}
	rest := slices.Clone(lat[1:])
	slices.Sort(rest)
	return lat[0], rest
}
