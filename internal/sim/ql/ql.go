package ql

import (
	"strings"
	"sync/atomic"
	"time"
)

// Dialect selects the query language: CQL for Confluence, JQL for Jira.
type Dialect int

const (
	// CQL is the Confluence Query Language.
	CQL Dialect = iota
	// JQL is the Jira Query Language.
	JQL
)

// String names the dialect.
func (d Dialect) String() string {
	if d == JQL {
		return "JQL"
	}
	return "CQL"
}

// Error is a query the server refuses with 400. Msg is the product's own wording: for JQL the
// exact sentence Jira puts in errorMessages, for CQL Confluence's "Could not parse cql : <query>".
type Error struct {
	Dialect Dialect
	Msg     string
	reason  string
}

// Error returns Msg.
func (e *Error) Error() string { return e.Msg }

// Reason says what is wrong in our own words. Confluence's message does not say why a CQL query
// was refused; Reason does (for logs and tests). For JQL it equals Msg.
func (e *Error) Reason() string {
	if e.reason == "" {
		return e.Msg
	}
	return e.reason
}

// Record is one page or issue as a query sees it. Field names are lower-case.
type Record interface {
	// Values returns the values of a field for this record ("space", "type", "label", "id",
	// "ancestor", "parent", "creator", "contributor"; "project", "key", "id", "status",
	// "statuscategory", "assignee", "reporter", "priority", "issuetype", "labels", "component",
	// "fixversion", "resolution"), lower-case names. Empty for none (e.g. unassigned).
	Values(field string) []string
	// Time returns a date field ("lastmodified", "created"; "updated", "created", "resolved",
	// "due").
	Time(field string) (time.Time, bool)
	// Text returns the text searched by ~ ("text", "title"; "text", "summary", "description",
	// "comment", "environment"). For JQL "text" it should cover summary, description and
	// comments; for CQL "text" the title and body.
	Text(field string) string
}

// Env is what evaluation needs from the request: the clock, the user's zone and name, and which
// values exist.
type Env struct {
	// Now is the time relative dates and now() count from; time.Now() when zero.
	Now time.Time
	// Location is the user's time zone: dates without zone are read in it (UTC when nil).
	Location *time.Location
	// CurrentUser is the user name currentUser() stands for.
	CurrentUser string
	// Known, when non-nil, reports whether a value exists for a field. Validate asks it about the
	// JQL fields project, status, statuscategory, issuetype, priority, resolution, component,
	// fixversion, assignee, reporter and key (canonical lower-case names, values as written); an
	// unknown value is Jira's "The value 'X' does not exist for the field 'project'." (for key:
	// "An issue with key 'X' does not exist for field 'key'."). Return true for fields you do
	// not track.
	Known func(field, value string) bool
	// Texts, when non-nil, caches the analysis of Record.Text for ~ clauses on records that do
	// not implement TextIndexer. Without either, every match re-analyses the text.
	Texts *TextCache
	// Functions, when non-nil, answers openSprints(), linkedIssues(), membersOf() and the other
	// functions whose values are the server's data; without it they stand for no value.
	Functions Functions
}

// OrderTerm is one ORDER BY term. Field is the canonical lower-case name (as passed to Record).
type OrderTerm struct {
	Field string
	Desc  bool
}

// Query is a parsed CQL or JQL query. It is safe for concurrent use.
type Query struct {
	d     Dialect
	src   string
	root  node // nil for an empty JQL query, which matches everything
	items []orderItem
	prog  atomic.Pointer[program]
}

// Parse parses query in dialect d. Syntax errors are *Error with the product's message.
func Parse(d Dialect, query string) (*Query, error) {
	toks, serr := lex(d, query)
	var root node
	var items []orderItem
	if serr == nil {
		p := &parser{d: d, toks: toks}
		root, items, serr = p.parseTokens()
	}
	if serr == nil && d == CQL && root == nil {
		serr = errEnd("a CQL query needs at least one clause")
	}
	if serr != nil {
		return nil, newSyntaxError(d, query, serr)
	}
	return &Query{d: d, src: query, root: root, items: items}, nil
}

func newSyntaxError(d Dialect, query string, e *syntaxError) *Error {
	if d == JQL {
		return &Error{Dialect: JQL, Msg: "Error in the JQL Query: " + e.message()}
	}
	return &Error{Dialect: CQL, Msg: cqlMessage(query), reason: e.message()}
}

func cqlMessage(query string) string { return "Could not parse cql : " + query }

// semanticError is a query that parses but cannot run: JQL's validation sentences are not
// prefixed; CQL's are all "Could not parse cql".
func (q *Query) semanticError(msg string) *Error {
	if q.d == JQL {
		return &Error{Dialect: JQL, Msg: msg}
	}
	return &Error{Dialect: CQL, Msg: cqlMessage(q.src), reason: msg}
}

// Dialect returns the query's dialect.
func (q *Query) Dialect() Dialect { return q.d }

// OrderBy returns the ORDER BY terms with canonical field names; empty when none. A term without
// a direction is ascending.
func (q *Query) OrderBy() []OrderTerm {
	terms := make([]OrderTerm, 0, len(q.items))
	for _, it := range q.items {
		terms = append(terms, OrderTerm{Field: canonicalName(q.d, it.field), Desc: it.dir == tDesc})
	}
	return terms
}

// Fields returns the canonical names of the fields the query mentions, in order of first
// appearance, without duplicates (clauses first, then ORDER BY).
func (q *Query) Fields() []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		f = canonicalName(q.d, f)
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	var walk func(n node)
	walk = func(n node) {
		if c, ok := n.(*clause); ok {
			add(c.field)
		}
		for _, k := range children(n) {
			walk(k)
		}
	}
	if q.root != nil {
		walk(q.root)
	}
	for _, it := range q.items {
		add(it.field)
	}
	return out
}

// String returns the canonical form: single spaces, upper-case keywords and operators, values
// bare when they were bare, otherwise double-quoted, and parentheses only where precedence needs
// them. Parsing the result gives the same String.
func (q *Query) String() string {
	var b strings.Builder
	if q.root != nil {
		writeNode(&b, q.root)
	}
	if len(q.items) > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("ORDER BY ")
		for i, it := range q.items {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteField(it.field))
			switch it.dir {
			case tAsc:
				b.WriteString(" ASC")
			case tDesc:
				b.WriteString(" DESC")
			}
		}
	}
	return b.String()
}
