package mcp

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/retrieve"
)

var update = flag.Bool("update", false, "rewrite the tool snapshots in testdata/toolsnaps")

const snapDir = "../testdata/toolsnaps"

// allTools returns a server with every tool enabled; its clients point
// nowhere, which is fine since definitions make no request.
func allTools(t testing.TB) *Server {
	t.Helper()
	conf, err := atlassian.NewConfluence("http://confluence.invalid", atlassian.Options{})
	if err != nil {
		t.Fatal(err)
	}
	jira, err := atlassian.NewJira("http://jira.invalid", atlassian.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Confluence: conf, Jira: jira, Searcher: retrieve.New(retrieve.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestToolSnapshots compares each tool's definition (name, description,
// annotations, input schema) with testdata/toolsnaps/<name>.snap, so that a
// change to what the model sees shows up as a diff. Run with -update to
// accept a change.
func TestToolSnapshots(t *testing.T) {
	s := allTools(t)
	var names []string
	for _, tool := range s.Tools() {
		names = append(names, tool.Name+".snap")
		got, err := json.MarshalIndent(tool, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join(snapDir, tool.Name+".snap")
		if *update {
			if err := os.MkdirAll(snapDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: no snapshot (run go test ./mcp -run TestToolSnapshots -update): %v", tool.Name, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%s: definition differs from %s (review, then run with -update):\n%s", tool.Name, path, got)
		}
	}
	entries, err := os.ReadDir(snapDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".snap") && !slices.Contains(names, e.Name()) {
			t.Errorf("%s: snapshot of a tool that no longer exists: delete it", e.Name())
		}
	}
}

// TestToolDefinitions checks what every tool must have: a unique snake_case
// name with its product's prefix, a description, a title, honest
// annotations, and an object input schema that refuses unknown arguments.
func TestToolDefinitions(t *testing.T) {
	s := allTools(t)
	seen := map[string]bool{}
	for _, tl := range s.tools {
		d := tl.def
		if seen[d.Name] {
			t.Errorf("%s: defined twice", d.Name)
		}
		seen[d.Name] = true
		// The index tools' names are part of the contract (issue 5).
		indexTool := tl.product == "index" && slices.Contains([]string{"semantic_search", "find_similar_issues", "index_status"}, d.Name)
		if !indexTool && !strings.HasPrefix(d.Name, tl.product+"_") || strings.ToLower(d.Name) != d.Name {
			t.Errorf("%s: want a lower-case name starting with %s_", d.Name, tl.product)
		}
		if len(d.Description) < 40 || len(d.Description) > 420 {
			t.Errorf("%s: description of %d bytes: want a short precise one (40-420)", d.Name, len(d.Description))
		}
		a := d.Annotations
		if a.Title == "" || a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil {
			t.Errorf("%s: annotations incomplete: %+v", d.Name, a)
			continue
		}
		if *a.ReadOnlyHint == tl.write {
			t.Errorf("%s: readOnlyHint=%v but write=%v", d.Name, *a.ReadOnlyHint, tl.write)
		}
		if !tl.write && (*a.DestructiveHint || !*a.IdempotentHint) {
			t.Errorf("%s: a read tool must be non-destructive and idempotent", d.Name)
		}
		var schema struct {
			Type                 string         `json:"type"`
			Properties           map[string]any `json:"properties"`
			AdditionalProperties any            `json:"additionalProperties"`
		}
		if err := json.Unmarshal(d.RawInputSchema, &schema); err != nil {
			t.Errorf("%s: input schema: %v", d.Name, err)
			continue
		}
		if schema.Type != "object" || schema.AdditionalProperties != false {
			t.Errorf("%s: input schema must be an object refusing unknown properties: %s", d.Name, d.RawInputSchema)
		}
		for p, v := range schema.Properties {
			if desc, _ := v.(map[string]any)["description"].(string); desc == "" {
				t.Errorf("%s: argument %s has no description", d.Name, p)
			}
		}
	}
	if len(seen) != 27 {
		t.Errorf("%d tools, want the 24 of the contract and the 3 index tools", len(seen))
	}
}

// TestToolListSize measures what the tool list costs the model's context.
func TestToolListSize(t *testing.T) {
	s := allTools(t)
	b, err := json.Marshal(s.Tools())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tools/list: %d tools, %d bytes (~%d tokens)", len(s.Tools()), len(b), len(b)/4)
	if len(b) > 24000 {
		t.Errorf("tool list is %d bytes: keep descriptions and schemas lean (budget 24000)", len(b))
	}
}
