package vec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// Store holds unit vectors of one length, each under the ordinal of its
// chunk and in a group of the caller's (a space or project), and ranks them
// by cosine similarity with a query (Search).
//
// A group's vectors lie in shards of at most the shard size given to New;
// a shard's vectors lie in blocks of consecutive slots (doubling from
// minBlock to maxBlock slots), so a scan reads memory in order: vectors
// allocated one by one end up between other allocations, and their scan
// was three times slower. A removed vector frees its slot for the shard's
// next one.
//
// Add, Remove, Renumber and Release must not run concurrently with each
// other or with Search; Searches may run concurrently.
type Store[K comparable] struct {
	dims      int
	shardSize int
	groups    map[K]*shardList // shards by group
	last      K                // the group of the latest Add or Attach …
	lastList  *shardList       // … and its shards, so a run of one group's
	// vectors (a snapshot's) hashes its key once
	shards []*shard // by id
	ords   int32    // 1 + the largest ordinal added since the last Renumber
	at     []Slot   // by ordinal: where its vector is (stale for removed ones)
	arena  *arena
	file   io.ReaderAt // where Attach's float32 vectors are read from

	// The split copies (split.go): split is nil until the first build;
	// splitFresh says that every shard's copy is current.
	split         *split
	splitMem      *regions
	splitFresh    atomic.Bool
	splitBuilding atomic.Bool    // a build is under way …
	splitBuild    sync.WaitGroup // … and its goroutine
	searches      atomic.Int64   // until the second, which starts a build
	scanning      atomic.Int32   // searches under way, which a build yields to
	rowMap        []byte         // see SetRowMapping
}

// Slot is where Add put a vector: give it to Remove.
type Slot struct {
	shard, row int32
}

// shard is a run of slots of one group.
type shard struct {
	rows   []row     // by slot, in block order
	free   []int32   // slots whose ord is -1
	spare  []float32 // the unused end of the newest block
	qspare []int8    // … and of its int8 forms
	block  int       // slots in the newest block

	sp      *shardSplit // its int8 forms split by dimension, if made
	spStale bool        // a vector changed since sp was made

	list *shardList // its group's shards …
	pos  int32      // … and its place among them
}

// row is one slot of a shard: a unit vector, its int8 form (vec ≈
// scale*q) and its ordinal, -1 while the slot is free. The float32 vector
// of an Attached row is not in memory (vec is nil) but at off in the
// Store's file.
type row struct {
	vec   []float32
	q     []int8
	scale float32
	ord   int32
	off   int64
}

// Blocks start small (a space of five pages should not take a megabyte)
// and double up to maxBlock slots.
const (
	minBlock = 8
	maxBlock = 256
)

// New returns an empty Store of vectors of dims floats (0: the length of
// the first vector added) in shards of at most shardSize.
func New[K comparable](dims, shardSize int) *Store[K] {
	s := &Store[K]{dims: dims, shardSize: max(shardSize, 1), groups: make(map[K]*shardList), arena: &arena{}, splitMem: &regions{}}
	// A Store dropped without Release (a test resetting an index's
	// memory) still gives its vectors back.
	runtime.AddCleanup(s, func(a *arena) { a.free() }, s.arena)
	runtime.AddCleanup(s, func(r *regions) { r.free() }, s.splitMem)
	return s
}

// Dims is the length of the vectors (0 while none was added to a Store
// made without one).
func (s *Store[K]) Dims() int { return s.dims }

// MappedBytes is how much memory the Store has mapped for vectors outside
// the Go heap.
func (s *Store[K]) MappedBytes() int64 { return s.arena.size() }

// Release gives the vectors back to the system at once, rather than when
// the Store becomes unreachable. The Store must not be used afterwards:
// no Search may be reading its vectors.
func (s *Store[K]) Release() {
	if s != nil {
		s.waitSplit()
		s.arena.free()
		s.splitMem.free()
		for _, sh := range s.shards {
			sh.sp = nil
		}
		s.split = nil
		s.splitFresh.Store(false)
	}
}

// Add stores a copy of v, scaled to unit length, as chunk ord of group.
// Ordinals must be non-negative; each may be stored once until removed.
func (s *Store[K]) Add(group K, ord int32, v []float32) (Slot, error) {
	s.waitSplit()
	if s.dims == 0 {
		s.dims = len(v)
	} else if len(v) != s.dims {
		return Slot{}, fmt.Errorf("vector of %d dimensions, want %d", len(v), s.dims)
	}
	id := s.shardFor(group)
	sh := s.shards[id]
	i := sh.take(s.dims, s.arena, s.shardSize)
	r := &sh.rows[i]
	copy(r.vec, v)
	r.scale = Prepare(r.vec, r.q)
	r.ord = ord
	s.changed(sh)
	return s.placed(ord, Slot{shard: id, row: i}), nil
}

// Prepare makes v a vector as a Store holds it: scaled to unit length in
// place, with its int8 form written into q (as long as v); it returns the
// int8 form's scale. A snapshot writer gives Attach what it returns.
func Prepare(v []float32, q []int8) float32 {
	if !isUnit(v) {
		scaleToUnit(v)
	}
	return quantize(q, v)
}

// placed records where ord's vector went.
func (s *Store[K]) placed(ord int32, slot Slot) Slot {
	s.ords = max(s.ords, ord+1)
	for int(ord) >= len(s.at) {
		s.at = append(s.at, Slot{shard: -1})
	}
	s.at[ord] = slot
	return slot
}

// SetFile gives the Store the file that Attach's offsets refer to. It
// must stay open until the Store is released.
func (s *Store[K]) SetFile(f io.ReaderAt) { s.file = f }

// Attach stores chunk ord of group from a snapshot of a Store (see
// Vector): the int8 form q of its unit vector, with its scale, without
// copying it, and the offset in the Store's file (SetFile) of its float32
// form, little-endian, which is read only when a search rescores it. So a
// search reads the file at a few offsets rather than map it: a mapping
// may bring in far more of the file than the pages read, and the process
// would then hold them. q must stay valid until the Store is released.
func (s *Store[K]) Attach(group K, ord int32, q []int8, scale float32, off int64) (Slot, error) {
	s.waitSplit()
	if s.dims == 0 {
		s.dims = len(q)
	}
	if len(q) != s.dims {
		return Slot{}, fmt.Errorf("vector of %d dimensions, want %d", len(q), s.dims)
	}
	id := s.shardFor(group)
	sh := s.shards[id]
	sh.rows = append(sh.rows, row{q: q[:len(q):len(q)], scale: scale, ord: ord, off: off})
	s.changed(sh)
	return s.placed(ord, Slot{shard: id, row: int32(len(sh.rows) - 1)}), nil
}

// Vector is the stored (unit) vector in slot, in buf (of Dims floats)
// when it has to be read from the file: read it, do not keep it past the
// Store's release.
func (s *Store[K]) Vector(slot Slot, buf []float32) ([]float32, error) {
	return s.float(&s.shards[slot.shard].rows[slot.row], buf)
}

// Quantized is the int8 form of the vector in slot and its scale.
func (s *Store[K]) Quantized(slot Slot) (q []int8, scale float32) {
	r := &s.shards[slot.shard].rows[slot.row]
	return r.q, r.scale
}

// float is r's float32 vector: in memory, or read from the file into buf.
func (s *Store[K]) float(r *row, buf []float32) ([]float32, error) {
	if r.vec != nil {
		return r.vec, nil
	}
	buf = buf[:s.dims]
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(buf))), 4*len(buf))
	if s.file == nil {
		return nil, errors.New("no file to read vectors from")
	}
	if _, err := s.file.ReadAt(b, r.off); err != nil {
		return nil, fmt.Errorf("read vector of chunk %d: %w", r.ord, err)
	}
	for i := range buf {
		buf[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return buf, nil
}

// Remove frees the slot of a vector.
func (s *Store[K]) Remove(slot Slot) {
	s.waitSplit()
	sh := s.shards[slot.shard]
	sh.rows[slot.row].ord = -1
	sh.free = append(sh.free, slot.row)
	sh.list.full = min(sh.list.full, int(sh.pos))
}

// Renumber gives every stored vector a new ordinal: remap[old], which must
// not be -1 for a stored one; n is the number of ordinals after it.
func (s *Store[K]) Renumber(remap []int32, n int) {
	s.waitSplit()
	at := make([]Slot, n)
	for id, sh := range s.shards {
		for i, r := range sh.rows {
			if r.ord >= 0 {
				o := remap[r.ord]
				sh.rows[i].ord = o
				at[o] = Slot{shard: int32(id), row: int32(i)}
			}
		}
	}
	s.at = at
	s.ords = int32(n)
}

// shardList is a group's shards, in the order they were made.
type shardList struct {
	ids  []int32
	full int // ids[:full] have no room: Remove lowers it
}

// shardFor returns the id of a shard of group with room for one more
// vector, the first in the group's order, making the group or a new
// shard as needed. Full shards are skipped once: a group of a million
// vectors has hundreds.
func (s *Store[K]) shardFor(group K) int32 {
	l := s.lastList
	if l == nil || group != s.last {
		if l = s.groups[group]; l == nil {
			l = &shardList{}
			s.groups[group] = l
		}
		s.last, s.lastList = group, l
	}
	for ; l.full < len(l.ids); l.full++ {
		if id := l.ids[l.full]; s.shards[id].live() < s.shardSize {
			return id
		}
	}
	id := int32(len(s.shards))
	s.shards = append(s.shards, &shard{list: l, pos: int32(len(l.ids))})
	l.ids = append(l.ids, id)
	return id
}

// live is the number of vectors in the shard.
func (sh *shard) live() int { return len(sh.rows) - len(sh.free) }

// take returns a free slot for a vector of dims floats, making one from a
// new block of a when none is free. A shard holds at most limit slots: its
// last block stops there (8+16+…+256 slots and then blocks of 256 would
// overshoot 2,048 by 248).
func (sh *shard) take(dims int, a *arena, limit int) int32 {
	if n := len(sh.free); n > 0 {
		i := sh.free[n-1]
		sh.free = sh.free[:n-1]
		if r := &sh.rows[i]; r.vec == nil {
			// An Attached row's: its int8 form is not ours to write.
			r.vec, r.q = a.alloc(dims), a.allocInt8(dims)
		}
		return i
	}
	if len(sh.spare) < dims {
		sh.block = min(max(2*sh.block, minBlock), maxBlock)
		n := min(sh.block, max(limit-len(sh.rows), 1)) * dims
		sh.spare = a.alloc(n)
		sh.qspare = a.allocInt8(n)
	}
	v, q := sh.spare[:dims:dims], sh.qspare[:dims:dims]
	sh.spare, sh.qspare = sh.spare[dims:], sh.qspare[dims:]
	sh.rows = append(sh.rows, row{vec: v, q: q, ord: -1})
	return int32(len(sh.rows) - 1)
}

// Filter narrows a Search.
type Filter[K comparable] struct {
	// Group says whether any vector of a group may match (nil: all).
	Group func(K) bool
	// Chunk, when set, says whether chunk ord may match. It is called
	// before the scan, once per vector of the groups admitted, one shard
	// after the other and in slot order (a document's chunks mostly sit in
	// consecutive slots), never concurrently; shards with no chunk it
	// admits are not scanned.
	Chunk func(ord int32) bool
}

// minRowsPerWorker is the least rows worth a goroutine of Search: below a
// few thousand, starting one costs more than it saves.
const minRowsPerWorker = 4096

// Search returns the n vectors most similar to q among those f admits, best
// first, scored by cosine similarity. Shards are scanned on every core in
// the vectors' int8 form; the best rerankFactor*n are then scored again
// with their float32 form, which orders them exactly (an int8 score is
// off by a few thousandths: only near the n-th place could two swap).
func (s *Store[K]) Search(ctx context.Context, q []float32, n int, f Filter[K]) ([]rank.Scored, error) {
	s.scanning.Add(1) // a build of split copies yields to it
	defer s.scanning.Add(-1)
	if s.dims != 0 && len(q) != s.dims {
		return nil, fmt.Errorf("query vector has %d dimensions, the index %d", len(q), s.dims)
	}
	if !isUnit(q) {
		// Scores are cosines: the live fallback's threshold compares them.
		q = slices.Clone(q)
		scaleToUnit(q)
	}
	// With a chunk filter, mark the chunks it admits: shards with none are
	// skipped, the others check the mark before each row.
	var allow []uint64 // bit per ordinal; nil: every chunk of a scanned shard
	if f.Chunk != nil {
		allow = make([]uint64, (s.ords+63)/64)
	}
	var jobs []*shard
	rows := 0
	for g, l := range s.groups {
		if f.Group != nil && !f.Group(g) {
			continue
		}
		for _, id := range l.ids {
			sh := s.shards[id]
			if sh.live() == 0 || allow != nil && !sh.mark(f.Chunk, allow) {
				continue
			}
			jobs = append(jobs, sh)
			rows += len(sh.rows)
		}
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	qq := make([]int16, len(q))
	qscale := quantizeQuery(qq, q)
	var qd []int16 // a short query's dense values: scan the split copies
	var qc []colValue
	if sp := s.ensureSplit(); sp != nil {
		qd, qc, _ = sp.shortQuery(qq)
	}
	cand := rerankFactor * n
	// One goroutine per core takes the next shard until none is left.
	workers := min(runtime.GOMAXPROCS(0), len(jobs), max(1, rows/minRowsPerWorker))
	tops := make([]*rank.Top, workers)
	errs := make([]error, workers)
	var next atomic.Int64
	scan := func(w int) {
		top := rank.NewTop(cand)
		tops[w] = top
		var acc []int32
		for {
			i := int(next.Add(1)) - 1
			if i >= len(jobs) {
				return
			}
			if err := ctx.Err(); err != nil {
				errs[w] = err
				return
			}
			if qd != nil {
				jobs[i].scanSplit(qd, qc, qscale, allow, top, &acc)
			} else {
				jobs[i].scan(qq, qscale, allow, top)
			}
		}
	}
	if workers <= 1 {
		scan(0)
	} else {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { scan(w) })
		}
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	top := rank.NewTop(n)
	buf := make([]float32, s.dims)
	for _, t := range tops {
		for _, sc := range t.Kept() {
			at := s.at[sc.Chunk]
			v, err := s.float(&s.shards[at.shard].rows[at.row], buf)
			if err != nil {
				return nil, err
			}
			sc.Score = float64(dot(q, v))
			if top.Wants(sc.Score) {
				top.Push(sc)
			}
		}
	}
	return top.Sorted(), nil
}

// rerankFactor is how many candidates per result the int8 scan hands to
// the exact rescoring: see TestQuantizedSearchIsExact and BENCHMARKS.md.
const rerankFactor = 2

// mark sets the bits of the chunks of sh that admit admits and reports
// whether there was any.
func (sh *shard) mark(admit func(int32) bool, allow []uint64) bool {
	found := false
	for _, r := range sh.rows {
		if r.ord >= 0 && admit(r.ord) {
			allow[r.ord>>6] |= 1 << (r.ord & 63)
			found = true
		}
	}
	return found
}

// scan offers top every vector of sh that allow marks (nil: every one),
// scored by the dot product of its int8 form with the query's int16 form
// q (of scale qscale). It allocates nothing.
func (sh *shard) scan(q []int16, qscale float32, allow []uint64, top *rank.Top) {
	for i := range sh.rows {
		r := &sh.rows[i]
		if r.ord < 0 || allow != nil && allow[r.ord>>6]&(1<<(r.ord&63)) == 0 {
			continue
		}
		if sc := float64(dotQuant(q, r.q)) * float64(r.scale*qscale); top.Wants(sc) {
			top.Push(rank.Scored{Chunk: r.ord, Score: sc})
		}
	}
}

// unitTolerance is how far from 1 the length of a vector taken as unit may
// be: chromem-go's, so that both normalise the same vectors and rank alike
// (TestVectorScanMatchesChromem).
const unitTolerance = 1e-6

// isUnit says whether v is taken as a unit vector.
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
