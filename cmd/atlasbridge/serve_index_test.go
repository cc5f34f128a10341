package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

// startServe starts runServe over HTTP with cfg and returns a connected
// client; the server stops at the end of the test.
func startServe(t *testing.T, cfg *config, args ...string) *client.Client {
	t.Helper()
	ctx := context.Background()
	url, _ := runServeHTTP(t, cfg, args...)
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + cfg.HTTPToken}))
	if err != nil {
		t.Fatal(err)
	}
	cli := client.NewClient(tr)
	if err := cli.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	if _, err := cli.Initialize(ctx, mcpgo.InitializeRequest{}); err != nil {
		t.Fatal(err)
	}
	return cli
}

// callJSON calls a tool that must succeed and decodes its answer.
func callJSON(t *testing.T, cli *client.Client, name string, args map[string]any, v any) {
	t.Helper()
	var req mcpgo.CallToolRequest
	req.Params.Name, req.Params.Arguments = name, args
	res, err := cli.CallTool(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	text := res.Content[0].(mcpgo.TextContent).Text
	if res.IsError {
		t.Fatalf("%s: error result %s", name, text)
	}
	if err := json.Unmarshal([]byte(text), v); err != nil {
		t.Fatalf("%s: %v: %s", name, err, text)
	}
}

// semanticAnswer is what these tests read of a semantic answer: a table
// whose hits' origin is given once above it, or per row in a column.
type semanticAnswer struct {
	Of *struct {
		Ref, Origin string
	}
	Origin   string
	Columns  []string
	Results  [][]string
	Fallback string
	Notes    []string
}

// origins returns the origin of each hit.
func (a semanticAnswer) origins() []string {
	j := slices.Index(a.Columns, "origin")
	out := make([]string, len(a.Results))
	for i, r := range a.Results {
		out[i] = a.Origin
		if j >= 0 && j < len(r) {
			out[i] = r[j]
		}
	}
	return out
}

// TestServeIndexWiring: serve answers semantic questions from the servers
// before the first sync, says so, and from the index after it.
func TestServeIndexWiring(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 20, Seed: 3})
	issue := srv.IssueKeys("OPS")[0]
	cfg := simConfig(t, simEnv(srv, "ATLASBRIDGE_DATA_DIR", t.TempDir(), "ATLASBRIDGE_LOG_LEVEL", "info"))
	// In the page's words: "hand over" for its "handover" holds too little
	// of the question for the index to answer alone (search.Confidence),
	// and this test is about the index's wiring.
	const q = "how do we do the on-call pager handover?"

	t.Run("no index yet", func(t *testing.T) {
		cli := startServe(t, cfg, "--read-only")
		var a semanticAnswer
		callJSON(t, cli, "semantic_search", map[string]any{"query": q}, &a)
		if len(a.Notes) == 0 || a.Notes[0] != "no index yet: run atlasbridge sync" || a.Fallback == "" || len(a.Results) == 0 {
			t.Fatalf("%+v", a)
		}
		for i, o := range a.origins() {
			if o != "live" {
				t.Errorf("hit %v: origin %q", a.Results[i], o)
			}
		}
		var st struct {
			Indexed bool
			Note    string
		}
		callJSON(t, cli, "index_status", nil, &st)
		if st.Indexed || !strings.Contains(st.Note, "run atlasbridge sync") {
			t.Errorf("index_status %+v", st)
		}
	})

	var out, errb strings.Builder
	if err := runSync(t.Context(), []string{"--progress", "none"}, cfg, nil, &out, &errb); err != nil {
		t.Fatalf("sync: %v\n%s", err, errb.String())
	}

	t.Run("synced", func(t *testing.T) {
		cli := startServe(t, cfg)
		var a semanticAnswer
		callJSON(t, cli, "semantic_search", map[string]any{"query": q}, &a)
		if a.Fallback != "" || len(a.Notes) != 0 || len(a.Results) != 10 {
			t.Fatalf("%+v", a)
		}
		for i, o := range a.origins() {
			if o != "index" {
				t.Errorf("hit %v: origin %q", a.Results[i], o)
			}
		}
		a = semanticAnswer{}
		callJSON(t, cli, "find_similar_issues", map[string]any{"issue_key": issue}, &a)
		if a.Of == nil || a.Of.Ref != issue || a.Of.Origin != "index" || len(a.Results) == 0 {
			t.Fatalf("%+v", a)
		}
		var st struct {
			Indexed   bool
			Documents int
			Projects  []struct{ Key string }
		}
		callJSON(t, cli, "index_status", nil, &st)
		if !st.Indexed || st.Documents == 0 || len(st.Projects) == 0 {
			t.Errorf("index_status %+v", st)
		}
	})
}

// TestOpenSearcher: with no product configured, an index alone is served;
// without either there is nothing to search.
func TestOpenSearcher(t *testing.T) {
	cfg := simConfig(t, map[string]string{"ATLASBRIDGE_DATA_DIR": t.TempDir()})
	log := cfg.logger(io.Discard)
	if s := testSearcher(t, t.Context(), cfg, nil, nil, log); s != nil {
		t.Fatalf("no product and no index: %v", s)
	}
	err := runServe(t.Context(), nil, cfg, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nothing to serve") {
		t.Fatalf("serve with nothing to serve: %v", err)
	}
}

// testSearcher is openSearcher for a test: its background load is stopped
// and the Searcher closed when the test ends.
func testSearcher(t testing.TB, ctx context.Context, cfg *config, conf *atlassian.Confluence, jira *atlassian.Jira, log *slog.Logger) *retrieve.Searcher {
	t.Helper()
	s, stop := openSearcher(ctx, cfg, conf, jira, log)
	t.Cleanup(func() {
		stop()
		if s != nil {
			s.Close()
		}
	})
	return s
}

// TestPreloadStop: serve's shutdown stops the background index load and
// waits for it before the Searcher closes the index (closed under a load,
// the index's store was read after it was gone: a panic in search.getMeta).
func TestPreloadStop(t *testing.T) {
	opening := make(chan struct{})
	release := make(chan struct{})
	s := retrieve.New(retrieve.Options{Open: func(ctx context.Context) (*search.Index, error) {
		close(opening)
		<-ctx.Done() // the load sees the cancellation…
		<-release    // …and is still busy when stop is called
		return nil, ctx.Err()
	}})
	var failed []error
	stop := preload(t.Context(), s, func(err error) { failed = append(failed, err) })
	<-opening
	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("stop returned while the load was still running: Close would run under it")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-stopped
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(failed) > 0 {
		t.Errorf("a cancelled load was reported as a failure: %v", failed)
	}
}
