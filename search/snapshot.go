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
// rewrites it when it closes (Index.WriteSnapshot): into a temporary file
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
	f, err := os.Open(filepath.Join(dir, snapFile))
	if err != nil {
		return version{}, false
	}
	defer f.Close()
	b := make([]byte, snapHeader)
	if _, err := io.ReadFull(f, b); err != nil {
		return version{}, false
	}
	h, err := decodeSnapHead(b)
	if err != nil {
		return version{}, false
	}
	return h.version, true
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
	// memory) still gives the mapping back.
	runtime.AddCleanup(m, func(fm *fileMap) { fm.unmap() }, fm)
	defer func() {
		if err != nil {
			m.release()
		}
	}()
	// The documents.
	r := snapReader{b: sec[secDocs]}
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return nil, fmt.Errorf("%w: document count", errSnapshot)
	}
	docs := make([]*docRec, 0, n)
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
		scales = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(sec[secScales]))), count)
	}
	m.chunks = make([]chunkRec, count)
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
	kw, err := keyword.Load(sec[secKeyword])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errSnapshot, err)
	}
	if kw.Chunks() != count {
		return nil, fmt.Errorf("%w: keyword index of %d chunks, want %d", errSnapshot, kw.Chunks(), count)
	}
	m.kw = kw
	return m, nil
}

// writeSnapshot writes m as the snapshot of dir: into a temporary file
// that replaces the old snapshot only once complete and synced.
func writeSnapshot(dir string, m *memIndex) (err error) {
	if len(m.epoch)+len(m.model) > snapHeader/2 {
		return errors.New("snapshot: epoch and model names too long")
	}
	f, err := os.CreateTemp(dir, snapFile+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := &countWriter{w: bufio.NewWriterSize(f, 1<<20)}
	h := &snapHead{version: m.version, format: snapFormat, dims: uint32(m.vecs.Dims())}
	w.write(make([]byte, snapHeader))

	// Documents in id order, so the same index gives the same file.
	ids := make([]string, 0, len(m.docs))
	for id := range m.docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	number := make(map[*docRec]int32, len(ids))
	start := w.n
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for i, id := range ids {
		d := m.docs[id]
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
	h.sec[secDocs] = snapSection{start, w.n - start}

	start = w.n
	for _, c := range m.chunks {
		no := int32(-1)
		if c.doc != nil {
			no = number[c.doc]
		}
		b = binary.LittleEndian.AppendUint32(b[:0], uint32(no))
		b = binary.LittleEndian.AppendUint32(b, uint32(c.idx))
		w.write(b)
	}
	h.sec[secChunks] = snapSection{start, w.n - start}

	// The vectors, their int8 forms and scales, each in ordinal order.
	zero := make([]float32, h.dims)
	zeroQ := make([]int8, h.dims)
	buf := make([]float32, h.dims)
	for i, sec := range []int{secVectors, secQuant, secScales} {
		w.write(make([]byte, (64-w.n%64)%64))
		start = w.n
		for _, c := range m.chunks {
			v, q, scale := zero, zeroQ, float32(0)
			if c.doc != nil && i == 0 {
				var err error
				if v, err = m.vecs.Vector(c.slot, buf); err != nil {
					return err
				}
			} else if c.doc != nil {
				q, scale = m.vecs.Quantized(c.slot)
			}
			switch i {
			case 0:
				b = appendVector(b[:0], v)
			case 1:
				b = append(b[:0], unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(q))), len(q))...)
			case 2:
				b = appendVector(b[:0], []float32{scale})
			}
			w.write(b)
		}
		h.sec[sec] = snapSection{start, w.n - start}
	}

	start = w.n
	if w.err == nil {
		w.err = m.kw.Save(w)
	}
	h.sec[secKeyword] = snapSection{start, w.n - start}
	h.size = w.n
	if err := w.flush(); err != nil {
		return err
	}
	if _, err := f.WriteAt(h.encode(), 0); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, snapFile)); err != nil {
		return err
	}
	// The rename itself must survive a crash too.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
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
	removeSnapshotTemps(x.dir)
	if have, ok := snapshotVersion(x.dir); ok && have == now {
		// Current, if whole: a damaged one is written again.
		dims, err := x.storedDims(ctx)
		if err != nil {
			return err
		}
		m, err := readSnapshot(x.dir, dims, x.shardSize)
		if err == nil {
			m.release()
			return nil
		}
	}
	start := time.Now()
	if err := x.refresh(ctx); err != nil {
		return err
	}
	x.memMu.RLock()
	defer x.memMu.RUnlock()
	if x.mem == nil {
		return nil
	}
	if err := writeSnapshot(x.dir, x.mem); err != nil {
		return fmt.Errorf("search: snapshot %s: %w", x.dir, err)
	}
	x.log.Info("index snapshot written", "dir", x.dir, "chunks", x.mem.liveChunks(), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// load builds the memIndex of the store as tx sees it: from the snapshot
// and the changes since, or from the store alone when there is no
// snapshot or it cannot be used.
func (x *Index) load(ctx context.Context, tx *sql.Tx, dims int) (*memIndex, error) {
	m, err := readSnapshot(x.dir, dims, x.shardSize)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		x.log.Warn("the index snapshot cannot be read: loading the store instead (the next sync rewrites it)",
			"dir", x.dir, "err", err)
	default:
		ok, err := m.applyChanges(ctx, tx)
		if err == nil && ok {
			return m, nil
		}
		m.release()
		if err != nil {
			return nil, err
		}
		x.log.Debug("the index snapshot is too old: loading the store", "dir", x.dir)
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
