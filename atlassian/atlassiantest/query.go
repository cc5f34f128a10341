package atlassiantest

import (
	"strings"
	"time"
	"unicode"
)

// This file adapts the query language to the simulator. It holds a deliberately tiny temporary
// matcher (AND of simple clauses + ORDER BY) used until the real parser lands in ./ql; the rest
// of the simulator only calls parseQuery, match, orderBy and compareRecords.

type dialect int

const (
	dialectCQL dialect = iota
	dialectJQL
)

// record is what a query evaluates: a page or an issue. Same contract as ql.Record.
type record interface {
	Values(field string) []string
	Time(field string) (time.Time, bool)
	Text(field string) string
}

type queryEnv struct {
	Now         time.Time
	Location    *time.Location
	CurrentUser string
	Known       func(field, value string) bool
}

// queryError carries the server's own wording of a query error.
type queryError struct{ Msg string }

func (e *queryError) Error() string { return e.Msg }

type orderTerm struct {
	Field string
	Desc  bool
}

type clause struct {
	field, op string
	values    []string
}

type query struct {
	d       dialect
	src     string
	clauses []clause
	order   []orderTerm
}

func parseQuery(d dialect, src string, env queryEnv) (*query, error) {
	q := &query{d: d, src: strings.TrimSpace(src)}
	toks, err := lexQuery(q.src)
	if err != nil {
		return nil, q.fail(err.Error())
	}
	i := 0
	for i < len(toks) {
		if strings.EqualFold(toks[i], "order") {
			if i+1 >= len(toks) || !strings.EqualFold(toks[i+1], "by") {
				return nil, q.fail("expecting BY after ORDER")
			}
			i += 2
			for i < len(toks) {
				t := orderTerm{Field: strings.ToLower(toks[i])}
				i++
				if i < len(toks) && (strings.EqualFold(toks[i], "asc") || strings.EqualFold(toks[i], "desc")) {
					t.Desc = strings.EqualFold(toks[i], "desc")
					i++
				}
				q.order = append(q.order, t)
				if i < len(toks) && toks[i] == "," {
					i++
				}
			}
			break
		}
		if len(q.clauses) > 0 {
			if !strings.EqualFold(toks[i], "and") {
				return nil, q.fail("expecting AND but got " + toks[i])
			}
			i++
		}
		if i+2 >= len(toks)+0 && i+1 >= len(toks) {
			return nil, q.fail("incomplete clause")
		}
		c := clause{field: strings.ToLower(toks[i])}
		i++
		if i >= len(toks) {
			return nil, q.fail("expecting operator")
		}
		c.op = strings.ToLower(toks[i])
		i++
		if c.op == "in" {
			if i >= len(toks) || toks[i] != "(" {
				return nil, q.fail("expecting (")
			}
			i++
			for i < len(toks) && toks[i] != ")" {
				if toks[i] != "," {
					c.values = append(c.values, unquote(toks[i]))
				}
				i++
			}
			i++
		} else {
			if i >= len(toks) {
				return nil, q.fail("expecting value")
			}
			c.values = []string{unquote(toks[i])}
			i++
		}
		q.clauses = append(q.clauses, c)
	}
	return q, nil
}

func (q *query) fail(msg string) error {
	if q.d == dialectCQL {
		return &queryError{Msg: "Could not parse cql : " + q.src}
	}
	return &queryError{Msg: "Error in the JQL Query: " + msg}
}

func (q *query) String() string { return q.src }

func (q *query) orderBy() []orderTerm { return q.order }

func (q *query) match(r record, env queryEnv) bool {
	for _, c := range q.clauses {
		if !c.match(r, env) {
			return false
		}
	}
	return true
}

func (c clause) match(r record, env queryEnv) bool {
	field := c.field
	if field == "space.key" {
		field = "space"
	}
	switch c.op {
	case "~":
		text := strings.ToLower(r.Text(field))
		for _, w := range strings.Fields(strings.ToLower(c.values[0])) {
			if !strings.Contains(text, strings.Trim(w, `"*`)) {
				return false
			}
		}
		return true
	case ">", ">=", "<", "<=":
		t, ok := r.Time(field)
		if !ok {
			return false
		}
		v, ok := parseQueryTime(c.values[0], env)
		if !ok {
			return false
		}
		switch c.op {
		case ">":
			return t.After(v)
		case ">=":
			return !t.Before(v)
		case "<":
			return t.Before(v)
		default:
			return !t.After(v)
		}
	}
	vals := r.Values(field)
	if field == "title" || field == "summary" {
		vals = []string{r.Text(field)}
	}
	hit := false
	for _, v := range vals {
		for _, w := range c.values {
			if strings.EqualFold(v, w) {
				hit = true
			}
		}
	}
	if c.op == "!=" {
		return !hit
	}
	return hit
}

func parseQueryTime(s string, env queryEnv) (time.Time, bool) {
	loc := env.Location
	if loc == nil {
		loc = time.UTC
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006/01/02 15:04", "2006-01-02", "2006/01/02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	if strings.HasPrefix(s, "-") && len(s) > 2 {
		n := 0
		for _, ch := range s[1 : len(s)-1] {
			if ch < '0' || ch > '9' {
				return time.Time{}, false
			}
			n = n*10 + int(ch-'0')
		}
		unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
		if unit == 0 {
			return time.Time{}, false
		}
		return env.Now.Add(-time.Duration(n) * unit), true
	}
	return time.Time{}, false
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') {
		return strings.ReplaceAll(s[1:len(s)-1], `\"`, `"`)
	}
	return s
}

func lexQuery(s string) ([]string, error) {
	var out []string
	rs := []rune(s)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != c {
				if rs[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(rs) {
				return nil, &queryError{Msg: "unterminated string"}
			}
			out = append(out, string(rs[i:j+1]))
			i = j + 1
		case strings.ContainsRune("(),", c):
			out = append(out, string(c))
			i++
		case strings.ContainsRune("=!~<>", c):
			j := i + 1
			if j < len(rs) && (rs[j] == '=' || rs[j] == '~') {
				j++
			}
			out = append(out, string(rs[i:j]))
			i = j
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && !strings.ContainsRune("(),=!~<>\"'", rs[j]) {
				j++
			}
			out = append(out, string(rs[i:j]))
			i = j
		}
	}
	return out, nil
}

// compareRecords orders two records by ORDER BY terms: dates via Time, else first value.
func compareRecords(a, b record, terms []orderTerm) int {
	for _, t := range terms {
		c := 0
		ta, oka := a.Time(t.Field)
		tb, okb := b.Time(t.Field)
		if oka || okb {
			c = ta.Compare(tb)
		} else {
			va, vb := first(a.Values(t.Field)), first(b.Values(t.Field))
			if t.Field == "title" || t.Field == "summary" {
				va, vb = a.Text(t.Field), b.Text(t.Field)
			}
			c = strings.Compare(strings.ToLower(va), strings.ToLower(vb))
		}
		if t.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
