package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/atlasbridge/atlasbridge"

// TestImportBoundaries keeps the architecture of STYLE.md true: imports flow
// one way, and each third-party module lives in exactly one of our packages.
func TestImportBoundaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	// allowed[pkg] lists the packages of ours pkg may import; cmd/* may import anything.
	allowed := map[string][]string{
		"atlassian":                  {"internal/httpretry"},
		"internal/httpretry":         nil,
		"internal/extract":           nil,
		"atlassian/atlassiantest":    {"internal/sim"},
		"internal/sim":               {"internal/sim/ql", "internal/sim/space"},
		"internal/sim/ql":            nil,
		"internal/sim/space":         nil,
		"testdata/atlassian-samples": nil,
		"markup":                     nil,
		"embed":                      {"internal/httpretry"},
		"eval":                       nil,
		"search":                     {"embed", "search/internal/keyword", "search/internal/rank", "search/internal/vec"},
		"search/internal/keyword":    {"search/internal/rank"},
		"search/internal/rank":       nil,
		"search/internal/vec":        {"search/internal/rank"},
		"retrieve":                   {"atlassian", "search"},
		"indexer":                    {"atlassian", "markup", "search", "embed"},
		"mcp":                        {"atlassian", "markup", "retrieve", "search", "embed", "internal/extract"},
	}
	// owner[module prefix] is the one package of ours allowed to import it.
	owner := map[string]string{
		"github.com/JohannesKaufmann/html-to-markdown": "markup",
		"github.com/yuin/goldmark":                     "markup",
		"github.com/mark3labs/mcp-go":                  "mcp",
		"modernc.org/sqlite":                           "search",
		"github.com/ledongthuc/pdf":                    "internal/extract",
	}
	cronUsers := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, module+"/") {
				dep := strings.TrimPrefix(imp, module+"/")
				if strings.HasPrefix(dep, "cmd/") {
					t.Errorf("%s imports %s: nothing imports cmd", pkg, dep)
				}
				if strings.HasPrefix(pkg, "cmd/") {
					continue
				}
				ok, known := allowed[pkg]
				if !known {
					t.Errorf("package %s is not in the architecture test: add it with its allowed imports", pkg)
					continue
				}
				if !slices.Contains(ok, dep) {
					t.Errorf("%s imports %s: imports flow cmd → mcp, indexer → retrieve → search → embed, atlassian, markup", pkg, dep)
				}
				continue
			}
			if strings.HasPrefix(imp, "github.com/robfig/cron") {
				cronUsers[pkg] = true
			}
			for prefix, own := range owner {
				if strings.HasPrefix(imp, prefix) && pkg != own {
					t.Errorf("%s imports %s, which only %s may use", pkg, imp, own)
				}
			}
		}
	}
	if len(cronUsers) > 1 {
		t.Errorf("robfig/cron is used by %v: keep it in one package", cronUsers)
	}
}

// TestCommandsLinkNoTestCode keeps test code out of the shipped binaries: the
// demo and eval run the simulator through internal/sim, and only tests use
// the atlassiantest shim (which links package testing).
func TestCommandsLinkNoTestCode(t *testing.T) {
	for _, cmd := range []string{"cmd/atlasbridge", "cmd/atlassim"} {
		t.Run(cmd, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", module+"/"+cmd).CombinedOutput()
			if err != nil {
				t.Skipf("go list: %v\n%s", err, out)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 10 || !slices.Contains(deps, module+"/internal/sim") {
				t.Fatalf("go list -deps %s listed %d packages without internal/sim: the check would prove nothing", cmd, len(deps))
			}
			for _, dep := range deps {
				if dep == "testing" || strings.HasPrefix(dep, "testing/") || dep == module+"/atlassian/atlassiantest" {
					t.Errorf("%s links %s: test code must not reach the binary", cmd, dep)
				}
			}
		})
	}
}

// TestBinaryLeavesOutReferences: chromem-go is the reference the vector
// scan is measured and checked against (search/internal/vec's
// BenchmarkVectorScan, search's TestVectorScanMatchesChromem), in tests
// only: the binary must not link it.
func TestBinaryLeavesOutReferences(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", module+"/cmd/atlasbridge").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/philippgille/chromem-go") {
			t.Errorf("atlasbridge links %s, a test-only reference", dep)
		}
	}
}
