package vec

import (
	"sync"
	"unsafe"
)

// arena holds the vector blocks of one Store outside the Go heap, in
// anonymous memory mappings (where the platform has them; elsewhere in
// ordinary slices).
//
// Why: the garbage collector lets the heap grow to twice what was live at
// its last cycle (GOGC=100), and loading an index makes garbage the size of
// its vectors (the SQLite driver copies every blob it returns). On the heap
// the vectors were counted twice; off the heap they count once, and only the
// much smaller rest of the index is doubled (BENCHMARKS.md, open-index
// memory).
//
// Blocks are never returned one by one: a shard keeps its slots for its
// next chunks, and the whole arena goes when its Store is released, or, as
// a safety net, when the Store becomes unreachable. A vector slice must
// therefore not outlive its Store (see Store.Release).
type arena struct {
	mu      sync.Mutex // free may run on the cleanup goroutine
	regions [][]byte   // mappings, released by free
	spare   []float32  // the unused end of the newest region
	next    int        // size in bytes of the next region
	mapped  int64      // bytes mapped so far
	onHeap  bool       // mapping failed or is unsupported: plain slices
}

// Regions start at 1 MiB and double up to 64 MiB: a small index maps little,
// a large one needs few mappings (a 1M-chunk index about 40).
const (
	minRegion = 1 << 20
	maxRegion = 64 << 20
)

// vecAlign is the alignment of every block, in floats: a cache line.
const vecAlign = 16

// alloc returns n zeroed floats, aligned to a cache line.
func (a *arena) alloc(n int) []float32 {
	if n <= 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.onHeap {
		return make([]float32, n)
	}
	if len(a.spare) < n {
		size := max(a.next, minRegion)
		a.next = min(2*size, maxRegion)
		for size < 4*n {
			size *= 2
		}
		b, err := mapRegion(size)
		if err != nil || len(b) < 4*n {
			// Out of address space or no mmap: the heap still works.
			a.onHeap = true
			return make([]float32, n)
		}
		a.regions = append(a.regions, b)
		a.mapped += int64(len(b))
		a.spare = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
	}
	v := a.spare[:n:n]
	skip := min((n+vecAlign-1)/vecAlign*vecAlign, len(a.spare))
	a.spare = a.spare[skip:]
	return v
}

// allocInt8 returns n zeroed int8s, aligned to a cache line.
func (a *arena) allocInt8(n int) []int8 {
	f := a.alloc((n + 3) / 4)
	if f == nil {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(f))), n)
}

// free unmaps every region. The arena can be used again afterwards.
func (a *arena) free() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, b := range a.regions {
		unmapRegion(b)
	}
	a.regions, a.spare, a.next, a.mapped = nil, nil, 0, 0
}

// size is the number of bytes mapped.
func (a *arena) size() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.mapped
}
