package sim

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

// tree renders a space's page hierarchy with each page's storage body.
func tree(s *Sim, key string, bodies bool) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var b strings.Builder
	var walk func(c *content, depth int)
	walk = func(c *content, depth int) {
		src := ""
		if c.props != nil {
			src = c.props["sourcefile"]
		}
		fmt.Fprintf(&b, "%s- %s [%s] %v %v\n", strings.Repeat("  ", depth), c.title, src, c.labels, c.restricted)
		if bodies {
			fmt.Fprintf(&b, "%s  %s\n", strings.Repeat("  ", depth), c.body)
		}
		for _, ch := range c.children {
			walk(ch, depth+1)
		}
	}
	walk(s.conf.spaces[key].homepage, 0)
	return b.String()
}

func TestImportDocBook(t *testing.T) {
	s, err := New(Options{Spaces: []SpaceImport{{Key: "WID", Name: "Widgets", HTMLDir: "testdata/docbook"}}, JiraIssues: -1})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "docbook.golden", tree(s, "WID", true))
	if n := s.PageCount("WID"); n != 6 {
		t.Errorf("pages %d, want 6", n)
	}
	p, err := s.GetPage(PageID("WID", "tutorial-start.html"))
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := s.SourceFile(p.ID); !ok || f != "tutorial-start.html" {
		t.Errorf("source file %q %v", f, ok)
	}
	// Ids are derived from space + file name: a second import gives the same ids.
	s2, err := New(Options{Spaces: []SpaceImport{{Key: "WID", HTMLDir: "testdata/docbook"}}, JiraIssues: -1})
	if err != nil {
		t.Fatal(err)
	}
	if p2, err := s2.GetPage(p.ID); err != nil || p2.Title != p.Title {
		t.Errorf("id not stable across runs: %v %v", p2.Title, err)
	}

	for _, bad := range []SpaceImport{
		{Key: "X", HTMLDir: "testdata/does-not-exist"},
		{Key: "X", HTMLDir: "import_test.go"},
		{Key: "bad key!", HTMLDir: "testdata/docbook"},
		{Key: "X", HTMLDir: "."}, // no .html files
		{Key: "X"},
	} {
		if _, err := New(Options{Spaces: []SpaceImport{bad}, JiraIssues: -1}); err == nil {
			t.Errorf("import %+v accepted", bad)
		}
	}
}

func TestSampleSpace(t *testing.T) {
	s, err := New(Options{JiraIssues: -1})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.PageCount("ENG"); n < 25 {
		t.Errorf("sample space has %d pages, want at least 25", n)
	}
	golden(t, "sample_space.golden", tree(s, "ENG", false))
	// Every link between handbook pages resolved to a page title, none left as a raw file link.
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.conf.spaces["ENG"].pages {
		if strings.Contains(c.body, `.html"`) {
			t.Errorf("%s keeps a file link", c.title)
		}
		for _, m := range pageLinkRE.FindAllStringSubmatch(c.body, -1) {
			for _, a := range attrRE.FindAllStringSubmatch(m[1], -1) {
				if s.conf.byTitle[titleKey("ENG", a[2])] == nil {
					t.Errorf("%s links to missing page %q", c.title, a[2])
				}
			}
		}
	}
}

// TestImportPostgresDocs imports Debian's postgresql-doc-15 HTML when it is installed.
func TestImportPostgresDocs(t *testing.T) {
	const dir = "/usr/share/doc/postgresql-doc-15/html"
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		t.Skip("postgresql-doc-15 is not installed")
	}
	clk := newFakeClock()
	srv := newServer(t, Options{Spaces: []SpaceImport{{Key: "PG", Name: "PostgreSQL 15", HTMLDir: dir}}, JiraIssues: -1, Clock: clk.Now})
	entries, _ := filepath.Glob(filepath.Join(dir, "*.html"))
	if n := srv.PageCount("PG"); n != len(entries) {
		t.Errorf("imported %d pages from %d files", n, len(entries))
	}
	sel, err := srv.GetPage(PageID("PG", "sql-select.html"))
	if err != nil {
		t.Fatal(err)
	}
	parent, _ := srv.GetPage(sel.ParentID)
	if sel.Title != "SELECT" || parent.Title != "SQL Commands" {
		t.Errorf("SELECT under %q", parent.Title)
	}
	if !strings.Contains(sel.Body, `<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[[ WITH [ RECURSIVE ]`) ||
		strings.Contains(sel.Body, "navheader") || strings.Contains(sel.Body, "accesskey") {
		t.Errorf("SELECT body: %.400s", sel.Body)
	}
	home, _ := srv.GetPage(PageID("PG", "index.html"))
	if !strings.HasPrefix(home.Title, "PostgreSQL 15") || home.ParentID != "" {
		t.Errorf("home %q parent %q", home.Title, home.ParentID)
	}
	// The source file name is retrievable through the REST API.
	r := do(t, call{url: srv.ConfluenceURL() + "/rest/api/content/" + sel.ID + "/property/sourcefile", auth: "admin"})
	var prop struct {
		Value struct{ Value string } `json:"value"`
	}
	if err := json.Unmarshal(r.raw, &prop); err != nil || prop.Value.Value != "sql-select.html" {
		t.Errorf("sourcefile property: %s", r.raw)
	}
	m := do(t, call{url: srv.ConfluenceURL() + "/rest/api/search?cql=" + "text~%22vacuum%22%20and%20space%3DPG&limit=5", auth: "admin"}).obj(t)
	if m["totalSize"].(float64) < 10 {
		t.Errorf("vacuum hits: %v", m["totalSize"])
	}
}

// BenchmarkImportPostgresDocs measures the import of Debian's
// postgresql-doc-15 HTML (the eval's corpus), when it is installed; its
// speed is a benchmark's business, not a unit test's (a race-detector run
// is several times slower).
func BenchmarkImportPostgresDocs(b *testing.B) {
	const dir = "/usr/share/doc/postgresql-doc-15/html"
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		b.Skip("postgresql-doc-15 is not installed")
	}
	for b.Loop() {
		if _, err := New(Options{Spaces: []SpaceImport{{Key: "PG", Name: "PostgreSQL 15", HTMLDir: dir}}, JiraIssues: -1}); err != nil {
			b.Fatal(err)
		}
	}
}
