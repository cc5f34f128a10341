package retrieve_test

import (
	"strings"
	"testing"
	"time"
	"unicode"

	samples "github.com/atlasbridge/atlasbridge/testdata/atlassian-samples"

	"github.com/atlasbridge/atlasbridge/internal/sim/ql"
	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

// liveRecord is a page or issue for the simulator's query evaluator.
type liveRecord map[string][]string

func (r liveRecord) Values(f string) []string { return r[f] }
func (r liveRecord) Time(string) (time.Time, bool) {
	return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), true
}
func (r liveRecord) Text(f string) string { return strings.Join(r[f], " ") }

// FuzzLiveQueries checks the queries of the live fallback built from any
// question and filter values: QueryWords keeps only words, and
// ConfluenceCQL and JiraJQL always produce a query the simulator's parser
// accepts, that names only the fields the fallback means to use, and that
// never matches a document outside the configured allow-list (no value
// escapes its quotes).
func FuzzLiveQueries(f *testing.F) {
	for _, s := range []string{
		"how do we roll back a deploy?", `" OR space = "SECRET`, `") OR (project = "X`, "text ~ \"x\" OR type = page",
		"ünïcödé 日本語 \u202e", "AND OR NOT TO", "a.b c_d 1.2.3 ..", "\x00\xff\xfe", `\" \\ '`, strings.Repeat("word ", 50),
	} {
		f.Add(s, "ENG", "runbook", "Done", false)
		f.Add(s, `ENG") OR space != ("X`, `l" OR label != "x`, `In "Progress"`, true)
	}
	for _, s := range samples.Texts(200) {
		f.Add(s, "OPS", s, "In Progress", len(s)%2 == 0)
	}
	f.Fuzz(func(t *testing.T, text, container, label, status string, any bool) {
		words := retrieve.QueryWords(text, 8)
		if len(words) > 8 {
			t.Fatalf("QueryWords(%q, 8) kept %d words", text, len(words))
		}
		for _, w := range words {
			if w == "" || strings.IndexFunc(w, func(r rune) bool {
				return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '.'
			}) >= 0 {
				t.Fatalf("QueryWords(%q) kept %q, which is not a word", text, w)
			}
		}
		if len(words) == 0 {
			return // the fallback asks nothing
		}
		q := search.Query{Text: text, Spaces: []string{container}, Projects: []string{container},
			Labels: []string{label}, Statuses: []string{status}, Types: []string{status},
			UpdatedAfter: time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)}
		// The allow-list holds the asked container, so the query is built;
		// a document in another container must never match it.
		live := &retrieve.Live{Spaces: []string{container}, Projects: []string{container}}
		for _, tc := range []struct {
			d      ql.Dialect
			build  func(search.Query, []string, bool) (string, bool)
			fields []string
			scope  string
		}{
			{ql.CQL, live.ConfluenceCQL, []string{"text", "type", "space", "label", "lastmodified"}, "space"},
			{ql.JQL, live.JiraJQL, []string{"text", "project", "status", "issuetype", "labels", "updated"}, "project"},
		} {
			query, ok := tc.build(q, words, any)
			if !ok {
				t.Fatalf("%v: no query for a container inside the allow-list", tc.d)
			}
			pq, err := ql.Parse(tc.d, query)
			if err != nil {
				t.Fatalf("%v query %q does not parse: %v", tc.d, query, err)
			}
			for _, fld := range pq.Fields() {
				if !containsString(tc.fields, fld) {
					t.Fatalf("%v query %q names the field %q: a value escaped its quotes", tc.d, query, fld)
				}
			}
			outside := liveRecord{
				"text": words, "type": {"page"}, "space": {"zzzother"}, "project": {"zzzother"},
				"label": {label}, "labels": {label}, "status": {status}, "issuetype": {status},
			}
			if pq.Match(outside, ql.Env{}) {
				t.Fatalf("%v query %q matches a document outside the allow-list", tc.d, query)
			}
		}
	})
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
