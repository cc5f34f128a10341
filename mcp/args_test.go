package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func TestArgSpec(t *testing.T) {
	spec, err := specOf(json.RawMessage(`{"type":"object","properties":{
		"key":{"type":"string"},"n":{"type":"integer"},"tags":{"type":["null","array"],"items":{"type":"string"}},
		"extra":{"type":"object"},"flag":{"type":"boolean"}},"required":["key"],"additionalProperties":false}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   any
		want map[string]any
		err  string
	}{
		{"fine", map[string]any{"key": "A-1", "n": 3.0}, map[string]any{"key": "A-1", "n": 3.0}, ""},
		{"raw json", json.RawMessage(`{"key":"A-1","tags":["x"]}`), map[string]any{"key": "A-1", "tags": []any{"x"}}, ""},
		{"number for string", map[string]any{"key": 123.0}, map[string]any{"key": "123"}, ""},
		{"string for integer", map[string]any{"key": "k", "n": " 7 "}, map[string]any{"key": "k", "n": 7.0}, ""},
		{"string for array", map[string]any{"key": "k", "tags": "one"}, map[string]any{"key": "k", "tags": []any{"one"}}, ""},
		{"string for boolean", map[string]any{"key": "k", "flag": "true"}, map[string]any{"key": "k", "flag": true}, ""},
		{"null is absent", map[string]any{"key": "k", "n": nil}, map[string]any{"key": "k"}, ""},
		{"nil arguments", nil, nil, `missing argument "key"`},
		{"unknown", map[string]any{"key": "k", "kee": 1.0, "a": 1.0}, nil, `unknown argument "a", "kee": this tool takes key (required), n, tags, extra, flag`},
		{"missing", map[string]any{"n": 1.0}, nil, `missing argument "key"`},
		{"fraction", map[string]any{"key": "k", "n": 1.5}, nil, `argument "n" must be an integer, got the number 1.5`},
		{"word for integer", map[string]any{"key": "k", "n": "ten"}, nil, `argument "n" must be an integer, got the string "ten"`},
		{"object for string", map[string]any{"key": map[string]any{}}, nil, `argument "key" must be a string, got an object`},
		{"array of numbers", map[string]any{"key": "k", "tags": []any{1.0}}, nil, `argument "tags" must be an array of strings`},
		{"string for object", map[string]any{"key": "k", "extra": "x"}, nil, `argument "extra" must be an object`},
		{"not an object", []any{1.0}, nil, "arguments must be a JSON object"},
		{"bad raw json", json.RawMessage(`[1]`), nil, "arguments must be a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := spec.normalize(tc.in)
			if tc.err != "" {
				var te *toolError
				if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want a tool error containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v %v, want %v", got, err, tc.want)
			}
		})
	}
}

func TestNextStart(t *testing.T) {
	for _, tc := range []struct{ start, received, total, want int }{
		{0, 10, 25, 10}, {20, 5, 25, 0}, {0, 0, 25, 0}, {0, 10, 0, 0}, {10, 10, 20, 0},
	} {
		if got := nextStart(tc.start, tc.received, tc.total); got != tc.want {
			t.Errorf("nextStart(%d, %d, %d) = %d, want %d", tc.start, tc.received, tc.total, got, tc.want)
		}
	}
}

// TestToolResult checks the one wrapper between handlers and mcp-go: an
// error meant for the model, wrapped or not, becomes a tool result with
// isError set; any other error stays a Go error.
func TestToolResult(t *testing.T) {
	bug := errors.New("encode: unsupported value")
	for _, tc := range []struct {
		name    string
		err     error
		wantMsg string // "" when the error must stay a Go error
	}{
		{"argument", argError("limit must be between 1 and %d, got %d", 50, 99), "limit must be between 1 and 50, got 99"},
		{"wrapped", fmt.Errorf("page 7: %w", argError("page_id must be numeric")), "page 7: page_id must be numeric"},
		{"server", serverError(context.DeadlineExceeded, "page 7", ""), "the server did not answer in time"},
		{"refusal", newAllowList([]string{"ENG"}, "CONFLUENCE_SPACES").refuse("space OPS"), "space OPS is outside the allowed scope (CONFLUENCE_SPACES=ENG)"},
		{"bug", bug, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := toolResult(nil, tc.err)
			if tc.wantMsg == "" {
				if res != nil || !errors.Is(err, bug) {
					t.Fatalf("got %v, %v; want the Go error back", res, err)
				}
				return
			}
			if err != nil || res == nil || !res.IsError {
				t.Fatalf("got %+v, %v; want a tool error result", res, err)
			}
			if text := res.Content[0].(mcpgo.TextContent).Text; !strings.Contains(text, tc.wantMsg) {
				t.Fatalf("text %q, want %q", text, tc.wantMsg)
			}
		})
	}
	if !errors.Is(serverError(context.Canceled, "page 7", ""), context.Canceled) {
		t.Error("serverError hides its cause from errors.Is")
	}
}

// TestLibraryInputValidation measures mcp-go's own argument checks
// (server.WithInputSchemaValidation) against ours (argSpec) on the
// mistakes models make, over the same tools. A good answer to a mistake
// names the argument at fault and the arguments the tool takes, so that
// the next call is right; a slip with one obvious meaning (a page id as a
// number, a count as a string, null for an optional argument) goes
// through. Ours must do both; the test fails too when the library does
// as well on every case, since argSpec would then be code to delete.
func TestLibraryInputValidation(t *testing.T) {
	f := newFixture(t, "", nil)
	lib := server.NewMCPServer("lib", "test", server.WithToolCapabilities(false), server.WithInputSchemaValidation())
	for _, tl := range f.srv.tools {
		lib.AddTool(tl.def, tl.handler)
	}
	libCli := connectMCP(t, lib, "")
	mentions := func(words ...string) func(string, bool) bool {
		return func(text string, isErr bool) bool {
			for _, w := range words {
				if !strings.Contains(text, w) {
					return false
				}
			}
			return isErr
		}
	}
	succeeds := func(_ string, isErr bool) bool { return !isErr }
	cases := []struct {
		name string
		tool string
		args map[string]any
		good func(text string, isErr bool) bool
	}{
		{"missing argument", "confluence_search_pages", map[string]any{"limit": 5},
			mentions("cql", "limit", "start")},
		{"unknown argument", "confluence_get_page", map[string]any{"pageid": "65601"},
			mentions("pageid", "page_id", "space_key", "title", "max_chars", "offset")},
		{"array for a string", "jira_get_issue", map[string]any{"issue_key": []any{"OPS-1"}},
			mentions("issue_key", "string")},
		{"page id as a number", "confluence_get_page", map[string]any{"page_id": 12},
			mentions("page 12 does not exist")}, // the call reached the server
		{"count as a string", "jira_search_issues", map[string]any{"jql": "project = OPS", "max_results": "2"}, succeeds},
		{"one string for a list", "jira_get_issue", map[string]any{"issue_key": "OPS-1", "fields": "summary"}, succeeds},
		{"null for an optional argument", "confluence_search_pages", map[string]any{"cql": "type = page", "limit": nil}, succeeds},
	}
	libGood := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text, isErr := f.call(t, tc.tool, tc.args)
			if !tc.good(text, isErr) {
				t.Errorf("ours: isError=%v %s", isErr, text)
			}
			text, isErr, err := callTool(libCli, tc.tool, tc.args)
			if err != nil {
				t.Fatalf("mcp-go: a JSON-RPC error the model never sees: %v", err)
			}
			if tc.good(text, isErr) {
				libGood++
			}
			t.Logf("mcp-go: isError=%v %s", isErr, text)
		})
	}
	if libGood == len(cases) {
		t.Error("mcp-go's input validation now answers every case as well as argSpec: use server.WithInputSchemaValidation() and delete argSpec")
	}
}
