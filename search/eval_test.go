package search

import (
	"context"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
)

func TestLoadEvalCases(t *testing.T) {
	cases := []struct {
		name, data string
		want       []EvalCase
		wantErr    string
	}{
		{"ok", "# header\n\nrotate logs\tlogfile.html, runtime.html\nvacuum\tv.html\n",
			[]EvalCase{{"rotate logs", []string{"logfile.html", "runtime.html"}}, {"vacuum", []string{"v.html"}}}, ""},
		{"no tab", "rotate logs logfile.html\n", nil, ":1: want"},
		{"no targets", "q\t , \n", nil, ":1: want"},
		{"empty", "# nothing\n", nil, "no cases"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "set.tsv")
			if err := os.WriteFile(p, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := LoadEvalCases(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %v, %v", got, err)
			}
			for i := range got {
				if got[i].Query != tc.want[i].Query || !slices.Equal(got[i].Want, tc.want[i].Want) {
					t.Fatalf("case %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	if _, err := LoadEvalCases(filepath.Join(t.TempDir(), "missing.tsv")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestEvaluate(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	cases := []EvalCase{
		{Query: "rotate TLS certificates", Want: []string{"200"}},                // rank 1
		{Query: "kernel upgrade crash", Want: []string{"nope", "OPS-1"}},         // rank 1
		{Query: "zebra giraffe", Want: []string{"300"}},                          // not found
		{Query: "certificate expired at midnight", Want: []string{"WEB-7", "x"}}, // rank 1
	}
	rep, err := Evaluate(ctx, x, cases, Keyword, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Ranks, []int{1, 1, 0, 1}) || rep.RecallAt5 != 0.75 || rep.MRRAt10 != 0.75 || rep.Queries != 4 {
		t.Fatalf("report = %+v", rep)
	}
	// Ranks below the top: the second-best document for a query.
	rep, err = Evaluate(ctx, x, []EvalCase{{Query: "certificates", Want: []string{"Certificate expired on shop"}}}, Keyword,
		func(r Result) string { return r.Title })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ranks[0] != 2 || rep.MRRAt10 != 0.5 || rep.RecallAt5 != 1 {
		t.Fatalf("report = %+v", rep)
	}
	if got := PageName(Result{URL: "file:///usr/share/doc/html/sql-reindex.html", Title: "REINDEX"}); got != "sql-reindex.html" {
		t.Fatalf("PageName = %q", got)
	}
	if got := PageName(Result{URL: "", Title: "REINDEX"}); got != "REINDEX" {
		t.Fatalf("PageName = %q", got)
	}
}

// pgdocs loads Debian's PostgreSQL HTML manual as documents: one per page,
// split on h1–h4 headings, sections longer than ~300 words cut further.
func pgdocs(t *testing.T, dir string) []Document {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.html"))
	if err != nil || len(files) < 100 {
		t.Skipf("PostgreSQL docs not found in %s (apt-get install postgresql-doc-15)", dir)
	}
	var (
		reTitle   = regexp.MustCompile(`(?is)<title>(.*?)</title>`)
		reNav     = regexp.MustCompile(`(?is)<div class="nav(header|footer)">.*?</div>|<script.*?</script>|<style.*?</style>`)
		reHeading = regexp.MustCompile(`(?is)<h[1-4][^>]*>(.*?)</h[1-4]>`)
		reTag     = regexp.MustCompile(`(?s)<[^>]*>`)
	)
	clean := func(s string) string {
		return strings.Join(strings.Fields(html.UnescapeString(reTag.ReplaceAllString(s, " "))), " ")
	}
	var docs []Document
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		title := filepath.Base(f)
		if m := reTitle.FindStringSubmatch(page); m != nil {
			title = clean(m[1])
		}
		page = reNav.ReplaceAllString(page, " ")
		d := Document{ID: "confluence:" + filepath.Base(f), Source: SourceConfluence, Container: "PG", Key: filepath.Base(f),
			Title: title, URL: "file://" + f, Updated: testTime, Type: "page"}
		locs := reHeading.FindAllStringSubmatchIndex(page, -1)
		type section struct{ heading, body string }
		var secs []section
		prev, heading := 0, ""
		for _, l := range locs {
			secs = append(secs, section{heading, page[prev:l[0]]})
			heading, prev = clean(page[l[2]:l[3]]), l[1]
		}
		secs = append(secs, section{heading, page[prev:]})
		for _, s := range secs {
			words := strings.Fields(clean(s.body))
			for start := 0; start < len(words); start += 300 {
				text := strings.Join(words[start:min(start+300, len(words))], " ")
				d.Chunks = append(d.Chunks, Chunk{Index: len(d.Chunks), Heading: s.heading,
					Text: title + " › " + s.heading + "\n" + text})
			}
		}
		if len(d.Chunks) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

// TestEvalPGDocs loads the PostgreSQL manual straight into an index and
// prints recall@5 and MRR@10 per mode for the dev questions:
//
//	ATLASBRIDGE_EVAL=1 go test ./search -run EvalPGDocs -v
//
// ATLASBRIDGE_EVAL_SET names another TSV (default the team's dev set).
func TestEvalPGDocs(t *testing.T) {
	if os.Getenv("ATLASBRIDGE_EVAL") == "" {
		t.Skip("set ATLASBRIDGE_EVAL=1 to run the evaluation")
	}
	ctx := context.Background()
	sets := []string{"/work/shared/eval/pgdocs-dev.tsv"}
	if s := os.Getenv("ATLASBRIDGE_EVAL_SET"); s != "" {
		sets = strings.Split(s, ",")
	}
	docs := pgdocs(t, "/usr/share/doc/postgresql-doc-15/html")
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	if tr := trainable(emb); tr != nil {
		err := tr.Fit(ctx, func(yield func(string) bool) {
			for _, d := range docs {
				for _, c := range d.Chunks {
					if !yield(c.Text) {
						return
					}
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	x, err := Open(ctx, t.TempDir(), Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	start := time.Now()
	st, err := x.Upsert(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("indexed %d pages, %d chunks with %s in %v", st.Added, st.Embedded+st.Reused, emb.Model(), time.Since(start).Round(time.Millisecond))

	variants := []struct {
		name string
		fu   fusion
	}{{"default", defaultFusion}}
	if os.Getenv("ATLASBRIDGE_EVAL_TUNE") != "" {
		for _, k1 := range []float64{0.9, 1.2, 1.6} {
			for _, b := range []float64{0.4, 0.6, 0.75, 0.9} {
				fu := defaultFusion
				fu.bm25 = bm25Params{k1, b}
				variants = append(variants, struct {
					name string
					fu   fusion
				}{fmt.Sprintf("bm25 k1=%v b=%v", k1, b), fu})
			}
		}
		for _, pm := range []int{30, 50, 200} {
			fu := defaultFusion
			fu.poolMin = pm
			variants = append(variants, struct {
				name string
				fu   fusion
			}{fmt.Sprintf("pool=%d", pm), fu})
		}
		for _, wk := range []float64{1, 1.5, 2, 3} {
			for _, extra := range []float64{0.1, 0.3} {
				fu := defaultFusion
				fu.byScore, fu.wKeyword, fu.extra = true, wk, extra
				variants = append(variants, struct {
					name string
					fu   fusion
				}{fmt.Sprintf("score wKw=%v extra=%v", wk, extra), fu})
			}
		}
		for _, k := range []float64{10, 30, 60} {
			for _, wk := range []float64{1, 2, 3} {
				for _, extra := range []float64{0, 0.1, 0.3} {
					fu := defaultFusion
					fu.rrfK, fu.wKeyword, fu.extra = k, wk, extra
					variants = append(variants, struct {
						name string
						fu   fusion
					}{fmt.Sprintf("k=%v wKw=%v extra=%v", k, wk, extra), fu})
				}
			}
		}
	}
	for _, set := range sets {
		cases, err := LoadEvalCases(set)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range variants {
			for _, mode := range []Mode{Keyword, Vector, Hybrid} {
				if v.name != "default" && mode != Hybrid && !strings.HasPrefix(v.name, "bm25") {
					continue
				}
				if strings.HasPrefix(v.name, "bm25") && mode == Vector {
					continue
				}
				rep, err := evaluate(ctx, x, cases, mode, nil, v.fu)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s [%s] %v ranks=%v", filepath.Base(set), v.name, rep, rep.Ranks)
			}
		}
	}
}
