package search

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"path"
	"strings"
)

// EvalCase is one question of an evaluation set with the names of the pages
// that answer it (any one of them counts).
type EvalCase struct {
	Query string
	Want  []string
}

// LoadEvalCases reads an evaluation set: one case per line, the query, a
// tab, then the acceptable page names separated by commas. Blank lines and
// lines starting with '#' are skipped.
func LoadEvalCases(file string) ([]EvalCase, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("search: load eval set: %w", err)
	}
	defer f.Close()
	var cases []EvalCase
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
			return nil, fmt.Errorf("search: load eval set %s:%d: want \"query<TAB>page[,page…]\"", file, line)
		}
		cases = append(cases, EvalCase{Query: q, Want: want})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("search: load eval set %s: %w", file, err)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("search: load eval set %s: no cases", file)
	}
	return cases, nil
}

// EvalReport is the quality of one search mode over an evaluation set.
type EvalReport struct {
	Mode    Mode
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

// String is the report on one line, as the eval test prints it.
func (r EvalReport) String() string {
	return fmt.Sprintf("%-7s recall@5=%.3f MRR@10=%.3f (%d queries)", r.Mode, r.RecallAt5, r.MRRAt10, r.Queries)
}

// PageName maps a result to the page name an evaluation set uses: the last
// element of its URL's path (e.g. "sql-reindex.html"), or its title when the
// URL has no path.
func PageName(r Result) string {
	if u, err := url.Parse(r.URL); err == nil && u.Path != "" && u.Path != "/" {
		return path.Base(u.Path)
	}
	return r.Title
}

// Evaluate runs every case against x in the given mode, naming results with
// name (PageName when nil), and scores the rankings.
func Evaluate(ctx context.Context, x *Index, cases []EvalCase, mode Mode, name func(Result) string) (EvalReport, error) {
	return evaluate(ctx, x, cases, mode, name, defaultFusion)
}

func evaluate(ctx context.Context, x *Index, cases []EvalCase, mode Mode, name func(Result) string, fu fusion) (EvalReport, error) {
	if name == nil {
		name = PageName
	}
	rep := EvalReport{Mode: mode, Queries: len(cases), Ranks: make([]int, len(cases))}
	if len(cases) == 0 {
		return rep, nil
	}
	for i, c := range cases {
		rs, err := x.search(ctx, Query{Text: c.Query, K: 10, Mode: mode}, fu)
		if err != nil {
			return rep, fmt.Errorf("search: evaluate %q: %w", c.Query, err)
		}
		for rank, r := range rs {
			if containsFold(c.Want, name(r)) {
				rep.Ranks[i] = rank + 1
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

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
