package vec

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// A short query reads less memory with the int8 forms split by dimension:
// the builtin embedder's vectors are hashed feature buckets, of which a
// query of a few words fills a handful, beside dense latent dimensions.
// The scan is bound by memory (BENCHMARKS.md), so a shard also keeps its
// int8 forms in a second layout: the dense dimensions of each row
// together, for the AVX2 kernel, and every other dimension by column, of
// which a query reads only those where it is not zero. The sums are the
// same integers as the row scan's: the scores do not change.
//
// Which dimensions are dense is read from the vectors after the second
// search (non-zero in most of a sample); vectors with none sparse (those
// of ollama or openai) keep the row scan only. A shard's split copy is
// made then, in the background, and again after the first search that
// follows a change to the shard, in a mapping of its own outside the Go
// heap, given back when remade or when the Store is released.

// split is the Store's division of the dimensions.
type split struct {
	dense  []int32 // dimensions kept by row
	sparse []int32 // dimensions kept by column (none: no split copies)
}

// shardSplit is a shard's int8 forms in the split layout.
type shardSplit struct {
	mem  []byte // its bytes, from the Store's regions
	rows int
	dq   []int8 // rows × len(dense)
	cols []int8 // len(sparse) × rows
}

// denseShare is the share of sampled vectors, in hundredths, that must
// have a value at a dimension for it to count as dense: a query is likely
// to have one there too (the synthetic store's latent dimensions are not
// all non-zero in 90 % of its vectors).
const denseShare = 50

// splitSample is the most vectors read to divide the dimensions.
const splitSample = 4096

// maxYield is how many milliseconds a build of split copies waits at
// most, before each shard, for the searches under way to finish.
const maxYield = 50

// shortShare is the largest share of the sparse dimensions, in
// hundredths, that a query may fill for its scan to use the split copies:
// beyond, the columns read cost more than the rows.
const shortShare = 25

// divide reads up to splitSample live vectors and divides the dimensions
// (nil while there are none).
func (s *Store[K]) divide() *split {
	live := 0
	for _, sh := range s.shards {
		live += sh.live()
	}
	step := max(1, live/splitSample)
	nz := make([]int, s.dims)
	seen, k := 0, 0
	for _, sh := range s.shards {
		for i := range sh.rows {
			r := &sh.rows[i]
			if r.ord < 0 || r.q == nil {
				continue
			}
			if k++; k%step != 0 {
				continue
			}
			seen++
			for j, x := range r.q {
				if x != 0 {
					nz[j]++
				}
			}
		}
	}
	if seen == 0 {
		return nil // divided at a later search
	}
	sp := &split{}
	for j, c := range nz {
		if c*100 >= denseShare*seen {
			sp.dense = append(sp.dense, int32(j))
		} else {
			sp.sparse = append(sp.sparse, int32(j))
		}
	}
	// Too few sparse dimensions for a query to skip much: rows only.
	if len(sp.sparse)*4 < s.dims {
		sp.sparse = nil
	}
	return sp
}

// ensureSplit returns the division of the dimensions while every shard's
// split copy is current, and nil otherwise: the search then scans the
// rows. From the second search of a Store on, one that finds copies
// missing or stale starts making them in the background (makeSplit): no
// query waits for them (at a million vectors they take seconds). The
// first search starts none: a one-shot search would spend more on the
// copies than they save it.
func (s *Store[K]) ensureSplit() *split {
	if s.splitFresh.Load() {
		return s.split
	}
	if s.searches.Add(1) == 1 {
		return nil
	}
	s.startSplit()
	return nil
}

// Warm starts making the split copies now, as the second search would:
// for a Store that will answer many searches (a server). Like Search, it
// must not run beside Add, Attach, Remove, Renumber or Release.
func (s *Store[K]) Warm() {
	s.searches.Add(1)
	if !s.splitFresh.Load() {
		s.startSplit()
	}
}

// startSplit starts a build of the split copies unless one is under way.
// Searches never run beside Add, Attach, Remove, Renumber or Release, and
// those wait for the build (waitSplit): this Go never runs beside that
// Wait.
func (s *Store[K]) startSplit() {
	if s.splitBuilding.CompareAndSwap(false, true) {
		s.splitBuild.Go(func() {
			defer s.splitBuilding.Store(false)
			s.makeSplit()
		})
	}
}

// waitSplit waits for a build of split copies that is under way. What
// changes the vectors calls it first: the build reads them.
func (s *Store[K]) waitSplit() { s.splitBuild.Wait() }

// Settle waits for the work a search started in the background (the split
// copies) to finish, so that the next searches run as they will from now
// on: for benchmarks and tests. Like Add, it must not run beside Search.
func (s *Store[K]) Settle() { s.waitSplit() }

// makeSplit divides the dimensions the first time and remakes the split
// copy of every shard changed since the last time, then lets searches use
// them. Searches scanning the rows meanwhile read what it reads; no
// search reads a shard's copy until splitFresh says so.
func (s *Store[K]) makeSplit() {
	if s.split == nil {
		s.split = s.divide()
	}
	if s.split != nil && len(s.split.sparse) > 0 {
		var todo []*shard
		for _, sh := range s.shards {
			if sh.sp == nil || sh.sp.rows != len(sh.rows) || sh.spStale {
				todo = append(todo, sh)
			}
		}
		// Half the cores, and a shard at a time, each after the searches
		// under way (for a while at most: a busy server still gets its
		// copies): a query that comes meanwhile keeps its speed.
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(max(1, runtime.GOMAXPROCS(0)/2), len(todo)) {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < len(todo); i = int(next.Add(1)) - 1 {
					for wait := 0; wait < maxYield && s.scanning.Load() > 0; wait++ {
						time.Sleep(time.Millisecond)
					}
					todo[i].remakeSplit(s.split, s.dims, s.splitMem)
				}
			})
		}
		wg.Wait()
		if len(todo) > 0 {
			// The scan of a short query no longer reads the rows.
			dropPages(s.rowMap)
		}
	}
	s.splitFresh.Store(true)
}

// SetRowMapping gives the Store the file mapping that Attach's int8 forms
// lie in: once a search has made the split copies from them, their pages
// are given back to the kernel (read again from the file when a dense
// query, or the next copy, needs them), so that a serving process does not
// hold both forms.
func (s *Store[K]) SetRowMapping(b []byte) { s.rowMap = b }

// changed notes that a vector of sh changed: its split copy is remade at
// the next search.
func (s *Store[K]) changed(sh *shard) {
	sh.spStale = true
	s.splitFresh.Store(false)
}

// remakeSplit makes sh's split copy anew in mem, giving back the old one.
func (sh *shard) remakeSplit(sp *split, dims int, mem *regions) {
	if sh.sp != nil {
		mem.release(sh.sp.mem)
	}
	n, nd := len(sh.rows), len(sp.dense)
	size := n * dims
	c := &shardSplit{rows: n}
	b := mem.alloc(size)
	c.mem = b
	all := unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(b))), size)
	c.dq, c.cols = all[:n*nd], all[n*nd:]
	// By tiles of rows: a column's bytes are written in order, while
	// the tile's vectors stay in the cache.
	var tile [64][]int8
	zero := make([]int8, dims)
	for i0 := 0; i0 < n; i0 += len(tile) {
		t := tile[:min(len(tile), n-i0)]
		for k := range t {
			if t[k] = sh.rows[i0+k].q; len(t[k]) < dims {
				t[k] = zero
			}
			d := c.dq[(i0+k)*nd : (i0+k+1)*nd]
			for m, j := range sp.dense {
				d[m] = t[k][j]
			}
		}
		for m, j := range sp.sparse {
			col := c.cols[m*n+i0 : m*n+i0+len(t)]
			for k, q := range t {
				col[k] = q[j]
			}
		}
	}
	sh.sp, sh.spStale = c, false
}

// regions are the mappings of a Store's split copies.
type regions struct {
	mu   sync.Mutex // free may run on the cleanup goroutine
	live map[*byte][]byte
}

// alloc returns size zeroed bytes in a mapping of their own (on the heap
// where mapping fails).
func (r *regions) alloc(size int) []byte {
	if size <= 0 {
		return nil
	}
	b, err := mapRegion(size)
	if err != nil || len(b) < size {
		return make([]byte, size)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live == nil {
		r.live = make(map[*byte][]byte)
	}
	r.live[&b[0]] = b
	return b[:size]
}

// release gives back b, from alloc.
func (r *regions) release(b []byte) {
	if len(b) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.live[&b[0]]; ok {
		unmapRegion(m)
		delete(r.live, &b[0])
	}
}

// free gives back every mapping.
func (r *regions) free() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.live {
		unmapRegion(m)
	}
	r.live = nil
}

// colValue is a query's value at a sparse dimension, by its column.
type colValue struct {
	col, v int32
}

// shortQuery returns the query's values at the dense dimensions and at
// the sparse ones where it is not zero, or ok false when it fills too
// many sparse dimensions for the split copies to pay.
func (sp *split) shortQuery(q []int16) (dense []int16, cols []colValue, ok bool) {
	if len(sp.sparse) == 0 {
		return nil, nil, false
	}
	for k, j := range sp.sparse {
		if q[j] != 0 {
			cols = append(cols, colValue{int32(k), int32(q[j])})
		}
	}
	if len(cols)*100 > shortShare*len(sp.sparse) {
		return nil, nil, false
	}
	dense = make([]int16, len(sp.dense))
	for k, j := range sp.dense {
		dense[k] = q[j]
	}
	return dense, cols, true
}

// scanSplit is scan from sh's split copy, for a short query given by its
// dense values qd and its sparse ones qc; acc is scratch space, grown as
// needed.
func (sh *shard) scanSplit(qd []int16, qc []colValue, qscale float32, allow []uint64, top *rank.Top, acc *[]int32) {
	c := sh.sp
	n, nd := c.rows, len(qd)
	if cap(*acc) < n {
		*acc = make([]int32, n)
	}
	sums := (*acc)[:n]
	for i := range sums {
		sums[i] = dotQuant(qd, c.dq[i*nd:(i+1)*nd])
	}
	for _, x := range qc {
		col := c.cols[int(x.col)*n : int(x.col+1)*n]
		for i := range sums {
			sums[i] += x.v * int32(col[i])
		}
	}
	for i := range sums {
		r := &sh.rows[i]
		if r.ord < 0 || allow != nil && allow[r.ord>>6]&(1<<(r.ord&63)) == 0 {
			continue
		}
		if sc := float64(sums[i]) * float64(r.scale*qscale); top.Wants(sc) {
			top.Push(rank.Scored{Chunk: r.ord, Score: sc})
		}
	}
}
