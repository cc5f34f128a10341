package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/eval"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// defaultEvalHTML is Debian's postgresql-doc-15, the corpus of the eval sets.
const defaultEvalHTML = "/usr/share/doc/postgresql-doc-15/html"

// defaultEvalSets are tried, relative to the working directory, when no
// --set is given: the team's dev set, our own paraphrases and questions
// the manual does not answer.
var defaultEvalSets = []string{"eval/testdata/pgdocs-dev.tsv", "embed/testdata/pgdocs-paraphrase.tsv",
	"eval/testdata/pgdocs-outofcorpus.tsv"}

// evalResult is the outcome of one eval run: one corpus (or the user's
// index) searched with one embedder.
type evalResult struct {
	Corpus  string                   `json:"corpus"`
	Pages   int                      `json:"pages"`
	Chunks  int                      `json:"chunks"`
	Model   string                   `json:"model"`
	SyncSec float64                  `json:"sync_seconds,omitempty"`
	Sets    map[string][]eval.Report `json:"sets"`
}

// runEval is `atlasbridge eval`: it imports an HTML folder into the
// simulator as one space, syncs it through the real clients and indexer,
// and scores keyword-only, vector-only and hybrid search, and a plain
// page-level BM25 as the reference, on question sets (recall@5, MRR@10,
// and how often hybrid calls its answer weak). --index scores the index
// sync built instead, and --embedder compares embedders on the corpus.
func runEval(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	html := fs.String("html", defaultEvalHTML, "folder of HTML pages imported as one space")
	own := fs.Bool("index", false, "score the index of ATLASBRIDGE_DATA_DIR (what sync built) instead of --html")
	asJSON := fs.Bool("json", false, "print the reports as one JSON object")
	var sets, embedders listFlag
	fs.Var(&sets, "set", "question set: TSV of query<TAB>acceptable pages (file names, titles, keys or ids; - when none answers); repeatable")
	fs.Var(&embedders, "embedder", "embedders to compare on --html: builtin, ollama, openai (comma-separated; default builtin; the configured one uses ATLASBRIDGE_EMBED_*)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: atlasbridge eval [--html DIR | --index] [--set FILE.tsv]... [--embedder KIND,...] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: 2}
	}
	if len(sets) == 0 && !*own {
		for _, s := range defaultEvalSets {
			if _, err := os.Stat(s); err == nil {
				sets = append(sets, s)
			}
		}
	}
	if len(sets) == 0 {
		return &exitError{code: 2, err: errors.New("eval: no question set found: give --set FILE.tsv")}
	}
	if *own && len(embedders) > 0 {
		return &exitError{code: 2, err: errors.New("eval: --embedder compares embedders on --html; --index uses the embedder its sync used")}
	}
	var ecs []embed.Config
	for _, kind := range embedders {
		ec, err := evalEmbedder(cfg, kind)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		ecs = append(ecs, ec)
	}
	if len(ecs) == 0 {
		ecs = []embed.Config{{Kind: embed.KindBuiltin}}
	}
	quiet := *cfg
	if quiet.LogLevel == slog.LevelInfo {
		quiet.LogLevel = slog.LevelWarn
	}
	log := quiet.logger(stderr)
	var results []*evalResult
	if *own {
		res, err := evalOwnIndex(ctx, cfg, sets, log)
		if err != nil {
			return err
		}
		results = append(results, res)
	} else {
		for _, ec := range ecs {
			res, err := evalCorpusWith(ctx, *html, sets, ec, log)
			if err != nil {
				return fmt.Errorf("%w (embedder %s)", err, ec.Kind)
			}
			results = append(results, res)
		}
	}
	if *asJSON {
		if len(results) == 1 {
			return json.NewEncoder(stdout).Encode(results[0])
		}
		return json.NewEncoder(stdout).Encode(struct {
			Runs []*evalResult `json:"runs"`
		}{results})
	}
	for _, res := range results {
		writeEvalResult(stdout, res, sets)
	}
	return nil
}

// evalEmbedder is the embedder configuration of kind: the configured one
// when it is that kind, else the kind's defaults.
func evalEmbedder(cfg *config, kind string) (embed.Config, error) {
	switch kind {
	case embed.KindBuiltin, embed.KindOllama, embed.KindOpenAI:
	default:
		return embed.Config{}, fmt.Errorf("eval: --embedder %q: want builtin, ollama or openai", kind)
	}
	if strings.EqualFold(cfg.Embed.Kind, kind) || cfg.Embed.Kind == "" && kind == embed.KindBuiltin {
		ec := cfg.Embed
		ec.Kind = kind
		return ec, nil
	}
	return embed.Config{Kind: kind}, nil
}

// writeEvalResult prints one run as a table per set.
func writeEvalResult(w io.Writer, res *evalResult, sets []string) {
	fmt.Fprintf(w, "corpus %s: %d pages, %d chunks", res.Corpus, res.Pages, res.Chunks)
	if res.SyncSec > 0 {
		fmt.Fprintf(w, ", synced in %.1fs", res.SyncSec)
	}
	fmt.Fprintf(w, ", embedder %s\n", res.Model)
	for _, set := range sets {
		fmt.Fprintf(w, "\n%s\n", set)
		for _, r := range res.Sets[set] {
			fmt.Fprintf(w, "  %s\n", r)
		}
	}
	fmt.Fprintln(w)
}

// evalCorpus syncs htmlDir through the simulator with the builtin
// embedder and scores every set.
func evalCorpus(ctx context.Context, htmlDir string, sets []string, log *slog.Logger) (*evalResult, error) {
	return evalCorpusWith(ctx, htmlDir, sets, embed.Config{Kind: embed.KindBuiltin}, log)
}

// evalCorpusWith syncs htmlDir through the simulator with the embedder of
// ec and scores every set.
func evalCorpusWith(ctx context.Context, htmlDir string, sets []string, ec embed.Config, log *slog.Logger) (*evalResult, error) {
	if _, err := os.Stat(htmlDir); err != nil {
		return nil, fmt.Errorf("eval: corpus %s: %w (on Debian: apt-get install postgresql-doc-15)", htmlDir, err)
	}
	cases, err := loadSets(sets)
	if err != nil {
		return nil, err
	}
	// A clock that stands still keeps every date in the pages, and so every
	// chunk text and the embedder fitted on them, the same from run to run.
	epoch := time.Date(2025, 1, 15, 9, 0, 0, 0, time.UTC)
	sb, err := openSandboxWith(ctx, "eval", sim.Options{Spaces: []sim.SpaceImport{{Key: "PG", Name: "PostgreSQL", HTMLDir: htmlDir}},
		JiraIssues: -1, Clock: func() time.Time { return epoch }}, false, ec, log)
	if err != nil {
		return nil, fmt.Errorf("eval: import %s: %w", htmlDir, err)
	}
	defer sb.Close(false)
	began := time.Now()
	if _, _, err := sb.Sync(ctx, nil); err != nil {
		return nil, fmt.Errorf("eval: %s: %w", htmlDir, err)
	}
	took := time.Since(began)
	world := sb.Sim
	// Results name pages by the file they were imported from.
	names := func(r search.Result) []string {
		if f, ok := world.SourceFile(r.Key); ok {
			return []string{filepath.Base(f)}
		}
		return []string{r.Title}
	}
	res, err := scoreIndex(ctx, sb.Index, htmlDir, cases, sets, names)
	if err != nil {
		return nil, err
	}
	res.SyncSec = took.Seconds()
	return res, nil
}

// evalOwnIndex scores the sets on the index sync built, read as search
// reads it. Its questions name their pages by any of: the last element of
// the URL's path, the title, the key (page id or issue key) or the
// document id.
func evalOwnIndex(ctx context.Context, cfg *config, sets []string, log *slog.Logger) (*evalResult, error) {
	cases, err := loadSets(sets)
	if err != nil {
		return nil, err
	}
	idx, err := openReadIndex(ctx, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	defer idx.Close()
	names := func(r search.Result) []string {
		return []string{eval.PageName(r.URL, r.Title), r.Title, r.Key, r.DocID}
	}
	return scoreIndex(ctx, idx, idx.Dir(), cases, sets, names)
}

func loadSets(sets []string) (map[string][]eval.Case, error) {
	cases := map[string][]eval.Case{}
	for _, s := range sets {
		cs, err := eval.Load(s)
		if err != nil {
			return nil, err
		}
		cases[s] = cs
	}
	return cases, nil
}

// scoreIndex scores every set on idx in the three modes and against the
// page-level BM25 reference built from the same pages. names gives the
// names a question may call a result by; the first a set uses counts.
func scoreIndex(ctx context.Context, idx *search.Index, corpus string, cases map[string][]eval.Case, sets []string,
	names func(search.Result) []string) (*evalResult, error) {
	st, err := idx.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	res := &evalResult{Corpus: corpus, Pages: st.Documents, Chunks: st.Chunks, Model: st.Model, Sets: map[string][]eval.Report{}}
	var pages []search.Page
	if err := idx.Pages(ctx, func(p search.Page) error { pages = append(pages, p); return nil }); err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	for _, s := range sets {
		wanted := map[string]bool{}
		for _, c := range cases[s] {
			for _, w := range c.Want {
				wanted[strings.ToLower(w)] = true
			}
		}
		name := func(r search.Result) string {
			all := names(r)
			for _, n := range all {
				if wanted[strings.ToLower(n)] {
					return n
				}
			}
			return all[0]
		}
		for _, mode := range []search.Mode{search.Keyword, search.Vector, search.Hybrid} {
			rep, err := eval.RunJudged(ctx, cases[s], string(mode), func(ctx context.Context, q string) ([]string, bool, error) {
				rs, err := idx.Search(ctx, search.Query{Text: q, K: 10, Mode: mode})
				out := make([]string, len(rs))
				for i, r := range rs {
					out[i] = name(r)
				}
				_, weak := search.Confidence(rs)
				return out, weak, err
			})
			if err != nil {
				return nil, fmt.Errorf("eval: %s: %w", s, err)
			}
			if mode != search.Hybrid {
				rep.Judged = false // the product judges its hybrid answers only
			}
			res.Sets[s] = append(res.Sets[s], rep)
		}
		refPages := make([]eval.RefPage, len(pages))
		for i, p := range pages {
			refPages[i] = eval.RefPage{Name: name(p.Result), Title: p.Title, Headings: p.Headings, Body: p.Body}
		}
		rep, err := eval.Run(ctx, cases[s], eval.ReferenceMode, eval.NewPageBM25(refPages).Rank)
		if err != nil {
			return nil, fmt.Errorf("eval: %s: %w", s, err)
		}
		res.Sets[s] = append(res.Sets[s], rep)
	}
	return res, nil
}
