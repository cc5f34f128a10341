package ql

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func fuzzSeeds(f *testing.F, d Dialect) {
	for _, tc := range jqlSyntaxErrors {
		f.Add(tc.query)
	}
	for _, s := range []string{
		`project = ABC AND updated >= "-1d" ORDER BY updated ASC`, `text ~ "two words"`,
		`space = DOC and type = page and lastmodified >= "2024-01-31 13:45" order by lastmodified`,
		`id in (1, 2, 3)`, `assignee in (EMPTY, currentUser()) or key >= ABC-10`, `NOT (a = b OR !c ~ "x*")`,
		`created >= startOfDay("-1d") && labels is not empty || due < now()`, `title ~ "\"exact phrase\" -other OR x*"`,
		`space.key = DOC and type in (page, blogpost) and created > 2014/09/01 order by lastModified desc`,
		`ancestor = 100 and not label = draft or creator = currentUser()`,
		`status was in (Open, "In Progress") by (bob, currentUser()) during ("2024-01-01", -1d)`, `assignee changed from bob to EMPTY after startOfWeek()`,
		`sprint in openSprints() and issue in linkedIssues(ABC-1, blocks) or assignee in membersOf(devs)`, `lastmodified >= now('-4w') and title != "X Y"`,
		`created < startOfYear("-1y") or created >= endOfMonth(+1M)`, `project = ABC and status was Open by admin`,
		`summary ~ 'it\'s "quoted"' and cf[10010] = 5 and "field name" != -7`, `key in (ABC-1, 10002) order by key desc, "Summary"`,
	} {
		f.Add(s)
	}
}

// fuzzParse checks that any input either parses into a query whose canonical form parses back to
// itself and evaluates without panicking, or fails with a well-formed *Error.
func fuzzParse(t *testing.T, d Dialect, s string) {
	q, err := Parse(d, s)
	if err != nil {
		var qe *Error
		if !errors.As(err, &qe) || qe.Dialect != d || qe.Msg == "" {
			t.Fatalf("Parse(%q) error %#v is not a %v *Error", s, err, d)
		}
		if d == JQL && !strings.HasPrefix(qe.Msg, "Error in the JQL Query: ") {
			t.Fatalf("JQL error without Jira's prefix: %q", qe.Msg)
		}
		if d == CQL && qe.Msg != "Could not parse cql : "+s {
			t.Fatalf("CQL error %q", qe.Msg)
		}
		return
	}
	canon := q.String()
	q2, err := Parse(d, canon)
	if err != nil {
		t.Fatalf("canonical form of %q does not parse: %q: %v", s, canon, err)
	}
	if again := q2.String(); again != canon {
		t.Fatalf("canonical form not stable for %q:\n%s\n%s", s, canon, again)
	}
	env := Env{Now: time.Date(2024, 2, 14, 10, 30, 0, 0, time.UTC), CurrentUser: "alice",
		Known: func(field, value string) bool { return value != "nope" }, Functions: &data{}}
	err1 := q.Validate(env)
	err2 := q2.Validate(env)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("Validate differs between %q (%v) and its canonical form %q (%v)", s, err1, canon, err2)
	}
	records := []Record{}
	for _, r := range append(append([]*rec{}, pages...), issues...) {
		records = append(records, r)
	}
	for _, r := range histIssues {
		records = append(records, r)
	}
	for i, r := range records {
		if m1, m2 := q.Match(r, env), q2.Match(r, env); m1 != m2 {
			t.Fatalf("Match(record %d) differs between %q and its canonical form %q", i, s, canon)
		}
	}
	_ = q.Fields()
	_ = Compare(issues[0], issues[1], q.OrderBy())
}

func FuzzParseJQL(f *testing.F) {
	fuzzSeeds(f, JQL)
	f.Fuzz(func(t *testing.T, s string) { fuzzParse(t, JQL, s) })
}

func FuzzParseCQL(f *testing.F) {
	fuzzSeeds(f, CQL)
	f.Fuzz(func(t *testing.T, s string) { fuzzParse(t, CQL, s) })
}
