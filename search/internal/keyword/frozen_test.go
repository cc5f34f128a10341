package keyword

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// TestSaveLoad: a loaded Index ranks as the saved one, takes further
// chunks and compacts without writing to the bytes it was loaded from.
func TestSaveLoad(t *testing.T) {
	k := indexOf(t, []string{"vacuum daemon", "vacuum full", "reindex table", "vacuum vacuum analyze", "analyze table"})
	k.Remove(1)
	var buf bytes.Buffer
	if err := k.Save(&buf); err != nil {
		t.Fatal(err)
	}
	saved := bytes.Clone(buf.Bytes())
	l, err := Load(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range [][]string{{"vacuum"}, {"analyze", "table"}, {"reindex"}, {"nothing"}} {
		if got, want := l.Search(q, 10, bm25, nil), k.Search(q, 10, bm25, nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("%v: loaded %v, saved %v", q, got, want)
		}
	}
	for _, x := range []*Index{k, l} {
		if err := x.Add(5, Encode("vacuum table again")); err != nil {
			t.Fatal(err)
		}
	}
	// The loaded Index keeps the new postings in its lists' tails: it
	// ranks, and saves, as the other.
	for _, q := range [][]string{{"vacuum"}, {"table", "again"}} {
		if got, want := l.Search(q, 10, bm25, nil), k.Search(q, 10, bm25, nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("%v after Add: loaded %v, saved %v", q, got, want)
		}
	}
	pk, pl := pagesOf(k, [][]int32{{0, 1}, {2, 3, 4}, {5}}), pagesOf(l, [][]int32{{0, 1}, {2, 3, 4}, {5}})
	for _, q := range [][]string{{"vacuum"}, {"table", "again"}} {
		got, want := l.SearchPages(q, 3, bm25, pl), k.SearchPages(q, 3, bm25, pk)
		if !reflect.DeepEqual(got.Top, want.Top) {
			t.Fatalf("%v after Add: loaded pages %v, saved %v", q, got.Top, want.Top)
		}
		got.Release()
		want.Release()
	}
	var a, b bytes.Buffer
	if err := k.Save(&a); err != nil {
		t.Fatal(err)
	}
	if err := l.Save(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("after Add, the loaded Index saves other bytes")
	}
	for _, x := range []*Index{k, l} {
		x.Remove(0)
		x.Compact([]int32{-1, -1, 0, 1, 2, 3}, 4)
	}
	if got, want := l.Search([]string{"vacuum"}, 10, bm25, nil), k.Search([]string{"vacuum"}, 10, bm25, nil); !reflect.DeepEqual(got, want) {
		t.Fatalf("after Add and Compact: loaded %v, saved %v", got, want)
	}
	if !bytes.Equal(buf.Bytes(), saved) {
		t.Fatal("the loaded Index wrote to the bytes it was loaded from")
	}
	for n := range len(saved) {
		if _, err := Load(saved[:n]); !errors.Is(err, ErrFrozen) {
			t.Fatalf("Load of the first %d bytes: %v, want ErrFrozen", n, err)
		}
	}
}

// FuzzLoad: whatever the bytes, Load fails cleanly or gives an Index that
// searches, takes a chunk and compacts without panicking.
func FuzzLoad(f *testing.F) {
	k := indexOf(f, []string{"vacuum daemon", "vacuum full", "reindex table"})
	var buf bytes.Buffer
	if err := k.Save(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Load(b)
		if err != nil {
			return
		}
		for _, q := range [][]string{{"vacuum"}, {"table", "full"}} {
			l.Search(q, 5, bm25, nil)
		}
		n := l.Chunks()
		if err := l.Add(int32(n), Encode("vacuum again")); err != nil {
			t.Fatal(err)
		}
		remap := make([]int32, n+1)
		for i := range remap {
			remap[i] = int32(i)
		}
		l.Compact(remap, n+1)
		l.Search([]string{"vacuum"}, 5, bm25, nil)
	})
}
