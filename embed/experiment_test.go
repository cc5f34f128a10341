package embed

// The experiment harness: which builtin embedder helps search most?
//
//	ATLASBRIDGE_EMBED_EXPERIMENT=1 go test ./embed -run Experiment -v
//
// It reads the PostgreSQL 15 documentation shipped by Debian
// (apt-get install -y postgresql-doc-15), splits each page into chunks of
// about 300 words at its headings, embeds the chunks with each candidate,
// ranks pages by their best chunk and prints recall@5 and MRR@10 for three
// question sets: the team's 15 dev questions (shared/eval/pgdocs-dev.tsv),
// our 35 paraphrases (testdata/pgdocs-paraphrase.tsv) and 62 definitions
// from the manual's glossary (held out: not written by us), next to a BM25
// baseline and the fusion (RRF) of BM25 with each candidate, which is how
// search/ uses the embedder. ATLASBRIDGE_EMBED_ONLY=name runs only the
// candidates whose name contains it.

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/atlasbridge/atlasbridge/internal/benchref"
)

const (
	pgDocDir       = "/usr/share/doc/postgresql-doc-15/html"
	devQuestions   = "../eval/testdata/pgdocs-dev.tsv" // the team's dev set, copied from shared/eval
	paraQuestions  = "testdata/pgdocs-paraphrase.tsv"
	experimentFlag = "ATLASBRIDGE_EMBED_EXPERIMENT"
	chunkWords     = 300
)

// docChunk is one chunk of a page of the corpus.
type docChunk struct {
	page string // file name
	text string
}

// question is one evaluation question and the pages that answer it.
type question struct {
	query   string
	targets []string
}

func loadQuestions(t testing.TB, path string) []question {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("questions: %v", err)
	}
	defer f.Close()
	var qs []question
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		q, targets, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: no tab in %q", path, line)
		}
		var ts []string
		for _, s := range strings.Split(targets, ",") {
			ts = append(ts, strings.TrimSpace(s))
		}
		qs = append(qs, question{query: strings.TrimSpace(q), targets: ts})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return qs
}

// loadCorpus chunks every page of dir.
func loadCorpus(t testing.TB, dir string) []docChunk {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pages in %s (apt-get install -y postgresql-doc-15): %v", dir, err)
	}
	var chunks []docChunk
	for _, path := range files {
		if filepath.Base(path) == "glossary.html" {
			continue // the source of the glossary questions
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		name := filepath.Base(path)
		for _, c := range chunkPage(doc) {
			chunks = append(chunks, docChunk{page: name, text: c})
		}
	}
	return chunks
}

// glossaryQuestions turns the definitions of the docs' glossary into
// questions: the definition (without the term) should find the pages it
// links to. They were not written by us, so they guard against tuning the
// embedder to our own questions.
func glossaryQuestions(t testing.TB, dir string) []question {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "glossary.html"))
	if err != nil {
		t.Fatalf("glossary: %v", err)
	}
	defer f.Close()
	doc, err := html.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	var qs []question
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "dd" {
			var text strings.Builder
			var links []string
			var collect func(n *html.Node)
			collect = func(n *html.Node) {
				if n.Type == html.TextNode {
					text.WriteString(n.Data)
				}
				if n.Type == html.ElementNode && n.Data == "a" {
					for _, a := range n.Attr {
						page, _, _ := strings.Cut(a.Val, "#")
						if a.Key == "href" && strings.HasSuffix(page, ".html") && page != "glossary.html" && !slices.Contains(links, page) {
							links = append(links, page)
						}
					}
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					collect(c)
				}
			}
			collect(n)
			def := strings.Join(strings.Fields(text.String()), " ")
			for _, cut := range []string{"For more information", "See Also", "See also"} {
				def, _, _ = strings.Cut(def, cut)
			}
			def = strings.TrimSpace(def)
			if len(links) > 0 && len(strings.Fields(def)) >= 5 {
				qs = append(qs, question{query: def, targets: links})
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return qs
}

// chunkPage returns the page's text split at headings into chunks of at most
// chunkWords words, each prefixed with the page title, as the indexer does.
func chunkPage(doc *html.Node) []string {
	var title string
	var sections [][]string // words of each section
	cur := []string{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "head", "script", "style":
				if n.Data == "head" {
					title = findTitle(n)
				}
				return
			case "div":
				for _, a := range n.Attr {
					if a.Key == "class" && (a.Val == "navheader" || a.Val == "navfooter" || a.Val == "toc") {
						return
					}
				}
			case "h1", "h2", "h3", "h4":
				if len(cur) > 0 {
					sections = append(sections, cur)
				}
				cur = []string{}
			}
		}
		if n.Type == html.TextNode {
			cur = append(cur, strings.Fields(n.Data)...)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(cur) > 0 {
		sections = append(sections, cur)
	}
	var out []string
	for _, s := range sections {
		for len(s) > 0 {
			n := min(len(s), chunkWords)
			if len(s)-n < chunkWords/4 { // no tiny tail
				n = len(s)
			}
			out = append(out, title+"\n"+strings.Join(s[:n], " "))
			s = s[n:]
		}
	}
	return out
}

func findTitle(n *html.Node) string {
	if n.Type == html.ElementNode && n.Data == "title" && n.FirstChild != nil {
		return strings.TrimSpace(n.FirstChild.Data)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if s := findTitle(c); s != "" {
			return s
		}
	}
	return ""
}

// bm25 is the keyword baseline: Okapi BM25 over chunk stems (k1 1.2, b 0.75).
type bm25 struct {
	docs  []map[string]int
	lens  []float64
	avg   float64
	df    map[string]int
	nDocs float64
}

func newBM25(chunks []docChunk) *bm25 {
	b := &bm25{df: map[string]int{}, nDocs: float64(len(chunks))}
	var total float64
	for _, c := range chunks {
		tf := map[string]int{}
		n := 0
		for _, tok := range tokenize(c.text, nil, nil) {
			if tok.stem == "" {
				continue
			}
			tf[tok.stem]++
			n++
		}
		for w := range tf {
			b.df[w]++
		}
		b.docs = append(b.docs, tf)
		b.lens = append(b.lens, float64(n))
		total += float64(n)
	}
	b.avg = total / b.nDocs
	return b
}

func (b *bm25) scores(query string) []float64 {
	const k1, bb = 1.2, 0.75
	out := make([]float64, len(b.docs))
	seen := map[string]bool{}
	for _, tok := range tokenize(query, nil, nil) {
		if tok.stem == "" || seen[tok.stem] {
			continue
		}
		seen[tok.stem] = true
		df := float64(b.df[tok.stem])
		if df == 0 {
			continue
		}
		idf := math.Log(1 + (b.nDocs-df+0.5)/(df+0.5))
		for i, d := range b.docs {
			tf := float64(d[tok.stem])
			if tf == 0 {
				continue
			}
			out[i] += idf * tf * (k1 + 1) / (tf + k1*(1-bb+bb*b.lens[i]/b.avg))
		}
	}
	return out
}

// rankPages orders pages by their best chunk score.
func rankPages(chunks []docChunk, scores []float64) []string {
	best := map[string]float64{}
	for i, c := range chunks {
		if s, ok := best[c.page]; !ok || scores[i] > s {
			best[c.page] = scores[i]
		}
	}
	pages := make([]string, 0, len(best))
	for p, s := range best {
		if s > 0 || s < 0 {
			pages = append(pages, p)
		}
	}
	slices.SortFunc(pages, func(a, b string) int {
		if c := cmp.Compare(best[b], best[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return pages
}

// fuseRRF merges two page rankings by weighted reciprocal rank fusion
// (k 60): the first with weight 1, the second with weight w.
func fuseRRF(first, second []string, w float64) []string {
	score := map[string]float64{}
	for ri, r := range [][]string{first, second} {
		weight := 1.0
		if ri == 1 {
			weight = w
		}
		for i, p := range r {
			if i >= 100 {
				break
			}
			score[p] += weight / float64(60+i+1)
		}
	}
	pages := make([]string, 0, len(score))
	for p := range score {
		pages = append(pages, p)
	}
	slices.SortFunc(pages, func(a, b string) int {
		if c := cmp.Compare(score[b], score[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return pages
}

// metrics are recall@5 and MRR@10 averaged over questions.
type metrics struct{ recall5, mrr10 float64 }

func (m metrics) String() string { return fmt.Sprintf("R@5 %.3f  MRR@10 %.3f", m.recall5, m.mrr10) }

func evaluate(qs []question, rank func(q string) []string) (metrics, []int) {
	var m metrics
	firstHit := make([]int, len(qs))
	for qi, q := range qs {
		r := rank(q.query)
		firstHit[qi] = -1
		for i, p := range r {
			if i >= 10 {
				break
			}
			if slices.Contains(q.targets, p) {
				firstHit[qi] = i + 1
				break
			}
		}
		if h := firstHit[qi]; h > 0 {
			if h <= 5 {
				m.recall5++
			}
			m.mrr10 += 1 / float64(h)
		}
	}
	n := float64(len(qs))
	m.recall5 /= n
	m.mrr10 /= n
	return m, firstHit
}

// candidate builds an embedding function for a corpus.
type candidate struct {
	name  string
	build func(t testing.TB, chunks []string) func(texts []string) [][]float32
}

func staticCandidate(name string, e Embedder) candidate {
	return candidate{name: name, build: func(t testing.TB, _ []string) func([]string) [][]float32 {
		return func(texts []string) [][]float32 {
			v, err := e.Embed(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}}
}

func experimentCandidates() []candidate {
	cands := []candidate{
		staticCandidate("hash default 512", NewBuiltin(BuiltinOptions{})),
		staticCandidate("hash default 1024", NewBuiltin(BuiltinOptions{Dims: 1024})),
		staticCandidate("hash default 256", NewBuiltin(BuiltinOptions{Dims: 256})),
		staticCandidate("hash words only 512", newBuiltin(512, featureConfig{Unigram: 1, Sublinear: true}, defaultAdapt)),
		staticCandidate("hash words+bigrams 512", newBuiltin(512, featureConfig{Unigram: 1, Bigram: 0.5, Sublinear: true}, defaultAdapt)),
		staticCandidate("hash words+grams 512", newBuiltin(512, featureConfig{Unigram: 1, CharGram: 0.6, MinGram: 3, MaxGram: 5, Sublinear: true}, defaultAdapt)),
		staticCandidate("hash grams only 512", newBuiltin(512, featureConfig{CharGram: 1, MinGram: 3, MaxGram: 5, Sublinear: true}, defaultAdapt)),
	}
	return append(cands, extraCandidates()...)
}

func TestExperiment(t *testing.T) {
	if os.Getenv(experimentFlag) == "" {
		t.Skipf("set %s=1 to run the embedder experiment on the PostgreSQL docs", experimentFlag)
	}
	start := time.Now()
	chunks := loadCorpus(t, pgDocDir)
	sets := []struct {
		name string
		qs   []question
	}{
		{"dev", loadQuestions(t, devQuestions)},
		{"paraphrase", loadQuestions(t, paraQuestions)},
		{"glossary", glossaryQuestions(t, pgDocDir)},
	}
	texts := make([]string, len(chunks))
	pages := map[string]bool{}
	for i, c := range chunks {
		texts[i] = c.text
		pages[c.page] = true
	}
	t.Logf("corpus: %d pages, %d chunks, loaded in %v", len(pages), len(chunks), time.Since(start).Round(time.Millisecond))

	bm := newBM25(chunks)
	bmRank := func(q string) []string { return rankPages(chunks, bm.scores(q)) }
	var bmAll metrics
	var nq float64
	for _, s := range sets {
		m, hits := evaluate(s.qs, bmRank)
		t.Logf("%-11s %-34s %s  (%d questions) first hits %v", s.name, "BM25", m, len(s.qs), hits)
		bmAll.recall5 += float64(len(s.qs)) * m.recall5
		bmAll.mrr10 += float64(len(s.qs)) * m.mrr10
		nq += float64(len(s.qs))
	}
	bmAll.recall5 /= nq
	bmAll.mrr10 /= nq
	t.Logf("%-11s %-34s %s", "ALL", "BM25", bmAll)
	only := os.Getenv("ATLASBRIDGE_EMBED_ONLY")
	for _, c := range experimentCandidates() {
		if only != "" && !strings.Contains(c.name, only) {
			continue
		}
		t0 := time.Now()
		embedFn := c.build(t, texts)
		fit := time.Since(t0)
		t0 = time.Now()
		vecs := embedFn(texts)
		perChunk := time.Since(t0) / time.Duration(len(texts))
		rank := func(q string) []string {
			qv := embedFn([]string{q})[0]
			scores := make([]float64, len(vecs))
			for i, v := range vecs {
				scores[i] = cosine(qv, v)
			}
			return rankPages(chunks, scores)
		}
		// Micro-averages over all questions: alone, and fused with BM25 at
		// two weights of the embedder's ranking.
		var all, fusedHalf, fusedFull metrics
		var nq float64
		for _, s := range sets {
			m, hits := evaluate(s.qs, rank)
			fm, fhits := evaluate(s.qs, func(q string) []string { return fuseRRF(bmRank(q), rank(q), 1) })
			hm, _ := evaluate(s.qs, func(q string) []string { return fuseRRF(bmRank(q), rank(q), 0.5) })
			t.Logf("%-11s %-34s %s  | +BM25 %s  first hits %v / fused %v", s.name, c.name, m, fm, hits, fhits)
			w := float64(len(s.qs))
			nq += w
			for _, p := range []struct{ sum, m *metrics }{{&all, &m}, {&fusedHalf, &hm}, {&fusedFull, &fm}} {
				p.sum.recall5 += w * p.m.recall5
				p.sum.mrr10 += w * p.m.mrr10
			}
		}
		for _, m := range []*metrics{&all, &fusedHalf, &fusedFull} {
			m.recall5 /= nq
			m.mrr10 /= nq
		}
		t.Logf("%-11s %-34s %s  | +BM25·0.5 %s  | +BM25 %s", "ALL", c.name, all, fusedHalf, fusedFull)
		t.Logf("%-11s %-34s fit %v, embed %v/chunk", "", c.name, fit.Round(time.Millisecond), perChunk)
	}
}

// shuffledManual returns n texts of about 300 words made of random sentences
// of the PostgreSQL manual (deterministic), each followed by unique tokens
// never seen before (ids, hashes: a log-like corpus).
func shuffledManual(t *testing.T, n, unique int) iter.Seq[string] {
	t.Helper()
	var sentences []string
	for _, c := range loadCorpus(t, pgDocDir) {
		for _, s := range strings.Split(c.text, ". ") {
			if len(strings.Fields(s)) >= 4 {
				sentences = append(sentences, s)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	return func(yield func(string) bool) {
		var sb strings.Builder
		for range n {
			sb.Reset()
			for sb.Len() < 1800 { // ~300 words
				sb.WriteString(sentences[rng.IntN(len(sentences))])
				sb.WriteString(". ")
			}
			for range unique {
				fmt.Fprintf(&sb, " x%x", rng.Uint64())
			}
			if !yield(sb.String()) {
				return
			}
		}
	}
}

// TestFitAtScale fits the builtin embedder on 100k chunks made by
// shuffling the sentences of the PostgreSQL manual, and reports fit time,
// heap growth and model size:
//
//	ATLASBRIDGE_EMBED_EXPERIMENT=1 go test ./embed -run FitAtScale -v
func TestFitAtScale(t *testing.T) {
	if os.Getenv(experimentFlag) == "" {
		t.Skipf("set %s=1 to run the embedder experiment on the PostgreSQL docs", experimentFlag)
	}
	n := 100_000
	if s := os.Getenv("ATLASBRIDGE_EMBED_SCALE"); s != "" {
		fmt.Sscan(s, &n)
	}
	texts := shuffledManual(t, n, 0)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b := NewBuiltin(BuiltinOptions{})
	ref := benchref.Measure(7)
	start, cpu0 := time.Now(), benchref.CPUTime()
	if err := b.Fit(context.Background(), texts); err != nil {
		t.Fatal(err)
	}
	fit, fitCPU := time.Since(start), benchref.CPUTime()-cpu0
	ref = min(ref, benchref.Measure(7))
	t.Logf("against the reference workload: fit %s, CPU %s", benchref.Ratio(fit, ref), benchref.Ratio(fitCPU, ref))
	runtime.ReadMemStats(&after)
	data, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := NewBuiltin(BuiltinOptions{}).UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d chunks: fit %v, CPU %v (GOMAXPROCS %d), allocated %d MiB, heap after %d MiB, model %d KiB, load %v, %s",
		n, fit.Round(time.Millisecond), fitCPU.Round(time.Millisecond), runtime.GOMAXPROCS(0), (after.TotalAlloc-before.TotalAlloc)>>20,
		after.HeapInuse>>20, len(data)>>10, time.Since(start).Round(time.Millisecond), b.Model())
}
