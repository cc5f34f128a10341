package mcp

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/retrieve"
)

var update = flag.Bool("update", false, "rewrite the tool snapshots in testdata/toolsnaps and the tool table of README.md")

const snapDir = "../testdata/toolsnaps"

// allTools returns a server with every tool enabled; its clients point
// nowhere, which is fine since definitions make no request.
func allTools(t testing.TB) *Server { return configuredTools(t, "all") }

// configuredTools is a server with every product configured and the
// given toolsets added.
func configuredTools(t testing.TB, toolsets ...string) *Server {
	t.Helper()
	conf, err := atlassian.NewConfluence("http://confluence.invalid", atlassian.Options{})
	if err != nil {
		t.Fatal(err)
	}
	jira, err := atlassian.NewJira("http://jira.invalid", atlassian.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Confluence: conf, Jira: jira, Searcher: retrieve.New(retrieve.Options{}), Toolsets: toolsets})
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
	if all := s.catalog(); len(seen) != len(all) {
		t.Errorf("%d tools served with every product configured, want the %d of the catalogue", len(seen), len(all))
	}
}

// TestToolListSize measures what the tool list costs the model's context.
func TestToolListSize(t *testing.T) {
	const budget = 30000
	size := func(s *Server) int {
		b, err := json.Marshal(mcpgo.ListToolsResult{Tools: s.Tools()})
		if err != nil {
			t.Fatal(err)
		}
		return len(b)
	}
	def, all := configuredTools(t), allTools(t)
	t.Logf("tools/list answer: default %d tools, %d bytes (~%d tokens); with every toolset %d tools, %d bytes",
		len(def.Tools()), size(def), size(def)/4, len(all.Tools()), size(all))
	if n := size(def); n > budget {
		t.Errorf("the default tools/list answer is %d bytes: keep descriptions and schemas lean, or move rarely used tools to a toolset (budget %d)", n, budget)
	}
}

// TestReadmeTools keeps the tool table of README.md equal to the
// catalogue (name, title, read or write), and the READMEs free of tool
// counts, which a new tool would make wrong. Run with -update to rewrite
// the table.
func TestReadmeTools(t *testing.T) {
	const (
		path  = "README.md"
		begin = "<!-- tools: generated from the catalogue by go test ./mcp -run TestReadmeTools -update -->\n"
		end   = "<!-- tools: end -->"
	)
	var table strings.Builder
	table.WriteString("| tool | what it does | access |\n|---|---|---|\n")
	for _, tool := range Catalog() {
		access := "reads"
		if !*tool.Annotations.ReadOnlyHint {
			access = "writes"
		}
		fmt.Fprintf(&table, "| `%s` | %s | %s |\n", tool.Name, tool.Annotations.Title, access)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s: no tool table between %q and %q", path, begin, end)
	}
	if got := doc[i+len(begin) : j]; got != table.String() {
		if !*update {
			t.Errorf("%s: the tool table differs from the catalogue (run go test ./mcp -run TestReadmeTools -update):\n%s", path, table.String())
		} else if err := os.WriteFile(path, []byte(doc[:i+len(begin)]+table.String()+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	count := regexp.MustCompile(`(?i)\b([0-9]+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+([a-z/-]+\s+){0,2}tools\b`)
	for _, p := range []string{path, "../README.md"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range count.FindAllString(string(b), -1) {
			t.Errorf("%s: %q counts tools, which a new tool makes wrong: point to the table in mcp/README.md", p, m)
		}
	}
}
