package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	chromem "github.com/philippgille/chromem-go"
)

// memIndex is what Search reads: document metadata, the chromem-go
// collections of each space or project, and the BM25 index, all loaded from
// the store and kept in step with it through the change log.
//
// A space or project gets as many collections (shards) as it needs to keep
// each at most maxShard chunks. chromem-go holds the documents; their
// vectors live in blocks of consecutive rows owned by the shard, and
// chromem-go's documents point into them (AddDocument keeps a unit vector
// without copying it). The vector ranking scans those blocks in memory
// order on every core (see vectorSearch): about 10× faster than chromem-go's
// query, with no second copy of the vectors.
type memIndex struct {
	version // of the store when loaded or last refreshed

	docs      map[string]*docRec
	chunks    []chunkRec // by ordinal; doc == nil once removed
	kw        *keywordIndex
	vdb       *chromem.DB
	shardSeq  int
	shardSize int                  // maxShard but in tests
	colls     map[string]*shardSet // by collectionName
	dims      int
	arena     *vecArena // the shards' vector blocks
	strs      interner
}

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
	doc   *docRec
	idx   int32
	row   int32 // slot in shard.rows
	shard *shard
}

// maxShard is the most chunks one chromem-go collection holds.
const maxShard = 2048

// shardSet is the collections of one space or project.
type shardSet struct {
	source, container string
	shards            []*shard
}

// shard is one chromem-go collection and the slots holding its documents'
// vectors, for vectorSearch to scan without chromem-go's per-query map
// walk, goroutines and result copies.
//
// A slot's vector is a piece of a block of consecutive slots, so a scan
// reads memory in order (vectors allocated one by one end up between
// other allocations: the same scan was 3× slower). A removed chunk frees
// its slot for the shard's next chunk; a shard never holds more than
// maxShard slots.
type shard struct {
	coll  *chromem.Collection
	rows  []shardRow // by slot, in block order
	free  []int32    // slots whose ord is -1
	spare []float32  // the unused end of the newest block
	block int        // slots in the newest block
}

// shardRow is one slot of a shard. vec is the slice chromem-go keeps for
// the slot's document; ord is -1 while the slot is free.
type shardRow struct {
	vec []float32
	ord int32
}

// Blocks start small (a space of five pages should not take a megabyte)
// and double up to maxBlock slots.
const (
	minBlock = 8
	maxBlock = 256
)

// live is the number of chunks in the shard.
func (s *shard) live() int { return len(s.rows) - len(s.free) }

// take returns a free slot for a vector of dims floats, making one from a
// new block of a when none is free. A shard holds at most limit slots: its
// last block stops there (8+16+…+256 slots and then blocks of 256 would
// overshoot 2,048 by 248).
func (s *shard) take(dims int, a *vecArena, limit int) int32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	if len(s.spare) < dims {
		s.block = min(max(2*s.block, minBlock), maxBlock)
		s.spare = a.alloc(min(s.block, max(limit-len(s.rows), 1)) * dims)
	}
	v := s.spare[:dims:dims]
	s.spare = s.spare[dims:]
	s.rows = append(s.rows, shardRow{vec: v, ord: -1})
	return int32(len(s.rows) - 1)
}

// release frees a slot.
func (s *shard) release(i int32) {
	s.rows[i].ord = -1
	s.free = append(s.free, i)
}

func collectionName(source, container string) string { return source + "/" + container }

func chunkID(docID string, idx int32) string { return docID + "\x00" + strconv.Itoa(int(idx)) }

func newMemIndex(shardSize int) *memIndex {
	if shardSize <= 0 {
		shardSize = maxShard
	}
	m := &memIndex{
		shardSize: shardSize,
		docs:      make(map[string]*docRec),
		kw:        newKeywordIndex(),
		vdb:       chromem.NewDB(),
		colls:     make(map[string]*shardSet),
		arena:     &vecArena{},
	}
	// A memIndex dropped without release (a test resetting Index.mem)
	// still gives its vectors back.
	runtime.AddCleanup(m, func(a *vecArena) { a.free() }, m.arena)
	return m
}

// offHeapBytes is how much memory the loaded index has mapped for vectors
// outside the Go heap.
func (x *Index) offHeapBytes() int64 {
	x.memMu.RLock()
	defer x.memMu.RUnlock()
	if x.mem == nil {
		return 0
	}
	return x.mem.arena.size()
}

// release gives the vectors back to the system at once, rather than at
// the next collection after m becomes unreachable. m must not be used
// afterwards: callers hold Index.memMu for writing, so no search is
// reading its vectors.
func (m *memIndex) release() {
	if m != nil {
		m.arena.free()
	}
}

func (m *memIndex) liveChunks() int {
	if m == nil {
		return 0
	}
	return m.kw.live
}

// errNoEmbedding keeps chromem-go from ever calling its default (OpenAI)
// embedding function: every vector comes from the store.
func errNoEmbedding(context.Context, string) ([]float32, error) {
	return nil, errors.New("search: vectors are computed by the index, not by chromem-go")
}

// shardFor returns a shard of the container with room for one more chunk,
// creating the container's set or a new shard as needed.
func (m *memIndex) shardFor(source, container string) (*shard, error) {
	name := collectionName(source, container)
	set, ok := m.colls[name]
	if !ok {
		set = &shardSet{source: source, container: container}
		m.colls[name] = set
	}
	for _, s := range set.shards {
		if s.live() < m.shardSize {
			return s, nil
		}
	}
	m.shardSeq++
	c, err := m.vdb.CreateCollection(name+"#"+strconv.Itoa(m.shardSeq), nil, errNoEmbedding)
	if err != nil {
		return nil, err
	}
	s := &shard{coll: c}
	set.shards = append(set.shards, s)
	return s, nil
}

// removeDoc drops a document and its chunks from memory.
func (m *memIndex) removeDoc(ctx context.Context, id string) error {
	d, ok := m.docs[id]
	if !ok {
		return nil
	}
	delete(m.docs, id)
	if len(d.ords) == 0 {
		return nil
	}
	byShard := make(map[*shard][]string)
	for _, o := range d.ords {
		c := &m.chunks[o]
		s := c.shard
		byShard[s] = append(byShard[s], chunkID(id, c.idx))
		s.release(c.row)
		m.chunks[o] = chunkRec{}
		m.kw.remove(o)
	}
	for s, ids := range byShard {
		if err := s.coll.Delete(ctx, nil, nil, ids...); err != nil {
			return err
		}
	}
	return nil
}

// addChunk indexes one chunk of d (already in m.docs). vec is copied into a
// slot of the container's shard, scaled to unit length if it is not
// already, so that chromem-go keeps the slot rather than a normalised copy.
func (m *memIndex) addChunk(ctx context.Context, d *docRec, idx int32, terms []byte, vec []float32) error {
	if m.dims == 0 {
		m.dims = len(vec)
	} else if len(vec) != m.dims {
		return fmt.Errorf("%w: chunk %s#%d: vector of %d dimensions, want %d", ErrCorrupt, d.id, idx, len(vec), m.dims)
	}
	ord := int32(len(m.chunks))
	n, err := decodeTerms(terms, func(t []byte, tf int) { m.kw.add(ord, t, tf) })
	if err != nil {
		return fmt.Errorf("chunk %s#%d: %w", d.id, idx, err)
	}
	m.kw.setLength(ord, n)
	s, err := m.shardFor(d.source, d.container)
	if err != nil {
		return err
	}
	slot := s.take(m.dims, m.arena, m.shardSize)
	v := s.rows[slot].vec
	copy(v, vec)
	if !isUnit(v) {
		scaleToUnit(v)
	}
	if err := s.coll.AddDocument(ctx, chromem.Document{ID: chunkID(d.id, idx), Embedding: v}); err != nil {
		s.release(slot)
		return err
	}
	s.rows[slot].ord = ord
	m.chunks = append(m.chunks, chunkRec{doc: d, idx: idx, row: slot, shard: s})
	d.ords = append(d.ords, ord)
	return nil
}

// unitTolerance is chromem-go's own: a vector whose length is further
// from 1 gets normalised (copied) by AddDocument and QueryEmbedding.
const unitTolerance = 1e-6

// isUnit says whether chromem-go takes v as normalised.
func isUnit(v []float32) bool {
	var sq float64
	for _, f := range v {
		sq += float64(f) * float64(f)
	}
	return math.Abs(math.Sqrt(sq)-1) < unitTolerance
}

// scaleToUnit scales v to unit length; a zero vector stays zero.
func scaleToUnit(v []float32) {
	var sq float64
	for _, f := range v {
		sq += float64(f) * float64(f)
	}
	if sq == 0 {
		return
	}
	n := math.Sqrt(sq)
	for i := range v {
		v[i] = float32(float64(v[i]) / n)
	}
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
	m.kw.compact(remap, len(out))
	m.chunks = out
	for _, set := range m.colls {
		for _, s := range set.shards {
			for i, r := range s.rows {
				if r.ord >= 0 {
					s.rows[i].ord = remap[r.ord]
				}
			}
		}
	}
	for _, d := range m.docs {
		for i, o := range d.ords {
			d.ords[i] = remap[o]
		}
	}
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
// that documents have in common (at 100k documents: 31 MB less).
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
	m := newMemIndex(shardSize)
	m.dims = dims
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
	// Reading the store and building the indexes each take about half the
	// time: one goroutine reads and decodes, this one builds.
	// Batches go back to the reader once built: their vectors and terms
	// (copied by addChunk) are the bulk of what the load reads; fresh ones
	// for every batch were garbage the size of the index (peak heap of a
	// reader's load at 50k chunks: 190 → 180 MiB, TestReloadMemory).
	batches := make(chan *chunkBatch, 4)
	free := make(chan *chunkBatch, cap(batches)+2)
	readErr := make(chan error, 1)
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		readErr <- readChunks(readCtx, tx, dims, batches, free)
	}()
	var docID string
	var d *docRec
	for b := range batches {
		for _, c := range b.chunks {
			if c.docID != docID || d == nil {
				docID = c.docID
				if d = m.docs[docID]; d == nil {
					cancel()
					for range batches {
					}
					return nil, fmt.Errorf("%w: chunk %s#%d has no document", ErrCorrupt, c.docID, c.idx)
				}
			}
			if err := m.addChunk(ctx, d, c.idx, b.terms[c.terms[0]:c.terms[1]], c.vec); err != nil {
				cancel()
				for range batches {
				}
				return nil, err
			}
		}
		select {
		case free <- b:
		default:
		}
	}
	if err := <-readErr; err != nil {
		return nil, err
	}
	return m, nil
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
		if err := m.removeDoc(ctx, id); err != nil {
			return false, err
		}
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
	if m.kw.needsCompaction() {
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
		if err := m.addChunk(ctx, d, idx, terms, vec); err != nil {
			return err
		}
	}
	return rows.Err()
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

// refresh loads the memIndex or applies what changed since it was loaded.
func (x *Index) refresh(ctx context.Context) error {
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
	m, err := loadAll(ctx, tx, dims, x.shardSize)
	if err != nil {
		return x.fail("load", err)
	}
	x.mem = m
	x.log.Debug("index loaded", "dir", x.dir, "chunks", m.liveChunks(), "took", time.Since(start))
	return nil
}
