package mcp

import (
	"regexp"
	"strings"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// Models often pass plain words where CQL or JQL is asked for ("deploy
// rollback", "login timeout bugs"). The server would answer with a parse
// error and a round trip would be lost; such words are searched as text
// instead, and the answer says which query ran.

// qlOperator matches what only a query has: a comparison, a list, an
// ORDER BY, an IS [NOT] EMPTY, a function call (openSprints(),
// membersOf("x"), linkedIssues(OPS-1)) or a history operator (status was
// Open, assignee changed) after one of the fields Jira keeps history of.
// Anything else that looks like a query is sent as one too: the server's
// parse error says more than a text search that finds nothing.
var qlOperator = regexp.MustCompile(`[=~<>!]|(?i)\bin\s*\(|(?i)\border\s+by\b|(?i)\bis\s+(not\s+)?(empty|null)\b|` +
	`\b[A-Za-z]\w*\(|` +
	`(?i)\b(assignee|fixversion|"fix version"|priority|reporter|resolution|status)\s+(was|changed)\b`)

// maxPlainTerms bounds the words of a plain-words search.
const maxPlainTerms = 12

// wordsQuery returns q unchanged when it reads as CQL/JQL, or a `text ~`
// clause built safely from its words, and whether it converted it.
func wordsQuery(q string) (string, bool) {
	if qlOperator.MatchString(q) {
		return q, false
	}
	v := atlassian.TextQuery(q, maxPlainTerms)
	if v == "" {
		return q, false // nothing searchable: let the server explain
	}
	return "text ~ " + v, true
}

// plainWordsNote is what an answer says when it searched plain words.
func plainWordsNote(query string) string {
	return strings.TrimSpace("searched as text: " + quoteInput(query) + " (write CQL/JQL for fields, e.g. space or project)")
}
