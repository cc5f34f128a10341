package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// rebuiltDocs are what a rebuild finds: other documents than sampleDocs,
// which share the word "agent" with them.
func rebuiltDocs(n int) []Document {
	var out []Document
	for i := range n {
		out = append(out, Document{ID: fmt.Sprintf("jira:NEW-%d", i), Source: SourceJira, Container: "NEW", Key: fmt.Sprintf("NEW-%d", i),
			Title: "Zebra agent rollout", URL: "https://jira.example/browse/NEW", Updated: testTime, Type: "Task",
			Chunks: []Chunk{{Index: 0, Text: fmt.Sprintf("Roll the zebra agent out to fleet %d after the canary.", i)}}})
	}
	return out
}

// sampleIndex is a directory holding an index of sampleDocs, closed.
func sampleIndex(t *testing.T, emb *hashEmbedder) string {
	t.Helper()
	dir := t.TempDir()
	w := openWriter(t, dir, emb)
	if _, err := w.Upsert(context.Background(), sampleDocs()); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return dir
}

// beginWith starts a rebuild of dir and writes docs into it.
func beginWith(t testing.TB, dir string, emb *hashEmbedder, docs []Document) *Rebuild {
	t.Helper()
	r, err := BeginRebuild(context.Background(), dir, Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) > 0 {
		if _, err := r.Index().Upsert(context.Background(), docs); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// rebuildWith rebuilds dir with docs and swaps them in.
func rebuildWith(t testing.TB, dir string, emb *hashEmbedder, docs []Document) {
	t.Helper()
	if err := beginWith(t, dir, emb, docs).Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func searchIDs(t *testing.T, x *Index, text string) []string {
	t.Helper()
	rs, err := x.Search(context.Background(), Query{Text: text, K: 20})
	if err != nil {
		t.Fatalf("search %q: %v", text, err)
	}
	got := ids(rs)
	slices.Sort(got)
	return got
}

func onlyPrefix(ids []string, prefix string) bool {
	for _, id := range ids {
		if !strings.HasPrefix(id, prefix) {
			return false
		}
	}
	return len(ids) > 0
}

// A rebuild writes beside the index: readers (open before, or opened
// meanwhile) see the old one whole until Commit, a sync cannot start, and
// after Commit the reader that was open answers from the new one and the
// old files are gone.
func TestRebuildSwapsInWhenComplete(t *testing.T) {
	ctx := context.Background()
	emb := newHashEmbedder()
	dir := sampleIndex(t, emb)
	reader := openReader(t, dir, emb)
	before := searchIDs(t, reader, "monitoring agent")

	r, err := BeginRebuild(ctx, dir, Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	var le *LockedError
	if _, err := Open(ctx, dir, Options{Embedder: emb}); !errors.As(err, &le) {
		t.Fatalf("a sync's Open during a rebuild: %v, want *LockedError", err)
	}
	if _, err := r.Index().Upsert(ctx, rebuiltDocs(3)); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, reader, "monitoring agent"); !slices.Equal(got, before) {
		t.Errorf("open reader during the rebuild: %v, want the old %v", got, before)
	}
	if got := searchIDs(t, openReader(t, dir, emb), "zebra agent"); slices.ContainsFunc(got, func(id string) bool { return strings.HasPrefix(id, "jira:NEW") }) {
		t.Errorf("reader opened during the rebuild sees the half-built index: %v", got)
	}

	if err := r.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, reader, "zebra agent"); !onlyPrefix(got, "jira:NEW-") || len(got) != 3 {
		t.Errorf("open reader after the swap: %v, want the 3 rebuilt documents only", got)
	}
	if got := searchIDs(t, openReader(t, dir, emb), "zebra agent"); len(got) != 3 {
		t.Errorf("new reader after the swap: %v", got)
	}
	if st, err := reader.Status(ctx); err != nil || st.Documents != 3 || st.Bytes == 0 {
		t.Errorf("open reader's status after the swap: %d documents, %d bytes, %v; want 3 documents on disk", st.Documents, st.Bytes, err)
	}
	// A sync after the rebuild writes the new index, and deletes the old.
	w := openWriter(t, dir, emb)
	for _, f := range storeFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("old %s still there after the swap and a sync (%v)", f, err)
		}
	}
	if _, err := w.Upsert(ctx, sampleDocs()[:1]); err != nil {
		t.Fatal(err)
	}
	if st, err := w.Status(ctx); err != nil || st.Documents != 4 {
		t.Errorf("status after a sync on the rebuilt index: %+v, %v; want 4 documents", st, err)
	}
	w.Close()
	if got := searchIDs(t, reader, "install the monitoring agent on linux"); !slices.Contains(got, "confluence:100") {
		t.Errorf("open reader does not follow a sync after the swap: %v", got)
	}

	// A second rebuild replaces a generation with another.
	rebuildWith(t, dir, emb, sampleDocs())
	if got := searchIDs(t, reader, "monitoring agent"); !slices.Equal(got, before) {
		t.Errorf("open reader after a second rebuild: %v, want %v", got, before)
	}
	if n := generationDirs(t, dir); n != 2 {
		t.Errorf("%d generation directories after two rebuilds, want 2 (the current one, the one it replaced)", n)
	}
	openWriter(t, dir, emb).Close()
	if n := generationDirs(t, dir); n != 1 {
		t.Errorf("%d generation directories after a sync, want the current one only", n)
	}
}

func generationDirs(t *testing.T, dir string) int {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if strings.HasPrefix(e.Name(), genPrefix) {
			n++
		}
	}
	return n
}

// A rebuild that dies before Commit (its process killed: nothing closes
// cleanly) or is aborted leaves the old index as it was; the next rebuild
// deletes what the dead one wrote.
func TestRebuildKilledOrAbortedKeepsTheOldIndex(t *testing.T) {
	ctx := context.Background()
	emb := newHashEmbedder()
	for _, how := range []string{"killed", "aborted"} {
		t.Run(how, func(t *testing.T) {
			dir := sampleIndex(t, emb)
			want := searchIDs(t, openReader(t, dir, emb), "monitoring agent")

			r := beginWith(t, dir, emb, rebuiltDocs(2))
			if how == "killed" {
				r.x.Close()
				r.lock.release()
			} else if err := r.Abort(); err != nil {
				t.Fatal(err)
			}
			if got := searchIDs(t, openReader(t, dir, emb), "monitoring agent"); !slices.Equal(got, want) {
				t.Errorf("after a %s rebuild: %v, want the old %v", how, got, want)
			}
			if st, err := openReader(t, dir, emb).Status(ctx); err != nil || st.Documents != len(sampleDocs()) {
				t.Errorf("status after a %s rebuild: %d documents, %v", how, st.Documents, err)
			}

			r = beginWith(t, dir, emb, nil)
			if n := generationDirs(t, dir); n != 1 {
				t.Errorf("%d generation directories while rebuilding again, want 1 (the leftover deleted)", n)
			}
			if err := r.Abort(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A reader searching without pause while a rebuild is swapped in answers
// every query, each from one index: never an error, never a mix.
func TestRebuildSwapUnderConcurrentSearches(t *testing.T) {
	ctx := context.Background()
	emb := newHashEmbedder()
	dir := sampleIndex(t, emb)
	reader := openReader(t, dir, emb)
	r := beginWith(t, dir, emb, rebuiltDocs(4))

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	sawNew := false
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				rs, err := reader.Search(ctx, Query{Text: "agent", K: 20})
				mu.Lock()
				got := ids(rs)
				switch {
				case err != nil:
					problems = append(problems, err.Error())
				case onlyPrefix(got, "jira:NEW-"):
					sawNew = true
				case slices.ContainsFunc(got, func(id string) bool { return strings.HasPrefix(id, "jira:NEW-") }):
					problems = append(problems, fmt.Sprintf("mixed answer %v", got))
				}
				done := sawNew
				mu.Unlock()
				if done {
					return
				}
			}
		}()
	}
	if err := r.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(stop)
	if len(problems) > 0 {
		t.Errorf("%d bad answers during the swap, first: %s", len(problems), problems[0])
	}
	if !sawNew {
		t.Error("the reader never answered from the rebuilt index")
	}
}

// Remove deletes every generation, and a damaged current file is an error
// that names the fix.
func TestRemoveGenerationsAndBadCurrent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := newHashEmbedder()
	rebuildWith(t, dir, emb, sampleDocs())
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	if n := generationDirs(t, dir); n != 0 {
		t.Errorf("%d generations after Remove", n)
	}
	if _, err := Open(ctx, dir, Options{Embedder: emb, ReadOnly: true}); !errors.Is(err, ErrNoIndex) {
		t.Errorf("read-only open after Remove: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, currentFile), []byte("../elsewhere\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dir, Options{Embedder: emb, ReadOnly: true}); !errors.Is(err, ErrBadGeneration) {
		t.Errorf("open with a damaged current file: %v, want ErrBadGeneration", err)
	}
	// A rebuild replaces it.
	rebuildWith(t, dir, emb, nil)
	openReader(t, dir, emb)
}

// BenchmarkFollowRebuild is what every Search of a reader adds to look for
// a swapped-in rebuild: reading the directory's current file (absent until
// the first rebuild).
func BenchmarkFollowRebuild(b *testing.B) {
	ctx := context.Background()
	emb := newHashEmbedder()
	for _, rebuilt := range []bool{false, true} {
		b.Run(fmt.Sprintf("rebuilt=%v", rebuilt), func(b *testing.B) {
			dir := b.TempDir()
			w, err := Open(ctx, dir, Options{Embedder: emb})
			if err != nil {
				b.Fatal(err)
			}
			w.Close()
			if rebuilt {
				rebuildWith(b, dir, emb, nil)
			}
			x, err := Open(ctx, dir, Options{Embedder: emb, ReadOnly: true, Lazy: true})
			if err != nil {
				b.Fatal(err)
			}
			defer x.Close()
			for b.Loop() {
				if err := x.followRebuild(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A reader that did not search between a rebuild and the next sync (which
// deletes the replaced index under it) answers from the new index.
func TestReaderFollowsAfterTheOldIndexIsDeleted(t *testing.T) {
	ctx := context.Background()
	emb := newHashEmbedder()
	dir := sampleIndex(t, emb)
	reader := openReader(t, dir, emb)
	searchIDs(t, reader, "monitoring agent")
	for round := range 2 { // from the store in dir, then from a generation
		rebuildWith(t, dir, emb, rebuiltDocs(round+1))
		openWriter(t, dir, emb).Close()
		if _, err := reader.Lookup(ctx, "jira:NEW-0"); err != nil {
			t.Errorf("round %d: lookup before any search: %v", round, err)
		}
		if got := searchIDs(t, reader, "zebra agent"); len(got) != round+1 || !onlyPrefix(got, "jira:NEW-") {
			t.Errorf("round %d: reader after the old index was deleted: %v", round, got)
		}
	}
}

// TestRebuildCarriesItsSnapshot: a rebuild writes its snapshot into its own
// generation, so the swap brings it along and leaves the old index's alone;
// a reader opened after the swap maps it.
func TestRebuildCarriesItsSnapshot(t *testing.T) {
	emb := newHashEmbedder()
	dir := sampleIndex(t, emb)
	old := fileSum(t, filepath.Join(dir, snapFile))
	rebuildWith(t, dir, emb, rebuiltDocs(3))
	snaps, err := filepath.Glob(filepath.Join(dir, genPrefix+"*", snapFile))
	if err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots in the new generation: %v (%v), want one", snaps, err)
	}
	if fileSum(t, filepath.Join(dir, snapFile)) != old {
		t.Error("the rebuild rewrote the old index's snapshot")
	}
	r := openReader(t, dir, emb)
	if !fromSnapshot(t, r) {
		t.Error("a reader after the swap loaded the store, not the new snapshot")
	}
	if got := searchIDs(t, r, "zebra agent"); len(got) != 3 || !onlyPrefix(got, "jira:NEW-") {
		t.Errorf("reader after the swap: %v, want the 3 rebuilt documents", got)
	}
}
