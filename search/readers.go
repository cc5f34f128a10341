package search

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Readers says who may read a document, as far as the server told the
// syncing account. A reader must pass every level (a page's own read
// restriction and each ancestor's: inherited restrictions intersect), and
// a Jira issue at a security level is readable only by that level's
// members, which the index does not know.
type Readers struct {
	Levels []ReadLevel `json:"levels,omitempty"`
	// SecurityID and SecurityName are a Jira issue's security level.
	SecurityID   string `json:"securityId,omitempty"`
	SecurityName string `json:"securityName,omitempty"`
}

// ReadLevel is one read restriction: it admits its users and the members
// of its groups.
type ReadLevel struct {
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// Restricted reports whether anything limits who may read the document.
func (r Readers) Restricted() bool {
	return len(r.Levels) > 0 || r.SecurityID != "" || r.SecurityName != ""
}

// Denies reports whether r shuts user, a member of groups, out for sure: a
// level admits neither the user nor one of the groups. A security level
// never denies here (its members are unknown). With groups unknown (nil),
// only a level of users alone can deny.
func (r Readers) Denies(user string, groups []string, groupsKnown bool) bool {
	for _, l := range r.Levels {
		if slices.ContainsFunc(l.Users, func(u string) bool { return strings.EqualFold(u, user) }) {
			continue
		}
		if len(l.Groups) > 0 && !groupsKnown {
			continue // a group of the level may hold the user
		}
		if !slices.ContainsFunc(l.Groups, func(g string) bool {
			return slices.ContainsFunc(groups, func(h string) bool { return strings.EqualFold(g, h) })
		}) {
			return true
		}
	}
	return false
}

// encode is the stored form: sorted, so that equal readers compare equal.
func (r Readers) encode() string {
	n := Readers{SecurityID: r.SecurityID, SecurityName: r.SecurityName}
	for _, l := range r.Levels {
		u, g := slices.Clone(l.Users), slices.Clone(l.Groups)
		slices.Sort(u)
		slices.Sort(g)
		n.Levels = append(n.Levels, ReadLevel{Users: slices.Compact(u), Groups: slices.Compact(g)})
	}
	b, _ := json.Marshal(n) // strings only: always marshals
	return string(b)
}

// Equal reports whether r and o admit the same readers as stored.
func (r Readers) Equal(o Readers) bool { return r.encode() == o.encode() }

// putReaders stores a document's readers; nil removes them (unknown).
func putReaders(ctx context.Context, e execer, id string, r *Readers) error {
	if r == nil {
		_, err := e.ExecContext(ctx, `DELETE FROM readers WHERE doc_id = ?`, id)
		return err
	}
	_, err := e.ExecContext(ctx, `INSERT INTO readers (doc_id, readers) VALUES (?, ?)
		ON CONFLICT (doc_id) DO UPDATE SET readers = excluded.readers`, id, r.encode())
	return err
}

// Readers returns the stored readers of the documents ids that have them.
// A document without (indexed before readers were stored, or by an older
// build) is missing from the map: its readers are unknown.
func (x *Index) Readers(ctx context.Context, ids []string) (map[string]Readers, error) {
	if err := x.usable("read readers"); err != nil {
		return nil, err
	}
	out := make(map[string]Readers, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if !x.hasReaders(ctx) {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := x.db.QueryContext(ctx, `SELECT doc_id, readers FROM readers WHERE doc_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, x.fail("read readers", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, enc string
		if err := rows.Scan(&id, &enc); err != nil {
			return nil, x.fail("read readers", err)
		}
		var r Readers
		if err := json.Unmarshal([]byte(enc), &r); err != nil {
			continue // unreadable: unknown, which fails closed
		}
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		return nil, x.fail("read readers", err)
	}
	return out, nil
}

// hasReaders reports whether the store has the readers table: a reader
// may open an index of schema 1 that no writer has migrated yet.
func (x *Index) hasReaders(ctx context.Context) bool {
	var n int
	err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'readers'`).Scan(&n)
	return err == nil && n > 0
}

// SetReaders replaces the stored readers of indexed documents (nil:
// unknown) without touching their text: a restriction changes no version.
// Unknown ids are ignored.
func (x *Index) SetReaders(ctx context.Context, readers map[string]*Readers) error {
	if err := x.writable("set readers"); err != nil {
		return err
	}
	if len(readers) == 0 {
		return nil
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	ids := make([]string, 0, len(readers))
	for id := range readers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	err := x.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM documents WHERE id = ?`, id).Scan(&one)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			if err := putReaders(ctx, tx, id, readers[id]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return x.fail(fmt.Sprintf("set readers of %d documents", len(readers)), err)
	}
	return nil
}
