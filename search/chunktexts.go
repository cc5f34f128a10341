package search

import (
	"context"
	"strings"
)

// chunkTexts reads the texts of chunks ords from the store in one query
// (chunk texts are not kept in memory): "" for a chunk that is gone.
func (x *Index) chunkTexts(ctx context.Context, m *memIndex, ords []int32) []string {
	out := make([]string, len(ords))
	if len(ords) == 0 {
		return out
	}
	var q strings.Builder
	q.WriteString(`SELECT doc_id, idx, text FROM chunks WHERE (doc_id, idx) IN (VALUES `)
	args := make([]any, 0, 2*len(ords))
	at := make(map[chunkKey]int, len(ords))
	for i, o := range ords {
		c := m.chunks[o]
		if c.doc == nil {
			continue
		}
		if len(args) > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?)")
		args = append(args, c.doc.id, c.idx)
		at[chunkKey{c.doc.id, c.idx}] = i
	}
	if len(args) == 0 {
		return out
	}
	q.WriteString(")")
	rows, err := x.db.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var k chunkKey
		var body string
		if rows.Scan(&k.doc, &k.idx, &body) == nil {
			if i, ok := at[k]; ok {
				out[i] = body
			}
		}
	}
	return out
}

// chunkKey names a chunk in the store.
type chunkKey struct {
	doc string
	idx int32
}
