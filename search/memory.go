package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search/internal/keyword"
	"github.com/atlasbridge/atlasbridge/search/internal/vec"
)

// memIndex is what Search reads: document metadata, the vectors of each
// space or project and the BM25 index, all loaded from the store and kept
// in step with it through the change log.
type memIndex struct {
	version // of the store when loaded or last refreshed

	docs   map[string]*docRec
	chunks []chunkRec // by ordinal; doc == nil once removed
	kw     *keyword.Index
	vecs   *vec.Store[container]
	strs   interner
	// file is the mapped snapshot the vectors and posting lists loaded
	// from it lie in (nil when loaded from the store).
	file *fileMap
	// pageKey gives each chunk its document's key for the page-level
	// ranking (pageKeys).
	pageKey pageKeys
}

// container is a space or project: the vectors' groups, so that a query
// filtered by space or project scans only theirs.
type container struct{ source, name string }

// docRec is what ranking and filtering need of a document. What a result
// shows besides (title, URL, key, breadcrumb, the chunk's heading and
// text) is read from the store for the hits only; the few distinct
// sources, containers, types, statuses and label lists are shared between
// documents (interner).
type docRec struct {
	id, source, container, typ, status string
	updated                            time.Time
	labels                             []string // shared: never modify
	ords                               []int32
}

// docRow is a row of the documents table (docColumns).
type docRow struct {
	id, source, container, key string
	title, url, typ, status    string
	updated                    time.Time
	labels                     []string
	restricted                 bool
	version                    int
}

// result is the Result for the document, without what a search adds.
func (r *docRow) result() Result {
	return Result{DocID: r.id, Source: r.source, Container: r.container, Key: r.key, Title: r.title, URL: r.url,
		Type: r.typ, Status: r.status, Updated: r.updated, Labels: r.labels, Restricted: r.restricted}
}

type chunkRec struct {
	doc  *docRec
	idx  int32
	slot vec.Slot
}

// maxShard is the most vectors of a space or project scanned as one job of
// the vector search: a large space is shared out over the cores, a small
// one is a job of its own.
const maxShard = 2048

func newMemIndex(dims, shardSize int) *memIndex {
	if shardSize <= 0 {
		shardSize = maxShard
	}
	return &memIndex{
		docs: make(map[string]*docRec),
		kw:   keyword.New(),
		vecs: vec.New[container](dims, shardSize),
	}
}

// offHeapBytes is how much memory the loaded index has mapped for vectors
// outside the Go heap.
func (x *Index) offHeapBytes() int64 {
	x.memMu.RLock()
	defer x.memMu.RUnlock()
	if x.mem == nil {
		return 0
	}
	return x.mem.vecs.MappedBytes()
}

// release gives the vectors back to the system at once, rather than at
// the next collection after m becomes unreachable. m must not be used
// afterwards: callers hold Index.memMu for writing, so no search is
// reading its vectors.
func (m *memIndex) release() {
	if m != nil {
		m.vecs.Release()
		m.file.unmap()
	}
}

func (m *memIndex) liveChunks() int {
	if m == nil {
		return 0
	}
	return m.kw.Live()
}

// removeDoc drops a document and its chunks from memory.
func (m *memIndex) removeDoc(id string) {
	d, ok := m.docs[id]
	if !ok {
		return
	}
	delete(m.docs, id)
	for _, o := range d.ords {
		m.vecs.Remove(m.chunks[o].slot)
		m.chunks[o] = chunkRec{}
		m.kw.Remove(o)
	}
	m.pageKey.remove(d.ords)
}

// addChunk indexes one chunk of d (already in m.docs): its stored terms
// and vector.
func (m *memIndex) addChunk(d *docRec, idx int32, terms []byte, v []float32) error {
	if dims := m.vecs.Dims(); dims != 0 && len(v) != dims {
		return fmt.Errorf("%w: chunk %s#%d: vector of %d dimensions, want %d", ErrCorrupt, d.id, idx, len(v), dims)
	}
	ord := int32(len(m.chunks))
	if err := m.kw.Add(ord, terms); err != nil {
		return fmt.Errorf("chunk %s#%d: %w", d.id, idx, err)
	}
	slot, err := m.vecs.Add(container{d.source, d.container}, ord, v)
	if err != nil {
		return err
	}
	m.chunks = append(m.chunks, chunkRec{doc: d, idx: idx, slot: slot})
	d.ords = append(d.ords, ord)
	m.pageKey.add(ord, d.ords[0], m.kw.Length(ord))
	return nil
}

// compact renumbers chunks once enough have been removed.
func (m *memIndex) compact() {
	remap := make([]int32, len(m.chunks))
	var out []chunkRec
	for old, c := range m.chunks {
		if c.doc == nil {
			remap[old] = -1
			continue
		}
		remap[old] = int32(len(out))
		out = append(out, c)
	}
	m.kw.Compact(remap, len(out))
	m.vecs.Renumber(remap, len(out))
	m.chunks = out
	for _, d := range m.docs {
		for i, o := range d.ords {
			d.ords[i] = remap[o]
		}
	}
	m.pageKey.renumber(remap, len(out))
}

const docColumns = `id, source, container, key, title, url, updated, labels, type, status, restricted, version`

// scanDoc reads a row of docColumns, followed by the columns of extra.
func scanDoc(sc interface{ Scan(...any) error }, extra ...any) (*docRow, error) {
	d := &docRow{}
	var up int64
	var labels string
	dest := append([]any{&d.id, &d.source, &d.container, &d.key, &d.title, &d.url, &up, &labels,
		&d.typ, &d.status, &d.restricted, &d.version}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	d.updated = intToTime(up)
	var err error
	if d.labels, err = decodeStrings(labels); err != nil {
		return nil, fmt.Errorf("%w: document %s: labels: %v", ErrCorrupt, d.id, err)
	}
	return d, nil
}

// docRec is the in-memory part of r, sharing the strings and label lists
// that documents have in common: most of a document's strings are one of a
// few values.
func (in *interner) docRec(r *docRow) *docRec {
	d := &docRec{id: r.id, source: in.str(r.source), container: in.str(r.container), typ: in.str(r.typ),
		status: in.str(r.status), updated: r.updated}
	key := strings.Join(r.labels, "\x00")
	if l, ok := in.lists[key]; ok && len(l) == len(r.labels) {
		d.labels = l
		return d
	}
	d.labels = r.labels
	for i, l := range d.labels {
		d.labels[i] = in.str(l)
	}
	in.list(key, d.labels)
	return d
}

// interner shares equal strings and label lists between documents. It
// only grows; a full reload starts a new one.
type interner struct {
	strs  map[string]string
	lists map[string][]string // by the labels joined with NULs
}

// maxInterned bounds what an interner keeps: values beyond it (a corpus
// with a label per page) are simply not shared.
const maxInterned = 1 << 16

func (in *interner) str(s string) string {
	if v, ok := in.strs[s]; ok {
		return v
	}
	if in.strs == nil {
		in.strs = make(map[string]string)
	}
	if len(in.strs) < maxInterned {
		in.strs[s] = s
	}
	return s
}

func (in *interner) list(key string, l []string) {
	if in.lists == nil {
		in.lists = make(map[string][]string)
	}
	if len(in.lists) < maxInterned {
		in.lists[key] = l
	}
}

// storeVersion reads the store's epoch, model and last change.
func storeVersion(ctx context.Context, q querier) (v version, err error) {
	var e, m []byte
	err = q.QueryRowContext(ctx, `SELECT (SELECT value FROM meta WHERE key = ?), (SELECT value FROM meta WHERE key = ?),
		(SELECT coalesce(max(seq), 0) FROM changes)`, metaEpoch, metaModel).Scan(&e, &m, &v.seq)
	return version{epoch: string(e), model: string(m), seq: v.seq}, err
}

// version identifies a state of the store: memory is current while it
// matches.
type version struct {
	epoch, model string
	seq          int64
}

// loadAll builds a memIndex from the whole store, inside one read
// transaction so it sees a single commit.
func loadAll(ctx context.Context, tx *sql.Tx, dims, shardSize int) (_ *memIndex, err error) {
	m := newMemIndex(dims, shardSize)
	defer func() {
		if err != nil {
			m.release()
		}
	}()
	if m.version, err = storeVersion(ctx, tx); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+docColumns+` FROM documents`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		r, err := scanDoc(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		m.docs[r.id] = m.strs.docRec(r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var docID string
	var d *docRec
	err = eachChunkBatch(ctx, tx, dims, func(b *chunkBatch) error {
		for _, c := range b.chunks {
			if c.docID != docID || d == nil {
				docID = c.docID
				if d = m.docs[docID]; d == nil {
					return fmt.Errorf("%w: chunk %s#%d has no document", ErrCorrupt, c.docID, c.idx)
				}
			}
			if err := m.addChunk(d, c.idx, b.terms[c.terms[0]:c.terms[1]], c.vec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// eachChunkBatch hands fn every chunk with its vector, in batches, until
// fn fails. Reading the store and what its callers build each take about
// half the time: one goroutine reads and decodes (readChunks), this one
// calls fn. Batches go back to the reader once fn has returned: their
// vectors and terms are the bulk of what is read; fresh ones for every
// batch were garbage the size of the index (TestReloadMemory).
func eachChunkBatch(ctx context.Context, tx *sql.Tx, dims int, fn func(*chunkBatch) error) error {
	batches := make(chan *chunkBatch, 4)
	free := make(chan *chunkBatch, cap(batches)+2)
	readErr := make(chan error, 1)
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		readErr <- readChunks(readCtx, tx, dims, batches, free)
	}()
	for b := range batches {
		if err := fn(b); err != nil {
			cancel()
			for range batches {
			}
			return err
		}
		select {
		case free <- b:
		default:
		}
	}
	return <-readErr
}

// loadedChunk is one chunk row as loadAll reads it.
type loadedChunk struct {
	docID string
	idx   int32
	terms [2]int // the chunk's terms are chunkBatch.terms[terms[0]:terms[1]]
	vec   []float32
}

// chunkBatch is a batch of chunk rows. The vectors and terms of its chunks
// share its storage, which loadAll hands back to readChunks for reuse once
// it has copied them.
type chunkBatch struct {
	chunks []loadedChunk
	vecs   []float32
	terms  []byte
}

// loadBatch is how many chunks a chunkBatch holds.
const loadBatch = 256

// readChunks sends every chunk with its vector to out in batches, reusing
// the batches that come back on free.
func readChunks(ctx context.Context, tx *sql.Tx, dims int, out chan<- *chunkBatch, free <-chan *chunkBatch) error {
	rows, err := tx.QueryContext(ctx, `SELECT c.doc_id, c.idx, c.terms, v.vec
		FROM chunks c LEFT JOIN vectors v ON v.hash = c.hash`)
	if err != nil {
		return err
	}
	defer rows.Close()
	next := func() *chunkBatch {
		select {
		case b := <-free:
			b.chunks, b.terms = b.chunks[:0], b.terms[:0]
			return b
		default:
			return &chunkBatch{chunks: make([]loadedChunk, 0, loadBatch), vecs: make([]float32, loadBatch*dims)}
		}
	}
	b := next()
	for rows.Next() {
		var c loadedChunk
		var terms, blob sql.RawBytes // valid until Next: copied or decoded at once
		if err := rows.Scan(&c.docID, &c.idx, &terms, &blob); err != nil {
			return err
		}
		c.terms[0] = len(b.terms)
		b.terms = append(b.terms, terms...)
		c.terms[1] = len(b.terms)
		if blob == nil {
			err = errors.New("no vector stored")
		} else if dims > 0 {
			i := len(b.chunks) * dims
			c.vec = b.vecs[i : i+dims : i+dims]
			err = decodeVectorInto(c.vec, blob)
		} else {
			c.vec, err = decodeVector(blob, 0)
		}
		if err != nil {
			return fmt.Errorf("%w: chunk %s#%d: bad or missing vector: %v", ErrCorrupt, c.docID, c.idx, err)
		}
		b.chunks = append(b.chunks, c)
		if len(b.chunks) == loadBatch {
			select {
			case out <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			b = next()
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(b.chunks) > 0 {
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// applyChanges brings m up to the store's state by re-reading the documents
// changed since m.seq. It reports false when it cannot (another epoch, or the
// change log was pruned past m.seq) and a full load is needed.
func (m *memIndex) applyChanges(ctx context.Context, tx *sql.Tx) (bool, error) {
	v, err := storeVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	if v.epoch != m.epoch || v.model != m.model {
		return false, nil
	}
	seq := v.seq
	if seq == m.seq {
		return true, nil
	}
	if seq < m.seq {
		// Memory is ahead of the store: a snapshot of a store since
		// restored from a backup.
		return false, nil
	}
	var minSeq int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(min(seq), 0) FROM changes`).Scan(&minSeq); err != nil {
		return false, err
	}
	if minSeq > m.seq+1 {
		return false, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT doc_id FROM changes WHERE seq > ? AND seq <= ?`, m.seq, seq)
	if err != nil {
		return false, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return false, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	for _, id := range ids {
		m.removeDoc(id)
		r, err := scanDoc(tx.QueryRowContext(ctx, `SELECT `+docColumns+` FROM documents WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return false, err
		}
		d := m.strs.docRec(r)
		m.docs[id] = d
		if err := m.loadChunks(ctx, tx, d); err != nil {
			return false, err
		}
	}
	m.seq = seq
	if m.kw.NeedsCompaction() {
		m.compact()
	}
	return true, nil
}

func (m *memIndex) loadChunks(ctx context.Context, tx *sql.Tx, d *docRec) error {
	rows, err := tx.QueryContext(ctx, `SELECT c.idx, c.terms, v.vec
		FROM chunks c LEFT JOIN vectors v ON v.hash = c.hash WHERE c.doc_id = ? ORDER BY c.idx`, d.id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var idx int32
		var terms, blob []byte
		if err := rows.Scan(&idx, &terms, &blob); err != nil {
			return err
		}
		vec, err := decodeVector(blob, 0)
		if err != nil || blob == nil {
			return fmt.Errorf("%w: chunk %s#%d: bad or missing vector: %v", ErrCorrupt, d.id, idx, err)
		}
		if err := m.addChunk(d, idx, terms, vec); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Warm readies the index for a run of searches, as a server wants before
// its first question: it loads the index (Reload), derives what a
// snapshot leaves to the first search (the page ranking's keys), starts
// the vector scan's second layout in the background, and warms the
// embedder if it can be (embed.Builtin.Warm). A one-shot
// search does not want it: it would pay for what it never uses.
func (x *Index) Warm(ctx context.Context) error {
	if err := x.Reload(ctx); err != nil {
		return err
	}
	x.memMu.RLock()
	defer x.memMu.RUnlock()
	if x.mem != nil {
		x.mem.pageKeys()
		x.mem.vecs.Warm()
	}
	// A local embedder's first-use cost too; a remote one is left alone
	// (a request at start-up is not free).
	if w, ok := embed.As[interface{ Warm() }](x.emb); ok {
		w.Warm()
	}
	return nil
}

// Settle waits for work that searches started in the background (the
// vector scan's second layout, made after the second search) to finish,
// so that the searches after it run as they will from then on. For
// benchmarks; a caller never needs it for correct answers.
func (x *Index) Settle() {
	x.memMu.RLock()
	defer x.memMu.RUnlock()
	if x.mem != nil {
		x.mem.vecs.Settle()
	}
}

// Reload makes the index reflect every commit to the store so far,
// including those of another process (a concurrent sync): changed documents
// are re-read, a Reset elsewhere causes a full reload. Search calls it
// itself; it is exported for callers that want to pay the cost up front.
func (x *Index) Reload(ctx context.Context) error {
	if err := x.usable("reload"); err != nil {
		return err
	}
	return x.refresh(ctx)
}

func (x *Index) refreshIfLoaded(ctx context.Context) error {
	x.memMu.RLock()
	loaded := x.mem != nil
	x.memMu.RUnlock()
	if !loaded {
		return nil
	}
	return x.refresh(ctx)
}

// refreshStore loads the memIndex or applies what changed since it was
// loaded (see refresh).
func (x *Index) refreshStore(ctx context.Context) error {
	x.memMu.RLock()
	var have version
	if x.mem != nil {
		have = x.mem.version
	}
	x.memMu.RUnlock()
	now, err := storeVersion(ctx, x.db)
	if err != nil {
		return x.fail("reload", err)
	}
	if have != (version{}) && have == now && now.model == x.emb.Model() {
		return nil
	}

	x.memMu.Lock()
	defer x.memMu.Unlock()
	if _, pending, err := getMeta(ctx, x.db, metaPending); err != nil {
		return x.fail("reload", err)
	} else if pending {
		x.mem.release()
		x.mem = nil
		return x.notReady()
	}
	if now.model != x.emb.Model() {
		// Another process re-embedded or reset the index: a trainable
		// embedder picks up the stored state, anything else must stop
		// before it compares vectors of two models.
		if err := x.checkModel(ctx, x.db, false); err != nil {
			x.mem.release()
			x.mem = nil
			return fmt.Errorf("search: reload %s: %w", x.dir, err)
		}
	}
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return x.fail("reload", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only transaction
	if x.mem != nil {
		ok, err := x.mem.applyChanges(ctx, tx)
		if err != nil {
			// A half-applied change leaves memory inconsistent: start over
			// at the next search.
			x.mem.release()
			x.mem = nil
			return x.fail("reload", err)
		}
		if ok {
			return nil
		}
	}
	dims, err := x.storedDims(ctx)
	if err != nil {
		return err
	}
	// Searches wait for the lock anyway: let the old memory go while the
	// new one is built rather than hold both (twice the memory of the index
	// at every re-embed or reset another process made, e.g. serve with a
	// background sync). A failed load leaves none; the next search retries.
	x.mem.release()
	x.mem = nil
	start := time.Now()
	m, err := x.load(ctx, tx, dims)
	if err != nil {
		return x.fail("load", err)
	}
	x.mem = m
	x.log.Debug("index loaded", "dir", x.dir, "chunks", m.liveChunks(), "took", time.Since(start))
	return nil
}
