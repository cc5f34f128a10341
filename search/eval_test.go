package search

import (
	"context"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/eval"
	"github.com/atlasbridge/atlasbridge/search/internal/keyword"
)

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
// ATLASBRIDGE_EVAL_SET names other TSVs, comma-separated (default the
// team's dev set). ATLASBRIDGE_EVAL_INDEX reads the index that `atlasbridge
// eval` syncs (kept by TestEvalKeepIndex in cmd/atlasbridge) instead of
// loading the manual here: the same chunks as the end-to-end figures.
// ATLASBRIDGE_EVAL_TUNE=1 tries other fusion weights; ATLASBRIDGE_EVAL_SIGNALS=1
// logs, per question, what Confidence could read (coverages of the first
// three results, their places in the vector and page rankings, scores).
func TestEvalPGDocs(t *testing.T) {
	if os.Getenv("ATLASBRIDGE_EVAL") == "" {
		t.Skip("set ATLASBRIDGE_EVAL=1 to run the evaluation")
	}
	ctx := context.Background()
	sets := []string{"../eval/testdata/pgdocs-dev.tsv"}
	if s := os.Getenv("ATLASBRIDGE_EVAL_SET"); s != "" {
		sets = strings.Split(s, ",")
	}
	var x *Index
	pageName := func(r Result) string { return eval.PageName(r.URL, r.Title) }
	if dir := os.Getenv("ATLASBRIDGE_EVAL_INDEX"); dir != "" {
		// An index synced by atlasbridge eval, kept with a names.tsv of
		// document id<TAB>page file: the same chunks as the end-to-end eval.
		names := evalIndexNames(t, dir)
		var err error
		pageName = func(r Result) string { return names[r.DocID] }
		x, err = Open(ctx, dir, Options{Embedder: embed.NewBuiltin(embed.BuiltinOptions{}), ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
	} else {
		x = indexPGDocs(ctx, t)
	}
	defer x.Close()

	variants := []struct {
		name string
		fu   fusion
	}{{"default", defaultFusion}}
	add := func(name string, fu fusion) {
		variants = append(variants, struct {
			name string
			fu   fusion
		}{name, fu})
	}
	pageOnly := defaultFusion
	pageOnly.wVector, pageOnly.wKeyword, pageOnly.wKeywordLong, pageOnly.wPage, pageOnly.wPageLong, pageOnly.extra, pageOnly.variants = 0, 0, 0, 1, 1, 0, 0
	add("page-bm25", pageOnly)
	if os.Getenv("ATLASBRIDGE_EVAL_TUNE") != "" {
		for _, wp := range []float64{0, 0.5, 1, 2, 3} {
			for _, wk := range []float64{1, 2} {
				for _, wv := range []float64{1, 1.5, 2} {
					for _, wpl := range []float64{0} {
						fu := defaultFusion
						fu.wPage, fu.wKeyword, fu.wVector, fu.wPageLong = wp, wk, wv, wpl
						add(fmt.Sprintf("page=%v kw=%v vec=%v pageLong=%v", wp, wk, wv, wpl), fu)
					}
				}
			}
		}
		for _, k := range []float64{5, 10, 20, 40} {
			fu := defaultFusion
			fu.rrfK = k
			add(fmt.Sprintf("k=%v", k), fu)
		}
	}
	if os.Getenv("ATLASBRIDGE_EVAL_COMPOUNDS") != "" {
		for _, w := range []float64{0.5, 1} {
			fu := defaultFusion
			fu.compounds = w
			add(fmt.Sprintf("compounds w=%v", w), fu)
		}
	}
	if os.Getenv("ATLASBRIDGE_EVAL_VARIANTS") != "" {
		for _, w := range []float64{0, 0.25, 0.5, 0.75, 1} {
			fu := defaultFusion
			fu.variants = w
			add(fmt.Sprintf("variants w=%v", w), fu)
		}
	}
	for _, set := range sets {
		cases, err := eval.Load(set)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range variants {
			for _, mode := range []Mode{Keyword, Vector, Hybrid} {
				if v.name != "default" && mode != Hybrid {
					continue
				}
				rep, err := eval.Run(ctx, cases, string(mode), func(ctx context.Context, q string) ([]string, error) {
					rs, err := x.search(ctx, Query{Text: q, K: 10, Mode: mode}, v.fu)
					names := make([]string, len(rs))
					for i, r := range rs {
						names[i] = pageName(r)
					}
					return names, err
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s [%s] %v", filepath.Base(set), v.name, rep)
				if os.Getenv("ATLASBRIDGE_EVAL_SIGNALS") != "" && v.name == "default" && mode == Hybrid {
					for i, c := range cases {
						rs, err := x.search(ctx, Query{Text: c.Query, K: 10}, v.fu)
						if err != nil || len(rs) == 0 {
							t.Logf("SIG %s %d none", filepath.Base(set), i)
							continue
						}
						s5 := rs[min(4, len(rs)-1)].Score
						hit := 0
						if !c.OutOfCorpus() {
							hit = rep.Ranks[i]
						}
						c3 := fmt.Sprintf("%.3f,%.3f,%.3f", rs[0].Coverage, rs[min(1, len(rs)-1)].Coverage, rs[min(2, len(rs)-1)].Coverage)
						t.Logf("SIG\t%s\t%d\t%s\t%d\t%d\t%.4f\t%.4f\t%.4f\t%d\t%d", filepath.Base(set), i, c3, rs[0].VectorRank, rs[0].KeywordRank, rs[0].Score, rs[1%len(rs)].Score, s5, hit, len(keyword.Tokenize(c.Query)))
					}
				}
			}
		}
	}
}

// evalIndexNames reads the names.tsv TestEvalKeepIndex keeps beside an
// index: document id to page file.
func evalIndexNames(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "names.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	names := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if id, name, ok := strings.Cut(l, "\t"); ok {
			names[id] = name
		}
	}
	return names
}

// indexPGDocs indexes the PostgreSQL manual, as pgdocs reads it, with a
// builtin embedder fitted to it.
func indexPGDocs(ctx context.Context, t *testing.T) *Index {
	t.Helper()
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
	start := time.Now()
	st, err := x.Upsert(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("indexed %d pages, %d chunks with %s in %v", st.Added, st.Embedded+st.Reused, emb.Model(), time.Since(start).Round(time.Millisecond))

	return x
}
