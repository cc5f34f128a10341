// Package ql parses and evaluates the subset of CQL (Confluence) and JQL (Jira) that crawlers and
// assistants use, answering bad queries with the wording the real Server/DC products give.
//
// A query goes lexer → AST (Parse) → semantic checks (Query.Validate) → a compiled predicate
// (Query.Match). The simulator in atlassiantest supplies records through the Record interface.
//
// Semantics worth knowing:
//   - Dates stop at the minute, like the products: a record's time and the operand are both
//     truncated to the minute before comparing, so `updated >= "2024-01-31 13:45"` re-reads the
//     whole boundary minute and `updated > ...` skips it. Dates without a zone are read in
//     Env.Location (UTC when nil).
//   - In JQL, `!=` and `NOT IN` never match a record whose field is empty (Jira: `assignee != bob`
//     leaves out unassigned issues); in CQL they do.
//   - `~` is a Lucene-like full-text match: terms are lower-cased, split on non-alphanumerics,
//     lightly stemmed, stop words dropped; every term must occur; a quoted phrase must occur in
//     order; `*` and `?` are wildcards inside a word (not in phrases); `-term` excludes; `a OR b`
//     is an alternative. Stop words leave a gap, so "end of file" matches "end to file" but
//     "phrase exact" does not match "phrase that is exact".
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
// Errors are *Error. JQL messages are Jira's own sentences, checked against Jira's functional
// tests of its parser; CQL errors all read "Could not parse cql : <query>" like Confluence's,
// with Error.Reason saying what is wrong.
package ql
