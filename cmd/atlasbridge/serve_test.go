package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/mcp"
)

// simEnv is the environment of a serve run against the simulator.
func simEnv(srv *atlassiantest.Server, extra ...string) map[string]string {
	env := map[string]string{
		"CONFLUENCE_BASE_URL":   srv.ConfluenceURL(),
		"CONFLUENCE_USERNAME":   "admin",
		"CONFLUENCE_API_TOKEN":  "admin",
		"JIRA_BASE_URL":         srv.JiraURL(),
		"JIRA_PERSONAL_TOKEN":   "admin-token",
		"ATLASBRIDGE_LOG_LEVEL": "debug",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

func simConfig(t *testing.T, env map[string]string) *config {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return env[k] }, filepath.Join(t.TempDir(), "none.env"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once,
// which tells waitFor when it grows.
type lockedBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed == nil {
		l.changed = make(chan struct{}, 1)
	}
	select {
	case l.changed <- struct{}{}:
	default:
	}
	return l.b.Write(p)
}

// waitFor waits until the buffer holds a match of re, serve returns
// (done), or timeout passes; it returns the first submatch (or the match).
func (l *lockedBuffer) waitFor(t *testing.T, re *regexp.Regexp, done <-chan error, timeout time.Duration) string {
	t.Helper()
	l.mu.Lock()
	if l.changed == nil {
		l.changed = make(chan struct{}, 1)
	}
	changed := l.changed
	l.mu.Unlock()
	expire := time.After(timeout)
	for {
		if m := re.FindStringSubmatch(l.String()); m != nil {
			return m[len(m)-1]
		}
		select {
		case <-changed:
		case err := <-done:
			t.Fatalf("serve ended (%v) before logging %q:\n%s", err, re, l.String())
		case <-expire:
			t.Fatalf("no %q logged within %s:\n%s", re, timeout, l.String())
		}
	}
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestCheckBind(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		remote bool
		err    string
	}{
		{"127.0.0.1:8080", false, ""},
		{"localhost:8080", false, ""},
		{"[::1]:8080", false, ""},
		{"127.0.0.2:0", false, ""},
		{":8080", false, "other machines"},
		{"0.0.0.0:8080", false, "--allow-remote"},
		{"192.168.1.5:8080", false, "ATLASBRIDGE_HTTP_TOKEN"},
		{"wiki.example.com:8080", false, "other machines"},
		{"0.0.0.0:8080", true, ""},
		{"8080", false, "want HOST:PORT"},
	} {
		err := checkBind(tc.addr, tc.remote)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("checkBind(%q, %v) = %v, want %q", tc.addr, tc.remote, err, tc.err)
		}
	}
}

func TestServeRefusesBadFlags(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 1})
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"remote bind", []string{"--http", "0.0.0.0:0"}, simEnv(srv), "--allow-remote"},
		{"unknown tool", []string{"--tools", "jira_nope"}, simEnv(srv), `unknown tool "jira_nope"`},
		{"write tool read-only", []string{"--read-only", "--tools", "jira_add_comment"}, simEnv(srv), "read-only"},
		{"bad schedule", []string{"--sync-schedule", "every tuesday"}, simEnv(srv), "--sync-schedule"},
		{"argument", []string{"extra"}, simEnv(srv), "unexpected argument"},
		{"nothing configured", nil, map[string]string{}, "set CONFLUENCE_BASE_URL or JIRA_BASE_URL"},
		{"remote without a token", []string{"--http", "0.0.0.0:0", "--allow-remote"}, simEnv(srv), "--allow-remote needs a bearer token"},
		{"loopback remote without a token", []string{"--http", "127.0.0.1:0", "--allow-remote"}, simEnv(srv), "--allow-remote needs a bearer token"},
		{"short token", []string{"--http", "127.0.0.1:0"}, simEnv(srv, "ATLASBRIDGE_HTTP_TOKEN", "fifteen-chars-x"), "shorter than 16"},
		{"short token flag", []string{"--http", "127.0.0.1:0", "--auth-token", "abc"}, simEnv(srv), "shorter than 16"},
		{"cert without key", []string{"--http", "127.0.0.1:0", "--tls-cert", "c.pem"}, simEnv(srv, "ATLASBRIDGE_HTTP_TOKEN", testHTTPToken), "go together"},
		{"missing cert", []string{"--http", "127.0.0.1:0", "--tls-cert", "nope.pem", "--tls-key", "nope.key"}, simEnv(srv, "ATLASBRIDGE_HTTP_TOKEN", testHTTPToken), "--tls-cert/--tls-key"},
		{"bad origin", []string{"--http", "127.0.0.1:0", "--allowed-origins", "example.com"}, simEnv(srv, "ATLASBRIDGE_HTTP_TOKEN", testHTTPToken), "--allowed-origins"},
		{"user credentials on stdio", []string{"--require-user-credentials"}, simEnv(srv), "go with --http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := runServe(context.Background(), tc.args, simConfig(t, tc.env), strings.NewReader(""), io.Discard, &stderr)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != 2 || ee.err == nil || !strings.Contains(ee.err.Error(), tc.want) {
				t.Fatalf("err = %v, want exit 2 with %q", err, tc.want)
			}
		})
	}
}

// TestServeHTTP runs serve --http on a free loopback port and talks to it
// over streamable HTTP with the bearer token from ATLASBRIDGE_HTTP_TOKEN.
func TestServeHTTP(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 3})
	cfg := simConfig(t, simEnv(srv, "ATLASBRIDGE_HTTP_TOKEN", "tok-123-long-enough", "ATLASBRIDGE_READ_ONLY", "true"))
	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--http", "127.0.0.1:0", "--toolsets", "all"}, cfg, strings.NewReader(""), io.Discard, &stderr)
	}()
	url := stderr.waitFor(t, regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/mcp)`), done, 10*time.Second)
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer tok-123-long-enough"}))
	if err != nil {
		t.Fatal(err)
	}
	cli := client.NewClient(tr)
	if err := cli.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Initialize(ctx, mcpgo.InitializeRequest{}); err != nil {
		t.Fatal(err)
	}
	res, err := cli.ListTools(ctx, mcpgo.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, tool := range mcp.Catalog() {
		if *tool.Annotations.ReadOnlyHint {
			want++
		}
	}
	if len(res.Tools) != want {
		t.Errorf("%d tools listed, want the %d read tools", len(res.Tools), want)
	}
	for _, tool := range res.Tools {
		if !*tool.Annotations.ReadOnlyHint {
			t.Errorf("%s listed, and it writes", tool.Name)
		}
	}
	cli.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop when its context ended")
	}
	if strings.Contains(stderr.String(), "tok-123") || strings.Contains(stderr.String(), "admin-token") {
		t.Errorf("a token reached the log:\n%s", stderr.String())
	}
}

// testHTTPToken is the bearer token of runServeHTTP when cfg has none.
const testHTTPToken = "test-http-token-0123456789"

// runServeHTTP runs serve --http on a free loopback port with cfg and args
// and returns its MCP URL and its log; at the end of the test it stops
// serve, which must end within 10 s and without an error, and fails the
// test if the simulator's token reached the log.
func runServeHTTP(t *testing.T, cfg *config, args ...string) (string, *lockedBuffer) {
	t.Helper()
	if cfg.HTTPToken == "" {
		cfg.HTTPToken = testHTTPToken
	}
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, append([]string{"--http", "127.0.0.1:0"}, args...), cfg, strings.NewReader(""), io.Discard, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve ended with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("serve did not stop")
		}
		if strings.Contains(stderr.String(), "admin-token") {
			t.Errorf("a token was logged:\n%s", stderr.String())
		}
	})
	return stderr.waitFor(t, regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/mcp)`), done, 20*time.Second), stderr
}

// TestServeStdioBinary starts the built binary as an IDE does and talks to
// it over stdio in both protocol generations; then it checks, byte by byte,
// that stdout carries nothing but JSON-RPC and that no secret is logged.
func TestServeStdioBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := builtBinary(t)
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 3})
	issue, err := srv.AddIssue(sim.Issue{Project: "OPS", Summary: "Pager storm"})
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range simEnv(srv) {
		env = append(env, k+"="+v)
	}
	dir := t.TempDir() // no .env there
	for _, pin := range []string{"", mcpgo.ProtocolVersion20251125} {
		t.Run("protocol "+pin, func(t *testing.T) {
			var stderr lockedBuffer
			tr := transport.NewStdioWithOptions(bin, nil, []string{"serve", "--toolsets", "all"},
				transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
					cmd := exec.CommandContext(ctx, command, args...)
					cmd.Env, cmd.Dir = env, dir
					return cmd, nil
				}),
				transport.WithCommandStderrWriter(&stderr))
			var opts []client.ClientOption
			if pin != "" {
				opts = append(opts, client.WithProtocolVersion(pin))
			}
			cli := client.NewClient(tr, opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := cli.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			var init mcpgo.InitializeRequest
			init.Params.ClientInfo = mcpgo.Implementation{Name: "ide", Version: "1"}
			if _, err := cli.Initialize(ctx, init); err != nil {
				t.Fatalf("initialize: %v\nstderr:\n%s", err, stderr.String())
			}
			want := pin
			if want == "" {
				want = mcpgo.ProtocolVersion20260728
			}
			if cli.ProtocolVersion() != want {
				t.Errorf("negotiated %s, want %s", cli.ProtocolVersion(), want)
			}
			res, err := cli.ListTools(ctx, mcpgo.ListToolsRequest{})
			if err != nil || len(res.Tools) != len(mcp.Catalog()) {
				t.Fatalf("tools/list: %v, %d tools, want all %d", err, len(res.Tools), len(mcp.Catalog()))
			}
			var req mcpgo.CallToolRequest
			req.Params.Name = "jira_get_issue"
			req.Params.Arguments = map[string]any{"issue_key": issue.Key}
			out, err := cli.CallTool(ctx, req)
			if err != nil || out.IsError || !strings.Contains(out.Content[0].(mcpgo.TextContent).Text, `"key":"`+issue.Key+`"`) {
				t.Fatalf("tools/call: %v %+v", err, out)
			}
			req.Params.Arguments = map[string]any{"issue_key": "OPS-999999"}
			if out, err = cli.CallTool(ctx, req); err != nil || !out.IsError {
				t.Fatalf("tools/call of a missing issue: %v %+v", err, out)
			}
			cli.Close()
			if log := stderr.String(); strings.Contains(log, "admin-token") || !strings.Contains(log, "serving MCP over stdio") {
				t.Errorf("stderr must log the start and no token:\n%s", log)
			}
		})
	}

	t.Run("stdout is protocol only", func(t *testing.T) {
		cmd := exec.Command(bin, "serve")
		cmd.Env, cmd.Dir = env, dir
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Wait()
		defer stdin.Close()
		io.WriteString(stdin, strings.Join([]string{
			`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`,
			`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
			`not json at all`,
			`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"confluence_get_spaces","arguments":{}}}`,
		}, "\n")+"\n")
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		timeout := time.After(20 * time.Second)
		for answered := false; !answered; {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("stdout ended before the answer to the call; stderr:\n%s", stderr.String())
				}
				var msg struct {
					JSONRPC string          `json:"jsonrpc"`
					ID      any             `json:"id"`
					Result  json.RawMessage `json:"result"`
				}
				if err := json.Unmarshal([]byte(line), &msg); err != nil || msg.JSONRPC != "2.0" {
					t.Fatalf("stdout line is not JSON-RPC: %q", line)
				}
				if msg.ID == 2.0 {
					answered = true
					if !strings.Contains(string(msg.Result), `\"key\":\"ENG\"`) {
						t.Errorf("no spaces in the answer: %s", line)
					}
				}
			case <-timeout:
				t.Fatalf("no answer within 20s; stderr:\n%s", stderr.String())
			}
		}
	})
}

// TestServeWithSyncSchedule serves while the index syncs in the
// background: the first sync runs at once and fills the data directory.
func TestServeWithSyncSchedule(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 10})
	dataDir := t.TempDir()
	cfg := simConfig(t, simEnv(srv, "ATLASBRIDGE_DATA_DIR", dataDir))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--http", "127.0.0.1:0", "--sync-schedule", "@every 1h"}, cfg, strings.NewReader(""), io.Discard, &stderr)
	}()
	stderr.waitFor(t, regexp.MustCompile("background sync done"), done, 45*time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve ended with %v", err)
	}
	entries, err := os.ReadDir(dataDir)
	if err != nil || len(entries) == 0 {
		t.Errorf("the sync wrote nothing to %s: %v", dataDir, err)
	}
}

// TestServeRemoteWarns binds every interface with --allow-remote and a
// token: serve starts, and says loudly what that exposes.
func TestServeRemoteWarns(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan error, 1)
	cfg := simConfig(t, simEnv(srv, "ATLASBRIDGE_HTTP_TOKEN", testHTTPToken))
	go func() {
		done <- runServe(ctx, []string{"--http", "0.0.0.0:0", "--allow-remote"}, cfg, strings.NewReader(""), io.Discard, &stderr)
	}()
	stderr.waitFor(t, regexp.MustCompile("serving MCP over streamable HTTP"), done, 10*time.Second)
	if want := "level=WARN msg=\"MCP HTTP server reachable from other machines\""; !strings.Contains(stderr.String(), want) {
		t.Errorf("no warning %q:\n%s", want, stderr.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve ended with %v", err)
	}
}
