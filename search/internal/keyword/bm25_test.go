package keyword

import (
	"slices"
	"testing"

	"github.com/atlasbridge/atlasbridge/search/internal/rank"
)

// bm25 are the parameters package search ranks with.
var bm25 = Params{K1: 1.2, B: 0.75}

// indexOf indexes texts as chunks 0, 1, 2…
func indexOf(t testing.TB, texts []string) *Index {
	t.Helper()
	k := New()
	for i, s := range texts {
		if err := k.Add(int32(i), Encode(s)); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

func TestKeywordIndexRemoveAndCompact(t *testing.T) {
	k := indexOf(t, []string{"vacuum daemon", "vacuum full", "reindex table", "vacuum vacuum analyze"})
	chunks := func(ss []rank.Scored) []int32 {
		var out []int32
		for _, s := range ss {
			out = append(out, s.Chunk)
		}
		return out
	}
	if got := chunks(k.Search([]string{"vacuum"}, 10, bm25, nil)); !slices.Equal(got, []int32{3, 0, 1}) {
		t.Fatalf("vacuum = %v", got)
	}
	if got := chunks(k.Search([]string{"vacuum"}, 10, bm25, func(c int32) bool { return c != 3 })); !slices.Equal(got, []int32{0, 1}) {
		t.Fatalf("vacuum with keep = %v", got)
	}
	k.Remove(0)
	k.Remove(0) // twice is harmless
	if k.live != 3 {
		t.Fatalf("live = %d", k.live)
	}
	if got := chunks(k.Search([]string{"vacuum"}, 10, bm25, nil)); !slices.Equal(got, []int32{3, 1}) {
		t.Fatalf("after remove = %v", got)
	}
	k.Compact([]int32{-1, 0, 1, 2}, 3)
	if got := chunks(k.Search([]string{"vacuum"}, 10, bm25, nil)); !slices.Equal(got, []int32{2, 0}) {
		t.Fatalf("after compact = %v", got)
	}
	if got := chunks(k.Search([]string{"reindex", "tabl"}, 10, bm25, nil)); !slices.Equal(got, []int32{1}) {
		t.Fatalf("reindex after compact = %v", got)
	}
}

// TestPostingList checks that a posting list gives back what was appended,
// and that compact keeps exactly the surviving postings, renumbered.
func TestPostingList(t *testing.T) {
	type post struct {
		ord int32
		tf  int
	}
	for _, tc := range []struct {
		name  string
		posts []post
		// remove lists the ordinals compact drops (up to the largest ord).
		remove []int32
	}{
		{name: "empty"},
		{name: "first chunk", posts: []post{{0, 1}}},
		{name: "counts of one and more", posts: []post{{0, 1}, {1, 2}, {2, 1}, {9, 300}, {10, 0}}},
		{name: "large gaps and counts", posts: []post{{5, 65535}, {70_000, 1}, {1 << 24, 7}, {1<<30 + 3, 1}}, remove: []int32{70_000}},
		{name: "long run", posts: func() []post {
			var ps []post
			for i := range 2000 {
				ps = append(ps, post{int32(3 * i), 1 + i%5})
			}
			return ps
		}(), remove: []int32{0, 3, 300, 5997}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l postingList
			// The second half as an Index that Load gave adds them:
			// to the tail.
			for i, p := range tc.posts {
				l.appendPosting(p.ord, p.tf, i >= len(tc.posts)/2)
			}
			if len(tc.posts) > 1 && len(l.tail) == 0 {
				t.Fatal("no postings in the tail")
			}
			read := func(l postingList) []post {
				var out []post
				r := postingReader{data: l.data, tail: l.tail}
				for {
					o, tf, ok := r.next()
					if !ok {
						return out
					}
					out = append(out, post{o, tf})
				}
			}
			if got := read(l); !slices.Equal(got, tc.posts) || int(l.n) != len(tc.posts) {
				t.Fatalf("read back %v (n %d), want %v", got, l.n, tc.posts)
			}
			if len(tc.posts) == 0 || tc.posts[len(tc.posts)-1].ord > 1<<20 {
				return // compact needs a remap as long as the ordinals
			}
			k := &Index{postings: []postingList{l}}
			count := int(tc.posts[len(tc.posts)-1].ord) + 1
			k.length = make([]int32, count)
			remap := make([]int32, count)
			next := int32(0)
			var want []post
			for o := range int32(count) {
				if slices.Contains(tc.remove, o) {
					remap[o] = -1
					continue
				}
				remap[o] = next
				next++
			}
			for _, p := range tc.posts {
				if remap[p.ord] >= 0 {
					want = append(want, post{remap[p.ord], p.tf})
				}
			}
			k.Compact(remap, int(next))
			if got := read(k.postings[0]); !slices.Equal(got, want) || int(k.postings[0].n) != len(want) {
				t.Fatalf("after compact %v (n %d), want %v", got, k.postings[0].n, want)
			}
			if k.postings[0].tail != nil {
				t.Fatal("the tail outlived the compaction")
			}
			// Appending after a compaction continues from the last ordinal.
			k.postings[0].appendPosting(next, 2, false)
			if got := read(k.postings[0]); !slices.Equal(got, append(want, post{next, 2})) {
				t.Fatalf("append after compact: %v", got)
			}
		})
	}
}
