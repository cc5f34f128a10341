package mcp

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// allowList is a set of Confluence space keys or Jira project keys; the
// empty list allows everything.
type allowList struct {
	keys []string // upper-cased, sorted
	env  string   // variable that set it, for messages
}

func newAllowList(keys []string, env string) allowList {
	var out []string
	for _, k := range keys {
		if k = strings.ToUpper(strings.TrimSpace(k)); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return allowList{keys: out, env: env}
}

// all reports whether the list allows everything.
func (a allowList) all() bool { return len(a.keys) == 0 }

// allows reports whether key is in the list (case-insensitively).
func (a allowList) allows(key string) bool {
	return a.all() || slices.Contains(a.keys, strings.ToUpper(key))
}

// refusal explains that what names a thing outside the list.
func (a allowList) refusal(what string) string {
	return fmt.Sprintf("%s is outside the allowed scope (%s=%s)", what, a.env, strings.Join(a.keys, ","))
}

// refuse is the refusal as an error for the model (a toolError).
func (a allowList) refuse(what string) error { return &toolError{msg: a.refusal(quoteInput(what))} }

// scope restricts a CQL or JQL query to the list by adding
// `AND field in (...)` before its ORDER BY clause, if any. A query whose
// parentheses do not balance is refused: "x) OR (y" would close the
// wrapper and escape the restriction.
func (a allowList) scope(query, field string) (string, error) {
	if a.all() {
		return query, nil
	}
	if !balanced(query) {
		return "", fmt.Errorf("the query's parentheses do not balance (outside quoted strings): fix them and retry")
	}
	quoted := make([]string, len(a.keys))
	for i, k := range a.keys {
		quoted[i] = atlassian.Quote(k)
	}
	clause := field + " in (" + strings.Join(quoted, ",") + ")"
	head, order := splitOrderBy(query)
	if strings.TrimSpace(head) == "" {
		return strings.TrimSpace(clause + " " + order), nil
	}
	return strings.TrimSpace("(" + head + ") AND " + clause + " " + order), nil
}

// balanced reports whether the parentheses of q outside quoted strings
// never close more than they opened and all close in the end.
func balanced(q string) bool {
	depth := 0
	var quote rune
	escaped := false
	for _, r := range q {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '(':
			depth++
		case r == ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0 && quote == 0
}

// splitOrderBy cuts a query before its top-level ORDER BY, ignoring the
// words inside quoted strings.
func splitOrderBy(q string) (head, order string) {
	var quote rune
	escaped := false
	for i, r := range q {
		switch {
		case escaped:
			escaped = false
			continue
		case r == '\\':
			escaped = true
			continue
		case quote != 0:
			if r == quote {
				quote = 0
			}
			continue
		case r == '"' || r == '\'':
			quote = r
			continue
		}
		if (r == 'o' || r == 'O') && (i == 0 || !isWordRune(rune(q[i-1]))) && hasOrderBy(q[i:]) {
			return strings.TrimSpace(q[:i]), strings.TrimSpace(q[i:])
		}
	}
	return strings.TrimSpace(q), ""
}

// hasOrderBy reports whether s starts with the words ORDER BY.
func hasOrderBy(s string) bool {
	f := strings.Fields(s)
	return len(f) >= 2 && strings.EqualFold(f[0], "order") && strings.EqualFold(f[1], "by")
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
