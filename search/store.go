package search

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// schemaVersion changes whenever the tables below change incompatibly.
// Version 2 added readers; a writer migrates a version-1 store on open
// (its documents' readers are unknown until the next permission pass), a
// reader takes it as it is.
const (
	schemaVersion   = "2"
	schemaVersionV1 = "1"
)

// The store's tables: rowid tables, as rows of a few kB (vectors, texts)
// overflow badly in WITHOUT ROWID b-trees. vectors is keyed by the chunk content hash so an
// unchanged chunk is never embedded twice; changes is the log readers follow
// to apply another process's commits incrementally; readers holds who may
// read a document (Readers), absent where unknown.
const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
	id TEXT PRIMARY KEY, source TEXT NOT NULL, container TEXT NOT NULL, key TEXT NOT NULL,
	title TEXT NOT NULL, url TEXT NOT NULL, updated INTEGER NOT NULL, labels TEXT NOT NULL,
	type TEXT NOT NULL, status TEXT NOT NULL, restricted INTEGER NOT NULL, breadcrumb TEXT NOT NULL,
	version INTEGER NOT NULL, fingerprint TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_container ON documents (source, container);
CREATE TABLE IF NOT EXISTS chunks (
	doc_id TEXT NOT NULL, idx INTEGER NOT NULL, heading TEXT NOT NULL, hash TEXT NOT NULL,
	terms BLOB NOT NULL, text TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_id, idx);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks (hash);
CREATE TABLE IF NOT EXISTS vectors (hash TEXT NOT NULL UNIQUE, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS watermarks (
	source TEXT NOT NULL, container TEXT NOT NULL, updated INTEGER NOT NULL, last_sync INTEGER NOT NULL,
	syncs INTEGER NOT NULL, last_reconcile INTEGER NOT NULL, PRIMARY KEY (source, container));
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS readers (doc_id TEXT PRIMARY KEY, readers TEXT NOT NULL);
`

// Reserved meta keys; SetMeta refuses them.
const (
	metaSchema = "atlasbridge.schema"
	metaModel  = "atlasbridge.model"
	metaDims   = "atlasbridge.dims"
	metaEpoch  = "atlasbridge.epoch" // changes on Reset: readers reload everything
	// metaPending marks chunks stored without vectors (UpsertWithoutVectors)
	// until Reembed or Reset: searches answer ErrNoIndex meanwhile.
	metaPending = "atlasbridge.vectors-pending"
)

// keepChanges is how many change-log rows survive pruning; a reader further
// behind than that reloads everything.
const keepChanges = 200_000

// openDB opens the SQLite store at path. A read-only open uses query_only
// so it can still take part in WAL (shm) locking; initDB switches a new
// store to WAL, which is persistent.
func openDB(path string, readOnly bool) (*sql.DB, error) {
	return sql.Open("sqlite", storeDSN(path, readOnly))
}

// storeDSN is the driver's name of the store at path, with its pragmas.
func storeDSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(off)")
	q.Add("_pragma", "synchronous(normal)")
	if readOnly {
		q.Add("_pragma", "query_only(true)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// timeToInt stores a time as Unix microseconds, the zero time as 0.
func timeToInt(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func intToTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// encodeVector is the stored form of a vector: little-endian float32s.
func encodeVector(v []float32) []byte {
	return appendVector(make([]byte, 0, 4*len(v)), v)
}

// appendVector appends the stored form of v to b.
func appendVector(b []byte, v []float32) []byte {
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

func decodeVector(b []byte, dims int) ([]float32, error) {
	if len(b)%4 != 0 || (dims > 0 && len(b) != 4*dims) {
		return nil, fmt.Errorf("vector of %d bytes, want %d", len(b), 4*dims)
	}
	v := make([]float32, len(b)/4)
	if err := decodeVectorInto(v, b); err != nil {
		return nil, err
	}
	return v, nil
}

// decodeVectorInto decodes b into dst, which must be exactly as long.
func decodeVectorInto(dst []float32, b []byte) error {
	if len(b) != 4*len(dst) {
		return fmt.Errorf("vector of %d bytes, want %d", len(b), 4*len(dst))
	}
	for i := range dst {
		f := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return errors.New("vector holds NaN or Inf")
		}
		dst[i] = f
	}
	return nil
}

func encodeStrings(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s) // a []string always marshals
	return string(b)
}

func decodeStrings(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// isCorruption says whether err is SQLite reporting a damaged or foreign
// file, or one it cannot read.
func isCorruption(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_IOERR:
		return true
	}
	return false
}

// getMeta reads one meta value; ok is false when the key is absent.
func getMeta(ctx context.Context, q querier, key string) (value []byte, ok bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return value, true, nil
}

func putMeta(ctx context.Context, e execer, key string, value []byte) error {
	_, err := e.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// initDB prepares a writer's store: a new one gets 16 KiB pages (a chunk row
// and a 512-dim vector are ~2 kB each: 4 KiB pages waste half of
// every page) and WAL mode, then the tables.
func initDB(ctx context.Context, db *sql.DB) error {
	var pages int
	if err := db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return err
	}
	if pages == 0 {
		if _, err := db.ExecContext(ctx, `PRAGMA page_size = 16384`); err != nil {
			return err
		}
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("cannot switch to WAL mode (got %q)", mode)
	}
	_, err := db.ExecContext(ctx, schema)
	return err
}
