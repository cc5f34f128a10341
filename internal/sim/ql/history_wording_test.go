package ql

import (
	"errors"
	"testing"
)

// TestHistoryErrorWording checks the sentences of change-history errors
// against Jira's own functional tests of its REST search, which assert the
// errorMessages the server returns: TestJqlParsing ("check some invalid
// change history searches") and TestReporterWasSearching (Jira 4.4+).
func TestHistoryErrorWording(t *testing.T) {
	known := func(field, value string) bool {
		switch field {
		case "status":
			return value == "Open" || value == "Reopened" || value == "Done"
		case "fixversion":
			return value == "1.0" || value == "4" // 4: a version id on Jira's test instance
		case "reporter":
			return value == "admin" || value == "fred"
		}
		return true
	}
	env := Env{Now: now, Known: known, Functions: &data{}}
	dateFormats := "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
	for _, tc := range []struct{ query, msg string }{
		// TestJqlParsing
		{`status = "Open" by admin`, `The EQUALS operator does not support the use of the by "admin" predicate.`},
		{`fixVersion changed from 4 to "I can type complete rubbish here"`, "The value 'I can type complete rubbish here' does not exist for the field 'fixVersion'."},
		{`status changed from fred`, "The value 'fred' does not exist for the field 'status'."},
		{`status changed after "20/12/10"`, "Date value '20/12/10' for predicate 'after' is invalid. " + dateFormats},
		{`status changed after currentUser()`, "A date for the predicate 'after' provided by the function 'currentUser' is not valid."},
		{`status changed before (11, 12)`, "The BEFORE predicate must be supplied with only 1 date value."},
		{`status changed during 11`, "The DURING predicate must be supplied with exactly 2 date values."},
		{`assignee changed by bogus()`, "Unable to find JQL function 'bogus()'."},
		{`assignee was bogus()`, "Unable to find JQL function 'bogus()'."},
		{`status was Reopened by currentUser() AFTER startOfDay("invalid")`, "Duration for function 'startOfDay' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier."},
		{`status was Reopened by currentUser() AFTER now("invalid")`, "Function 'now' expected '0' arguments but received '1'."},
		{`status changed AFTER startOfDay("invalid")`, "Duration for function 'startOfDay' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier."},
		{`status changed AFTER now("invalid")`, "Function 'now' expected '0' arguments but received '1'."},
		// TestReporterWasSearching
		{`reporter was 1`, "A value with ID '1' does not exist for the field 'reporter'."},
	} {
		t.Run(tc.query, func(t *testing.T) {
			q, err := Parse(JQL, tc.query)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var qe *Error
			if err := q.Validate(env); !errors.As(err, &qe) {
				t.Fatalf("Validate = %v, want *Error", err)
			}
			if qe.Msg != tc.msg {
				t.Errorf("message\n got %q\nwant %q", qe.Msg, tc.msg)
			}
		})
	}
	// Syntax errors of the same tests, from the parser.
	for _, tc := range []struct{ query, msg string }{
		{`a was`, "Error in the JQL Query: Expecting either a value, list or function before the end of the query."},
		{`reporter was (fred, bob) at '10:55'`, "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'at'. (line 1, character 26)"},
		{`reporter was (fred, bob`, "Error in the JQL Query: Expecting ')' before the end of the query."},
	} {
		t.Run(tc.query, func(t *testing.T) {
			_, err := Parse(JQL, tc.query)
			var qe *Error
			if !errors.As(err, &qe) || qe.Msg != tc.msg {
				t.Errorf("Parse = %v\nwant %q", err, tc.msg)
			}
		})
	}
}
