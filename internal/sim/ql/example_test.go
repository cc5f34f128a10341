package ql_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/sim/ql"
)

// issue is a minimal ql.Record.
type issue struct {
	key, project string
	updated      time.Time
	summary      string
}

func (i issue) Values(field string) []string {
	switch field {
	case "key":
		return []string{i.key}
	case "project":
		return []string{i.project}
	}
	return nil
}

func (i issue) Time(field string) (time.Time, bool) { return i.updated, field == "updated" }

func (i issue) Text(field string) string {
	if field == "summary" || field == "text" {
		return i.summary
	}
	return ""
}

// The simulator's search: parse, validate against known values, filter, sort.
func Example() {
	now := time.Date(2024, 2, 14, 12, 0, 0, 0, time.UTC)
	issues := []ql.Record{
		issue{"ABC-2", "ABC", now.Add(-2 * time.Hour), "Connections drop under load"},
		issue{"ABC-1", "ABC", now.Add(-5 * time.Hour), "Dropped connection on restart"},
		issue{"ABC-3", "ABC", now.Add(-72 * time.Hour), "Upgrade guide"},
		issue{"XYZ-1", "XYZ", now.Add(-1 * time.Hour), "Connection refused"},
	}
	env := ql.Env{Now: now, Location: time.UTC, CurrentUser: "admin",
		Known: func(field, value string) bool { return field != "project" || value == "ABC" || value == "XYZ" }}

	q, err := ql.Parse(ql.JQL, `project = ABC AND updated >= -1d AND text ~ "connection" ORDER BY updated ASC`)
	if err != nil {
		panic(err)
	}
	if err := q.Validate(env); err != nil {
		panic(err)
	}
	var hits []ql.Record
	for _, r := range issues {
		if q.Match(r, env) {
			hits = append(hits, r)
		}
	}
	slices.SortStableFunc(hits, func(a, b ql.Record) int { return ql.Compare(a, b, q.OrderBy()) })
	for _, h := range hits {
		fmt.Println(h.Values("key")[0])
	}

	_, err = ql.Parse(ql.JQL, `project = ABC AND`)
	fmt.Println(err)
	q, _ = ql.Parse(ql.JQL, `project = NOPE`)
	fmt.Println(q.Validate(env))
	_, err = ql.Parse(ql.CQL, `space = DOC and`)
	fmt.Println(err)
	// Output:
	// ABC-1
	// ABC-2
	// Error in the JQL Query: Expecting a field name at the end of the query.
	// The value 'NOPE' does not exist for the field 'project'.
	// Could not parse cql : space = DOC and
}
