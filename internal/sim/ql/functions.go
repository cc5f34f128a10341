package ql

import (
	"fmt"
	"strings"
)

// Functions answers the JQL functions whose values are the server's own data: the sprints in a
// state, the versions released or not, the members of a group, the issues linked to an issue.
// It must be comparable (a pointer), since compiled queries are cached per Env.
type Functions interface {
	// Call returns the values function name (lower-case: "opensprints", "closedsprints",
	// "futuresprints", "releasedversions", "unreleasedversions", "membersof", "linkedissues")
	// stands for, as the field's Values spell them (sprint ids, version names, user names, issue
	// keys). A non-nil error's text is the product's sentence for the mistake, e.g. "Issue
	// 'OPS-99' could not be found in function 'linkedIssues'.".
	Call(name string, args []string) ([]string, error)
}

// funcSpec is a JQL function that yields field values.
type funcSpec struct {
	name     string // Jira's spelling
	min, max int    // argument count; max -1: no limit
	multi    bool   // yields a list: used with IN, NOT IN, WAS IN, WAS NOT IN
	fits     func(*fieldSpec) bool
	usage    string // for functions whose wrong argument count Jira answers with their usage
}

func forUsers(f *fieldSpec) bool    { return f.user }
func forSprints(f *fieldSpec) bool  { return f.name == "sprint" }
func forIssues(f *fieldSpec) bool   { return f.kind == kKey || f.name == "epic link" }
func forVersions(f *fieldSpec) bool { return f.name == "fixversion" || f.name == "affectedversion" }

var valueFunctions = map[string]funcSpec{
	"currentuser":        {"currentUser", 0, 0, false, forUsers, ""},
	"membersof":          {"membersOf", 1, 1, true, forUsers, ""},
	"opensprints":        {"openSprints", 0, 0, true, forSprints, ""},
	"closedsprints":      {"closedSprints", 0, 0, true, forSprints, ""},
	"futuresprints":      {"futureSprints", 0, 0, true, forSprints, ""},
	"linkedissues":       {"linkedIssues", 1, -1, true, forIssues, "linkedIssues ( issuekey [, linkDescription ]* )"},
	"releasedversions":   {"releasedVersions", 0, 1, true, forVersions, ""},
	"unreleasedversions": {"unreleasedVersions", 0, 1, true, forVersions, ""},
}

// isMulti reports whether an operand is a list or a function yielding one.
func isMulti(o *operand) bool {
	if o.kind == oList {
		return true
	}
	if o.kind == oFunc {
		return valueFunctions[strings.ToLower(o.text)].multi
	}
	return false
}

// argCount checks the number of arguments with Jira's sentences.
func (q *Query) argCount(a *operand, min, max int) error {
	n := len(a.args)
	if spec := valueFunctions[strings.ToLower(a.text)]; spec.usage != "" {
		if n < min || max >= 0 && n > max {
			// Jira's functional test TestJqlFunctions asserts this sentence for linkedIssues().
			return q.semanticError(fmt.Sprintf("Incorrect number of arguments for function '%s'. Usage: '%s'.", a.text, spec.usage))
		}
		return nil
	}
	switch {
	case min == max && n != min:
		return q.semanticError(fmt.Sprintf("Function '%s' expected '%d' arguments but received '%d'.", a.text, min, n))
	case n < min || n > max:
		return q.semanticError(fmt.Sprintf("Function '%s' expected between '%d' and '%d' arguments but received '%d'.", a.text, min, max, n))
	}
	return nil
}

// callValues evaluates a value function (not currentUser) through Env.Functions; without one it
// stands for no value.
func (q *Query) callValues(lname string, a *operand, env resolved) ([]string, error) {
	if env.fn == nil {
		return nil, nil
	}
	vals, err := env.fn.Call(lname, a.args)
	if err != nil {
		return nil, q.semanticError(err.Error())
	}
	return vals, nil
}
