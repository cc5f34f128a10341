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
		// JQL that has none of = ~ < > ( is still JQL, sent as it is.
		{`sprint in openSprints()`, `sprint in openSprints()`, false},
		{`issue in linkedIssues(OPS-1)`, `issue in linkedIssues(OPS-1)`, false},
		{`assignee in membersOf("jira-users")`, `assignee in membersOf("jira-users")`, false},
		{`fixVersion in unreleasedVersions()`, `fixVersion in unreleasedVersions()`, false},
		{`assignee = currentUser()`, `assignee = currentUser()`, false},
		{`status was Open`, `status was Open`, false},
		{`status was in (Open, "In Progress")`, `status was in (Open, "In Progress")`, false},
		{`status WAS NOT Done`, `status WAS NOT Done`, false},
		{`assignee changed`, `assignee changed`, false},
		{`status changed FROM Open TO Done`, `status changed FROM Open TO Done`, false},
		{`status != Done`, `status != Done`, false},
		// Words that only resemble it are still words.
		{`what was the outage`, `text ~ "what was the outage"`, true},
		{`config changed after deploy`, `text ~ "config changed after deploy"`, true},
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

// TestQueryNotRewritten: valid JQL without a comparison reaches the server
// as it was written, and no note says it was searched as text.
func TestQueryNotRewritten(t *testing.T) {
	f := newFixture(t, "", nil)
	for _, jql := range []string{`status was Open`, `assignee changed`, `issue in linkedIssues(OPS-1)`} {
		text, _ := f.call(t, "jira_search_issues", map[string]any{"jql": jql})
		if strings.Contains(text, `text ~`) || strings.Contains(text, `"searched"`) {
			t.Errorf("%q was searched as text: %.300s", jql, text)
		}
	}
}

// TestPlainWordsNoteShort: the note of a plain-words search quotes at most
// maxQuoted characters of the query, however long.
func TestPlainWordsNoteShort(t *testing.T) {
	f := newFixture(t, "", nil)
	long := strings.Repeat("x", 100_000)
	text := f.ok(t, "jira_search_issues", map[string]any{"jql": "deploy " + long}, nil)
	got, _ := jget(t, text, "searched").(string)
	if got == "" || len(got) > 300 {
		t.Errorf("searched note of %d bytes: %.300s", len(got), got)
	}
}
