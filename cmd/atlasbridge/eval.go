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
	"time"

	"github.com/atlasbridge/atlasbridge/eval"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// defaultEvalHTML is Debian's postgresql-doc-15, the corpus of the eval sets.
const defaultEvalHTML = "/usr/share/doc/postgresql-doc-15/html"

// defaultEvalSets are tried, relative to the working directory, when no
// --set is given: the team's dev set and our own paraphrases.
var defaultEvalSets = []string{"eval/testdata/pgdocs-dev.tsv", "embed/testdata/pgdocs-paraphrase.tsv"}

// evalResult is the outcome of one eval run.
type evalResult struct {
	Corpus  string                   `json:"corpus"`
	Pages   int                      `json:"pages"`
	Chunks  int                      `json:"chunks"`
	Model   string                   `json:"model"`
	SyncSec float64                  `json:"sync_seconds"`
	Sets    map[string][]eval.Report `json:"sets"`
}

// runEval is `atlasbridge eval`: it imports an HTML folder into the
// simulator as one space, syncs it with the builtin embedder through the
// real clients and indexer, and scores keyword-only, vector-only and hybrid
// search on question sets (recall@5, MRR@10).
func runEval(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	html := fs.String("html", defaultEvalHTML, "folder of HTML pages imported as one space")
	asJSON := fs.Bool("json", false, "print the reports as one JSON object")
	var sets listFlag
	fs.Var(&sets, "set", "question set: TSV of query<TAB>acceptable,page,names (repeatable; default the pgdocs sets)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: atlasbridge eval [--html DIR] [--set FILE.tsv]... [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: 2}
	}
	if len(sets) == 0 {
		for _, s := range defaultEvalSets {
			if _, err := os.Stat(s); err == nil {
				sets = append(sets, s)
			}
		}
		if len(sets) == 0 {
			return &exitError{code: 2, err: errors.New("eval: no question set found: give --set FILE.tsv")}
		}
	}
	quiet := *cfg
	if quiet.LogLevel == slog.LevelInfo {
		quiet.LogLevel = slog.LevelWarn
	}
	res, err := evalCorpus(ctx, *html, sets, quiet.logger(stderr))
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "corpus %s: %d pages, %d chunks, synced in %.1fs, embedder %s\n", res.Corpus, res.Pages, res.Chunks, res.SyncSec, res.Model)
	for _, set := range sets {
		fmt.Fprintf(stdout, "\n%s\n", set)
		for _, r := range res.Sets[set] {
			fmt.Fprintf(stdout, "  %s\n", r)
		}
	}
	return nil
}

// evalCorpus syncs htmlDir through the simulator and scores every set in
// the three modes.
func evalCorpus(ctx context.Context, htmlDir string, sets []string, log *slog.Logger) (*evalResult, error) {
	if _, err := os.Stat(htmlDir); err != nil {
		return nil, fmt.Errorf("eval: corpus %s: %w (on Debian: apt-get install postgresql-doc-15)", htmlDir, err)
	}
	cases := map[string][]eval.Case{}
	for _, s := range sets {
		cs, err := eval.Load(s)
		if err != nil {
			return nil, err
		}
		cases[s] = cs
	}
	// A clock that stands still keeps every date in the pages, and so every
	// chunk text and the embedder fitted on them, the same from run to run.
	epoch := time.Date(2025, 1, 15, 9, 0, 0, 0, time.UTC)
	sb, err := openSandbox(ctx, "eval", sim.Options{Spaces: []sim.SpaceImport{{Key: "PG", Name: "PostgreSQL", HTMLDir: htmlDir}},
		JiraIssues: -1, Clock: func() time.Time { return epoch }}, false, log)
	if err != nil {
		return nil, fmt.Errorf("eval: import %s: %w", htmlDir, err)
	}
	defer sb.Close(false)
	idx, sim := sb.Index, sb.Sim
	began := time.Now()
	if _, _, err := sb.Sync(ctx, nil); err != nil {
		return nil, fmt.Errorf("eval: %s: %w", htmlDir, err)
	}
	st, err := idx.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	res := &evalResult{Corpus: htmlDir, Pages: st.Documents, Chunks: st.Chunks, Model: st.Model,
		SyncSec: time.Since(began).Seconds(), Sets: map[string][]eval.Report{}}
	// Results name pages by the file they were imported from.
	name := func(r search.Result) string {
		if f, ok := sim.SourceFile(r.Key); ok {
			return filepath.Base(f)
		}
		return r.Title
	}
	for _, s := range sets {
		for _, mode := range []search.Mode{search.Keyword, search.Vector, search.Hybrid} {
			rep, err := eval.Run(ctx, cases[s], string(mode), func(ctx context.Context, q string) ([]string, error) {
				rs, err := idx.Search(ctx, search.Query{Text: q, K: 10, Mode: mode})
				names := make([]string, len(rs))
				for i, r := range rs {
					names[i] = name(r)
				}
				return names, err
			})
			if err != nil {
				return nil, fmt.Errorf("eval: %s: %w", s, err)
			}
			res.Sets[s] = append(res.Sets[s], rep)
		}
	}
	return res, nil
}
