package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// tsClientDir holds the official MCP TypeScript SDK client script and its
// pinned package; `npm ci --prefix testdata/interop/ts` installs it
// (.ci/run does so when npm is there).
var tsClientDir = filepath.Join("..", "..", "testdata", "interop", "ts")

// tsInterop is what client.mjs prints.
type tsInterop struct {
	Protocol string `json:"protocol"`
	Server   string `json:"server"`
	Tools    []struct {
		Name        string `json:"name"`
		Annotations *struct {
			ReadOnly    *bool `json:"readOnlyHint"`
			Destructive *bool `json:"destructiveHint"`
		} `json:"annotations"`
	} `json:"tools"`
	Issue struct {
		IsError bool
		Text    string
	} `json:"issue"`
	BadJQL struct {
		IsError bool
		Text    string
	} `json:"badJQL"`
	Error string `json:"error"`
}

// TestOfficialTypeScriptSDK connects the official TypeScript SDK's client
// (what Claude Desktop, Cursor, VS Code and the Inspector are built on) to
// serve over stdio with the built binary and over streamable HTTP with a
// bearer token. It needs Node.js and the installed package, and says how to
// get them when they are missing.
func TestOfficialTypeScriptSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (apt-get install nodejs npm, then npm ci --prefix testdata/interop/ts)")
	}
	if _, err := os.Stat(filepath.Join(tsClientDir, "node_modules", "@modelcontextprotocol", "sdk", "package.json")); err != nil {
		t.Skip("the TypeScript SDK is not installed: npm ci --prefix testdata/interop/ts")
	}
	script, err := filepath.Abs(filepath.Join(tsClientDir, "client.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 20, Seed: 3})
	runNode := func(t *testing.T, env []string, args ...string) tsInterop {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
		cmd.Env = env
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("node client.mjs %s: %v\n%s", args[0], err, stderr.String())
		}
		if strings.Contains(stderr.String(), "admin-token") {
			t.Errorf("the token reached the log:\n%s", stderr.String())
		}
		var res tsInterop
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("client.mjs printed %q: %v", out, err)
		}
		return res
	}

	t.Run("stdio", func(t *testing.T) {
		bin := builtBinary(t)
		checkTSInterop(t, runNode(t, binEnv(t, faultEnv(t, srv.URL, "admin-token")), "stdio", bin))
	})
	t.Run("http", func(t *testing.T) {
		url := serveHTTPWithToken(t, srv.URL, "client-secret-0123456")
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		checkTSInterop(t, runNode(t, env, "http", url, "client-secret-0123456"))
		if res := runNode(t, env, "http", url, "wrong"); res.Error == "" {
			t.Errorf("connected with a wrong bearer token: %+v", res)
		}
	})
}

func checkTSInterop(t *testing.T, res tsInterop) {
	t.Helper()
	if res.Error != "" {
		t.Fatalf("the client failed: %s", res.Error)
	}
	if res.Protocol != "2025-11-25" || res.Server != "atlasbridge" {
		t.Errorf("negotiated %q with %q, want 2025-11-25 with atlasbridge", res.Protocol, res.Server)
	}
	if len(res.Tools) < 20 {
		t.Errorf("%d tools listed", len(res.Tools))
	}
	for _, tool := range res.Tools {
		a := tool.Annotations
		if a == nil || a.ReadOnly == nil || (!*a.ReadOnly && a.Destructive == nil) {
			t.Errorf("%s: annotations %+v say neither read-only nor destructive", tool.Name, a)
		}
	}
	var issue struct{ Key, Summary string }
	if res.Issue.IsError || json.Unmarshal([]byte(res.Issue.Text), &issue) != nil || issue.Key != "OPS-1" || issue.Summary == "" {
		t.Errorf("jira_get_issue OPS-1: %+v", res.Issue)
	}
	if !res.BadJQL.IsError || !strings.Contains(res.BadJQL.Text, "Error in the JQL Query") {
		t.Errorf("bad JQL: %+v", res.BadJQL)
	}
}
