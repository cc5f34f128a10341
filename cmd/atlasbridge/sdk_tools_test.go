package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// TestOfficialGoSDKEverydayTools drives the people, link and delete tools
// end to end: serve --http --toolsets all against the simulator, through
// the official MCP Go SDK client.
func TestOfficialGoSDKEverydayTools(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 20, Seed: 3})
	url, _ := runServeHTTP(t, faultConfig(t, faultEnv(t, srv.URL, "admin-token", "ATLASBRIDGE_HTTP_TOKEN", "client-secret-sdk-tools", "ATLASBRIDGE_LOG_LEVEL", "info")), "--toolsets", "all")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hc := &http.Client{Transport: bearer{"client-secret-sdk-tools", http.DefaultTransport}}
	cs := sdkConnect(t, ctx, &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: hc}, "")
	defer cs.Close()
	call := func(name string, args map[string]any, v any) string {
		t.Helper()
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		text := sdkText(res)
		if res.IsError {
			t.Fatalf("%s: error result %s", name, text)
		}
		if v != nil {
			if err := json.Unmarshal([]byte(text), v); err != nil {
				t.Fatalf("%s: %v: %s", name, err, text)
			}
		}
		return text
	}
	keys := srv.IssueKeys("OPS")
	a, b := keys[0], keys[len(keys)-1]
	if text := call("jira_search_users", map[string]any{"query": "adm", "issue_key": a}, nil); !strings.Contains(text, `["admin",`) {
		t.Errorf("jira_search_users: %s", text)
	}
	if text := call("jira_get_link_types", nil, nil); !strings.Contains(text, "Duplicate") {
		t.Errorf("jira_get_link_types: %s", text)
	}
	call("jira_link_issues", map[string]any{"link_type": "Relates", "inward_issue_key": a, "outward_issue_key": b}, nil)
	var issue struct {
		Links []struct{ ID, Key, Relation string }
	}
	call("jira_get_issue", map[string]any{"issue_key": a}, &issue)
	id := ""
	for _, l := range issue.Links {
		if l.Key == b && l.Relation == "relates to" {
			id = l.ID
		}
	}
	if id == "" {
		t.Fatalf("the new link is not in jira_get_issue: %+v", issue.Links)
	}
	call("jira_remove_link", map[string]any{"link_id": id}, nil)
	call("jira_delete_issue", map[string]any{"issue_key": b}, nil)
	if res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "jira_get_issue", Arguments: map[string]any{"issue_key": b}}); err != nil || !res.IsError {
		t.Errorf("a deleted issue is still readable: %v", err)
	}
}
