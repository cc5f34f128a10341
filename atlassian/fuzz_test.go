package atlassian_test

import (
	samples "github.com/atlasbridge/atlasbridge/testdata/atlassian-samples"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/internal/sim/ql"
)

// fuzzRecord is a page or issue for the simulator's query evaluator.
type fuzzRecord map[string][]string

func (r fuzzRecord) Values(f string) []string { return r[f] }
func (r fuzzRecord) Time(string) (time.Time, bool) {
	return time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), true
}
func (r fuzzRecord) Text(f string) string { return strings.Join(r[f], " ") }

var quoteSeeds = []string{
	"", "plain", `with "quotes"`, `back\slash`, `trailing\`, `" OR space = "SECRET`, `") OR (project = "X`,
	"line\nbreak\ttab\r", "\x00\x01\x7f control", "ünïcödé 日本語 \u202e bidi", `\" OR 1=1 --`, `'single'`, "\xff\xfe",
	`x" ORDER BY created DESC`, `a"b"c"d`, `\\\"`,
}

// FuzzQuote checks that a value quoted with Quote stays one value: the
// clause parses in both dialects (CQL and JQL, as the simulator's parser
// reads them), names only its own field, and cannot widen a query it is
// ANDed into.
func FuzzQuote(f *testing.F) {
	for _, s := range append(quoteSeeds, samples.Texts(200)...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tc := range []struct {
			d            ql.Dialect
			field, scope string
		}{{ql.CQL, "label", "space"}, {ql.JQL, "labels", "project"}} {
			query := tc.field + " = " + atlassian.Quote(s) + " AND " + tc.scope + " = " + atlassian.Quote("ENG")
			q, err := ql.Parse(tc.d, query)
			if err != nil {
				t.Fatalf("%v %q does not parse: %v", tc.d, query, err)
			}
			if got := q.Fields(); len(got) != 2 || got[0] != tc.field || got[1] != tc.scope {
				t.Fatalf("%v %q names the fields %v, want [%s %s]: the value escaped its quotes", tc.d, query, got, tc.field, tc.scope)
			}
			if _, err := ql.Parse(tc.d, q.String()); err != nil {
				t.Fatalf("%v canonical form %q of %q does not parse: %v", tc.d, q.String(), query, err)
			}
			outside := fuzzRecord{tc.field: {s}, tc.scope: {"zzz"}}
			if q.Match(outside, ql.Env{}) {
				t.Fatalf("%v %q matches a record outside %s ENG: the value escaped its quotes", tc.d, query, tc.scope)
			}
		}
	})
}

// FuzzTextQuery checks that TextQuery's value of a text ~ clause is one
// quoted string without a Lucene operator, at most maxTerms words, that
// both parsers accept and that cannot widen the query.
func FuzzTextQuery(f *testing.F) {
	for _, s := range append(quoteSeeds, samples.Texts(200)...) {
		f.Add(s, 5)
	}
	for _, s := range []string{"deploy AND rollback OR NOT x TO y", "a+b -c && d || !e (f) {g} [h] ^i ~j *k ?l :m \\n /o", "title:secret*"} {
		f.Add(s, 0)
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, words string, maxTerms int) {
		v := atlassian.TextQuery(words, maxTerms)
		if v == "" {
			return
		}
		if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			t.Fatalf("TextQuery(%q) = %s: not one quoted string", words, v)
		}
		inner := v[1 : len(v)-1]
		if i := strings.IndexAny(inner, `+-&|!(){}[]^"~*?:\/`); i >= 0 {
			t.Fatalf("TextQuery(%q) = %s keeps the Lucene operator %q", words, v, inner[i])
		}
		terms := strings.Fields(inner)
		if maxTerms > 0 && len(terms) > maxTerms {
			t.Fatalf("TextQuery(%q, %d) = %s: %d terms", words, maxTerms, v, len(terms))
		}
		for _, w := range terms {
			switch w {
			case "AND", "OR", "NOT", "TO":
				t.Fatalf("TextQuery(%q) = %s keeps the operator %s", words, v, w)
			}
			if strings.IndexFunc(w, unicode.IsControl) >= 0 {
				t.Fatalf("TextQuery(%q) = %s keeps a control character", words, v)
			}
		}
		for _, tc := range []struct {
			d     ql.Dialect
			scope string
		}{{ql.CQL, "space"}, {ql.JQL, "project"}} {
			query := "text ~ " + v + " AND " + tc.scope + " = ENG"
			q, err := ql.Parse(tc.d, query)
			if err != nil {
				t.Fatalf("%v %q does not parse: %v", tc.d, query, err)
			}
			if got := q.Fields(); len(got) != 2 || got[0] != "text" {
				t.Fatalf("%v %q names the fields %v", tc.d, query, got)
			}
			if q.Match(fuzzRecord{"text": {inner}, tc.scope: {"zzz"}}, ql.Env{}) {
				t.Fatalf("%v %q matches outside %s ENG", tc.d, query, tc.scope)
			}
		}
	})
}
