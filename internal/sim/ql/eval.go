package ql

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// pred is a compiled clause or expression.
type pred func(Record) bool

// program is a query compiled for one Env (clock, zone, user).
type program struct {
	key   envKey
	match pred
	err   error
}

type envKey struct {
	now   int64
	loc   *time.Location
	user  string
	texts *TextCache
	fn    Functions
}

// resolved is the Env as evaluation uses it: a fixed clock and a zone.
type resolved struct {
	now   time.Time
	loc   *time.Location
	user  string
	texts *TextCache
	fn    Functions
}

func resolve(env Env) (envKey, resolved) {
	k := envKey{loc: env.Location, user: env.CurrentUser, texts: env.Texts, fn: env.Functions}
	if !env.Now.IsZero() {
		k.now = env.Now.UnixNano()
	}
	r := resolved{now: env.Now, loc: env.Location, user: env.CurrentUser, texts: env.Texts, fn: env.Functions}
	if r.loc == nil {
		r.loc = time.UTC
	}
	if r.now.IsZero() {
		r.now = time.Now()
	}
	return k, r
}

// program returns the query compiled for env, reusing the last compilation when env is the same.
func (q *Query) program(env Env) *program {
	k, r := resolve(env)
	if p := q.prog.Load(); p != nil && p.key == k {
		return p
	}
	p := &program{key: k}
	p.match, p.err = q.compile(q.root, r)
	if p.err == nil {
		p.err = q.checkOrder()
	}
	q.prog.Store(p)
	return p
}

// Match reports whether r satisfies the query. A query that does not validate matches nothing;
// Match does not consult Env.Known (Validate does), so call Validate first.
func (q *Query) Match(r Record, env Env) bool {
	p := q.program(env)
	return p.err == nil && p.match(r)
}

// Validate runs the semantic checks the products run after parsing: fields exist, operators and
// functions suit the field, dates and keys are well-formed, ORDER BY fields sort, and (through
// Env.Known) values exist. The error is *Error.
func (q *Query) Validate(env Env) error {
	if p := q.program(env); p.err != nil {
		return p.err
	}
	if env.Known != nil {
		if err := q.checkKnown(q.root, env.Known); err != nil {
			return err
		}
	}
	return nil
}

// checkOrder refuses ORDER BY fields that do not exist, cannot sort, or repeat (Jira's
// DefaultOrderByValidator sentences).
func (q *Query) checkOrder() error {
	first := map[string]string{} // canonical name -> the spelling that used it first
	for _, it := range q.items {
		f := lookupField(q.d, it.field)
		if f == nil {
			return q.semanticError(fmt.Sprintf("Not able to sort using field '%s'.", it.field))
		}
		if f.noSort {
			return q.semanticError(fmt.Sprintf("Field '%s' does not support sorting.", it.field))
		}
		if prev, ok := first[f.name]; ok {
			msg := fmt.Sprintf("The sort field '%s' is referenced multiple times in the JQL sort.", it.field)
			if !strings.EqualFold(prev, it.field) {
				msg += fmt.Sprintf(" Field '%s' is an alias for field '%s'.", it.field, prev)
			}
			return q.semanticError(msg)
		}
		first[f.name] = it.field
	}
	return nil
}

func noSuchField(name string) string {
	return fmt.Sprintf("Field '%s' does not exist or you do not have permission to view it.", name)
}

func (q *Query) checkKnown(n node, known func(field, value string) bool) error {
	c, ok := n.(*clause)
	if !ok {
		for _, k := range children(n) {
			if err := q.checkKnown(k, known); err != nil {
				return err
			}
		}
		return nil
	}
	f := lookupField(q.d, c.field)
	if f == nil || !f.known {
		return nil
	}
	// The values of the clause, and those of CHANGED's FROM and TO predicates (Jira checks
	// both: "status changed from fred" names 'fred').
	var atoms []*operand
	if c.val != nil {
		atoms = flatten(c.val, nil)
	}
	for _, h := range c.history {
		if h.keyword == "FROM" || h.keyword == "TO" {
			atoms = flatten(h.val, atoms)
		}
	}
	for _, a := range atoms {
		if a.kind != oValue || (f.name == "resolution" && strings.EqualFold(a.text, "unresolved")) {
			continue
		}
		if f.kind == kKey {
			if _, _, isKey := issueKey(a.text); isKey && !a.number && !known(f.name, a.text) {
				return q.semanticError(fmt.Sprintf("An issue with key '%s' does not exist for field '%s'.", a.text, c.field))
			}
			continue
		}
		if !known(f.name, a.text) {
			if a.number {
				return q.semanticError(fmt.Sprintf("A value with ID '%s' does not exist for the field '%s'.", a.text, c.field))
			}
			return q.semanticError(fmt.Sprintf("The value '%s' does not exist for the field '%s'.", a.text, c.field))
		}
	}
	return nil
}

// flatten lists the atoms of an operand: values, EMPTYs and functions, lists opened.
func flatten(o *operand, out []*operand) []*operand {
	if o.kind != oList {
		return append(out, o)
	}
	for _, it := range o.items {
		out = flatten(it, out)
	}
	return out
}

func (q *Query) compile(n node, env resolved) (pred, error) {
	switch n := n.(type) {
	case nil:
		return func(Record) bool { return true }, nil
	case *orNode, *andNode:
		kids, err := q.compileAll(children(n), env)
		if err != nil {
			return nil, err
		}
		// OR is decided by the first true kid, AND by the first false one.
		_, decisive := n.(*orNode)
		return func(r Record) bool {
			for _, k := range kids {
				if k(r) == decisive {
					return decisive
				}
			}
			return !decisive
		}, nil
	case *notNode:
		kid, err := q.compile(n.kid, env)
		if err != nil {
			return nil, err
		}
		return func(r Record) bool { return !kid(r) }, nil
	case *clause:
		return q.compileClause(n, env)
	}
	return nil, fmt.Errorf("ql: unknown node %T", n)
}

func (q *Query) compileAll(nodes []node, env resolved) ([]pred, error) {
	out := make([]pred, len(nodes))
	for i, n := range nodes {
		p, err := q.compile(n, env)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// operatorNames are Jira's enum names, used in its predicate messages.
var operatorNames = [...]string{"EQUALS", "NOT_EQUALS", "LIKE", "NOT_LIKE", "LESS_THAN", "GREATER_THAN",
	"LESS_THAN_EQUALS", "GREATER_THAN_EQUALS", "IN", "NOT_IN", "IS", "IS_NOT", "WAS", "WAS_NOT", "WAS_IN", "WAS_NOT_IN", "CHANGED"}

// operandString is an operand as Jira displays it in validation messages: strings in double
// quotes, functions as name(args).
func operandString(o *operand) string {
	var b strings.Builder
	switch {
	case o.kind == oValue && !o.number:
		b.WriteString(quoteString(o.text))
	case o.kind == oFunc:
		b.WriteString(o.text + "(" + strings.Join(o.args, ", ") + ")")
	default:
		writeOperand(&b, o)
	}
	return b.String()
}

func (q *Query) compileClause(c *clause, env resolved) (pred, error) {
	f := lookupField(q.d, c.field)
	if f == nil {
		return nil, q.semanticError(noSuchField(c.field))
	}
	if c.op.isHistory() {
		if !f.history || q.d != JQL {
			return nil, q.semanticError(fmt.Sprintf("The operator '%s' is not supported by the '%s' field.", c.op.display(), c.field))
		}
		return q.compileHistory(c, f, env)
	}
	if len(c.history) > 0 {
		h := c.history[0]
		return nil, q.semanticError(fmt.Sprintf("The %s operator does not support the use of the %s %s predicate.",
			operatorNames[c.op], strings.ToLower(h.keyword), operandString(h.val)))
	}
	// Jira's operator-usage checks come before the field's own (DefaultOperatorUsageValidator).
	list := c.op == opIn || c.op == opNotIn
	relational := c.op == opLt || c.op == opGt || c.op == opLte || c.op == opGte
	switch {
	case (c.op == opIs || c.op == opIsNot) && c.val.kind != oEmpty:
		return nil, q.semanticError(fmt.Sprintf("Operator '%s' does not support searching for non-empty values for field '%s'.",
			c.op.display(), c.field))
	case (list || relational) && c.val.kind == oEmpty:
		return nil, q.semanticError(fmt.Sprintf("Operator '%s' does not support the empty value representation 'EMPTY' for field '%s'.",
			c.op.display(), c.field))
	case c.val.kind == oList && !list:
		return nil, q.semanticError(fmt.Sprintf("Operator '%s' does not support the list value '%s' for field '%s'.",
			c.op.display(), operandString(c.val), c.field))
	case c.val.kind == oFunc && isMulti(c.val) && !list:
		// Modelled on the list sentence: a function yielding many values wants IN.
		return nil, q.semanticError(fmt.Sprintf("Operator '%s' does not support the multi-value function '%s' for field '%s'.",
			c.op.display(), operandString(c.val), c.field))
	case list && !isMulti(c.val):
		return nil, q.semanticError(fmt.Sprintf("Operator '%s' does not support the non-list value '%s' for field '%s'.",
			c.op.display(), operandString(c.val), c.field))
	}
	if f.ops&c.op.bit() == 0 {
		return nil, q.semanticError(fmt.Sprintf("The operator '%s' is not supported by the '%s' field.", c.op.display(), c.field))
	}
	switch f.kind {
	case kDate:
		return q.compileDate(c, f, env)
	case kText:
		return q.compileText(c, f, env.texts)
	case kKey:
		return q.compileKey(c, f, env)
	}
	return q.compileValues(c, f, env)
}

// function checks a function operand against the field and returns its lower-case name.
func (q *Query) function(c *clause, f *fieldSpec, a *operand) (string, error) {
	lname := strings.ToLower(a.text)
	if spec, ok := valueFunctions[lname]; ok {
		if err := q.argCount(a, spec.min, spec.max); err != nil {
			return "", err
		}
		if f.kind == kDate {
			return "", q.semanticError(fmt.Sprintf("A date for the field '%s' provided by the function '%s' is not valid.", c.field, a.text))
		}
		if !spec.fits(f) {
			return "", q.semanticError(fmt.Sprintf("A value provided by the function '%s' is invalid for the field '%s'.", a.text, c.field))
		}
		return lname, nil
	}
	if dateFunctions[lname] == "" {
		return "", q.semanticError(fmt.Sprintf("Unable to find JQL function '%s()'.", a.text))
	}
	if f.kind != kDate {
		return "", q.semanticError(fmt.Sprintf("A value provided by the function '%s' is invalid for the field '%s'.", a.text, c.field))
	}
	if lname == "now" && q.d == JQL {
		if err := q.argCount(a, 0, 0); err != nil {
			return "", err
		}
	}
	return lname, q.argCount(a, 0, 1)
}

// funcValues checks a function operand and returns the lower-case values it stands for.
func (q *Query) funcValues(c *clause, f *fieldSpec, a *operand, env resolved) ([]string, error) {
	lname, err := q.function(c, f, a)
	if err != nil {
		return nil, err
	}
	if lname == "currentuser" {
		if env.user == "" {
			return nil, nil
		}
		return []string{strings.ToLower(env.user)}, nil
	}
	vals, err := q.callValues(lname, a, env)
	for i, v := range vals {
		vals[i] = strings.ToLower(v)
	}
	return vals, err
}

func (q *Query) emptyNotSupported(c *clause) error {
	return q.semanticError(fmt.Sprintf("The field '%s' does not support searching for EMPTY values.", c.field))
}

// compileValues handles fields compared by equality on Record.Values.
func (q *Query) compileValues(c *clause, f *fieldSpec, env resolved) (pred, error) {
	var want []string
	hasEmpty := false
	for _, a := range flatten(c.val, nil) {
		switch a.kind {
		case oEmpty:
			if !f.empty {
				return nil, q.emptyNotSupported(c)
			}
			hasEmpty = true
		case oFunc:
			vals, err := q.funcValues(c, f, a, env)
			if err != nil {
				return nil, err
			}
			want = append(want, vals...)
		default:
			if q.d == JQL && f.name == "resolution" && strings.EqualFold(a.text, "unresolved") {
				hasEmpty = true
				continue
			}
			want = append(want, strings.ToLower(a.text))
		}
	}
	name := f.name
	contains := valueSet(want)
	any := func(r Record) (present, hit bool) {
		vals := r.Values(name)
		for _, v := range vals {
			if contains(v) {
				return true, true
			}
		}
		return len(vals) > 0, false
	}
	jql := q.d == JQL
	switch c.op {
	case opEq, opIn:
		return func(r Record) bool {
			present, hit := any(r)
			return hit || (hasEmpty && !present)
		}, nil
	case opNeq, opNotIn:
		return func(r Record) bool {
			present, hit := any(r)
			if !present {
				// Jira never matches an empty field with != or NOT IN; Confluence's Lucene NOT does.
				return !jql && !hasEmpty
			}
			return !hit
		}, nil
	case opIs:
		return func(r Record) bool { return len(r.Values(name)) == 0 }, nil
	case opIsNot:
		return func(r Record) bool { return len(r.Values(name)) > 0 }, nil
	}
	return nil, q.semanticError(fmt.Sprintf("The operator '%s' is not supported by the '%s' field.", c.op.display(), c.field))
}

// valueSet returns a case-insensitive membership test for lower-case values.
func valueSet(want []string) func(string) bool {
	if len(want) <= 4 {
		return func(v string) bool {
			for _, w := range want {
				if strings.EqualFold(v, w) {
					return true
				}
			}
			return false
		}
	}
	m := make(map[string]struct{}, len(want))
	for _, w := range want {
		m[w] = struct{}{}
	}
	return func(v string) bool {
		_, ok := m[strings.ToLower(v)]
		return ok
	}
}

// issueKey splits "ABC-123" into its project and number.
func issueKey(s string) (string, int64, bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 || i == len(s)-1 {
		return "", 0, false
	}
	n, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || n < 0 || s[i+1] == '+' {
		return "", 0, false
	}
	for _, r := range s[:i] {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return "", 0, false
		}
	}
	return s[:i], n, true
}

// compileKey handles Jira's issue key: equality on keys (or ids for numbers), and ordered
// comparisons by number within the key's project.
func (q *Query) compileKey(c *clause, f *fieldSpec, env resolved) (pred, error) {
	var keys, ids []string
	for _, a := range flatten(c.val, nil) {
		switch a.kind {
		case oEmpty:
			return nil, q.emptyNotSupported(c)
		case oFunc:
			vals, err := q.funcValues(c, f, a, env)
			if err != nil {
				return nil, err
			}
			keys = append(keys, vals...)
		default:
			if a.number {
				ids = append(ids, a.text)
				continue
			}
			if _, _, ok := issueKey(a.text); !ok {
				return nil, q.semanticError(fmt.Sprintf("The issue key '%s' for field '%s' is invalid.", a.text, c.field))
			}
			keys = append(keys, strings.ToLower(a.text))
		}
	}
	isKey, isID := valueSet(keys), valueSet(ids)
	hit := func(r Record) (present, ok bool) {
		for _, v := range r.Values("key") {
			present = true
			if isKey(v) {
				return true, true
			}
		}
		for _, v := range r.Values("id") {
			present = true
			if isID(v) {
				return true, true
			}
		}
		return present, false
	}
	switch c.op {
	case opEq, opIn:
		return func(r Record) bool { _, ok := hit(r); return ok }, nil
	case opNeq, opNotIn:
		return func(r Record) bool { present, ok := hit(r); return present && !ok }, nil
	}
	// Ordered: one key (or id) operand.
	if len(ids) == 1 {
		want, _ := strconv.ParseInt(ids[0], 10, 64)
		return func(r Record) bool {
			for _, v := range r.Values("id") {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					return ordered(c.op, compareInt(n, want))
				}
			}
			return false
		}, nil
	}
	if len(keys) != 1 {
		return func(Record) bool { return false }, nil
	}
	proj, want, _ := issueKey(keys[0])
	return func(r Record) bool {
		for _, v := range r.Values("key") {
			p, n, ok := issueKey(v)
			if ok && strings.EqualFold(p, proj) {
				return ordered(c.op, compareInt(n, want))
			}
		}
		return false
	}, nil
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ordered applies an ordered operator to the result of compare(record, operand).
func ordered(op operator, cmp int) bool {
	switch op {
	case opLt:
		return cmp < 0
	case opGt:
		return cmp > 0
	case opLte:
		return cmp <= 0
	case opGte:
		return cmp >= 0
	}
	return false
}

// recordTime reads a date field, truncated to the minute like the products' date clauses
// (Jira's resolved may also be offered as "resolutiondate").
func recordTime(r Record, name string) (time.Time, bool) {
	t, ok := r.Time(name)
	if !ok && name == "resolved" {
		t, ok = r.Time("resolutiondate")
	}
	if !ok || t.IsZero() {
		return time.Time{}, false
	}
	return t.Truncate(time.Minute), true
}

// dateTimeFormats are the formats Jira's date errors list.
const dateTimeFormats = "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'"

func (q *Query) badDate(c *clause, f *fieldSpec, text string) error {
	formats := dateTimeFormats
	if f.dateOnly {
		formats = "'YYYY/MM/DD', 'YYYY-MM-DD'"
	}
	return q.semanticError(fmt.Sprintf("Date value '%s' for field '%s' is invalid. Valid formats include: %s, or a period format e.g. '-5d', '4w 2d'.",
		text, c.field, formats))
}

// compileDate handles date fields: operands are resolved once, at minute precision.
func (q *Query) compileDate(c *clause, f *fieldSpec, env resolved) (pred, error) {
	var times []time.Time
	hasEmpty := false
	for _, a := range flatten(c.val, nil) {
		switch a.kind {
		case oEmpty:
			if !f.empty {
				return nil, q.emptyNotSupported(c)
			}
			hasEmpty = true
		case oFunc:
			lname, err := q.function(c, f, a)
			if err != nil {
				return nil, err
			}
			t, ok := evalDateFunction(lname, a.args, env.now, env.loc)
			if !ok {
				return nil, q.semanticError(fmt.Sprintf("Duration for function '%s' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier.", a.text))
			}
			times = append(times, t.Truncate(time.Minute))
		default:
			if a.number && q.d == CQL {
				return nil, q.badDate(c, f, a.text)
			}
			t, ok := parseDate(a.text, a.number, env.now, env.loc, f.dateOnly)
			if !ok {
				return nil, q.badDate(c, f, a.text)
			}
			times = append(times, t.Truncate(time.Minute))
		}
	}
	name := f.name
	jql := q.d == JQL
	switch c.op {
	case opIs:
		return func(r Record) bool { _, ok := recordTime(r, name); return !ok }, nil
	case opIsNot:
		return func(r Record) bool { _, ok := recordTime(r, name); return ok }, nil
	case opEq, opIn, opNeq, opNotIn:
		negate := c.op == opNeq || c.op == opNotIn
		return func(r Record) bool {
			t, ok := recordTime(r, name)
			if !ok {
				if negate {
					return !jql && !hasEmpty
				}
				return hasEmpty
			}
			hit := false
			for _, w := range times {
				if t.Equal(w) {
					hit = true
					break
				}
			}
			return hit != negate
		}, nil
	}
	if len(times) != 1 {
		return func(Record) bool { return false }, nil
	}
	want, op := times[0], c.op
	return func(r Record) bool {
		t, ok := recordTime(r, name)
		return ok && ordered(op, t.Compare(want))
	}, nil
}

// compileText handles ~ and !~ (full text), and CQL title's exact comparisons.
func (q *Query) compileText(c *clause, f *fieldSpec, texts *TextCache) (pred, error) {
	name := f.name
	switch c.op {
	case opIs:
		return func(r Record) bool { return strings.TrimSpace(r.Text(name)) == "" }, nil
	case opIsNot:
		return func(r Record) bool { return strings.TrimSpace(r.Text(name)) != "" }, nil
	}
	atoms := flatten(c.val, nil)
	for _, a := range atoms {
		switch a.kind {
		case oEmpty:
			return nil, q.emptyNotSupported(c)
		case oFunc:
			if _, err := q.function(c, f, a); err != nil {
				return nil, err
			}
			return nil, q.semanticError(fmt.Sprintf("A value provided by the function '%s' is invalid for the field '%s'.", a.text, c.field))
		}
	}
	if c.op != opLike && c.op != opNotLike {
		want := make([]string, len(atoms))
		for i, a := range atoms {
			want[i] = strings.ToLower(a.text)
		}
		contains := valueSet(want)
		negate := c.op == opNeq || c.op == opNotIn
		return func(r Record) bool { return contains(strings.TrimSpace(r.Text(name))) != negate }, nil
	}
	text := atoms[0].text
	if strings.TrimSpace(text) == "" {
		return nil, q.semanticError(fmt.Sprintf("The field '%s' does not support searching for an empty string.", c.field))
	}
	if t := strings.TrimSpace(text); t[0] == '*' || t[0] == '?' {
		return nil, q.semanticError(fmt.Sprintf("The text query '%s' for field '%s' is not allowed to start with '%c'.", text, c.field, t[0]))
	}
	tq := parseTextQuery(text)
	negate := c.op == opNotLike
	return func(r Record) bool {
		var ix *TextIndex
		if ti, ok := r.(TextIndexer); ok {
			ix = ti.TextIndex(name)
		}
		if ix == nil {
			if texts != nil {
				ix = texts.Index(r.Text(name))
			} else {
				ix = IndexText(r.Text(name))
			}
		}
		return tq.match(ix) != negate
	}, nil
}

// Compare orders two records by terms, for sorting search results: dates through Time, "key" by
// project then number, "id" numerically, summary/title through Text, anything else by its first
// value, case-insensitively. A record without a value sorts after one with a value in ascending
// order (before it in descending). It returns -1, 0 or 1; ties are the caller's to break.
func Compare(a, b Record, terms []OrderTerm) int {
	for _, t := range terms {
		c := compareField(a, b, t.Field)
		if t.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// compareField compares one field ascending, empty last.
func compareField(a, b Record, field string) int {
	switch field {
	case "updated", "created", "resolved", "due", "lastmodified":
		ta, oka := recordTime(a, field)
		tb, okb := recordTime(b, field)
		if c := compareMissing(oka, okb); c != 0 || !oka {
			return c
		}
		return ta.Compare(tb)
	case "summary", "title", "description":
		sa, sb := a.Text(field), b.Text(field)
		if c := compareMissing(sa != "", sb != ""); c != 0 || sa == "" {
			return c
		}
		return compareFold(sa, sb)
	}
	va, vb := a.Values(field), b.Values(field)
	if c := compareMissing(len(va) > 0, len(vb) > 0); c != 0 || len(va) == 0 {
		return c
	}
	x, y := va[0], vb[0]
	if field == "key" {
		pa, na, oka := issueKey(x)
		pb, nb, okb := issueKey(y)
		if oka && okb {
			if c := compareFold(pa, pb); c != 0 {
				return c
			}
			return compareInt(na, nb)
		}
	}
	if nx, err := strconv.ParseInt(x, 10, 64); err == nil {
		if ny, err := strconv.ParseInt(y, 10, 64); err == nil {
			return compareInt(nx, ny)
		}
	}
	return compareFold(x, y)
}

// compareMissing puts present before missing; 0 when both or neither are present.
func compareMissing(a, b bool) int {
	switch {
	case a && !b:
		return -1
	case !a && b:
		return 1
	}
	return 0
}

func compareFold(a, b string) int {
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}
