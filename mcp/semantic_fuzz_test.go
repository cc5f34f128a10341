package mcp

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

// FuzzSemanticAnswer feeds arbitrary server text (titles, snippets,
// statuses, spaces, types) to the shaping of a semantic answer of n hits:
// no panic, a table whose rows match its columns, a hit per result in
// order, and the budget kept whenever refs, spaces and URLs are of a
// sane length (fit keeps identifiers whole).
//
//	go test ./mcp -run '^$' -fuzz '^FuzzSemanticAnswer$' -fuzztime 60s
func FuzzSemanticAnswer(f *testing.F) {
	f.Add("Pager alert storm from auth-gateway during the Thursday deploy window", "…joins the on-call rotation. A shift lasts one week,…", "Reopened", "ENG", "page", 10, uint16(0b0101))
	f.Add(strings.Repeat("Ü", 300), strings.Repeat("\u2028\"\\", 200), "", "", "comment", 50, uint16(0xffff))
	f.Add("bad \xff utf-8 \x01", "<b>&amp;</b>", "In\tProgress", "SEC", "blogpost", 1, uint16(1))
	f.Add("", "", "", "", "", 3, uint16(0))
	f.Fuzz(func(t *testing.T, title, snippet, status, space, typ string, n int, mix uint16) {
		n = 1 + abs(n)%maxHits
		conf, _ := atlassian.NewConfluence("http://wiki.invalid", atlassian.Options{})
		jira, _ := atlassian.NewJira("http://jira.invalid", atlassian.Options{})
		s := &Server{conf: conf, jira: jira}
		var hits []retrieve.Hit
		for i := range n {
			bit := mix>>(i%16)&1 == 1
			r := search.Result{Source: search.SourceConfluence, Container: space, Key: fmt.Sprint(1000 + i), Type: typ,
				Title: title[:len(title)*(i+1)/n], Snippet: snippet, Updated: time.Date(2026, 1, 1+i%28, 0, 0, 0, 0, time.UTC), URL: "http://wiki.invalid/x"}
			if bit {
				r = search.Result{Source: search.SourceJira, Container: "OPS", Key: fmt.Sprintf("OPS-%d", i), Title: title, Status: status, Snippet: snippet[:len(snippet)*i/n]}
			}
			r.DocID = search.DocID(r.Source, r.Key)
			origin := retrieve.OriginIndex
			if bit && i%3 == 0 {
				origin = retrieve.OriginLive
			}
			hits = append(hits, retrieve.Hit{Result: r, Origin: origin, Stale: i%5 == 4})
		}
		var of *retrieve.Hit
		if mix&0x8000 != 0 {
			of = &hits[0]
			hits = hits[1:]
		}
		out := s.semanticAnswer(retrieve.Answer{Hits: hits, Fallback: "the best match is weak"}, n, "", of)
		b, err := encode(out)
		if err != nil {
			t.Fatalf("does not encode: %v", err)
		}
		var a answer
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if len(a.Results) != len(hits) {
			t.Fatalf("%d hits shaped, %d given", len(a.Results), len(hits))
		}
		for i, h := range a.Results {
			if h.Ref != hits[i].Key {
				t.Fatalf("hit %d is %s, want %s", i, h.Ref, hits[i].Key)
			}
		}
		// Over the budget (text that escapes to six bytes a rune, long
		// spaces: fit keeps identifiers whole) only when every cut was
		// made: no snippet left, titles and short cells at 12 runes.
		if budget := hitsBudget(len(hits)); len(b) > budget {
			for _, h := range a.Results {
				if h.Snippet != "" || utf8.RuneCountInString(h.Title) > 12 || utf8.RuneCountInString(h.Status) > 12 || utf8.RuneCountInString(h.Type) > 12 {
					t.Fatalf("%d hits in %d bytes, budget %d, yet %+v was not cut to the end:\n%s", len(hits), len(b), budget, h, b)
				}
			}
		}
		if len(space) <= 16 && len(typ) <= 16 && len(status) <= 16 && !strings.ContainsFunc(title+snippet+space+typ+status, func(r rune) bool { return r < ' ' || r > '~' }) {
			// Plain ASCII text of sane length always fits.
			if budget := hitsBudget(len(hits)); len(b) > budget {
				t.Fatalf("%d hits of plain text in %d bytes, budget %d:\n%s", len(hits), len(b), budget, b)
			}
		}
	})
}
