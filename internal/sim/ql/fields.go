package ql

import "strings"

// fieldKind decides how a field's clauses are evaluated.
type fieldKind int

const (
	kValues fieldKind = iota // Record.Values, equality on any value
	kKey                     // Jira issue key: equality, and ordering by number within a project
	kDate                    // Record.Time, minute precision
	kText                    // Record.Text, full-text ~ (and exact = for CQL title)
)

// fieldSpec describes one searchable field.
type fieldSpec struct {
	name     string // canonical lower-case name, as passed to Record
	kind     fieldKind
	ops      uint32 // allowed operators (operator.bit)
	empty    bool   // EMPTY is a meaningful value
	user     bool   // accepts currentUser()
	known    bool   // values are checked with Env.Known
	dateOnly bool   // a date without time of day (Jira's due)
	noSort   bool
	history  bool // WAS and CHANGED search its history (HistoryRecord)
}

func ops(list ...operator) uint32 {
	var m uint32
	for _, o := range list {
		m |= o.bit()
	}
	return m
}

var (
	opsEquality = ops(opEq, opNeq, opIn, opNotIn)
	opsIs       = ops(opIs, opIsNot)
	opsOrdered  = ops(opLt, opGt, opLte, opGte)
)

// jqlFields maps each accepted lower-case JQL name (aliases included) to its spec.
var jqlFields = func() map[string]*fieldSpec {
	m := map[string]*fieldSpec{}
	add := func(f *fieldSpec, names ...string) {
		for _, n := range names {
			m[n] = f
		}
	}
	add(&fieldSpec{name: "project", ops: opsEquality | opsIs, known: true}, "project")
	add(&fieldSpec{name: "key", kind: kKey, ops: opsEquality | opsIs | opsOrdered, known: true}, "key", "issuekey", "issue", "id")
	add(&fieldSpec{name: "status", history: true, ops: opsEquality | opsIs, known: true}, "status")
	add(&fieldSpec{name: "statuscategory", ops: opsEquality | opsIs, known: true}, "statuscategory")
	add(&fieldSpec{name: "assignee", history: true, ops: opsEquality | opsIs, empty: true, user: true, known: true}, "assignee")
	add(&fieldSpec{name: "reporter", history: true, ops: opsEquality | opsIs, empty: true, user: true, known: true}, "reporter")
	add(&fieldSpec{name: "priority", history: true, ops: opsEquality | opsIs, empty: true, known: true}, "priority")
	add(&fieldSpec{name: "issuetype", ops: opsEquality | opsIs, known: true}, "issuetype", "type")
	add(&fieldSpec{name: "labels", ops: opsEquality | opsIs, empty: true}, "labels")
	add(&fieldSpec{name: "component", ops: opsEquality | opsIs, empty: true, known: true}, "component")
	add(&fieldSpec{name: "fixversion", history: true, ops: opsEquality | opsIs, empty: true, known: true}, "fixversion")
	add(&fieldSpec{name: "sprint", ops: opsEquality | opsIs, empty: true}, "sprint")
	add(&fieldSpec{name: "epic link", ops: opsEquality | opsIs, empty: true}, "epic link")
	add(&fieldSpec{name: "resolution", history: true, ops: opsEquality | opsIs, empty: true, known: true}, "resolution")
	add(&fieldSpec{name: "text", kind: kText, ops: ops(opLike, opNotLike), noSort: true}, "text")
	add(&fieldSpec{name: "summary", kind: kText, ops: ops(opLike, opNotLike) | opsIs}, "summary")
	add(&fieldSpec{name: "description", kind: kText, ops: ops(opLike, opNotLike) | opsIs, empty: true}, "description")
	add(&fieldSpec{name: "environment", kind: kText, ops: ops(opLike, opNotLike) | opsIs, empty: true}, "environment")
	add(&fieldSpec{name: "comment", kind: kText, ops: ops(opLike, opNotLike) | opsIs, noSort: true}, "comment")
	dateOps := opsEquality | opsIs | opsOrdered
	add(&fieldSpec{name: "updated", kind: kDate, ops: dateOps, empty: true}, "updated", "updateddate")
	add(&fieldSpec{name: "created", kind: kDate, ops: dateOps, empty: true}, "created", "createddate")
	add(&fieldSpec{name: "resolved", kind: kDate, ops: dateOps, empty: true}, "resolved", "resolutiondate")
	add(&fieldSpec{name: "due", kind: kDate, ops: dateOps, empty: true, dateOnly: true}, "due", "duedate")
	return m
}()

// cqlFields maps each accepted lower-case CQL name to its spec.
var cqlFields = func() map[string]*fieldSpec {
	m := map[string]*fieldSpec{}
	add := func(f *fieldSpec, names ...string) {
		for _, n := range names {
			m[n] = f
		}
	}
	add(&fieldSpec{name: "space", ops: opsEquality}, "space", "space.key")
	add(&fieldSpec{name: "type", ops: opsEquality}, "type")
	add(&fieldSpec{name: "title", kind: kText, ops: opsEquality | ops(opLike, opNotLike)}, "title")
	add(&fieldSpec{name: "text", kind: kText, ops: ops(opLike, opNotLike), noSort: true}, "text")
	add(&fieldSpec{name: "label", ops: opsEquality}, "label", "labels")
	add(&fieldSpec{name: "ancestor", ops: opsEquality}, "ancestor")
	add(&fieldSpec{name: "parent", ops: opsEquality}, "parent")
	add(&fieldSpec{name: "id", ops: opsEquality}, "id", "content")
	add(&fieldSpec{name: "creator", ops: opsEquality, user: true}, "creator")
	add(&fieldSpec{name: "contributor", ops: opsEquality, user: true}, "contributor")
	dateOps := ops(opEq, opNeq) | opsOrdered
	add(&fieldSpec{name: "lastmodified", kind: kDate, ops: dateOps}, "lastmodified")
	add(&fieldSpec{name: "created", kind: kDate, ops: dateOps}, "created")
	return m
}()

// lookupField returns the spec of a field as written, or nil when the dialect has no such field.
func lookupField(d Dialect, name string) *fieldSpec {
	if d == JQL {
		return jqlFields[strings.ToLower(name)]
	}
	return cqlFields[strings.ToLower(name)]
}

// canonicalName is the Record name of a field, or its lower-case form when unknown.
func canonicalName(d Dialect, name string) string {
	if f := lookupField(d, name); f != nil {
		return f.name
	}
	return strings.ToLower(name)
}
