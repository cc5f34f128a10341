package markup

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testOptions are the options every golden conversion uses.
var testOptions = Options{BaseURL: "https://wiki.example.com/confluence", SpaceKey: "DOC", PageID: "4242"}

// golden compares got with the golden file, or rewrites it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./markup -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (rerun with -update if the change is intended)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fixtures(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures match %s", pattern)
	}
	return files
}

func TestStorageToMarkdownGolden(t *testing.T) {
	for _, f := range fixtures(t, "testdata/storage/*.xml") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			md, err := StorageToMarkdown(readFile(t, f), testOptions)
			if err != nil {
				t.Fatal(err)
			}
			checkNormalized(t, md)
			golden(t, strings.TrimSuffix(f, ".xml")+".golden", md)
		})
	}
}

func TestHTMLToMarkdownGolden(t *testing.T) {
	for _, f := range fixtures(t, "testdata/html/*.html") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			md, err := HTMLToMarkdown(readFile(t, f), Options{BaseURL: "https://jira.example.com/jira"})
			if err != nil {
				t.Fatal(err)
			}
			checkNormalized(t, md)
			golden(t, strings.TrimSuffix(f, ".html")+".golden", md)
		})
	}
}

// checkNormalized asserts the output rules every conversion to markdown keeps.
func checkNormalized(t *testing.T, md string) {
	t.Helper()
	if Clean(md) != md {
		t.Errorf("output holds invisible or control characters: %q", md)
	}
	if strings.Contains(md, "\n\n\n\n") {
		t.Errorf("output has a run of three blank lines")
	}
	for i, line := range strings.Split(md, "\n") {
		if strings.TrimRight(line, " \t") != line {
			t.Errorf("line %d has trailing spaces: %q", i+1, line)
		}
	}
}
