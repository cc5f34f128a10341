package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/atlasbridge/atlasbridge/search/internal/keyword"
)

// Upsert stores docs, replacing each document's chunks atomically: the whole
// batch is one transaction, so a reader sees all of it or none. Only chunks
// whose hash is not stored yet are embedded (in batches, before the
// transaction starts); an unchanged document is not written at all, so
// Upsert is idempotent.
func (x *Index) Upsert(ctx context.Context, docs []Document) (UpsertStats, error) {
	return x.upsert(ctx, docs, true)
}

// UpsertWithoutVectors stores docs as Upsert does but embeds none of their
// chunks: until Reembed (or Reset) the index is not ready, and searches fail
// with an error matching ErrNoIndex. A trainable embedder's first sync uses
// it to embed each chunk once, with the model fitted to them all, rather
// than once before the fit and again after it; a crash before the Reembed
// leaves the documents stored and VectorsPending true for the next sync.
func (x *Index) UpsertWithoutVectors(ctx context.Context, docs []Document) (UpsertStats, error) {
	return x.upsert(ctx, docs, false)
}

func (x *Index) upsert(ctx context.Context, docs []Document, embedChunks bool) (UpsertStats, error) {
	var st UpsertStats
	if err := x.writable("upsert"); err != nil {
		return st, err
	}
	if len(docs) == 0 {
		return st, nil
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()

	byID := make(map[string]int, len(docs))
	for i := range docs {
		d := &docs[i]
		if err := validate(d); err != nil {
			return st, fmt.Errorf("search: upsert %s: document %q: %w", x.dir, d.ID, err)
		}
		if j, dup := byID[d.ID]; dup {
			return st, fmt.Errorf("search: upsert %s: document %q appears twice in the batch (positions %d and %d)", x.dir, d.ID, j, i)
		}
		byID[d.ID] = i
	}

	// Which documents changed?
	type pending struct {
		doc    *Document
		fp     string
		exists bool
	}
	var changed []pending
	for i := range docs {
		d := &docs[i]
		fp := fingerprint(d)
		var old string
		err := x.db.QueryRowContext(ctx, `SELECT fingerprint FROM documents WHERE id = ?`, d.ID).Scan(&old)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			changed = append(changed, pending{doc: d, fp: fp})
		case err != nil:
			return st, x.fail("upsert", err)
		case old == fp:
			st.Unchanged++
		default:
			changed = append(changed, pending{doc: d, fp: fp, exists: true})
		}
	}
	if len(changed) == 0 {
		return st, nil
	}

	// An empty index takes the embedder's model as it is now (after a
	// Fit, say); a non-empty one must already have it.
	adopt, err := x.modelForWrite(ctx)
	if err != nil {
		return st, err
	}
	dims := 0
	if !adopt {
		if dims, err = x.storedDims(ctx); err != nil {
			return st, err
		}
	}

	// Embed what no stored vector covers.
	vecs := make(map[string][]float32) // hash → new vector
	var todoHash, todoText []string
	for _, p := range changed {
		if !embedChunks {
			break
		}
		for _, c := range p.doc.Chunks {
			h := chunkHash(c)
			if _, ok := vecs[h]; ok {
				st.Reused++
				continue
			}
			var one int
			err := sql.ErrNoRows
			if !adopt {
				err = x.db.QueryRowContext(ctx, `SELECT 1 FROM vectors WHERE hash = ?`, h).Scan(&one)
			}
			switch {
			case errors.Is(err, sql.ErrNoRows):
				vecs[h] = nil
				todoHash = append(todoHash, h)
				todoText = append(todoText, c.Text)
			case err != nil:
				return st, x.fail("upsert", err)
			default:
				st.Reused++
			}
		}
	}
	out, err := x.embedAll(ctx, todoText, dims)
	if err != nil {
		return st, fmt.Errorf("search: upsert %s: %w", x.dir, err)
	}
	for i, v := range out {
		vecs[todoHash[i]] = v
		dims = len(v)
	}
	st.Embedded = len(out)

	err = x.inTx(ctx, func(tx *sql.Tx) error {
		if adopt {
			if _, err := tx.ExecContext(ctx, `DELETE FROM vectors`); err != nil {
				return err
			}
			if err := x.adoptModel(ctx, tx); err != nil {
				return err
			}
		}
		if len(todoHash) > 0 {
			if err := putMeta(ctx, tx, metaDims, []byte(strconv.Itoa(dims))); err != nil {
				return err
			}
		}
		if !embedChunks {
			if err := putMeta(ctx, tx, metaPending, []byte{}); err != nil {
				return err
			}
		}
		var oldHashes []string
		for _, p := range changed {
			if p.exists {
				hs, err := deleteChunks(ctx, tx, p.doc.ID)
				if err != nil {
					return err
				}
				oldHashes = append(oldHashes, hs...)
				st.Updated++
			} else {
				st.Added++
			}
			if err := insertDocument(ctx, tx, p.doc, p.fp); err != nil {
				return err
			}
			if err := putReaders(ctx, tx, p.doc.ID, p.doc.Readers); err != nil {
				return err
			}
			for _, c := range p.doc.Chunks {
				h := chunkHash(c)
				if _, err := tx.ExecContext(ctx, `INSERT INTO chunks (doc_id, idx, heading, text, hash, terms) VALUES (?, ?, ?, ?, ?, ?)`,
					p.doc.ID, c.Index, c.Heading, c.Text, h, keyword.Encode(c.Text)); err != nil {
					return err
				}
				if v := vecs[h]; v != nil {
					if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO vectors (hash, vec) VALUES (?, ?)`, h, encodeVector(v)); err != nil {
						return err
					}
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO changes (doc_id) VALUES (?)`, p.doc.ID); err != nil {
				return err
			}
		}
		return finishWrite(ctx, tx, oldHashes)
	})
	if err != nil {
		return UpsertStats{}, x.fail("upsert", err)
	}
	x.log.Debug("upsert", "dir", x.dir, "added", st.Added, "updated", st.Updated, "unchanged", st.Unchanged, "embedded", st.Embedded, "reused", st.Reused)
	if !embedChunks {
		// Not searchable until Reembed: the next search says so.
		x.memMu.Lock()
		x.mem.release()
		x.mem = nil
		x.memMu.Unlock()
		return st, nil
	}
	return st, x.refreshIfLoaded(ctx)
}

func checkVector(v []float32, dims int) error {
	if len(v) == 0 {
		return errors.New("empty vector")
	}
	if dims > 0 && len(v) != dims {
		return fmt.Errorf("vector of %d dimensions, the index holds %d", len(v), dims)
	}
	var sq float64
	for _, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return errors.New("vector holds NaN or Inf")
		}
		sq += float64(f) * float64(f)
	}
	if sq == 0 {
		return errors.New("zero vector")
	}
	return nil
}

func (x *Index) storedDims(ctx context.Context) (int, error) {
	v, ok, err := getMeta(ctx, x.db, metaDims)
	if err != nil {
		return 0, x.fail("read dimensions", err)
	}
	if !ok {
		return 0, nil
	}
	d, err := strconv.Atoi(string(v))
	if err != nil || d <= 0 {
		return 0, x.fail("read dimensions", fmt.Errorf("%w: dimensions %q", ErrCorrupt, v))
	}
	return d, nil
}

func insertDocument(ctx context.Context, tx *sql.Tx, d *Document, fp string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO documents
		(id, source, container, key, title, url, updated, labels, type, status, restricted, breadcrumb, version, fingerprint)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET source = excluded.source, container = excluded.container,
		key = excluded.key, title = excluded.title, url = excluded.url, updated = excluded.updated,
		labels = excluded.labels, type = excluded.type, status = excluded.status,
		restricted = excluded.restricted, breadcrumb = excluded.breadcrumb, version = excluded.version,
		fingerprint = excluded.fingerprint`,
		d.ID, d.Source, d.Container, d.Key, d.Title, d.URL, timeToInt(d.Updated), encodeStrings(d.Labels),
		d.Type, d.Status, d.Restricted, encodeStrings(d.Breadcrumb), d.Version, fp)
	return err
}

// deleteChunks removes a document's chunks and returns their hashes.
func deleteChunks(ctx context.Context, tx *sql.Tx, id string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM chunks WHERE doc_id = ? RETURNING hash`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hs []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	return hs, rows.Err()
}

// finishWrite drops vectors no chunk refers to any more and prunes the
// change log.
func finishWrite(ctx context.Context, tx *sql.Tx, oldHashes []string) error {
	sort.Strings(oldHashes)
	for i, h := range oldHashes {
		if i > 0 && oldHashes[i-1] == h {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM vectors WHERE hash = ? AND NOT EXISTS (SELECT 1 FROM chunks WHERE hash = ?)`, h, h); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?`, keepChanges)
	return err
}

// Delete removes documents and their chunks; unknown ids are ignored.
func (x *Index) Delete(ctx context.Context, ids []string) error {
	if err := x.writable("delete"); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	err := x.inTx(ctx, func(tx *sql.Tx) error {
		var oldHashes []string
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE id = ?`, id)
			if err != nil {
				return err
			}
			hs, err := deleteChunks(ctx, tx, id)
			if err != nil {
				return err
			}
			if err := putReaders(ctx, tx, id, nil); err != nil {
				return err
			}
			oldHashes = append(oldHashes, hs...)
			if n, _ := res.RowsAffected(); n > 0 || len(hs) > 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO changes (doc_id) VALUES (?)`, id); err != nil {
					return err
				}
			}
		}
		return finishWrite(ctx, tx, oldHashes)
	})
	if err != nil {
		return x.fail("delete", err)
	}
	return x.refreshIfLoaded(ctx)
}

// DocumentIDs maps the id of every stored document of a source and container
// to its Updated time, for reconciling deletions. An empty container means
// every container of the source; an empty source, every document.
func (x *Index) DocumentIDs(ctx context.Context, source, container string) (map[string]time.Time, error) {
	if err := x.usable("list documents"); err != nil {
		return nil, err
	}
	q := `SELECT id, updated FROM documents WHERE (? = '' OR source = ?) AND (? = '' OR container = ?)`
	rows, err := x.db.QueryContext(ctx, q, source, source, container, container)
	if err != nil {
		return nil, x.fail("list documents", err)
	}
	defer rows.Close()
	out := make(map[string]time.Time)
	for rows.Next() {
		var id string
		var up int64
		if err := rows.Scan(&id, &up); err != nil {
			return nil, x.fail("list documents", err)
		}
		out[id] = intToTime(up)
	}
	if err := rows.Err(); err != nil {
		return nil, x.fail("list documents", err)
	}
	return out, nil
}

// Watermark returns the watermark of a container; one never set comes back
// zero, with Source and Container filled in.
func (x *Index) Watermark(ctx context.Context, source, container string) (Watermark, error) {
	if err := x.usable("read watermark"); err != nil {
		return Watermark{Source: source, Container: container}, err
	}
	w := Watermark{Source: source, Container: container}
	var up, last, rec int64
	err := x.db.QueryRowContext(ctx, `SELECT updated, last_sync, syncs, last_reconcile FROM watermarks WHERE source = ? AND container = ?`,
		source, container).Scan(&up, &last, &w.Syncs, &rec)
	if errors.Is(err, sql.ErrNoRows) {
		return w, nil
	}
	if err != nil {
		return w, x.fail("read watermark "+source+"/"+container, err)
	}
	w.Updated, w.LastSync, w.LastReconcile = intToTime(up), intToTime(last), intToTime(rec)
	return w, nil
}

// SetWatermark stores a container's watermark. Call it only after the
// upserts it covers have returned.
func (x *Index) SetWatermark(ctx context.Context, w Watermark) error {
	if err := x.writable("set watermark"); err != nil {
		return err
	}
	if w.Source == "" || w.Container == "" {
		return fmt.Errorf("search: set watermark %s: source and container are required (got %q, %q)", x.dir, w.Source, w.Container)
	}
	_, err := x.db.ExecContext(ctx, `INSERT INTO watermarks (source, container, updated, last_sync, syncs, last_reconcile)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, container) DO UPDATE SET updated = excluded.updated,
		last_sync = excluded.last_sync, syncs = excluded.syncs, last_reconcile = excluded.last_reconcile`,
		w.Source, w.Container, timeToInt(w.Updated), timeToInt(w.LastSync), w.Syncs, timeToInt(w.LastReconcile))
	if err != nil {
		return x.fail("set watermark "+w.Source+"/"+w.Container, err)
	}
	return nil
}

// Status summarises the index per container.
func (x *Index) Status(ctx context.Context) (Status, error) {
	if err := x.usable("status"); err != nil {
		return Status{}, err
	}
	st := Status{Dir: x.dir}
	model, _, err := getMeta(ctx, x.db, metaModel)
	if err != nil {
		return st, x.fail("status", err)
	}
	st.Model = string(model)
	d, err := x.storedDims(ctx)
	if err != nil {
		return st, err
	}
	st.Dims = d
	if _, st.VectorsPending, err = getMeta(ctx, x.db, metaPending); err != nil {
		return st, x.fail("status", err)
	}
	byKey := make(map[[2]string]*ContainerStatus)
	get := func(src, c string) *ContainerStatus {
		k := [2]string{src, c}
		if cs, ok := byKey[k]; ok {
			return cs
		}
		cs := &ContainerStatus{Source: src, Container: c, Watermark: Watermark{Source: src, Container: c}}
		byKey[k] = cs
		return cs
	}
	// Chunks are counted per document from their index and added up per
	// container here: the join of documents and chunks seeks once per
	// document (BENCHMARKS.md: status at a million chunks).
	var keyOf map[string]*ContainerStatus
	if err := x.inTx(ctx, func(tx *sql.Tx) error { // one snapshot of both tables
		keyOf = make(map[string]*ContainerStatus)
		rows, err := tx.QueryContext(ctx, `SELECT id, source, container FROM documents`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, src, c string
			if err := rows.Scan(&id, &src, &c); err != nil {
				return err
			}
			cs := get(src, c)
			cs.Documents++
			st.Documents++
			keyOf[id] = cs
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		crows, err := tx.QueryContext(ctx, `SELECT doc_id, count(*) FROM chunks GROUP BY doc_id`)
		if err != nil {
			return err
		}
		defer crows.Close()
		for crows.Next() {
			var id string
			var n int
			if err := crows.Scan(&id, &n); err != nil {
				return err
			}
			if cs := keyOf[id]; cs != nil {
				cs.Chunks += n
				st.Chunks += n
			}
		}
		return crows.Err()
	}); err != nil {
		return st, x.fail("status", err)
	}
	rows, err := x.db.QueryContext(ctx, `SELECT source, container FROM watermarks`)
	if err != nil {
		return st, x.fail("status", err)
	}
	var keys [][2]string
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			rows.Close()
			return st, x.fail("status", err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	for _, k := range keys {
		w, err := x.Watermark(ctx, k[0], k[1])
		if err != nil {
			return st, err
		}
		get(k[0], k[1]).Watermark = w
	}
	for _, cs := range byKey {
		st.Containers = append(st.Containers, *cs)
	}
	sort.Slice(st.Containers, func(i, j int) bool {
		a, b := st.Containers[i], st.Containers[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		return a.Container < b.Container
	})
	// The store and the snapshot beside it; a reader may have followed a
	// rebuild to another generation.
	store := storePath(x.dir, x.store.current())
	for _, p := range []string{store, store + "-wal", store + "-shm", filepath.Join(filepath.Dir(store), snapFile)} {
		if fi, err := os.Stat(p); err == nil {
			st.Bytes += fi.Size()
		}
	}
	return st, nil
}

// Reset empties the index (documents, chunks, vectors, watermarks and every
// meta value) for `sync --full`, and records the embedder's current model
// (and state, for a trainable one). Readers reload from scratch.
func (x *Index) Reset(ctx context.Context) error {
	if err := x.writable("reset"); err != nil {
		return err
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	err := x.inTx(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{"documents", "chunks", "vectors", "watermarks", "changes", "readers"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key <> ?`, metaSchema); err != nil {
			return err
		}
		if err := x.adoptModel(ctx, tx); err != nil {
			return err
		}
		return putMeta(ctx, tx, metaEpoch, []byte(newEpoch()))
	})
	if err != nil {
		return x.fail("reset", err)
	}
	x.log.Info("index reset", "dir", x.dir, "model", x.emb.Model())
	return x.refreshIfLoaded(ctx)
}

const reservedMetaPrefix = "atlasbridge."

// SetMeta stores a value with the index, e.g. a trainable embedder's state.
// Keys starting with "atlasbridge." are reserved.
func (x *Index) SetMeta(ctx context.Context, key string, value []byte) error {
	if err := x.writable("set meta"); err != nil {
		return err
	}
	if key == "" || strings.HasPrefix(key, reservedMetaPrefix) {
		return fmt.Errorf("search: set meta %s: key %q is empty or reserved", x.dir, key)
	}
	if value == nil {
		value = []byte{}
	}
	if err := putMeta(ctx, x.db, key, value); err != nil {
		return x.fail("set meta "+key, err)
	}
	return nil
}

// Meta returns a value stored with SetMeta, or nil when there is none.
func (x *Index) Meta(ctx context.Context, key string) ([]byte, error) {
	if err := x.usable("read meta"); err != nil {
		return nil, err
	}
	v, _, err := getMeta(ctx, x.db, key)
	if err != nil {
		return nil, x.fail("read meta "+key, err)
	}
	return v, nil
}

// modelForWrite compares the embedder's current model with the stored one
// before vectors are written: equal is fine, an empty index adopts the new
// one (adopt is true: the write records it), otherwise the vectors would
// mix two models.
func (x *Index) modelForWrite(ctx context.Context) (adopt bool, err error) {
	stored, _, err := getMeta(ctx, x.db, metaModel)
	if err != nil {
		return false, x.fail("upsert", err)
	}
	if string(stored) == x.emb.Model() {
		return false, nil
	}
	var chunks int
	if err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM chunks`).Scan(&chunks); err != nil {
		return false, x.fail("upsert", err)
	}
	if chunks > 0 {
		return false, fmt.Errorf("search: upsert %s: the embedder's model is now %q but the index holds vectors of %q: %w; call Reembed (or Reset) first",
			x.dir, x.emb.Model(), stored, ErrModelChanged)
	}
	return true, nil
}
