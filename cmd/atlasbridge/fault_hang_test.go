package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/mcp"
)

// TestFaultServerHangs: Jira accepts connections and never answers. The
// sync gives up on Jira after the per-request timeout (and its retries),
// says which server did not answer and which variable sets the limit, and
// still indexes every Confluence page; the MCP tool answers with a tool
// error in bounded time instead of hanging the IDE.
func TestFaultServerHangs(t *testing.T) {
	srv := newWatchedSim(t, sim.Options{JiraIssues: 10, Seed: 8}, false)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/jira/") {
			return false
		}
		select { // hang until the client gives up (or the test ends)
		case <-r.Context().Done():
		case <-release:
		}
		return true
	})
	cfg := faultConfig(t, faultEnv(t, srv.URL, "admin-token", "ATLASBRIDGE_TIMEOUT_SECONDS", "0.3"))
	ctx := context.Background()

	t0 := time.Now()
	code, out, errs := cliRun(ctx, cfg, "sync", "--progress", "none", "--json")
	took := time.Since(t0)
	if code == 0 {
		t.Errorf("sync with a hanging Jira exited 0:\n%s\n%s", out, errs)
	}
	if took > 30*time.Second {
		t.Errorf("sync took %s against a hanging server with a 0.3 s timeout", took)
	}
	all := out + errs
	for _, want := range []string{"jira", "did not answer", "ATLASBRIDGE_TIMEOUT_SECONDS"} {
		if !strings.Contains(strings.ToLower(all), strings.ToLower(want)) {
			t.Errorf("the sync's report does not say %q:\n%.3000s", want, all)
		}
	}
	counts := readCounts(t, cfg)
	pages := 0
	for id := range counts.docs {
		if strings.HasPrefix(id, "confluence:") {
			pages++
		}
	}
	if want := srv.PageCount("ENG"); pages < want {
		t.Errorf("%d Confluence documents indexed, want at least the %d pages of ENG", pages, want)
	}

	cli := mcpFor(t, cfg, mcp.Options{ReadOnly: true})
	t0 = time.Now()
	text, isErr, err := toolCall(cli, "jira_get_issue", map[string]any{"issue_key": "OPS-1"})
	if err != nil || !isErr || !strings.Contains(strings.ToLower(text), "did not answer") {
		t.Errorf("jira_get_issue against a hanging Jira: err %v, isError %v: %s", err, isErr, text)
	}
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("the tool call took %s", d)
	}
}
