package vec

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"unsafe"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// TestArena checks the blocks the arena hands out: zeroed, cache-line
// aligned, never overlapping, usable after a free, and what it maps.
func TestArena(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int // floats per block, in order
	}{
		{name: "small blocks", sizes: []int{8 * 64, 16 * 64, 32 * 64, 3, 1}},
		{name: "block larger than a region", sizes: []int{minRegion, 5}},
		{name: "many blocks over several regions", sizes: repeat(256*640, 20)},
		{name: "empty block", sizes: []int{0, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &arena{}
			defer a.free()
			var blocks [][]float32
			for _, n := range tc.sizes {
				b := a.alloc(n)
				if len(b) != n || cap(b) != n {
					t.Fatalf("alloc(%d): len %d cap %d", n, len(b), cap(b))
				}
				if n == 0 {
					continue
				}
				if p := uintptr(unsafe.Pointer(&b[0])); p%(4*vecAlign) != 0 {
					t.Fatalf("alloc(%d) at %#x: not aligned to %d bytes", n, p, 4*vecAlign)
				}
				for i, f := range b {
					if f != 0 {
						t.Fatalf("alloc(%d)[%d] = %v, want 0", n, i, f)
					}
				}
				for i := range b {
					b[i] = float32(len(blocks) + 1)
				}
				blocks = append(blocks, b)
			}
			for i, b := range blocks {
				for _, f := range b {
					if f != float32(i+1) {
						t.Fatalf("block %d was overwritten by a later block", i)
					}
				}
			}
			if mapRegionWorks() && a.size() == 0 {
				t.Fatal("nothing mapped")
			}
			a.free()
			if a.size() != 0 {
				t.Fatalf("%d bytes mapped after free", a.size())
			}
			if b := a.alloc(10); len(b) != 10 || b[9] != 0 {
				t.Fatal("alloc after free")
			}
		})
	}
}

func repeat(n, times int) []int {
	out := make([]int, times)
	for i := range out {
		out[i] = n
	}
	return out
}

func mapRegionWorks() bool {
	b, err := mapRegion(minRegion)
	if err != nil {
		return false
	}
	unmapRegion(b)
	return true
}

func TestDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 64, 65, 100, 512, 640, 1000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			a, b := make([]float32, n), make([]float32, n+3) // b longer: only len(a) counts
			var want, mag float64
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
			for i := range a {
				a[i] = float32(rng.NormFloat64())
				want += float64(a[i]) * float64(b[i])
				mag += math.Abs(float64(a[i]) * float64(b[i]))
			}
			tol := 1e-5 * (mag + 1)
			for name, got := range map[string]float32{"dot": dot(a, b), "dotGeneric": dotGeneric(a, b)} {
				if math.Abs(float64(got)-want) > tol {
					t.Errorf("%s of %d floats = %v, want %v", name, n, got, want)
				}
			}
		})
	}
}

// checkStore verifies a store's slots: every shard within the shard size,
// the free list exactly the free slots, every used slot a unit vector in
// the arena, and the ordinals stored those of live (ord → its slot).
func checkStore[K comparable](t *testing.T, s *Store[K], live map[int32]Slot) {
	t.Helper()
	inArena := func(v []float32) bool {
		if s.arena.onHeap {
			return true
		}
		p := uintptr(unsafe.Pointer(&v[0]))
		for _, b := range s.arena.regions {
			start := uintptr(unsafe.Pointer(&b[0]))
			if p >= start && p < start+uintptr(len(b)) {
				return true
			}
		}
		return false
	}
	seen := 0
	for g, l := range s.groups {
		for _, id := range l.ids {
			sh := s.shards[id]
			if len(sh.rows) > s.shardSize {
				t.Fatalf("%v: %d slots, at most %d wanted", g, len(sh.rows), s.shardSize)
			}
			free := make(map[int32]bool)
			for _, i := range sh.free {
				if free[i] || sh.rows[i].ord != -1 {
					t.Fatalf("%v: free list %v names slot %d (ord %d) wrongly", g, sh.free, i, sh.rows[i].ord)
				}
				free[i] = true
			}
			for i, r := range sh.rows {
				if r.ord < 0 {
					if !free[int32(i)] {
						t.Fatalf("%v: slot %d is neither used nor free", g, i)
					}
					continue
				}
				seen++
				if want, ok := live[r.ord]; !ok || want != (Slot{shard: id, row: int32(i)}) {
					t.Fatalf("%v: slot %d holds chunk %d, which is not live there (%v, %v)", g, i, r.ord, want, ok)
				}
				if !isUnit(r.vec) || !inArena(r.vec) {
					t.Fatalf("%v: slot %d is not a unit vector in the arena", g, i)
				}
			}
		}
	}
	if seen != len(live) {
		t.Fatalf("%d vectors in slots, %d live", seen, len(live))
	}
}

// TestShardSlots: a shard's vectors lie in blocks of consecutive slots
// (doubling from minBlock to maxBlock), removed vectors free their slots and
// the next vectors of the shard take them instead of new memory.
func TestShardSlots(t *testing.T) {
	const dims = 16
	s := New[string](0, 2048)
	defer s.Release()
	vec := func(i int) []float32 {
		v := make([]float32, dims)
		v[i%dims] = 1
		return v
	}
	live := map[int32]Slot{}
	next := int32(0)
	add := func(n int) []int32 {
		t.Helper()
		var ords []int32
		for c := range n {
			slot, err := s.Add("A", next, vec(c))
			if err != nil {
				t.Fatal(err)
			}
			live[next] = slot
			ords = append(ords, next)
			next++
		}
		return ords
	}
	add(600)
	sh := s.shards[s.groups["A"].ids[0]]
	// Blocks of 8, 16, 32, 64, 128, 256 and 256 slots: memory order may
	// only break where a block starts (two blocks may happen to be adjacent).
	starts := map[int]bool{8: true, 24: true, 56: true, 120: true, 248: true, 504: true}
	if len(sh.rows) != 600 {
		t.Fatalf("%d slots, want 600", len(sh.rows))
	}
	for i := 1; i < len(sh.rows); i++ {
		if uintptr(unsafe.Pointer(&sh.rows[i].vec[0]))-uintptr(unsafe.Pointer(&sh.rows[i-1].vec[0])) != 4*dims && !starts[i] {
			t.Fatalf("slot %d is not next to slot %d in memory, within a block", i, i-1)
		}
	}
	for o := int32(0); o < 600; o += 12 {
		s.Remove(live[o])
		delete(live, o)
	}
	if sh.live() != 550 || len(sh.free) != 50 {
		t.Fatalf("after removing 50 vectors: %d live, %d free", sh.live(), len(sh.free))
	}
	add(40)
	if len(sh.rows) != 600 || len(sh.free) != 10 {
		t.Fatalf("40 new vectors: %d slots, %d free; want the freed slots reused", len(sh.rows), len(sh.free))
	}
	checkStore(t, s, live)
	got, err := s.Search(t.Context(), vec(3), 1000, Filter[string]{})
	if err != nil || len(got) != 590 {
		t.Fatalf("scan found %d vectors (%v), want 590", len(got), err)
	}
}

// TestShardsOfAGroup: a group gets as many shards as its vectors need, each
// at most the shard size, the last block cut at it; removing and adding
// again reuses room in old shards rather than adding new ones.
func TestShardsOfAGroup(t *testing.T) {
	s := New[string](4, 64)
	defer s.Release()
	live := map[int32]Slot{}
	v := []float32{1, 2, 3, 4}
	for o := range int32(300) {
		g := "BIG"
		if o%10 == 0 {
			g = "small"
		}
		slot, err := s.Add(g, o, v)
		if err != nil {
			t.Fatal(err)
		}
		live[o] = slot
	}
	if n := len(s.groups["BIG"].ids); n != 5 { // 270 vectors
		t.Fatalf("%d shards, want 5", n)
	}
	if n := len(s.groups["small"].ids); n != 1 {
		t.Fatalf("%d shards for 30 vectors, want 1", n)
	}
	checkStore(t, s, live)
	for o := int32(1); o < 300; o += 3 {
		if o%10 != 0 {
			s.Remove(live[o])
			slot, err := s.Add("BIG", o, v)
			if err != nil {
				t.Fatal(err)
			}
			// The freed slot is the room in the group's first shard
			// that has any: it is filled again.
			if slot != live[o] {
				t.Fatalf("vector %d went to %+v, its freed slot was %+v", o, slot, live[o])
			}
			live[o] = slot
		}
	}
	if n := len(s.groups["BIG"].ids); n != 5 {
		t.Fatalf("%d shards after replacing vectors, want 5", n)
	}
	checkStore(t, s, live)
	if _, err := s.Add("BIG", 300, []float32{1, 2, 3}); err == nil {
		t.Fatal("a vector of 3 dimensions in a store of 4 was added")
	}
}

// TestSearchFilters checks Search against a plain scan of the same vectors
// with the same filters, after removals and a renumbering.
func TestSearchFilters(t *testing.T) {
	const dims, n = 24, 3000
	rng := rand.New(rand.NewPCG(5, 6))
	s := New[int](0, 100)
	defer s.Release()
	vecs := make([][]float32, n)
	group := func(o int32) int { return int(o) % 7 }
	live := map[int32]Slot{}
	for o := range int32(n) {
		v := make([]float32, dims)
		for i := range v {
			v[i] = float32(rng.NormFloat64()) * 3 // not unit length
		}
		vecs[o] = v
		slot, err := s.Add(group(o), o, v)
		if err != nil {
			t.Fatal(err)
		}
		live[o] = slot
	}
	q := vecs[17]
	plain := func(f Filter[int], ords map[int32]int32) []rank.Scored {
		var all []rank.Scored
		for o, v := range vecs {
			now, ok := ords[int32(o)]
			if !ok || f.Group != nil && !f.Group(group(int32(o))) || f.Chunk != nil && !f.Chunk(now) {
				continue
			}
			u, w := slices.Clone(v), slices.Clone(q)
			scaleToUnit(u)
			scaleToUnit(w)
			var d float64
			for i := range u {
				d += float64(u[i]) * float64(w[i])
			}
			all = append(all, rank.Scored{Chunk: now, Score: d})
		}
		return all
	}
	ords := map[int32]int32{} // original ordinal → current
	for o := range int32(n) {
		ords[o] = o
	}
	check := func(stage string) {
		t.Helper()
		for name, f := range map[string]Filter[int]{
			"none":    {},
			"groups":  {Group: func(g int) bool { return g == 1 || g == 4 }},
			"chunks":  {Chunk: func(o int32) bool { return o%5 == 2 }},
			"both":    {Group: func(g int) bool { return g != 3 }, Chunk: func(o int32) bool { return o%2 == 0 }},
			"nothing": {Chunk: func(int32) bool { return false }},
		} {
			for _, k := range []int{1, 10, 500} {
				got, err := s.Search(t.Context(), q, k, f)
				if err != nil {
					t.Fatal(err)
				}
				all := rank.Best(plain(f, ords), len(ords))
				if len(got) != min(k, len(all)) {
					t.Fatalf("%s/%s/%d: %d hits, want %d", stage, name, k, len(got), min(k, len(all)))
				}
				sameRanking(t, got, all)
			}
		}
	}
	check("added")
	// Remove every third vector, then renumber the rest densely.
	remap := make([]int32, n)
	next := int32(0)
	for o := range int32(n) {
		if o%3 == 1 {
			s.Remove(live[o])
			delete(ords, o)
			remap[o] = -1
			continue
		}
		remap[o] = next
		ords[o] = next
		next++
	}
	s.Renumber(remap, int(next))
	check("renumbered")
}

// sameRanking checks that got is the head of want (scores computed in
// float64), except that chunks whose scores tie within float32 rounding may
// trade places.
func sameRanking(t *testing.T, got, want []rank.Scored) {
	t.Helper()
	const eps = 1e-5
	for i, g := range got {
		if math.Abs(g.Score-want[i].Score) > eps {
			t.Fatalf("rank %d: score %v, want %v", i, g.Score, want[i].Score)
		}
		if g.Chunk == want[i].Chunk {
			continue
		}
		if !slices.ContainsFunc(want, func(w rank.Scored) bool { return w.Chunk == g.Chunk && math.Abs(w.Score-g.Score) <= eps }) {
			t.Fatalf("rank %d: chunk %d (%v), want chunk %d (%v)", i, g.Chunk, g.Score, want[i].Chunk, want[i].Score)
		}
	}
}

// TestSearchIsCanceled: a canceled context stops the scan, a query of the
// wrong length is refused.
func TestSearchIsCanceled(t *testing.T) {
	ctx := context.Background()
	s := New[string](0, 8)
	defer s.Release()
	for i := range 64 {
		v := make([]float32, 4)
		v[i%4] = 1
		if _, err := s.Add("A", int32(i), v); err != nil {
			t.Fatal(err)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Search(canceled, []float32{1, 0, 0, 0}, 10, Filter[string]{}); err == nil {
		t.Fatal("a canceled scan succeeded")
	}
	got, err := s.Search(ctx, []float32{1, 0, 0, 0}, 10, Filter[string]{})
	if err != nil || len(got) != 10 || got[0].Score != 1 || got[9].Score != 1 {
		t.Fatalf("scan = %v, %v; want ten vectors of score 1", got, err)
	}
	if _, err := s.Search(ctx, []float32{1, 0, 0}, 10, Filter[string]{}); err == nil {
		t.Fatal("a query of 3 dimensions against 4 succeeded")
	}
}

// TestRelease: a store maps its vectors outside the heap, and Release
// gives them back.
func TestRelease(t *testing.T) {
	if !mapRegionWorks() {
		t.Skip("no anonymous memory mappings here: vectors stay on the heap")
	}
	s := New[string](64, 2048)
	for o := range int32(1000) {
		if _, err := s.Add("A", o, make([]float32, 64)); err != nil {
			t.Fatal(err)
		}
	}
	if mapped := s.MappedBytes(); mapped < 1000*64*4 {
		t.Fatalf("%d bytes mapped for 1,000 vectors of 64 floats", mapped)
	}
	s.Release()
	if s.MappedBytes() != 0 {
		t.Fatal("Release left vectors mapped")
	}
}
