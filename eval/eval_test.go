package eval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	cases := []struct {
		name, data string
		want       []Case
		wantErr    string
	}{
		{"ok", "# header\n\nrotate logs\tlogfile.html, runtime.html\nvacuum\tv.html\n",
			[]Case{{"rotate logs", []string{"logfile.html", "runtime.html"}}, {"vacuum", []string{"v.html"}}}, ""},
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
			got, err := Load(p)
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
	if _, err := Load(filepath.Join(t.TempDir(), "missing.tsv")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestRun(t *testing.T) {
	// results holds each question's ranking.
	results := map[string][]string{
		"first":    {"a.html", "b.html"},
		"second":   {"x.html", "B.HTML", "a.html"},
		"sixth":    {"1", "2", "3", "4", "5", "a.html"},
		"eleventh": {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "a.html"},
		"none":     nil,
	}
	rank := func(_ context.Context, q string) ([]string, error) { return results[q], nil }
	for _, tc := range []struct {
		name      string
		cases     []Case
		ranks     []int
		recall    float64
		mrr       float64
		wantError bool
	}{
		{name: "first", cases: []Case{{"first", []string{"nope", "a.html"}}}, ranks: []int{1}, recall: 1, mrr: 1},
		{name: "any wanted page, any case", cases: []Case{{"second", []string{"b.html"}}}, ranks: []int{2}, recall: 1, mrr: 0.5},
		{name: "beyond 5 counts for MRR only", cases: []Case{{"sixth", []string{"a.html"}}}, ranks: []int{6}, recall: 0, mrr: 1.0 / 6},
		{name: "beyond 10 counts for nothing", cases: []Case{{"eleventh", []string{"a.html"}}}, ranks: []int{0}},
		{name: "mean over the cases", cases: []Case{{"first", []string{"a.html"}}, {"none", []string{"a.html"}}, {"second", []string{"a.html"}},
			{"sixth", []string{"zzz"}}}, ranks: []int{1, 0, 3, 0}, recall: 0.5, mrr: (1 + 1.0/3) / 4},
		{name: "no cases"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Run(context.Background(), tc.cases, "keyword", rank)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rep.Ranks, tc.ranks) || rep.Queries != len(tc.cases) ||
				rep.RecallAt5 != tc.recall || rep.MRRAt10 != tc.mrr || rep.Mode != "keyword" {
				t.Fatalf("report = %+v, want ranks %v, recall %v, MRR %v", rep, tc.ranks, tc.recall, tc.mrr)
			}
		})
	}
	failing := func(context.Context, string) ([]string, error) { return nil, errors.New("index closed") }
	if _, err := Run(context.Background(), []Case{{"q", []string{"a"}}}, "hybrid", failing); err == nil || !strings.Contains(err.Error(), "index closed") {
		t.Fatalf("a failing search: %v", err)
	}
}

func TestPageName(t *testing.T) {
	for _, tc := range []struct{ url, title, want string }{
		{"file:///usr/share/doc/html/sql-reindex.html", "REINDEX", "sql-reindex.html"},
		{"", "REINDEX", "REINDEX"},
		{"https://wiki.example/", "Home", "Home"},
	} {
		if got := PageName(tc.url, tc.title); got != tc.want {
			t.Errorf("PageName(%q, %q) = %q, want %q", tc.url, tc.title, got, tc.want)
		}
	}
}
