package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrNotIndexed is matched (errors.Is) by the error Similar returns for a
// document the index does not hold.
var ErrNotIndexed = errors.New("document is not indexed")

// similarBytes bounds the text of a document used as the query of Similar:
// its opening (breadcrumb, title, summary, first sections) says what it is
// about, and a whole long page would make every common word count.
const similarBytes = 2000

// DocID is the index's id of a Confluence page (key: its id) or a Jira issue
// (key: its issue key).
func DocID(source, key string) string {
	if source == SourceJira {
		key = strings.ToUpper(key)
	}
	return source + ":" + key
}

// Similar returns the documents closest to the indexed document docID (see
// DocID), itself excluded: its title and first chunks are the query, q's
// filters and K apply (q.Text is ignored). It fails with ErrNotIndexed when
// the index does not hold docID.
func (x *Index) Similar(ctx context.Context, docID string, q Query) ([]Result, error) {
	if err := x.usable("similar"); err != nil {
		return nil, err
	}
	text, err := x.documentText(ctx, docID, similarBytes)
	if err != nil {
		return nil, err
	}
	k := q.K
	switch {
	case k < 0:
		return nil, fmt.Errorf("search: similar to %s: K is %d; want 1..%d", docID, k, MaxK)
	case k == 0:
		k = 10
	case k > MaxK:
		k = MaxK
	}
	q.Text = text
	// Snippets centred on the whole document's words land on what every
	// document of its kind says; its title names what it is about.
	q.snippetText, _, _ = strings.Cut(text, "\n")
	q.K = min(k+1, MaxK) // the document itself usually ranks first
	fu := defaultFusion
	fu.longQuery = 0 // a document is a long query: see defaultFusion
	rs, err := x.search(ctx, q, fu)
	if err != nil {
		return nil, fmt.Errorf("search: similar to %s: %w", docID, err)
	}
	out := rs[:0]
	for _, r := range rs {
		if r.DocID != docID {
			out = append(out, r)
		}
	}
	return out[:min(k, len(out))], nil
}

// Lookup returns what the index holds about docID (see DocID) as a Result
// without score, snippet or heading, or fails with ErrNotIndexed.
func (x *Index) Lookup(ctx context.Context, docID string) (Result, error) {
	if err := x.usable("lookup"); err != nil {
		return Result{}, err
	}
	d, err := scanDoc(x.db.QueryRowContext(ctx, `SELECT `+docColumns+` FROM documents WHERE id = ?`, docID))
	if errors.Is(err, sql.ErrNoRows) {
		return Result{}, fmt.Errorf("search: lookup %s: %w", docID, ErrNotIndexed)
	}
	if err != nil {
		return Result{}, x.fail("lookup "+docID, err)
	}
	return d.result(), nil
}

// documentText is a document's title followed by its chunks in order, cut
// to about max bytes at a word boundary.
func (x *Index) documentText(ctx context.Context, docID string, max int) (string, error) {
	var title string
	err := x.db.QueryRowContext(ctx, `SELECT title FROM documents WHERE id = ?`, docID).Scan(&title)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("search: similar to %s: %w", docID, ErrNotIndexed)
	}
	if err != nil {
		return "", x.fail("similar to "+docID, err)
	}
	rows, err := x.db.QueryContext(ctx, `SELECT text FROM chunks WHERE doc_id = ? ORDER BY idx`, docID)
	if err != nil {
		return "", x.fail("similar to "+docID, err)
	}
	defer rows.Close()
	var b strings.Builder
	b.WriteString(title)
	for rows.Next() && b.Len() < max {
		var chunk string
		if err := rows.Scan(&chunk); err != nil {
			return "", x.fail("similar to "+docID, err)
		}
		b.WriteString("\n")
		b.WriteString(chunk)
	}
	if err := rows.Err(); err != nil {
		return "", x.fail("similar to "+docID, err)
	}
	return cutWords(b.String(), max), nil
}

// cutWords cuts s to at most max bytes, before the word that crosses max.
func cutWords(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := strings.LastIndexAny(s[:max+1], " \n\t")
	if cut <= 0 {
		cut = max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut]
}
