package search

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/atlasbridge/atlasbridge/search/internal/keyword"
	"github.com/atlasbridge/atlasbridge/search/internal/vec"
)

// The snapshot (snapFile) is what Search reads, derived from the store of
// record and laid out for a file mapping: a reader maps it and is ready to
// search after reading the documents' metadata and the keyword index's
// term list; the vectors and posting lists are read from the file as
// queries touch them. It records the store's version (epoch, model, last
// change) it reflects: a reader applies the changes committed since from
// the change log, so an old snapshot costs only the documents changed
// since, and one the log no longer reaches, or of another epoch or model,
// is ignored (a full load from the store). The writer of the index
// rewrites it when it closes (Index.WriteSnapshot), once enough changed
// since (snapshotCanWait): into a temporary file
// renamed over the old one, so a reader sees the old file or the new one,
// whole, and a crash leaves the old one.
//
// Layout: a header of snapHeader bytes, then the sections it points to:
// the documents (varint-prefixed strings), per chunk ordinal its
// document's number and chunk index, per ordinal its unit vector
// (float32), per ordinal that vector's int8 form and per ordinal its scale
// (float32; the vector sections aligned to a cache line), and the keyword
// index (keyword.Index.Save). A search scans the int8 vectors, a fourth of
// the float32 ones, and reads only its best candidates' float32 vectors.
//
// snapFormat changes with the layout: a snapshot of another format is
// ignored like a damaged one, and the next sync writes it anew.
const (
	snapFile   = "index.snap"
	snapMagic  = "atlsnap\n"
	snapFormat = 2
	snapHeader = 4096
)

// snapSection is a section of the snapshot file.
type snapSection struct{ off, len uint64 }

const (
	secDocs = iota
	secChunks
	secVectors
	secQuant
	secScales
	secKeyword
	numSections
)

// snapHead is the decoded header.
type snapHead struct {
	version
	format uint32
	dims   uint32
	size   uint64
	sec    [numSections]snapSection
}

func (h *snapHead) encode() []byte {
	b := make([]byte, snapHeader)
	copy(b, snapMagic)
	binary.LittleEndian.PutUint32(b[8:], h.format)
	binary.LittleEndian.PutUint32(b[12:], h.dims)
	binary.LittleEndian.PutUint64(b[16:], uint64(h.seq))
	binary.LittleEndian.PutUint64(b[24:], h.size)
	for i, s := range h.sec {
		binary.LittleEndian.PutUint64(b[32+16*i:], s.off)
		binary.LittleEndian.PutUint64(b[40+16*i:], s.len)
	}
	v := binary.AppendUvarint(b[32+16*numSections:32+16*numSections], uint64(len(h.epoch)))
	v = append(v, h.epoch...)
	v = binary.AppendUvarint(v, uint64(len(h.model)))
	_ = append(v, h.model...) // fits: encode's callers bound both (writeSnapshot)
	binary.LittleEndian.PutUint32(b[snapHeader-4:], crc32.ChecksumIEEE(b[:snapHeader-4]))
	return b
}

var errSnapshot = errors.New("damaged or foreign snapshot")

func decodeSnapHead(b []byte) (*snapHead, error) {
	if len(b) < snapHeader || string(b[:8]) != snapMagic {
		return nil, fmt.Errorf("%w: no snapshot header", errSnapshot)
	}
	if crc32.ChecksumIEEE(b[:snapHeader-4]) != binary.LittleEndian.Uint32(b[snapHeader-4:]) {
		return nil, fmt.Errorf("%w: header checksum", errSnapshot)
	}
	h := &snapHead{format: binary.LittleEndian.Uint32(b[8:]), dims: binary.LittleEndian.Uint32(b[12:]),
		size: binary.LittleEndian.Uint64(b[24:])}
	h.seq = int64(binary.LittleEndian.Uint64(b[16:]))
	if h.format != snapFormat {
		return nil, fmt.Errorf("%w: format %d, this build reads %d", errSnapshot, h.format, snapFormat)
	}
	for i := range h.sec {
		h.sec[i] = snapSection{binary.LittleEndian.Uint64(b[32+16*i:]), binary.LittleEndian.Uint64(b[40+16*i:])}
	}
	r := snapReader{b: b[32+16*numSections : snapHeader-4]}
	h.epoch = r.str()
	h.model = r.str()
	if r.err != nil {
		return nil, fmt.Errorf("%w: header", errSnapshot)
	}
	return h, nil
}

// snapshotVersion is the store version the snapshot in dir reflects; ok
// is false when there is none that this build reads.
func snapshotVersion(dir string) (v version, ok bool) {
	h, ok := snapshotHeadIn(dir)
	if !ok {
		return version{}, false
	}
	return h.version, true
}

// snapshotHeadIn is the header of the snapshot in dir, if it is one this
// build reads and the file is as long as the header says (a cheap check
// of a whole file: readSnapshot checks every section).
func snapshotHeadIn(dir string) (*snapHead, bool) {
	f, err := os.Open(filepath.Join(dir, snapFile))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	b := make([]byte, snapHeader)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, false
	}
	h, err := decodeSnapHead(b)
	if err != nil {
		return nil, false
	}
	if st, err := f.Stat(); err != nil || uint64(st.Size()) != h.size {
		return nil, false
	}
	return h, true
}

// fileMap is a mapped snapshot and the open file the vectors' float32
// forms are read from, released once.
type fileMap struct {
	once sync.Once
	b    []byte
	f    *os.File
}

func (fm *fileMap) unmap() {
	if fm != nil {
		fm.once.Do(func() {
			vec.UnmapFile(fm.b)
			fm.f.Close()
		})
	}
}

// readSnapshot maps the snapshot in dir and builds a memIndex on it, as
// it was when written: the caller applies the changes since. A missing
// snapshot is an error matching os.ErrNotExist, a damaged one errSnapshot.
func readSnapshot(dir string, dims, shardSize int) (_ *memIndex, err error) {
	f, err := os.Open(filepath.Join(dir, snapFile))
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size() < snapHeader || st.Size() > int64(^uint(0)>>1) {
		f.Close()
		return nil, fmt.Errorf("%w: %d bytes", errSnapshot, st.Size())
	}
	b, err := vec.MapFile(f, int(st.Size()))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("map %s: %w", f.Name(), err)
	}
	fm := &fileMap{b: b, f: f}
	defer func() {
		if err != nil {
			fm.unmap()
		}
	}()
	h, err := decodeSnapHead(b)
	if err != nil {
		return nil, err
	}
	if h.size != uint64(len(b)) {
		return nil, fmt.Errorf("%w: %d bytes, the header says %d", errSnapshot, len(b), h.size)
	}
	if dims != 0 && h.dims != 0 && int(h.dims) != dims {
		return nil, fmt.Errorf("%w: vectors of %d dimensions, the store's %d", errSnapshot, h.dims, dims)
	}
	var sec [numSections][]byte
	for i, s := range h.sec {
		if s.off < snapHeader || s.off > h.size || s.len > h.size-s.off {
			return nil, fmt.Errorf("%w: section %d out of bounds", errSnapshot, i)
		}
		sec[i] = b[s.off : s.off+s.len : s.off+s.len]
	}

	m := newMemIndex(int(h.dims), shardSize)
	m.version = h.version
	m.file = fm
	m.vecs.SetFile(f)
	// A memIndex dropped without release (a test resetting an index's
	// memory) still gives the mapping back, once no background work on
	// its vectors reads it (Release waits for that).
	type mapped struct {
		vecs *vec.Store[container]
		fm   *fileMap
	}
	runtime.AddCleanup(m, func(c mapped) {
		c.vecs.Release()
		c.fm.unmap()
	}, mapped{m.vecs, fm})
	defer func() {
		if err != nil {
			m.release()
		}
	}()
	// The keyword index's term list is read beside the documents and
	// chunks: they are the two halves of an open's CPU. Every return
	// waits for it before the release above can unmap what it reads.
	var kw *keyword.Index
	var kwErr error
	var loading sync.WaitGroup
	loading.Go(func() { kw, kwErr = keyword.Load(sec[secKeyword]) })
	defer loading.Wait()

	// The documents.
	r := snapReader{b: sec[secDocs]}
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return nil, fmt.Errorf("%w: document count", errSnapshot)
	}
	docs := make([]*docRec, 0, n)
	m.docs = make(map[string]*docRec, n)
	for range n {
		row := &docRow{id: r.str(), source: r.str(), container: r.str(),
			typ: r.str(), status: r.str()}
		row.updated = intToTime(r.varint())
		labels := r.uvarint()
		if labels > uint64(len(r.b)) {
			r.err = errSnapshot
		}
		for range labels {
			row.labels = append(row.labels, r.str())
		}
		if r.err != nil {
			return nil, fmt.Errorf("%w: documents", errSnapshot)
		}
		d := m.strs.docRec(row)
		m.docs[d.id] = d
		docs = append(docs, d)
	}
	// The chunks and their vectors.
	chunks := sec[secChunks]
	count := len(chunks) / 8
	width := int(h.dims)
	if len(chunks)%8 != 0 || uint64(len(sec[secVectors])) != uint64(count)*uint64(width)*4 ||
		uint64(len(sec[secQuant])) != uint64(count)*uint64(width) || len(sec[secScales]) != 4*count ||
		uintptr(unsafe.Pointer(unsafe.SliceData(sec[secVectors])))%4 != 0 ||
		uintptr(unsafe.Pointer(unsafe.SliceData(sec[secScales])))%4 != 0 {
		return nil, fmt.Errorf("%w: chunks", errSnapshot)
	}
	var scales []float32
	var quant []int8
	if count > 0 && width > 0 {
		quant = unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(sec[secQuant]))), count*width)
		m.vecs.SetRowMapping(sec[secQuant])
		scales = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(sec[secScales]))), count)
	}
	// Room for the chunks a sync adds before the next snapshot: the
	// first append would otherwise copy every chunk's record.
	m.chunks = make([]chunkRec, count, count+min(count/16, 1<<16))
	for ord := range count {
		no := int32(binary.LittleEndian.Uint32(chunks[8*ord:]))
		idx := int32(binary.LittleEndian.Uint32(chunks[8*ord+4:]))
		if no < 0 {
			continue // removed since the last compaction
		}
		if int(no) >= len(docs) || width == 0 {
			return nil, fmt.Errorf("%w: chunk %d", errSnapshot, ord)
		}
		d := docs[no]
		off := int64(h.sec[secVectors].off) + int64(ord)*int64(width)*4
		slot, err := m.vecs.Attach(container{d.source, d.container}, int32(ord),
			quant[ord*width:(ord+1)*width], scales[ord], off)
		if err != nil {
			return nil, fmt.Errorf("%w: chunk %d: %v", errSnapshot, ord, err)
		}
		m.chunks[ord] = chunkRec{doc: d, idx: idx, slot: slot}
		d.ords = append(d.ords, int32(ord))
	}
	// The keyword index.
	loading.Wait()
	if kwErr != nil {
		return nil, fmt.Errorf("%w: %v", errSnapshot, kwErr)
	}
	if kw.Chunks() != count {
		return nil, fmt.Errorf("%w: keyword index of %d chunks, want %d", errSnapshot, kw.Chunks(), count)
	}
	m.kw = kw
	return m, nil
}

// snapWriter writes a snapshot into a temporary file of its directory
// that replaces the old snapshot only once complete and synced (finish).
type snapWriter struct {
	dir string
	f   *os.File
	w   *countWriter
	h   *snapHead
}

func newSnapWriter(dir string, v version, dims int) (*snapWriter, error) {
	if len(v.epoch)+len(v.model) > snapHeader/2 {
		return nil, errors.New("epoch and model names too long")
	}
	f, err := os.CreateTemp(dir, snapFile+".tmp-*")
	if err != nil {
		return nil, err
	}
	sw := &snapWriter{dir: dir, f: f, w: &countWriter{w: bufio.NewWriterSize(f, 1<<20)},
		h: &snapHead{version: v, format: snapFormat, dims: uint32(dims)}}
	sw.w.write(make([]byte, snapHeader))
	return sw, nil
}

// section writes one section, starting at a cache line, with fill.
func (sw *snapWriter) section(sec int, fill func(w *countWriter)) {
	sw.w.write(make([]byte, (64-sw.w.n%64)%64))
	start := sw.w.n
	fill(sw.w)
	sw.h.sec[sec] = snapSection{start, sw.w.n - start}
}

// docs writes the documents in id order, so that the same index gives the
// same file, and returns their numbers.
func (sw *snapWriter) docs(docs map[string]*docRec) map[*docRec]int32 {
	ids := make([]string, 0, len(docs))
	for id := range docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	number := make(map[*docRec]int32, len(ids))
	sw.section(secDocs, func(w *countWriter) {
		b := binary.AppendUvarint(nil, uint64(len(ids)))
		for i, id := range ids {
			d := docs[id]
			number[d] = int32(i)
			for _, s := range []string{d.id, d.source, d.container, d.typ, d.status} {
				b = appendStr(b, s)
			}
			b = binary.AppendVarint(b, timeToInt(d.updated))
			b = binary.AppendUvarint(b, uint64(len(d.labels)))
			for _, l := range d.labels {
				b = appendStr(b, l)
			}
			w.write(b)
			b = b[:0]
		}
	})
	return number
}

// finish writes the header, syncs the file and renames it over the
// snapshot; the rename is synced too, so that it survives a crash.
func (sw *snapWriter) finish() error {
	sw.h.size = sw.w.n
	if err := sw.w.flush(); err != nil {
		return err
	}
	if _, err := sw.f.WriteAt(sw.h.encode(), 0); err != nil {
		return err
	}
	if err := sw.f.Sync(); err != nil {
		return err
	}
	if err := sw.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(sw.f.Name(), filepath.Join(sw.dir, snapFile)); err != nil {
		return err
	}
	if d, err := os.Open(sw.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// abort removes the temporary file of a snapshot not finished.
func (sw *snapWriter) abort() {
	sw.f.Close()
	os.Remove(sw.f.Name())
}

// writeSnapshot writes m as the snapshot of dir.
func writeSnapshot(dir string, m *memIndex) (err error) {
	sw, err := newSnapWriter(dir, m.version, m.vecs.Dims())
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			sw.abort()
		}
	}()
	number := sw.docs(m.docs)
	sw.section(secChunks, func(w *countWriter) {
		var b []byte
		for _, c := range m.chunks {
			no := int32(-1)
			if c.doc != nil {
				no = number[c.doc]
			}
			b = binary.LittleEndian.AppendUint32(b[:0], uint32(no))
			w.write(binary.LittleEndian.AppendUint32(b, uint32(c.idx)))
		}
	})
	// The vectors, their int8 forms and scales, each in ordinal order;
	// removed chunks' are zeros.
	dims := m.vecs.Dims()
	sw.section(secVectors, func(w *countWriter) {
		buf, zero := make([]float32, dims), make([]float32, dims)
		var b []byte
		for _, c := range m.chunks {
			v := zero
			if c.doc != nil {
				var err error
				if v, err = m.vecs.Vector(c.slot, buf); err != nil {
					w.fail(err)
					return
				}
			}
			b = appendVector(b[:0], v)
			w.write(b)
		}
	})
	sw.section(secQuant, func(w *countWriter) {
		zero := make([]int8, dims)
		for _, c := range m.chunks {
			q := zero
			if c.doc != nil {
				q, _ = m.vecs.Quantized(c.slot)
			}
			w.write(int8Bytes(q))
		}
	})
	sw.section(secScales, func(w *countWriter) {
		var b []byte
		for _, c := range m.chunks {
			var scale float32
			if c.doc != nil {
				_, scale = m.vecs.Quantized(c.slot)
			}
			b = appendVector(b[:0], []float32{scale})
			w.write(b)
		}
	})
	sw.section(secKeyword, func(w *countWriter) { w.fail(m.kw.Save(w)) })
	return sw.finish()
}

// streamSnapshot writes the snapshot of the store as tx sees it without
// building the search structures: the vectors go to the file as they are
// read, only their int8 forms, the keyword index and the documents are
// held until the end. A writer that never searched (a sync) writes its
// first snapshot so; a full load would hold every float32 vector too.
func streamSnapshot(ctx context.Context, tx *sql.Tx, dir string, dims int) (err error) {
	v, err := storeVersion(ctx, tx)
	if err != nil {
		return err
	}
	docs := make(map[string]*docRec)
	var strs interner
	rows, err := tx.QueryContext(ctx, `SELECT `+docColumns+` FROM documents`)
	if err != nil {
		return err
	}
	for rows.Next() {
		r, err := scanDoc(rows)
		if err != nil {
			rows.Close()
			return err
		}
		docs[r.id] = strs.docRec(r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sw, err := newSnapWriter(dir, v, dims)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			sw.abort()
		}
	}()
	number := sw.docs(docs)

	// Sized once: grown by appending, the int8 forms made garbage of
	// twice their size.
	var count int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chunks`).Scan(&count); err != nil {
		return err
	}
	kw := keyword.New()
	chunks := make([]byte, 0, 8*count)
	quant := make([]int8, 0, count*dims)
	scales := make([]float32, 0, count)
	sw.section(secVectors, func(w *countWriter) {
		var b []byte
		w.fail(eachChunkBatch(ctx, tx, dims, func(bt *chunkBatch) error {
			for _, c := range bt.chunks {
				d := docs[c.docID]
				if d == nil {
					return fmt.Errorf("%w: chunk %s#%d has no document", ErrCorrupt, c.docID, c.idx)
				}
				if len(c.vec) != dims {
					return fmt.Errorf("%w: chunk %s#%d: vector of %d dimensions, want %d", ErrCorrupt, c.docID, c.idx, len(c.vec), dims)
				}
				ord := int32(len(chunks) / 8)
				if err := kw.Add(ord, bt.terms[c.terms[0]:c.terms[1]]); err != nil {
					return fmt.Errorf("chunk %s#%d: %w", c.docID, c.idx, err)
				}
				chunks = binary.LittleEndian.AppendUint32(chunks, uint32(number[d]))
				chunks = binary.LittleEndian.AppendUint32(chunks, uint32(c.idx))
				n := len(quant)
				quant = slices.Grow(quant, dims)[:n+dims]
				scales = append(scales, vec.Prepare(c.vec, quant[n:]))
				b = appendVector(b[:0], c.vec)
				w.write(b)
			}
			return w.err
		}))
	})
	sw.section(secQuant, func(w *countWriter) { w.write(int8Bytes(quant)) })
	sw.section(secScales, func(w *countWriter) { w.write(appendVector(nil, scales)) })
	sw.section(secChunks, func(w *countWriter) { w.write(chunks) })
	sw.section(secKeyword, func(w *countWriter) { w.fail(kw.Save(w)) })
	return sw.finish()
}

func int8Bytes(q []int8) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(q))), len(q))
}

// removeSnapshotTemps removes the temporary files of snapshots that a
// crash left half written. Only the writer holding the lock calls it, so
// none is being written.
func removeSnapshotTemps(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, snapFile+".tmp-*"))
	for _, p := range old {
		_ = os.Remove(p)
	}
}

// genDir is the directory of the index's current generation, where its
// snapshot lives beside its store: a rebuild's snapshot is swapped in with
// it, and a reader that follows a swap maps the new one.
func (x *Index) genDir() string { return filepath.Dir(storePath(x.dir, x.store.current())) }

// WriteSnapshot brings the index's snapshot, which readers map instead of
// loading the store, up to the store's current state, unless it is there
// already. The writer's Close calls it; a sync may call it earlier.
func (x *Index) WriteSnapshot(ctx context.Context) error {
	if err := x.writable("snapshot"); err != nil {
		return err
	}
	now, err := storeVersion(ctx, x.db)
	if err != nil {
		return x.fail("snapshot", err)
	}
	removeSnapshotTemps(x.genDir())
	dims, err := x.storedDims(ctx)
	if err != nil {
		return err
	}
	if h, ok := snapshotHeadIn(x.genDir()); ok && h.version == now {
		// Current, if whole: a damaged one is written again.
		m, err := readSnapshot(x.genDir(), dims, x.shardSize)
		if err == nil {
			m.release()
			return nil
		}
	} else if ok {
		pending, err := x.snapshotCanWait(ctx, h, now)
		if err != nil {
			return x.fail("snapshot", err)
		}
		if pending >= 0 {
			x.log.Debug("index snapshot left for later", "dir", x.genDir(), "chunks_changed_since", pending)
			return nil
		}
	}
	start := time.Now()
	x.memMu.RLock()
	loaded := x.mem != nil
	x.memMu.RUnlock()
	if loaded {
		// This writer searched: what it holds is the quickest source.
		if err := x.refresh(ctx); err != nil {
			return err
		}
		x.memMu.RLock()
		defer x.memMu.RUnlock()
		if x.mem != nil {
			err = writeSnapshot(x.genDir(), x.mem)
		}
	} else {
		err = x.writeSnapshotFromStore(ctx, dims)
	}
	if err != nil {
		return fmt.Errorf("search: snapshot %s: %w", x.genDir(), err)
	}
	x.log.Info("index snapshot written", "dir", x.genDir(), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// A snapshot is a whole file, gigabytes at a million chunks: a sync that
// changed a few documents would rewrite it every time, though each reader
// applies the changes since the snapshot from the change log at open. The
// reader pays for every changed chunk (BenchmarkSnapshotAfterSmallSync),
// so the writer leaves the snapshot as it is only while the documents
// changed since hold at most snapDeferChunks chunks, which keeps that cost
// a fraction of a one-shot search's, and at most 1/snapDeferShare of the
// snapshot's: a small index, whose snapshot is cheap, is written every
// time.
const (
	snapDeferChunks = 1024
	snapDeferShare  = 50
)

// snapshotCanWait returns how many chunks the documents changed since the
// snapshot h hold, or -1 when it must be written now: too many changed,
// another epoch or model, or a change log that no longer reaches it.
func (x *Index) snapshotCanWait(ctx context.Context, h *snapHead, now version) (int, error) {
	if h.epoch != now.epoch || h.model != now.model || h.seq >= now.seq {
		return -1, nil
	}
	budget := min(snapDeferChunks, int(h.sec[secScales].len/4)/snapDeferShare)
	if budget <= 0 {
		return -1, nil
	}
	var minSeq int64
	var docs, pending int
	err := x.db.QueryRowContext(ctx, `SELECT (SELECT coalesce(min(seq), 0) FROM changes),
		(SELECT count(DISTINCT doc_id) FROM changes WHERE seq > ?1),
		(SELECT count(*) FROM chunks WHERE doc_id IN (SELECT doc_id FROM changes WHERE seq > ?1))`, h.seq).
		Scan(&minSeq, &docs, &pending)
	if err != nil {
		return 0, err
	}
	// Removed documents count too: their chunks stay in the snapshot
	// (and in its keyword statistics) until it is written.
	if minSeq > h.seq+1 || pending > budget || docs > budget {
		return -1, nil
	}
	return pending, nil
}

// writeSnapshotFromStore writes the snapshot from the old one and the
// changes since, where the change log reaches it, and otherwise from the
// whole store.
func (x *Index) writeSnapshotFromStore(ctx context.Context, dims int) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only transaction
	if m, err := readSnapshot(x.genDir(), dims, x.shardSize); err == nil {
		ok, err := m.applyChanges(ctx, tx)
		if err == nil && ok {
			err = writeSnapshot(x.genDir(), m)
		}
		m.release()
		if err != nil || ok {
			return err
		}
	}
	return streamSnapshot(ctx, tx, x.genDir(), dims)
}

// load builds the memIndex of the store as tx sees it: from the snapshot
// and the changes since, or from the store alone when there is no
// snapshot or it cannot be used.
func (x *Index) load(ctx context.Context, tx *sql.Tx, dims int) (*memIndex, error) {
	m, err := readSnapshot(x.genDir(), dims, x.shardSize)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		x.log.Warn("the index snapshot cannot be read: loading the store instead (the next sync rewrites it)",
			"dir", x.genDir(), "err", err)
	default:
		ok, err := m.applyChanges(ctx, tx)
		if err == nil && ok {
			return m, nil
		}
		m.release()
		if err != nil {
			return nil, err
		}
		x.log.Debug("the index snapshot is too old: loading the store", "dir", x.genDir())
	}
	return loadAll(ctx, tx, dims, x.shardSize)
}

// countWriter counts what it writes; the first error sticks.
type countWriter struct {
	w   *bufio.Writer
	n   uint64
	err error
}

func (c *countWriter) Write(b []byte) (int, error) {
	c.write(b)
	if c.err != nil {
		return 0, c.err
	}
	return len(b), nil
}

func (c *countWriter) write(b []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(b)
	c.n += uint64(n)
	c.err = err
}

// fail records err (nil: nothing) as the writer's first error.
func (c *countWriter) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func (c *countWriter) flush() error {
	if c.err != nil {
		return c.err
	}
	return c.w.Flush()
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// snapReader reads the varint-coded parts of a snapshot; the first error
// sticks.
type snapReader struct {
	b   []byte
	err error
}

func (r *snapReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errSnapshot
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errSnapshot
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapReader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errSnapshot
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
