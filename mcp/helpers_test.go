package mcp

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// fixture is a simulator, clients for it, and an MCP server over them.
type fixture struct {
	sim  *atlassiantest.Server
	conf *atlassian.Confluence
	jira *atlassian.Jira
	srv  *Server
	cli  *client.Client
}

// clients returns real clients for the simulator, logged in as user.
func clients(t testing.TB, sim *atlassiantest.Server, user string) (*atlassian.Confluence, *atlassian.Jira) {
	t.Helper()
	opts := atlassian.Options{Username: user, Password: user, MaxRetries: -1}
	conf, err := atlassian.NewConfluence(sim.ConfluenceURL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	jira, err := atlassian.NewJira(sim.JiraURL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return conf, jira
}

// newFixture starts a simulator and an MCP server with both products
// configured (adjust lets a test change the options), connected to an
// in-process client speaking protocol version proto ("" for the newest).
func newFixture(t testing.TB, proto string, adjust func(*Options)) *fixture {
	t.Helper()
	simSrv := atlassiantest.NewServer(t, sim.Options{Seed: 1, JiraIssues: 60})
	conf, jira := clients(t, simSrv, "admin")
	opts := Options{Confluence: conf, Jira: jira, Version: "test"}
	if adjust != nil {
		adjust(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sim: simSrv, conf: conf, jira: jira, srv: srv, cli: connect(t, srv, proto)}
}

// connect starts an in-process client on srv.
func connect(t testing.TB, srv *Server, proto string) *client.Client {
	t.Helper()
	return connectMCP(t, srv.MCPServer(), proto)
}

// connectMCP starts an in-process client on an mcp-go server.
func connectMCP(t testing.TB, srv *server.MCPServer, proto string) *client.Client {
	t.Helper()
	var copts []client.ClientOption
	if proto != "" {
		copts = append(copts, client.WithProtocolVersion(proto))
	}
	cli, err := client.NewInProcessClientWithOptions(srv, copts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx := context.Background()
	if err := cli.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var init mcpgo.InitializeRequest
	init.Params.ClientInfo = mcpgo.Implementation{Name: "test", Version: "1"}
	if _, err := cli.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return cli
}

// call calls a tool and returns its text and error flag; a protocol error
// fails the test.
func (f *fixture) call(t testing.TB, name string, args map[string]any) (string, bool) {
	t.Helper()
	text, isErr, err := callTool(f.cli, name, args)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return text, isErr
}

func callTool(cli *client.Client, name string, args map[string]any) (string, bool, error) {
	var req mcpgo.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := cli.CallTool(context.Background(), req)
	if err != nil {
		return "", false, err
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcpgo.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), res.IsError, nil
}

// ok calls a tool that must succeed and decodes its JSON answer into v.
func (f *fixture) ok(t testing.TB, name string, args map[string]any, v any) string {
	t.Helper()
	text, isErr := f.call(t, name, args)
	if isErr {
		t.Fatalf("%s(%v): unexpected error result: %s", name, args, text)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(text), v); err != nil {
			t.Fatalf("%s: answer is not JSON: %v\n%s", name, err, text)
		}
	}
	return text
}

// fails calls a tool that must return an error result containing want.
func (f *fixture) fails(t testing.TB, name string, args map[string]any, want string) {
	t.Helper()
	text, isErr := f.call(t, name, args)
	if !isErr {
		t.Fatalf("%s(%v): want an error result, got %s", name, args, text)
	}
	if !strings.Contains(text, want) {
		t.Fatalf("%s(%v): error %q does not contain %q", name, args, text, want)
	}
}

// catalogued counts the catalogue's tools of the given products ("confluence",
// "jira", "index"), only those that read when readOnly: what a selection
// lists by default (no toolset added), reckoned from the catalogue so that
// a new tool changes no test.
func catalogued(readOnly bool, products ...string) int {
	n := 0
	for _, t := range (&Server{}).catalog() {
		if slices.Contains(products, t.product) && !(readOnly && t.write) && t.toolset == "" {
			n++
		}
	}
	return n
}
