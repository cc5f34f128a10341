package ql

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// rec is an in-memory Record.
type rec struct {
	name  string
	vals  map[string][]string
	times map[string]time.Time
	texts map[string]string
}

func (r *rec) Values(f string) []string        { return r.vals[f] }
func (r *rec) Time(f string) (time.Time, bool) { t, ok := r.times[f]; return t, ok }
func (r *rec) Text(f string) string            { return r.texts[f] }
func v(s ...string) []string                   { return s }
func at(s string) time.Time                    { t, err := time.Parse(time.RFC3339, s); must(err); return t }
func must(err error) {
	if err != nil {
		panic(err)
	}
}

var now = at("2024-02-14T10:30:20Z") // a Wednesday

// pages are Confluence content.
var pages = []*rec{
	{name: "p1", vals: map[string][]string{"space": v("DOC"), "type": v("page"), "id": v("101"), "label": v("howto", "db"),
		"ancestor": v("100"), "parent": v("100"), "creator": v("admin"), "contributor": v("admin", "alice")},
		times: map[string]time.Time{"lastmodified": at("2024-01-31T13:45:59Z"), "created": at("2023-05-01T08:00:00Z")},
		texts: map[string]string{"title": "Configuring the Database", "text": "Configuring the Database. The server runs two workers; tuning the workers is explained here."}},
	{name: "p2", vals: map[string][]string{"space": v("DOC"), "type": v("blogpost"), "id": v("102"), "creator": v("alice"), "contributor": v("alice")},
		times: map[string]time.Time{"lastmodified": at("2024-02-14T09:00:00Z"), "created": at("2024-02-13T23:30:00Z")},
		texts: map[string]string{"title": "Release notes", "text": "Release notes. Two words about the exact phrase of the day. Words matter."}},
	{name: "p3", vals: map[string][]string{"space": v("ENG"), "type": v("page"), "id": v("103"), "label": v("db"), "ancestor": v("100", "101"), "parent": v("101"), "creator": v("bob")},
		times: map[string]time.Time{"lastmodified": at("2024-01-31T13:44:00Z"), "created": at("2024-01-01T00:00:00Z")},
		texts: map[string]string{"title": "Indexes", "text": "Indexes. A phrase that is exact. Backup and restore."}},
}

func names(q *Query, recs []*rec, env Env) string {
	var out []string
	for _, r := range recs {
		if q.Match(r, env) {
			out = append(out, r.name)
		}
	}
	return strings.Join(out, ",")
}

func TestMatchCQL(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	env := Env{Now: now, Location: time.UTC, CurrentUser: "alice"}
	tests := []struct {
		query string
		env   *Env
		want  string
	}{
		{query: `space = DOC`, want: "p1,p2"},
		{query: `space.key in (ENG, "doc")`, want: "p1,p2,p3"},
		{query: `type = page`, want: "p1,p3"},
		{query: `type = blogpost and space = DOC`, want: "p2"},
		{query: `id in (101, 103)`, want: "p1,p3"},
		{query: `content = 102`, want: "p2"},
		{query: `id not in (101, 103)`, want: "p2"},
		{query: `ancestor = 100`, want: "p1,p3"},
		{query: `parent = 101`, want: "p3"},
		{query: `label = db`, want: "p1,p3"},
		{query: `label != howto`, want: "p2,p3"}, // Confluence: content without labels matches !=
		{query: `creator = currentUser()`, want: "p2"},
		{query: `contributor in (currentUser(), bob)`, want: "p1,p2"},
		// Minute precision: p1 at 13:45:59 is in the minute 13:45, p3 at 13:44.
		{query: `lastmodified >= "2024-01-31 13:45"`, want: "p1,p2"},
		{query: `lastmodified > "2024-01-31 13:45"`, want: "p2"},
		{query: `lastmodified = "2024/01/31 13:45"`, want: "p1"},
		{query: `lastmodified < "2024-01-31 13:45"`, want: "p3"},
		{query: `lastmodified <= 2024/01/31`, want: ""},
		// In UTC+1, 14:45 is 13:45 UTC.
		{query: `lastmodified >= "2024-01-31 14:45"`, env: &Env{Now: now, Location: berlin}, want: "p1,p2"},
		{query: `lastmodified >= "2024-01-31 14:45"`, want: "p2"},
		{query: `lastmodified >= now("-2h")`, want: "p2"},
		{query: `lastmodified >= now("-4w")`, want: "p1,p2,p3"},
		{query: `created >= startOfDay()`, want: ""},
		{query: `created >= startOfDay("-1d")`, want: "p2"},
		{query: `created >= startOfDay("-1d")`, env: &Env{Now: now, Location: time.FixedZone("X", -2*3600)}, want: "p2"},
		{query: `created >= startOfWeek()`, want: "p2"},
		{query: `created >= startOfMonth()`, want: "p2"},
		{query: `created >= startOfYear()`, want: "p2,p3"},
		{query: `created < startOfYear("-1y")`, want: ""},
		{query: `title = "configuring the database"`, want: "p1"},
		{query: `title != "Indexes"`, want: "p1,p2"},
		{query: `title ~ database`, want: "p1"},
		{query: `title ~ "release"`, want: "p2"},
		{query: `text ~ "two words"`, want: "p2"},
		{query: `text ~ "workers two"`, want: "p1"},
		{query: `text ~ "\"two workers\""`, want: "p1"},
		{query: `text ~ "\"end of day\""`, want: ""},
		{query: `text ~ "\"phrase of the day\""`, want: "p2"},
		{query: `text ~ "\"two words\""`, want: "p2"},
		{query: `text ~ "\"exact phrase\""`, want: "p2"},
		{query: `text ~ "\"phrase exact\""`, want: ""},
		{query: `text ~ "worker"`, want: "p1"},     // plural stemmed
		{query: `text ~ "configured"`, want: "p1"}, // -ing and -ed meet
		{query: `text ~ "tun*"`, want: "p1"},
		{query: `text ~ "back*"`, want: "p3"},
		{query: `text ~ "dat?base"`, want: "p1"},
		{query: `text ~ "w*ers"`, want: "p1"},
		{query: `text ~ "\"two w*\""`, want: ""}, // no wildcards in phrases: w is a plain term
		{query: `text ~ "releas* -note?"`, want: ""},
		{query: `text ~ "releas* -xyz?"`, want: "p2"},
		{query: `text ~ "the"`, want: ""}, // stop words only: nothing
		{query: `text ~ "the backup"`, want: "p3"},
		{query: `text ~ "backup OR release"`, want: "p2,p3"},
		{query: `text ~ "two -exact"`, want: "p1"},
		{query: `text ~ "two NOT exact"`, want: "p1"},
		{query: `text !~ "words"`, want: "p1,p3"},
		{query: `type = page AND NOT space = ENG`, want: "p1"},
		{query: `type = page OR type = blogpost AND space = ENG`, want: "p1,p3"},
		{query: `(type = page OR type = blogpost) AND space = ENG`, want: "p3"},
		{query: `NOT type = page OR space = ENG`, want: "p2,p3"},
		{query: `not (type = page or space = ENG)`, want: "p2"},
		{query: `space = DOC and type = page order by lastmodified desc`, want: "p1"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			q, err := Parse(CQL, tc.query)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			e := env
			if tc.env != nil {
				e = *tc.env
			}
			if err := q.Validate(e); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := names(q, pages, e); got != tc.want {
				t.Errorf("matched %q, want %q", got, tc.want)
			}
		})
	}
}

// issues are Jira issues.
var issues = []*rec{
	{name: "ABC-1", vals: map[string][]string{"project": v("ABC"), "key": v("ABC-1"), "id": v("10001"), "status": v("Open"), "statuscategory": v("To Do"),
		"assignee": v("bob"), "reporter": v("admin"), "priority": v("High"), "issuetype": v("Bug"), "labels": v("db", "urgent"), "component": v("Core")},
		times: map[string]time.Time{"updated": at("2024-02-14T09:00:00Z"), "created": at("2024-01-02T10:00:00Z"), "due": at("2024-02-01T00:00:00Z")},
		texts: map[string]string{"summary": "Database connection drops", "text": "Database connection drops. Connections are dropped under load.", "description": "Connections are dropped under load."}},
	{name: "ABC-10", vals: map[string][]string{"project": v("ABC"), "key": v("ABC-10"), "id": v("10010"), "status": v("Done"), "statuscategory": v("Done"),
		"reporter": v("alice"), "priority": v("Low"), "issuetype": v("Task"), "resolution": v("Fixed")},
		times: map[string]time.Time{"updated": at("2024-02-13T10:30:00Z"), "created": at("2024-01-05T10:00:00Z"), "resolved": at("2024-02-13T10:30:00Z")},
		texts: map[string]string{"summary": "Write the upgrade guide", "text": "Write the upgrade guide"}},
	{name: "XYZ-2", vals: map[string][]string{"project": v("XYZ"), "key": v("XYZ-2"), "id": v("10002"), "status": v("In Progress"), "statuscategory": v("In Progress"),
		"assignee": v("alice"), "reporter": v("bob"), "priority": v("High"), "issuetype": v("Bug"), "labels": v("ui"), "fixversion": v("1.0")},
		times: map[string]time.Time{"updated": at("2024-02-10T08:00:00Z"), "created": at("2023-12-24T10:00:00Z")},
		texts: map[string]string{"summary": "Button misaligned", "text": "Button misaligned on the login page"}},
}

func TestMatchJQL(t *testing.T) {
	env := Env{Now: now, Location: time.UTC, CurrentUser: "alice"}
	tests := []struct{ query, want string }{
		{``, "ABC-1,ABC-10,XYZ-2"},
		{`order by key`, "ABC-1,ABC-10,XYZ-2"},
		{`project = ABC`, "ABC-1,ABC-10"},
		{`project = abc AND updated >= "-1d"`, "ABC-1,ABC-10"},
		{`project = ABC AND updated >= -2h`, "ABC-1"},
		{`project = ABC AND updated >= -1h`, ""},
		{`updated >= "-1h 30m"`, "ABC-1"},
		{`updated > "2024-02-13 10:30"`, "ABC-1"},
		{`updated >= "2024/02/13 10:30"`, "ABC-1,ABC-10"},
		{`updated < 1707552000000`, ""}, // epoch ms of 2024-02-10T08:00Z
		{`updated <= 1707552000000`, "XYZ-2"},
		{`updated >= startOfDay()`, "ABC-1"},
		{`updated >= startOfDay(-1)`, "ABC-1,ABC-10"},
		{`updated >= startOfWeek()`, "ABC-1,ABC-10"},
		{`updated < now()`, "ABC-1,ABC-10,XYZ-2"},
		{`created >= startOfYear()`, "ABC-1,ABC-10"},
		{`created < endOfYear("-1y")`, "XYZ-2"},
		{`due <= "2024/02/01"`, "ABC-1"},
		{`due is EMPTY`, "ABC-10,XYZ-2"},
		{`resolved is not empty`, "ABC-10"},
		{`resolutiondate >= -2d`, "ABC-10"},
		{`project in (ABC, XYZ) and status != Done`, "ABC-1,XYZ-2"},
		{`status not in (Done, "In Progress")`, "ABC-1"},
		{`statusCategory = "In Progress"`, "XYZ-2"},
		{`assignee = currentUser()`, "XYZ-2"},
		{`assignee != bob`, "XYZ-2"}, // Jira: unassigned issues never match !=
		{`assignee not in (bob)`, "XYZ-2"},
		{`assignee is EMPTY`, "ABC-10"},
		{`assignee = null`, "ABC-10"},
		{`assignee in (EMPTY, bob)`, "ABC-1,ABC-10"},
		{`assignee is not empty`, "ABC-1,XYZ-2"},
		{`reporter in (currentUser(), admin)`, "ABC-1,ABC-10"},
		{`resolution = Unresolved`, "ABC-1,XYZ-2"},
		{`resolution = fixed`, "ABC-10"},
		{`labels = db`, "ABC-1"},
		{`labels != db`, "XYZ-2"},
		{`labels is empty`, "ABC-10"},
		{`component = Core`, "ABC-1"},
		{`fixVersion = "1.0"`, "XYZ-2"},
		{`issuetype = Bug and priority = High`, "ABC-1,XYZ-2"},
		{`type = Task`, "ABC-10"},
		{`key = ABC-10`, "ABC-10"},
		{`issuekey in (abc-1, XYZ-2)`, "ABC-1,XYZ-2"},
		{`key >= ABC-2`, "ABC-10"},
		{`key < ABC-10`, "ABC-1"},
		{`key = 10002`, "XYZ-2"},
		{`key != ABC-1`, "ABC-10,XYZ-2"},
		{`text ~ "connection"`, "ABC-1"},
		{`text ~ "dropping connections"`, "ABC-1"},
		{`summary ~ "upgrade guide"`, "ABC-10"},
		{`summary ~ "\"guide upgrade\""`, ""},
		{`summary !~ database`, "ABC-10,XYZ-2"},
		{`description is empty`, "ABC-10,XYZ-2"},
		{`description ~ load`, "ABC-1"},
		{`project = ABC OR project = XYZ AND status = Done`, "ABC-1,ABC-10"},
		{`(project = ABC OR project = XYZ) AND status = Done`, "ABC-10"},
		{`NOT project = ABC AND priority = High`, "XYZ-2"},
		{`NOT (project = ABC AND priority = High)`, "ABC-10,XYZ-2"},
		{`!project = ABC || status = Done`, "ABC-10,XYZ-2"},
		{`project = ABC && status = Done`, "ABC-10"},
		{`project = ABC & status = Open | project = XYZ`, "ABC-1,XYZ-2"},
		{`not not project = XYZ`, "XYZ-2"},
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
			if got := names(q, issues, env); got != tc.want {
				t.Errorf("matched %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidateJQL(t *testing.T) {
	known := func(field, value string) bool {
		switch field {
		case "project":
			return value == "ABC" || value == "10000"
		case "status":
			return value == "Open" || value == "Done"
		case "key":
			return value == "ABC-1"
		}
		return true
	}
	env := Env{Now: now, Known: known}
	dateFormats := "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
	tests := []struct{ query, msg string }{
		{`foo = bar`, "Field 'foo' does not exist or you do not have permission to view it."},
		{`cf[10010] = bar`, "Field 'cf[10010]' does not exist or you do not have permission to view it."},
		{`project = NOPE`, "The value 'NOPE' does not exist for the field 'project'."},
		{`Project in (ABC, NOPE)`, "The value 'NOPE' does not exist for the field 'Project'."},
		{`project = 10001`, "A value with ID '10001' does not exist for the field 'project'."},
		{`status = Closed`, "The value 'Closed' does not exist for the field 'status'."},
		{`project ~ ABC`, "The operator '~' is not supported by the 'project' field."},
		{`summary = test`, "The operator '=' is not supported by the 'summary' field."},
		{`text is EMPTY`, "The operator 'is' is not supported by the 'text' field."},
		{`priority > High`, "The operator '>' is not supported by the 'priority' field."},
		{`summary was Open`, "The operator 'was' is not supported by the 'summary' field."},
		{`status = "Open" by admin`, `The EQUALS operator does not support the use of the by "admin" predicate.`},
		{`project = (ABC, DEF)`, `Operator '=' does not support the list value '(ABC, DEF)' for field 'project'.`},
		{`summary in test`, `Operator 'in' does not support the non-list value '"test"' for field 'summary'.`},
		{`project is EMPTY`, "The field 'project' does not support searching for EMPTY values."},
		{`key in (ABC-1, EMPTY)`, "The field 'key' does not support searching for EMPTY values."},
		{`text ~ EMPTY`, "The field 'text' does not support searching for EMPTY values."},
		// Jira's own unit test of DefaultOperatorUsageValidator has these sentences.
		{`assignee is bob`, "Operator 'is' does not support searching for non-empty values for field 'assignee'."},
		{`assignee is not (a, b)`, "Operator 'is not' does not support searching for non-empty values for field 'assignee'."},
		{`updated > EMPTY`, "Operator '>' does not support the empty value representation 'EMPTY' for field 'updated'."},
		{`assignee in EMPTY`, "Operator 'in' does not support the empty value representation 'EMPTY' for field 'assignee'."},
		{`assignee not in currentUser()`, "Operator 'not in' does not support the non-list value 'currentUser()' for field 'assignee'."},
		{`project in 10000`, "Operator 'in' does not support the non-list value '10000' for field 'project'."},
		{`updated >= yesterday`, "Date value 'yesterday' for field 'updated' is invalid. " + dateFormats},
		{`created < "14/May/09"`, "Date value '14/May/09' for field 'created' is invalid. " + dateFormats},
		{`updated > "2010/02/35"`, "Date value '2010/02/35' for field 'updated' is invalid. " + dateFormats},
		{`due = "2024-01-31 13:45"`, "Date value '2024-01-31 13:45' for field 'due' is invalid. Valid formats include: 'YYYY/MM/DD', 'YYYY-MM-DD', or a period format e.g. '-5d', '4w 2d'."},
		{`assignee = bogus()`, "Unable to find JQL function 'bogus()'."},
		{`status = currentUser()`, "A value provided by the function 'currentUser' is invalid for the field 'status'."},
		{`project = now()`, "A value provided by the function 'now' is invalid for the field 'project'."},
		{`updated > currentUser()`, "A date for the field 'updated' provided by the function 'currentUser' is not valid."},
		{`updated > now("-1d")`, "Function 'now' expected '0' arguments but received '1'."},
		{`updated > startOfWeek(should, "not", be, here)`, "Function 'startOfWeek' expected between '0' and '1' arguments but received '4'."},
		{`updated > endOfMonth("-6q")`, "Duration for function 'endOfMonth' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier."},
		{`updated > startOfDay("invalid")`, "Duration for function 'startOfDay' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier."},
		{`key = ABC`, "The issue key 'ABC' for field 'key' is invalid."},
		{`key in (ABC-1, ABC-999)`, "An issue with key 'ABC-999' does not exist for field 'key'."},
		{`issuekey > ABC-999`, "An issue with key 'ABC-999' does not exist for field 'issuekey'."},
		{`summary ~ ""`, "The field 'summary' does not support searching for an empty string."},
		{`summary ~ "?"`, "The text query '?' for field 'summary' is not allowed to start with '?'."},
		{`project = ABC order by foo`, "Not able to sort using field 'foo'."},
		{`order by updated, key, Updated`, "The sort field 'Updated' is referenced multiple times in the JQL sort."},
		{`order by key, issuekey desc`, "The sort field 'issuekey' is referenced multiple times in the JQL sort. Field 'issuekey' is an alias for field 'key'."},
		{`project = ABC order by text`, "Field 'text' does not support sorting."},
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
				t.Errorf("got  %s\nwant %s", qe.Msg, tc.msg)
			}
			if !strings.Contains(tc.msg, "does not exist for") && q.Match(issues[0], env) {
				t.Errorf("an invalid query matched")
			}
		})
	}
}

func TestCQLErrors(t *testing.T) {
	tests := []struct{ query, reason string }{
		{``, "a CQL query needs at least one clause"},
		{`order by title`, "a CQL query needs at least one clause"},
		{`space = `, "Expecting either a value, list or function before the end of the query."},
		{`space DOC`, "Expecting operator but got 'DOC'."},
		{`title ~ "unclosed`, "The quoted string 'unclosed' has not been completed."},
		{`type = page && space = DOC`, "unexpected character '&'"},
		{`!type = page`, "Expecting a field name but got '!'."},
		{`foo = bar`, "Field 'foo' does not exist"},
		{`space ~ DOC`, "The operator '~' is not supported by the 'space' field."},
		{`space is EMPTY`, "The operator 'is' is not supported by the 'space' field."},
		{`lastmodified > "last tuesday"`, "Date value 'last tuesday' for field 'lastmodified' is invalid."},
		{`lastmodified > 1707559200000`, "is invalid"},
		{`text = foo`, "The operator '=' is not supported by the 'text' field."},
		{`space = DOC order by text`, "Field 'text' does not support sorting."},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			q, err := Parse(CQL, tc.query)
			if err == nil {
				err = q.Validate(Env{Now: now})
			}
			var qe *Error
			if !errors.As(err, &qe) || qe.Dialect != CQL {
				t.Fatalf("error %v, want a CQL *Error", err)
			}
			if want := "Could not parse cql : " + tc.query; qe.Msg != want {
				t.Errorf("Msg %q, want %q", qe.Msg, want)
			}
			if !strings.Contains(qe.Reason(), tc.reason) {
				t.Errorf("Reason %q, want it to contain %q", qe.Reason(), tc.reason)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		d           Dialect
		query, want string
	}{
		{JQL, `project=ABC and updated>="-1d" order by updated asc`, `project = ABC AND updated >= "-1d" ORDER BY updated ASC`},
		{JQL, `  project   in (ABC,'X Y' , 10)  `, `project IN (ABC, "X Y", 10)`},
		{JQL, `a = b or c = d and e = f`, `a = b OR c = d AND e = f`},
		{JQL, `(a = b or c = d) and e = f`, `(a = b OR c = d) AND e = f`},
		{JQL, `((a = b))`, `a = b`},
		{JQL, `not (a = b and c = d)`, `NOT (a = b AND c = d)`},
		{JQL, `! a = b && c = d || e ~ "x \"y\""`, `NOT a = b AND c = d OR e ~ "x \"y\""`},
		{JQL, `assignee is not null and due is empty`, `assignee IS NOT EMPTY AND due IS EMPTY`},
		{JQL, `status not in (Done) order by key desc, created`, `status NOT IN (Done) ORDER BY key DESC, created`},
		{JQL, `assignee = currentUser() and updated > startOfDay(-1d)`, `assignee = currentUser() AND updated > startOfDay("-1d")`},
		{JQL, `summary ~ a\ b`, `summary ~ "a b"`},
		{JQL, `"my field" = x`, `"my field" = x`},
		{JQL, `cf[10010] = x`, `cf[10010] = x`},
		{JQL, ``, ``},
		{JQL, `order by updated`, `ORDER BY updated`},
		{CQL, `space.key=DOC and type in (page,blogpost) order by lastModified desc`, `space.key = DOC AND type IN (page, blogpost) ORDER BY lastModified DESC`},
		{CQL, `text ~ 'two words'`, `text ~ "two words"`},
		{CQL, `lastmodified >= now('-4w')`, `lastmodified >= now("-4w")`},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			q, err := Parse(tc.d, tc.query)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := q.String()
			if got != tc.want {
				t.Errorf("String() = %s\nwant       %s", got, tc.want)
			}
			again, err := Parse(tc.d, got)
			if err != nil {
				t.Fatalf("canonical form does not parse: %v", err)
			}
			if again.String() != got {
				t.Errorf("not idempotent: %s -> %s", got, again.String())
			}
		})
	}
}

func TestOrderByAndFields(t *testing.T) {
	q, err := Parse(JQL, `project = ABC AND updated >= -1d OR issueKey = ABC-1 ORDER BY updated ASC, issuekey DESC, "Summary"`)
	if err != nil {
		t.Fatal(err)
	}
	wantOrder := []OrderTerm{{"updated", false}, {"key", true}, {"summary", false}}
	if got := q.OrderBy(); !slices.Equal(got, wantOrder) {
		t.Errorf("OrderBy = %v, want %v", got, wantOrder)
	}
	if got, want := q.Fields(), []string{"project", "updated", "key", "summary"}; !slices.Equal(got, want) {
		t.Errorf("Fields = %v, want %v", got, want)
	}
	q, _ = Parse(CQL, `space.key = DOC`)
	if got := q.OrderBy(); len(got) != 0 {
		t.Errorf("OrderBy without ORDER BY = %v, want empty", got)
	}
	if got, want := q.Fields(), []string{"space"}; !slices.Equal(got, want) {
		t.Errorf("Fields = %v, want %v", got, want)
	}
}

func TestCompare(t *testing.T) {
	sorted := func(recs []*rec, terms []OrderTerm) string {
		s := slices.Clone(recs)
		slices.SortStableFunc(s, func(a, b *rec) int { return Compare(a, b, terms) })
		var out []string
		for _, r := range s {
			out = append(out, r.name)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		terms []OrderTerm
		want  string
	}{
		{[]OrderTerm{{"updated", false}}, "XYZ-2,ABC-10,ABC-1"},
		{[]OrderTerm{{"updated", true}}, "ABC-1,ABC-10,XYZ-2"},
		{[]OrderTerm{{"key", false}}, "ABC-1,ABC-10,XYZ-2"},
		{[]OrderTerm{{"key", true}}, "XYZ-2,ABC-10,ABC-1"},
		{[]OrderTerm{{"id", false}}, "ABC-1,XYZ-2,ABC-10"},
		{[]OrderTerm{{"assignee", false}}, "XYZ-2,ABC-1,ABC-10"}, // empty last
		{[]OrderTerm{{"assignee", true}}, "ABC-10,ABC-1,XYZ-2"},  // empty first
		{[]OrderTerm{{"priority", false}, {"key", true}}, "XYZ-2,ABC-1,ABC-10"},
		{[]OrderTerm{{"summary", false}}, "XYZ-2,ABC-1,ABC-10"},
		{[]OrderTerm{{"due", false}}, "ABC-1,ABC-10,XYZ-2"},
	}
	for _, tc := range tests {
		if got := sorted(issues, tc.terms); got != tc.want {
			t.Errorf("sort by %v = %s, want %s", tc.terms, got, tc.want)
		}
	}
}

// indexed serves a cached TextIndex and counts how often it is asked.
type indexed struct {
	*rec
	calls *int
	ix    map[string]*TextIndex
}

func (x indexed) TextIndex(field string) *TextIndex {
	*x.calls++
	return x.ix[field]
}

func TestTextIndexerIsUsed(t *testing.T) {
	calls := 0
	var recs []Record
	for _, p := range pages {
		recs = append(recs, indexed{rec: p, calls: &calls, ix: map[string]*TextIndex{
			"text": IndexText(p.texts["text"]), "title": IndexText(p.texts["title"])}})
	}
	for _, query := range []string{`text ~ "two words"`, `text ~ "\"phrase of the day\""`, `title ~ "data*"`, `text ~ "tun* -release"`} {
		q, err := Parse(CQL, query)
		if err != nil {
			t.Fatal(err)
		}
		before := calls
		var viaIndex, viaText []bool
		for i, r := range recs {
			viaIndex = append(viaIndex, q.Match(r, Env{}))
			viaText = append(viaText, q.Match(pages[i], Env{}))
		}
		if !slices.Equal(viaIndex, viaText) {
			t.Errorf("%s: index %v, text %v", query, viaIndex, viaText)
		}
		if calls-before != len(recs) {
			t.Errorf("%s: TextIndex asked %d times, want %d", query, calls-before, len(recs))
		}
	}
}

func TestTextCache(t *testing.T) {
	c := NewTextCache(2)
	a := c.Index("two words")
	if c.Index("two words") != a {
		t.Errorf("second Index of the same text re-analysed it")
	}
	c.Index("b")
	c.Index("c") // over the limit: starts again
	if c.Index("two words") == a {
		t.Errorf("cache did not empty itself past its limit")
	}
	q, err := Parse(CQL, `text ~ "two words"`)
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Texts: NewTextCache(10)}
	if got := names(q, pages, env); got != "p2" {
		t.Errorf("with a TextCache matched %q, want p2", got)
	}
	if n := len(env.Texts.m); n != len(pages) {
		t.Errorf("cache holds %d texts, want %d", n, len(pages))
	}
}

// TestConcurrentMatch shares one Query between goroutines with different clocks (run with -race).
func TestConcurrentMatch(t *testing.T) {
	q, err := Parse(JQL, `updated >= "-1d" ORDER BY updated`)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan [2]int)
	for g := 0; g < 4; g++ {
		go func() {
			var n [2]int
			for i := 0; i < 200; i++ {
				day := i % 2 // now, or four days later: ABC-1 and ABC-10 are within a day only of now
				env := Env{Now: now.AddDate(0, 0, 4*day)}
				for _, r := range issues {
					if q.Match(r, env) {
						n[day]++
					}
				}
			}
			done <- n
		}()
	}
	for g := 0; g < 4; g++ {
		if n := <-done; n != [2]int{200, 0} {
			t.Errorf("matches per clock = %v, want [200 0]", n)
		}
	}
}
