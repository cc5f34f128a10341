// Package eval scores a search on a question set: each question comes with
// the names of the pages that answer it, and a report gives recall@5 and
// MRR@10 over the set. It knows nothing of how the search ranks: a Ranker
// returns the names of the results, best first.
//
//	cases, err := eval.Load("pgdocs-dev.tsv")
//	rep, err := eval.Run(ctx, cases, "hybrid", func(ctx context.Context, q string) ([]string, error) {
//		… search for q, return the page names of the first 10 results …
//	})
//	fmt.Println(rep) // the mode, recall@5, MRR@10 and the number of queries
package eval

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"path"
	"strings"
)

// Case is one question of a set with the names of the pages that answer it
// (any one of them counts). A question whose answer is not in the corpus
// names the page "-" (OutOfCorpus): it tests that the search says its
// match is weak, and counts in no recall or MRR.
type Case struct {
	Query string
	Want  []string
}

// OutOfCorpus says the corpus holds no answer to c.
func (c Case) OutOfCorpus() bool { return len(c.Want) == 1 && c.Want[0] == "-" }

// Load reads a question set: one case per line, the query, a tab, then the
// acceptable page names separated by commas. Blank lines and lines
// starting with '#' are skipped.
func Load(file string) ([]Case, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("eval: load set: %w", err)
	}
	defer f.Close()
	var cases []Case
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		q, targets, ok := strings.Cut(text, "\t")
		q = strings.TrimSpace(q)
		var want []string
		for _, t := range strings.Split(targets, ",") {
			if t = strings.TrimSpace(t); t != "" {
				want = append(want, t)
			}
		}
		if !ok || q == "" || len(want) == 0 {
			return nil, fmt.Errorf("eval: load set %s:%d: want \"query<TAB>page[,page…]\"", file, line)
		}
		cases = append(cases, Case{Query: q, Want: want})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: load set %s: %w", file, err)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("eval: load set %s: no cases", file)
	}
	return cases, nil
}

// Report is the quality of one search mode over a question set.
type Report struct {
	Mode    string
	Queries int // in the corpus; OutOfCorpus ones apart
	// RecallAt5 is the share of queries with an acceptable page among the
	// first 5 results.
	RecallAt5 float64
	// MRRAt10 is the mean reciprocal rank of the first acceptable page
	// within the first 10 results (0 when none).
	MRRAt10 float64
	// Ranks holds, per case, the 1-based rank of the first acceptable page
	// within 10, or 0 (out-of-corpus cases: 0).
	Ranks []int
	// Judged says a Judge said how sure each answer was: then WeakIn is
	// the share of in-corpus questions whose answer was called weak, and
	// WeakOut that of the OutOfCorpus ones (of OutOfCorpus questions).
	Judged          bool
	WeakIn, WeakOut float64
	OutOfCorpus     int
}

// String is the report on one line.
func (r Report) String() string {
	s := fmt.Sprintf("%-9s recall@5=%.3f MRR@10=%.3f (%d queries)", r.Mode, r.RecallAt5, r.MRRAt10, r.Queries)
	if r.Queries == 0 {
		s = fmt.Sprintf("%-9s no question the corpus answers", r.Mode)
		if r.Judged {
			return fmt.Sprintf("%-9s weak: %.0f%% of %d out of corpus", r.Mode, 100*r.WeakOut, r.OutOfCorpus)
		}
		return s
	}
	if r.Judged {
		s += fmt.Sprintf(" weak: %.0f%% of them", 100*r.WeakIn)
		if r.OutOfCorpus > 0 {
			s += fmt.Sprintf(", %.0f%% of %d out of corpus", 100*r.WeakOut, r.OutOfCorpus)
		}
	}
	return s
}

// Ranker returns the names of the results of a search for query, best
// first; only the first 10 count.
type Ranker func(ctx context.Context, query string) ([]string, error)

// Judge is a Ranker that also says whether its answer is weak (the search
// is not sure of it).
type Judge func(ctx context.Context, query string) (names []string, weak bool, err error)

// Run asks rank every case's question and scores the answers; mode names
// the search in the report. Out-of-corpus cases are not asked.
func Run(ctx context.Context, cases []Case, mode string, rank Ranker) (Report, error) {
	var in []Case
	for _, c := range cases {
		if !c.OutOfCorpus() {
			in = append(in, c)
		}
	}
	rep, err := RunJudged(ctx, in, mode, func(ctx context.Context, q string) ([]string, bool, error) {
		names, err := rank(ctx, q)
		return names, false, err
	})
	rep.Judged = false
	return rep, err
}

// RunJudged is Run with a search that says how sure it is: the report
// gives, besides, how often it called its answer weak, in and out of the
// corpus.
func RunJudged(ctx context.Context, cases []Case, mode string, judge Judge) (Report, error) {
	rep := Report{Mode: mode, Ranks: make([]int, len(cases)), Judged: true}
	for i, c := range cases {
		names, weak, err := judge(ctx, c.Query)
		if err != nil {
			return rep, fmt.Errorf("eval: %q: %w", c.Query, err)
		}
		if c.OutOfCorpus() {
			rep.OutOfCorpus++
			if weak {
				rep.WeakOut++
			}
			continue
		}
		rep.Queries++
		if weak {
			rep.WeakIn++
		}
		for r, name := range names[:min(10, len(names))] {
			if containsFold(c.Want, name) {
				rep.Ranks[i] = r + 1
				break
			}
		}
		if r := rep.Ranks[i]; r > 0 {
			if r <= 5 {
				rep.RecallAt5++
			}
			rep.MRRAt10 += 1 / float64(r)
		}
	}
	if rep.Queries > 0 {
		rep.RecallAt5 /= float64(rep.Queries)
		rep.MRRAt10 /= float64(rep.Queries)
		rep.WeakIn /= float64(rep.Queries)
	}
	if rep.OutOfCorpus > 0 {
		rep.WeakOut /= float64(rep.OutOfCorpus)
	}
	return rep, nil
}

// PageName is the name a question set gives the page at rawURL: the last
// element of its path (e.g. "sql-reindex.html"), or title when the URL has
// no path.
func PageName(rawURL, title string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Path != "" && u.Path != "/" {
		return path.Base(u.Path)
	}
	return title
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
