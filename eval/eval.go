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
// (any one of them counts).
type Case struct {
	Query string
	Want  []string
}

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
	Queries int
	// RecallAt5 is the share of queries with an acceptable page among the
	// first 5 results.
	RecallAt5 float64
	// MRRAt10 is the mean reciprocal rank of the first acceptable page
	// within the first 10 results (0 when none).
	MRRAt10 float64
	// Ranks holds, per case, the 1-based rank of the first acceptable page
	// within 10, or 0.
	Ranks []int
}

// String is the report on one line.
func (r Report) String() string {
	return fmt.Sprintf("%-7s recall@5=%.3f MRR@10=%.3f (%d queries)", r.Mode, r.RecallAt5, r.MRRAt10, r.Queries)
}

// Ranker returns the names of the results of a search for query, best
// first; only the first 10 count.
type Ranker func(ctx context.Context, query string) ([]string, error)

// Run asks rank every case's question and scores the answers; mode names
// the search in the report.
func Run(ctx context.Context, cases []Case, mode string, rank Ranker) (Report, error) {
	rep := Report{Mode: mode, Queries: len(cases), Ranks: make([]int, len(cases))}
	if len(cases) == 0 {
		return rep, nil
	}
	for i, c := range cases {
		names, err := rank(ctx, c.Query)
		if err != nil {
			return rep, fmt.Errorf("eval: %q: %w", c.Query, err)
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
	rep.RecallAt5 /= float64(len(cases))
	rep.MRRAt10 /= float64(len(cases))
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
