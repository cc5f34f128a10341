package markup

import (
	"os/exec"
	"strings"
	"testing"
)

// TestConverterModulesStayHere checks the house rule that each third-party module lives in one
// package: html-to-markdown and goldmark are imported by markup only, and markup imports none
// of our other packages.
func TestConverterModulesStayHere(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not on PATH")
	}
	const module = "github.com/atlasbridge/atlasbridge"
	out, err := exec.Command(goTool, "list", "-e", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := false
	owned := []string{"github.com/JohannesKaufmann/html-to-markdown", "github.com/yuin/goldmark"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg, imports := fields[0], fields[1:]
		for _, imp := range imports {
			if pkg == module+"/markup" {
				seen = seen || strings.HasPrefix(imp, owned[0])
				if strings.HasPrefix(imp, module+"/") {
					t.Errorf("markup imports %s: it must stay a leaf of the module", imp)
				}
				continue
			}
			for _, o := range owned {
				if strings.HasPrefix(imp, o) {
					t.Errorf("%s imports %s, which only markup may import", pkg, imp)
				}
			}
		}
	}
	if !seen {
		t.Errorf("go list did not show markup importing %s; output:\n%s", owned[0], out)
	}
}
