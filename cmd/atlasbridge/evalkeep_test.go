package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// TestEvalKeepIndex syncs the PostgreSQL manual as `atlasbridge eval` does
// and keeps the index, with a names.tsv of document id and page file, for
// tuning the ranking on exactly the eval's chunks:
//
//	ATLASBRIDGE_EVAL_KEEP=/tmp/pgidx go test ./cmd/atlasbridge -run EvalKeepIndex
//	ATLASBRIDGE_EVAL=1 ATLASBRIDGE_EVAL_INDEX=/tmp/pgidx go test ./search -run EvalPGDocs -v
func TestEvalKeepIndex(t *testing.T) {
	out := os.Getenv("ATLASBRIDGE_EVAL_KEEP")
	if out == "" {
		t.Skip("set ATLASBRIDGE_EVAL_KEEP=DIR to keep an eval index")
	}
	if _, err := os.Stat(defaultEvalHTML); err != nil {
		t.Skipf("%s is missing (apt-get install postgresql-doc-15)", defaultEvalHTML)
	}
	epoch := time.Date(2025, 1, 15, 9, 0, 0, 0, time.UTC)
	sb, err := openSandbox(t.Context(), "eval", sim.Options{Spaces: []sim.SpaceImport{{Key: "PG", Name: "PostgreSQL", HTMLDir: defaultEvalHTML}},
		JiraIssues: -1, Clock: func() time.Time { return epoch }}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close(false)
	if _, _, err := sb.Sync(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	var lines []string
	err = sb.Index.Pages(t.Context(), func(p search.Page) error {
		if f, ok := sb.Sim.SourceFile(p.Key); ok {
			lines = append(lines, p.DocID+"\t"+filepath.Base(f))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Index.Close(); err != nil {
		t.Fatal(err)
	}
	sb.Index = nil
	if err := os.CopyFS(out, os.DirFS(sb.Dir)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "names.tsv"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
