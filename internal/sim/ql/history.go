package ql

import (
	"fmt"
	"strings"
	"time"
)

// HistoryRecord is a Record that remembers how its fields changed, for WAS and CHANGED. A record
// without history has had its current values since it was created.
type HistoryRecord interface {
	Record
	// Changes lists the changes of a field (canonical name: status, assignee, reporter,
	// priority, resolution, fixversion), oldest first.
	Changes(field string) []Change
}

// Change is one change of a field's value; From and To are "" for no value.
type Change struct {
	At       time.Time
	By       string // user name
	From, To string
}

// span is a value a field held from start to end (zero end: still holds it), set by by.
type span struct {
	val        string
	by         string
	start, end time.Time
}

// timeline lists the values a field held, oldest first.
func timeline(r Record, field string) []span {
	created, _ := r.Time("created")
	var changes []Change
	if h, ok := r.(HistoryRecord); ok {
		changes = h.Changes(field)
	}
	if len(changes) == 0 {
		vals := r.Values(field)
		cur := ""
		if len(vals) > 0 {
			cur = vals[0]
		}
		return []span{{val: cur, start: created}}
	}
	out := []span{{val: changes[0].From, start: created, end: changes[0].At}}
	for i, c := range changes {
		s := span{val: c.To, by: c.By, start: c.At}
		if i+1 < len(changes) {
			s.end = changes[i+1].At
		}
		out = append(out, s)
	}
	return out
}

// period is the time a history predicate allows: (after, before), zero for open ends.
type period struct{ after, before time.Time }

func (p period) overlaps(start, end time.Time) bool {
	if !p.before.IsZero() && !start.Before(p.before) {
		return false
	}
	return p.after.IsZero() || end.IsZero() || end.After(p.after)
}

func (p period) holds(t time.Time) bool {
	return (p.after.IsZero() || t.After(p.after)) && (p.before.IsZero() || t.Before(p.before))
}

// historyFilter is a compiled set of WAS/CHANGED predicates.
type historyFilter struct {
	periods   []period
	by        func(string) bool
	from, to  func(string) bool
	hasBy     bool
	hasFromTo [2]bool
}

// predicates WAS accepts; CHANGED also takes FROM and TO.
var wasPredicates = map[string]bool{"AFTER": true, "BEFORE": true, "BY": true, "DURING": true, "ON": true}

func (q *Query) compileHistory(c *clause, f *fieldSpec, env resolved) (pred, error) {
	var hf historyFilter
	for _, h := range c.history {
		if c.op != opChanged && !wasPredicates[h.keyword] {
			return nil, q.semanticError(fmt.Sprintf("The %s operator does not support the use of the %s %s predicate.",
				operatorNames[c.op], strings.ToLower(h.keyword), operandString(h.val)))
		}
		switch h.keyword {
		case "BY":
			users, err := q.historyValues(c, f, h, env, true)
			if err != nil {
				return nil, err
			}
			hf.by, hf.hasBy = valueSet(users), true
		case "FROM", "TO":
			vals, err := q.historyValues(c, f, h, env, false)
			if err != nil {
				return nil, err
			}
			if h.keyword == "FROM" {
				hf.from, hf.hasFromTo[0] = valueSet(vals), true
			} else {
				hf.to, hf.hasFromTo[1] = valueSet(vals), true
			}
		default:
			p, err := q.historyPeriod(c, h, env)
			if err != nil {
				return nil, err
			}
			hf.periods = append(hf.periods, p)
		}
	}
	inPeriods := func(start, end time.Time, at bool) bool {
		for _, p := range hf.periods {
			if at && !p.holds(start) || !at && !p.overlaps(start, end) {
				return false
			}
		}
		return true
	}
	name := f.name
	if c.op == opChanged {
		return func(r Record) bool {
			h, ok := r.(HistoryRecord)
			if !ok {
				return false
			}
			for _, ch := range h.Changes(name) {
				if (!hf.hasBy || hf.by(ch.By)) && (!hf.hasFromTo[0] || hf.from(ch.From)) &&
					(!hf.hasFromTo[1] || hf.to(ch.To)) && inPeriods(ch.At, time.Time{}, true) {
					return true
				}
			}
			return false
		}, nil
	}
	list := c.op == opWasIn || c.op == opWasNotIn
	switch {
	case list && !isMulti(c.val):
		return nil, q.semanticError(fmt.Sprintf("Operator '%s' does not support the non-list value '%s' for field '%s'.",
			c.op.display(), operandString(c.val), c.field))
	case !list && isMulti(c.val):
		return nil, q.semanticError(fmt.Sprintf("Operator '%s' does not support the list value '%s' for field '%s'.",
			c.op.display(), operandString(c.val), c.field))
	}
	var want []string
	hasEmpty := false
	for _, a := range flatten(c.val, nil) {
		switch a.kind {
		case oEmpty:
			hasEmpty = true
		case oFunc:
			vals, err := q.funcValues(c, f, a, env)
			if err != nil {
				return nil, err
			}
			want = append(want, vals...)
		default:
			want = append(want, strings.ToLower(a.text))
		}
	}
	contains := valueSet(want)
	negate := c.op == opWasNot || c.op == opWasNotIn
	return func(r Record) bool {
		for _, s := range timeline(r, name) {
			hit := contains(s.val) || hasEmpty && s.val == ""
			if hit && (!hf.hasBy || hf.by(s.by)) && inPeriods(s.start, s.end, false) {
				return !negate
			}
		}
		return negate
	}, nil
}

// historyValues reads the operand of BY (users), FROM or TO: values, EMPTY, currentUser().
func (q *Query) historyValues(c *clause, f *fieldSpec, h historyPredicate, env resolved, users bool) ([]string, error) {
	var out []string
	for _, a := range flatten(h.val, nil) {
		switch a.kind {
		case oEmpty:
			out = append(out, "")
		case oFunc:
			spec := f
			if users {
				spec = jqlFields["assignee"]
			}
			vals, err := q.funcValues(c, spec, a, env)
			if err != nil {
				return nil, err
			}
			out = append(out, vals...)
		default:
			out = append(out, strings.ToLower(a.text))
		}
	}
	return out, nil
}

// historyPeriod reads AFTER, BEFORE, ON (a date) or DURING (two dates).
func (q *Query) historyPeriod(c *clause, h historyPredicate, env resolved) (period, error) {
	atoms := flatten(h.val, nil)
	// Jira's sentences (its functional test TestJqlParsing asserts them).
	if h.keyword == "DURING" {
		if h.val.kind != oList || len(atoms) != 2 {
			return period{}, q.semanticError("The DURING predicate must be supplied with exactly 2 date values.")
		}
	} else if len(atoms) != 1 || h.val.kind == oList {
		return period{}, q.semanticError(fmt.Sprintf("The %s predicate must be supplied with only 1 date value.", h.keyword))
	}
	times := make([]time.Time, len(atoms))
	for i, a := range atoms {
		t, err := q.historyDate(c, strings.ToLower(h.keyword), a, env)
		if err != nil {
			return period{}, err
		}
		times[i] = t
	}
	second := time.Nanosecond
	switch h.keyword {
	case "AFTER":
		return period{after: times[0]}, nil
	case "BEFORE":
		return period{before: times[0]}, nil
	case "ON":
		day := time.Date(times[0].Year(), times[0].Month(), times[0].Day(), 0, 0, 0, 0, times[0].Location())
		return period{after: day.Add(-second), before: day.AddDate(0, 0, 1)}, nil
	}
	return period{after: times[0].Add(-second), before: times[1].AddDate(0, 0, 1)}, nil
}

var historyDateField = &fieldSpec{name: "date", kind: kDate}

// historyDate reads the date of a predicate (after, before, on, during).
func (q *Query) historyDate(c *clause, predicate string, a *operand, env resolved) (time.Time, error) {
	switch a.kind {
	case oFunc:
		if _, ok := valueFunctions[strings.ToLower(a.text)]; ok {
			return time.Time{}, q.semanticError(fmt.Sprintf("A date for the predicate '%s' provided by the function '%s' is not valid.", predicate, a.text))
		}
		lname, err := q.function(c, historyDateField, a)
		if err != nil {
			return time.Time{}, err
		}
		t, ok := evalDateFunction(lname, a.args, env.now, env.loc)
		if !ok {
			return time.Time{}, q.semanticError(fmt.Sprintf("Duration for function '%s' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier.", a.text))
		}
		return t, nil
	case oValue:
		if t, ok := parseDate(a.text, a.number, env.now, env.loc, false); ok {
			return t, nil
		}
	}
	return time.Time{}, q.semanticError(fmt.Sprintf("Date value '%s' for predicate '%s' is invalid. Valid formats include: %s, or a period format e.g. '-5d', '4w 2d'.",
		a.text, predicate, dateTimeFormats))
}
