// Package ql parses and evaluates the subset of CQL (Confluence) and JQL (Jira) that crawlers and
// assistants use, answering bad queries with the wording the real Server/DC products give.
//
// A query goes lexer → AST (Parse) → semantic checks (Query.Validate) → a compiled predicate
// (Query.Match). The simulator (internal/sim) supplies records through the Record interface.
//
// Semantics worth knowing:
//   - Dates stop at the minute, like the products: a record's time and the operand are both
//     truncated to the minute, so `updated >= "2024-01-31 13:45"` re-reads the whole boundary
//     minute and `updated > ...` skips it. Dates without a zone are read in Env.Location (UTC).
//   - In JQL, `!=` and `NOT IN` never match a record whose field is empty (Jira: `assignee != bob`
//     leaves out unassigned issues); in CQL they do.
//   - `~` is a Lucene-like full-text match: lower-cased terms, lightly stemmed, stop words dropped
//     (leaving a gap: "end of file" matches "end to file"); every term must occur, a quoted phrase
//     in order; `*` and `?` are wildcards within words (not phrases); `-term` excludes; `a OR b`.
//
// Fields (names are case-insensitive; the canonical name in brackets is what Record is asked):
//
//	CQL: space, space.key [space]; type; title (=, !=, ~, !~, IN); text (~, !~); label(s) [label];
//	     ancestor; parent; id, content [id]; creator, contributor (currentUser()); lastmodified,
//	     created (=, !=, <, >, <=, >=; now(), startOf/endOf Day|Week|Month|Year with an increment).
//	JQL: project; key, issuekey, issue, id [key; a number compares with Values("id")]; status;
//	     statusCategory; assignee, reporter (currentUser(), EMPTY); priority; issuetype, type
//	     [issuetype]; labels; component; fixVersion; resolution ("Unresolved" = EMPTY); text,
//	     summary, description, environment, comment (~, !~); updated, created, resolved
//	     (resolutiondate), due (duedate; dates only).
//
// Errors are *Error: JQL messages are Jira's own sentences (checked against Jira's parser tests);
// CQL errors read "Could not parse cql : <query>" like Confluence's, with Error.Reason saying why.
package ql
