package eval

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPageBM25(t *testing.T) {
	ref := NewPageBM25([]RefPage{
		{Name: "vacuum.html", Title: "Routine Vacuuming", Headings: []string{"Recovering Disk Space"}, Body: "VACUUM reclaims storage occupied by dead tuples."},
		{Name: "backup.html", Title: "Backup and Restore", Body: "pg_dump writes a database to a file; pg_restore reads it back."},
		{Name: "index.html", Title: "Indexes", Body: "An index speeds up queries. Indexes on tables cost space and write time."},
	})
	tests := []struct {
		q     string
		first string // "" when nothing matches
	}{
		{"how do I reclaim disk space", "vacuum.html"},
		{"restore a database from a dump file", "backup.html"},
		{"index", "index.html"}, // "indexes" folds to "indexe"; "index" is in the body
		{"the of and", ""},      // stop words only
		{"kubernetes", ""},
	}
	for _, tc := range tests {
		got, err := ref.Rank(context.Background(), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if tc.first == "" {
			if len(got) != 0 {
				t.Errorf("%q: got %v, want nothing", tc.q, got)
			}
			continue
		}
		if len(got) == 0 || got[0] != tc.first {
			t.Errorf("%q: got %v, want %s first", tc.q, got, tc.first)
		}
	}
}

func TestRunJudged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "set.tsv")
	data := "rotate logs\ta.html\nkubernetes pods\t-\npayroll\t-\nvacuum\tb.html\n"
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	cases, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.IndexFunc(cases, Case.OutOfCorpus); got != 1 {
		t.Fatalf("first out-of-corpus case at %d, want 1", got)
	}
	// The search finds a.html and calls "vacuum" and "payroll" weak.
	judge := func(_ context.Context, q string) ([]string, bool, error) {
		return []string{"a.html"}, q == "vacuum" || q == "payroll", nil
	}
	rep, err := RunJudged(context.Background(), cases, "hybrid", judge)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queries != 2 || rep.OutOfCorpus != 2 || rep.RecallAt5 != 0.5 || rep.WeakIn != 0.5 || rep.WeakOut != 0.5 {
		t.Fatalf("report %+v", rep)
	}
	plain, err := Run(context.Background(), cases, "keyword", func(ctx context.Context, q string) ([]string, error) {
		names, _, err := judge(ctx, q)
		return names, err
	})
	if err != nil || plain.Queries != 2 || plain.Judged || plain.RecallAt5 != 0.5 {
		t.Fatalf("Run: %+v, %v", plain, err)
	}
}
