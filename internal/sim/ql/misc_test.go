package ql

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNestingIsBounded(t *testing.T) {
	for _, query := range []string{
		strings.Repeat("(", 150) + "a = b" + strings.Repeat(")", 150),
		strings.Repeat("NOT ", 150) + "a = b",
		"a in " + strings.Repeat("(", 150) + "b" + strings.Repeat(")", 150),
	} {
		_, err := Parse(JQL, query)
		var qe *Error
		if !errors.As(err, &qe) || !strings.Contains(qe.Msg, "nested more than 100 levels") {
			t.Errorf("Parse(%.20q...) = %v, want the nesting error", query, err)
		}
	}
	if _, err := Parse(JQL, strings.Repeat("(", 30)+"a = b"+strings.Repeat(")", 30)); err != nil {
		t.Errorf("30 levels: %v", err)
	}
}

func TestEscapes(t *testing.T) {
	tests := []struct{ query, canon string }{
		{`summary ~ "a\u0041b"`, `summary ~ "aAb"`},
		{`summary ~ 'it\'s'`, `summary ~ "it's"`},
		{`summary ~ "tab\there\nnew\rret \\ \" q"`, `summary ~ "tab\there\nnew\rret \\ \" q"`},
		{`summary ~ two\ words`, `summary ~ "two words"`},
		{`summary ~ "\u00e9t\u00C9"`, `summary ~ "étÉ"`},
		{`summary ~ "\u0001"`, `summary ~ "\u0001"`},
	}
	for _, tc := range tests {
		q, err := Parse(JQL, tc.query)
		if err != nil {
			t.Errorf("Parse(%s): %v", tc.query, err)
			continue
		}
		if got := q.String(); got != tc.canon {
			t.Errorf("Parse(%s).String() = %s, want %s", tc.query, got, tc.canon)
		}
	}
}

func TestMoreMatches(t *testing.T) {
	env := Env{Now: now, Location: time.UTC}
	tests := []struct {
		d           Dialect
		recs        []*rec
		query, want string
	}{
		{CQL, pages, `id in (1, 2, 3, 4, 5, 101, 103)`, "p1,p3"},               // big lists use a map
		{CQL, pages, `space in (a, b, c, d, e, doc)`, "p1,p2"},                 // case-insensitively
		{CQL, pages, `text ~ "two-wor*"`, "p1,p2"},                             // a wildcard inside a phrase-like word
		{CQL, pages, `text ~ "two-w?rds"`, "p2"},                               //
		{CQL, pages, `created > endOfDay("-2d")`, "p2"},                        // after 2024-02-12 23:59
		{CQL, pages, `created < startOfMonth("-1M")`, "p1"},                    // p3 is at 2024-01-01 00:00
		{CQL, pages, `created >= startOfWeek("-1w")`, "p2"},                    //
		{CQL, pages, `lastmodified >= now("-1h")`, ""},                         //
		{CQL, pages, `lastmodified >= now("-2h")`, "p2"},                       //
		{CQL, pages, `created < startOfYear("+1y")`, "p1,p2,p3"},               //
		{JQL, issues, `updated >= startOfMonth(-2778M)`, "ABC-1,ABC-10,XYZ-2"}, // increments from Jira's own tests
		{JQL, issues, `updated >= startOfDay("+1")`, ""},
		{JQL, issues, `updated >= startOfDay(1m)`, "ABC-1"},
		{JQL, issues, `updated >= startOfWeek("-3w") and updated < endOfYear("+3d")`, "ABC-1,ABC-10,XYZ-2"},
		{JQL, issues, `key > 10001`, "ABC-10,XYZ-2"},                   // numbers compare ids
		{JQL, issues, `key <= 10001`, "ABC-1"},                         //
		{JQL, issues, `key not in (ABC-1, 10002)`, "ABC-10"},           //
		{JQL, issues, `updated >= "-4w 2d"`, "ABC-1,ABC-10,XYZ-2"},     //
		{JQL, issues, `updated <= "+1d"`, "ABC-1,ABC-10,XYZ-2"},        //
		{JQL, issues, `created < "2024-1-2 10:01"`, "ABC-1,XYZ-2"},     // single-digit month and day
		{JQL, issues, `updated in ("2024/02/14 09:00", -4d)`, "ABC-1"}, //
		{JQL, issues, `updated not in ("2024/02/14 09:00")`, "ABC-10,XYZ-2"},
		{JQL, issues, `due != "2024-02-01"`, ""}, // Jira: != never matches an empty field
		{JQL, issues, `due = EMPTY OR due = "2024-02-01"`, "ABC-1,ABC-10,XYZ-2"},
		{JQL, issues, `summary is not empty`, "ABC-1,ABC-10,XYZ-2"},
		{JQL, issues, `environment is empty`, "ABC-1,ABC-10,XYZ-2"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			q, err := Parse(tc.d, tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Validate(env); err != nil {
				t.Fatal(err)
			}
			if got := names(q, tc.recs, env); got != tc.want {
				t.Errorf("matched %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrorAndDialect(t *testing.T) {
	_, err := Parse(CQL, `space = `)
	var qe *Error
	if !errors.As(err, &qe) {
		t.Fatalf("%v is not *Error", err)
	}
	if qe.Error() != qe.Msg || qe.Dialect.String() != "CQL" {
		t.Errorf("Error() = %q, Dialect %v", qe.Error(), qe.Dialect)
	}
	q, err := Parse(JQL, `project = A`)
	if err != nil {
		t.Fatal(err)
	}
	if q.Dialect() != JQL || JQL.String() != "JQL" {
		t.Errorf("Dialect() = %v", q.Dialect())
	}
	jqlErr := &Error{Dialect: JQL, Msg: "m"}
	if jqlErr.Reason() != "m" {
		t.Errorf("Reason() of a JQL error = %q, want its Msg", jqlErr.Reason())
	}
}

func TestIndexText(t *testing.T) {
	ix := IndexText("The servers are running; it's configured!")
	// the, are, it, s? — "s" is kept (not a stop word); the/are/it are gaps.
	if got, want := ix.Len(), 7; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	for _, w := range []string{"server", "servers", "run", "running", "configur", "configured"} {
		if !ix.hasTerm(textTerm{text: w, hash: termHash(w)}) {
			t.Errorf("index lacks %q", w)
		}
	}
	if ix.hasTerm(textTerm{text: "the", hash: termHash("the")}) {
		t.Errorf("stop word indexed")
	}
}
