package mcp

import (
	"strings"
	"testing"
)

func TestWordsQuery(t *testing.T) {
	for _, tc := range []struct {
		in, want  string
		converted bool
	}{
		{`deploy rollback`, `text ~ "deploy rollback"`, true},
		{`login "timeout" bugs`, `text ~ "login timeout bugs"`, true},
		{`what is the on-call rotation?`, `text ~ "what is the on call rotation"`, true},
		{`space = ENG`, `space = ENG`, false},
		{`text ~ "deploy"`, `text ~ "deploy"`, false},
		{`project in (OPS, WEB)`, `project in (OPS, WEB)`, false},
		{`assignee is EMPTY`, `assignee is EMPTY`, false},
		{`type = page ORDER BY title`, `type = page ORDER BY title`, false},
		{`created > -1d`, `created > -1d`, false},
		{`!!! ???`, `!!! ???`, false},
	} {
		got, converted := wordsQuery(tc.in)
		if got != tc.want || converted != tc.converted {
			t.Errorf("wordsQuery(%q) = %q, %v; want %q, %v", tc.in, got, converted, tc.want, tc.converted)
		}
	}
}

// TestPlainWordsSearch: plain words given to the CQL and JQL tools find
// what text ~ finds, and the answer says which query ran.
func TestPlainWordsSearch(t *testing.T) {
	f := newFixture(t, "", nil)
	for _, tc := range []struct{ tool, arg, words, rows string }{
		{"confluence_search_pages", "cql", "rollback deployment", "results"},
		{"jira_search_issues", "jql", "backup failed", "issues"},
	} {
		text := f.ok(t, tc.tool, map[string]any{tc.arg: tc.words}, nil)
		if got, _ := jget(t, text, "searched").(string); !strings.Contains(got, `text ~ "`+tc.words+`"`) {
			t.Errorf("%s %q: searched %q", tc.tool, tc.words, got)
		}
		if rows, _ := jget(t, text, tc.rows).([]any); len(rows) == 0 {
			t.Errorf("%s %q found nothing: %.300s", tc.tool, tc.words, text)
		}
		ql := f.ok(t, tc.tool, map[string]any{tc.arg: `text ~ "` + tc.words + `"`}, nil)
		if strings.Contains(ql, `"searched"`) {
			t.Errorf("%s: a real query is reported as plain words: %.200s", tc.tool, ql)
		}
	}
}
