package retrieve_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

// TestLiveSnippets checks the snippets of live hits: plain text (no Jira
// wiki markup, no highlight marks) within the size the query asks for.
func TestLiveSnippets(t *testing.T) {
	w := newWorld(t, false)
	s := retrieve.New(retrieve.Options{Live: &retrieve.Live{Confluence: w.conf, Jira: w.jira}})
	for _, size := range []int{0, 100} {
		ans, err := s.Search(t.Context(), retrieve.Query{Query: search.Query{Text: "dashboard errors rollback", K: 10, SnippetSize: size}})
		if err != nil {
			t.Fatal(err)
		}
		limit := max(size, 0)
		if limit == 0 {
			limit = search.DefaultSnippetSize
		}
		jira := 0
		for _, h := range ans.Hits {
			if h.Origin != retrieve.OriginLive {
				t.Fatalf("hit %s from %s without an index", h.Key, h.Origin)
			}
			if h.Source == search.SourceJira {
				if jira == 0 {
					t.Logf("size %d: %s: %s", size, h.Key, h.Snippet)
				}
				jira++
			}
			if len(h.Snippet) > limit || !utf8.ValidString(h.Snippet) {
				t.Errorf("size %d: snippet of %d bytes: %q", size, len(h.Snippet), h.Snippet)
			}
			for _, mark := range []string{"h3.", "{noformat}", "{code", "||", "[~", "|http", "@@@hl", "{{"} {
				if strings.Contains(h.Snippet, mark) {
					t.Errorf("snippet of %s has %q: %q", h.Key, mark, h.Snippet)
				}
			}
		}
		if jira == 0 {
			t.Fatalf("no live Jira hit for the test to read: %+v", ans.Hits)
		}
	}
}
