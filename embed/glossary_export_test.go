package embed

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestWriteGlossarySet writes the glossary questions (see glossaryQuestions)
// as an eval set, so that the end-to-end eval can score search on them too:
//
//	ATLASBRIDGE_GLOSSARY_TSV=/tmp/glossary.tsv go test ./embed -run WriteGlossarySet
//	atlasbridge eval --set /tmp/glossary.tsv
func TestWriteGlossarySet(t *testing.T) {
	out := os.Getenv("ATLASBRIDGE_GLOSSARY_TSV")
	if out == "" {
		t.Skip("set ATLASBRIDGE_GLOSSARY_TSV=file to write the glossary eval set")
	}
	if _, err := os.Stat(pgDocDir); err != nil {
		t.Skipf("%s is missing (apt-get install -y postgresql-doc-15)", pgDocDir)
	}
	var b strings.Builder
	b.WriteString("# Definitions from the PostgreSQL 15 glossary (glossary.html), written by TestWriteGlossarySet\n")
	for _, q := range glossaryQuestions(t, pgDocDir) {
		fmt.Fprintf(&b, "%s\t%s\n", strings.Join(strings.Fields(q.query), " "), strings.Join(q.targets, ","))
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
