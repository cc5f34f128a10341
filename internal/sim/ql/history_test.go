package ql

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// hrec is a record with a history.
type hrec struct {
	*rec
	changes map[string][]Change
}

func (h *hrec) Changes(f string) []Change { return h.changes[f] }

// data answers the server-data functions for the tests.
type data struct{}

func (*data) Call(name string, args []string) ([]string, error) {
	switch name {
	case "opensprints":
		return []string{"2"}, nil
	case "closedsprints":
		return []string{"1"}, nil
	case "futuresprints":
		return []string{"3"}, nil
	case "unreleasedversions":
		return []string{"2.0"}, nil
	case "releasedversions":
		return []string{"1.0"}, nil
	case "membersof":
		if args[0] != "devs" {
			return nil, fmt.Errorf("Function 'membersOf' can not generate a list of usernames for group '%s'; the group does not exist.", args[0])
		}
		return []string{"alice", "bob"}, nil
	case "linkedissues":
		if args[0] != "ABC-1" {
			return nil, fmt.Errorf("Issue '%s' could not be found in function 'linkedIssues'.", args[0])
		}
		if len(args) == 2 && args[1] != "blocks" {
			return nil, nil
		}
		return []string{"XYZ-2"}, nil
	}
	return nil, errors.New("unexpected " + name)
}

// histIssues: T-1 went Open → In Progress (by bob, Feb 5) → Done (by alice, Feb 12), assigned
// to bob then alice; T-2 never changed (Open, unassigned), in the closed and the open sprint.
var histIssues = []*hrec{
	{rec: &rec{name: "T-1", vals: map[string][]string{"key": v("T-1"), "status": v("Done"), "assignee": v("alice"),
		"sprint": v("2", "Sprint 2"), "fixversion": v("1.0"), "epic link": v("T-9")},
		times: map[string]time.Time{"created": at("2024-02-01T10:00:00Z")}},
		changes: map[string][]Change{
			"status": {{At: at("2024-02-05T10:00:00Z"), By: "bob", From: "Open", To: "In Progress"},
				{At: at("2024-02-12T10:00:00Z"), By: "alice", From: "In Progress", To: "Done"}},
			"assignee": {{At: at("2024-02-06T10:00:00Z"), By: "admin", From: "bob", To: "alice"}},
		}},
	{rec: &rec{name: "T-2", vals: map[string][]string{"key": v("T-2"), "status": v("Open"), "sprint": v("1", "2"), "fixversion": v("2.0")},
		times: map[string]time.Time{"created": at("2024-02-01T10:00:00Z")}}},
	{rec: &rec{name: "XYZ-2", vals: map[string][]string{"key": v("XYZ-2"), "status": v("Open"), "assignee": v("carol")},
		times: map[string]time.Time{"created": at("2024-02-01T10:00:00Z")}}},
}

func TestHistoryAndFunctions(t *testing.T) {
	env := Env{Now: now, Location: time.UTC, CurrentUser: "alice", Functions: &data{}}
	tests := []struct{ query, want string }{
		{`status was Open`, "T-1,T-2,XYZ-2"},
		{`status was "In Progress"`, "T-1"},
		{`status was not Open`, ""},
		{`status was not "In Progress"`, "T-2,XYZ-2"},
		{`status was in ("In Progress", Done)`, "T-1"},
		{`status was not in (Done)`, "T-2,XYZ-2"},
		{`status was "In Progress" by bob`, "T-1"},
		{`status was "In Progress" by alice`, ""},
		{`status was Open before "2024-02-03"`, "T-1,T-2,XYZ-2"},
		{`status was Open after "2024-02-06"`, "T-2,XYZ-2"},
		{`status was "In Progress" on "2024-02-08"`, "T-1"},
		{`status was "In Progress" during ("2024-02-13", "2024-02-14")`, ""},
		{`status was "In Progress" during ("2024-02-01", "2024-02-05")`, "T-1"},
		{`assignee was bob`, "T-1"},
		{`assignee was EMPTY`, "T-2"},
		{`assignee was currentUser()`, "T-1"},
		{`status changed`, "T-1"},
		{`status changed from Open to "In Progress"`, "T-1"},
		{`status changed to Open`, ""},
		{`status changed by alice after "2024-02-10"`, "T-1"},
		{`status changed by currentUser() before "2024-02-10"`, ""},
		{`assignee changed during ("2024-02-06", "2024-02-06")`, "T-1"},
		{`sprint in openSprints()`, "T-1,T-2"},
		{`sprint in closedSprints()`, "T-2"},
		{`sprint in futureSprints()`, ""},
		{`sprint not in openSprints()`, ""},
		{`sprint = "Sprint 2"`, "T-1"},
		{`sprint is EMPTY`, "XYZ-2"},
		{`fixVersion in unreleasedVersions()`, "T-2"},
		{`fixVersion in releasedVersions(ABC)`, "T-1"},
		{`assignee in membersOf(devs)`, "T-1"},
		{`issue in linkedIssues(ABC-1)`, "XYZ-2"},
		{`issue in linkedIssues(ABC-1, "is blocked by")`, ""},
		{`"Epic Link" = T-9`, "T-1"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			q, err := Parse(JQL, tc.query)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := q.Validate(env); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			var got []string
			for _, r := range histIssues {
				if q.Match(r, env) {
					got = append(got, r.name)
				}
			}
			if s := strings.Join(got, ","); s != tc.want {
				t.Errorf("matched %q, want %q", s, tc.want)
			}
		})
	}
}

func TestHistoryAndFunctionErrors(t *testing.T) {
	env := Env{Now: now, Functions: &data{}}
	tests := []struct{ query, msg string }{
		{`summary was x`, "The operator 'was' is not supported by the 'summary' field."},
		{`labels changed`, "The operator 'changed' is not supported by the 'labels' field."},
		{`status was Open from Done`, `The WAS operator does not support the use of the from "Done" predicate.`},
		{`status was in Open`, `Operator 'was in' does not support the non-list value '"Open"' for field 'status'.`},
		{`status was (Open, Done)`, `Operator 'was' does not support the list value '(Open, Done)' for field 'status'.`},
		{`status changed after yesterday`, "Date value 'yesterday' for predicate 'after' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."},
		{`status changed during ("2024-01-01")`, "The DURING predicate must be supplied with exactly 2 date values."},
		{`sprint = openSprints()`, "Operator '=' does not support the multi-value function 'openSprints()' for field 'sprint'."},
		{`sprint in openSprints(1)`, "Function 'openSprints' expected '0' arguments but received '1'."},
		{`status in openSprints()`, "A value provided by the function 'openSprints' is invalid for the field 'status'."},
		{`issue in linkedIssues()`, "Incorrect number of arguments for function 'linkedIssues'. Usage: 'linkedIssues ( issuekey [, linkDescription ]* )'."},
		{`issue in linkedIssues(NOPE-1)`, "Issue 'NOPE-1' could not be found in function 'linkedIssues'."},
		{`assignee in membersOf(nobody)`, "Function 'membersOf' can not generate a list of usernames for group 'nobody'; the group does not exist."},
		{`project in unreleasedVersions()`, "A value provided by the function 'unreleasedVersions' is invalid for the field 'project'."},
		{`updated > openSprints()`, "Operator '>' does not support the multi-value function 'openSprints()' for field 'updated'."},
		{`updated > currentUser()`, "A date for the field 'updated' provided by the function 'currentUser' is not valid."},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			q, err := Parse(JQL, tc.query)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = q.Validate(env)
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Validate = %v, want *Error", err)
			}
			if qe.Msg != tc.msg {
				t.Errorf("message\n got %q\nwant %q", qe.Msg, tc.msg)
			}
		})
	}
}
