package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// The official MCP Go SDK is what many agents and IDE extensions are built
// on. These tests connect its client to atlasbridge serve exactly as such a
// client would, in the protocol it prefers (server/discover, 2026-07-28) and
// in the one it falls back to (initialize, 2025-11-25, what the TypeScript
// SDK and the Inspector speak), over stdio with the built binary and over
// streamable HTTP behind a bearer token.

// sdkGenerations are the protocol versions asked for and expected.
var sdkGenerations = []struct{ ask, want string }{
	{"", "2026-07-28"}, // the SDK's default: server/discover first
	{"2025-11-25", "2025-11-25"},
}

func TestOfficialGoSDKStdio(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 20, Seed: 3})
	bin := builtBinary(t)
	env := binEnv(t, faultEnv(t, srv.URL, "admin-token"))
	for _, g := range sdkGenerations {
		t.Run(g.want, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "serve")
			cmd.Env = env
			var stderr lockedBuffer
			cmd.Stderr = &stderr
			cs := sdkConnect(t, ctx, &sdk.CommandTransport{Command: cmd}, g.ask)
			checkSDKSession(t, ctx, cs, g.want)
			if err := cs.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			if strings.Contains(stderr.String(), "admin-token") {
				t.Errorf("the token reached the log:\n%s", stderr.String())
			}
		})
	}
}

func TestOfficialGoSDKHTTP(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 20, Seed: 3})
	url := serveHTTPWithToken(t, srv.URL, "client-secret-0123456")

	t.Run("no token", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cs, err := sdk.NewClient(&sdk.Implementation{Name: "sdk-interop", Version: "1"}, nil).
			Connect(ctx, &sdk.StreamableClientTransport{Endpoint: url}, nil)
		if err == nil {
			cs.Close()
			t.Fatal("connected without the bearer token")
		}
	})
	for _, g := range sdkGenerations {
		t.Run(g.want, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			hc := &http.Client{Transport: bearer{"client-secret-0123456", http.DefaultTransport}}
			cs := sdkConnect(t, ctx, &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: hc}, g.ask)
			checkSDKSession(t, ctx, cs, g.want)
			if err := cs.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
}

// serveHTTPWithToken runs serve --http against the simulator at base, with
// token as the bearer token its clients must send, and returns the MCP URL;
// serve stops when the test ends.
func serveHTTPWithToken(t *testing.T, base, token string) string {
	t.Helper()
	url, _ := runServeHTTP(t, faultConfig(t, faultEnv(t, base, "admin-token", "ATLASBRIDGE_HTTP_TOKEN", token, "ATLASBRIDGE_LOG_LEVEL", "info")))
	return url
}

// bearer adds an Authorization header to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// sdkConnect connects the SDK's client over tr, asking for protocol version
// ask ("" for the SDK's default).
func sdkConnect(t *testing.T, ctx context.Context, tr sdk.Transport, ask string) *sdk.ClientSession {
	t.Helper()
	var opts *sdk.ClientSessionOptions
	if ask != "" {
		opts = &sdk.ClientSessionOptions{ProtocolVersion: ask}
	}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "sdk-interop", Version: "1"}, nil).Connect(ctx, tr, opts)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return cs
}

// checkSDKSession checks, through the SDK, what a client relies on: the
// negotiated version, tools that all say whether they are read-only or
// destructive, a read that succeeds, and a bad query that comes back as a
// tool error carrying Jira's own words.
func checkSDKSession(t *testing.T, ctx context.Context, cs *sdk.ClientSession, want string) {
	t.Helper()
	init := cs.InitializeResult()
	if init == nil || init.ProtocolVersion != want {
		t.Fatalf("negotiated %+v, want protocol %s", init, want)
	}
	if init.ServerInfo == nil || init.ServerInfo.Name != "atlasbridge" {
		t.Errorf("server info %+v, want atlasbridge", init.ServerInfo)
	}
	names := map[string]bool{}
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatalf("list tools: %v", err)
		}
		names[tool.Name] = true
		a := tool.Annotations
		if a == nil || (!a.ReadOnlyHint && a.DestructiveHint == nil) {
			t.Errorf("%s: annotations %+v say neither read-only nor destructive", tool.Name, a)
		}
	}
	for _, n := range []string{"jira_get_issue", "jira_search_issues", "confluence_search_pages", "semantic_search"} {
		if !names[n] {
			t.Errorf("tool %s not listed (%d tools)", n, len(names))
		}
	}

	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "jira_get_issue", Arguments: map[string]any{"issue_key": "OPS-1"}})
	if err != nil {
		t.Fatalf("jira_get_issue: %v", err)
	}
	text := sdkText(res)
	var issue struct {
		Key, Summary string
	}
	if res.IsError || json.Unmarshal([]byte(text), &issue) != nil || issue.Key != "OPS-1" || issue.Summary == "" {
		t.Errorf("jira_get_issue OPS-1: isError=%v %.300s", res.IsError, text)
	}

	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "jira_search_issues", Arguments: map[string]any{"jql": "project = OPS AND status = = Open"}})
	if err != nil {
		t.Fatalf("jira_search_issues: %v (a bad query must be a tool error, not a protocol error)", err)
	}
	if text := sdkText(res); !res.IsError || !strings.Contains(text, "Error in the JQL Query") {
		t.Errorf("bad JQL: isError=%v %.300s", res.IsError, text)
	}
}

// sdkText joins the text content of a tool result.
func sdkText(res *sdk.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}
