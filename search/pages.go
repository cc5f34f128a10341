package search

import (
	"context"
	"database/sql"
	"strings"
)

// Page is a whole document as the store holds it, for references outside
// the ranking (eval's page-level BM25): its title, its distinct headings
// and its body, the texts of its chunks without their first line of
// breadcrumb and heading path.
type Page struct {
	Result   // the document's fields; no score or snippet
	Headings []string
	Body     string
}

// Pages calls fn with every document of the store, in id order, and stops
// at fn's first error.
func (x *Index) Pages(ctx context.Context, fn func(Page) error) error {
	if err := x.usable("pages"); err != nil {
		return err
	}
	rows, err := x.db.QueryContext(ctx, `SELECT `+docColumns+`, c.heading, c.text
		FROM documents JOIN chunks c ON c.doc_id = documents.id ORDER BY documents.id, c.idx`)
	if err != nil {
		return x.fail("pages", err)
	}
	defer rows.Close()
	var (
		cur   *Page
		body  strings.Builder
		heads map[string]bool
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		cur.Body = body.String()
		return fn(*cur)
	}
	for rows.Next() {
		var heading sql.NullString
		var text string
		row, err := scanDoc(rows, &heading, &text)
		if err != nil {
			return x.fail("pages", err)
		}
		if cur == nil || cur.DocID != row.id {
			if err := flush(); err != nil {
				return err
			}
			cur, heads = &Page{Result: row.result()}, map[string]bool{}
			body.Reset()
		}
		if h := heading.String; h != "" && !heads[h] {
			heads[h] = true
			cur.Headings = append(cur.Headings, h)
		}
		// A chunk's first line is its breadcrumb and heading path when it
		// names the title or the heading (indexer.ChunkMarkdown).
		if first, rest, ok := strings.Cut(text, "\n"); ok && (strings.Contains(first, row.title) || heading.String != "" && strings.Contains(first, heading.String)) {
			text = rest
		}
		body.WriteString(strings.TrimSpace(text))
		body.WriteString("\n\n")
	}
	if err := rows.Err(); err != nil {
		return x.fail("pages", err)
	}
	return flush()
}
