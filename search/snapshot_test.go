package search

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fromSnapshot says whether r's search structures were mapped from the
// snapshot (false: loaded from the store).
func fromSnapshot(t *testing.T, r *Index) bool {
	t.Helper()
	if err := r.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.memMu.RLock()
	defer r.memMu.RUnlock()
	return r.mem != nil && r.mem.file != nil
}

// answers runs a fixed set of queries in every mode (or those given),
// with and without filters. The vector ranking breaks ties at the edge of
// its pool (K=20: 200 chunks) by the order of the scan, so only a store of
// fewer chunks has one answer in every mode.
func answers(t *testing.T, x *Index, modes ...Mode) [][]Result {
	t.Helper()
	if len(modes) == 0 {
		modes = []Mode{Hybrid, Vector, Keyword}
	}
	var out [][]Result
	for _, text := range []string{"monitoring agent linux", "certificates expired", "kaka tori", "mo lu sen pa", "tests"} {
		for _, mode := range modes {
			for _, q := range []Query{{}, {Spaces: []string{"OPS", "SP1"}}, {Labels: []string{"linux", "l1"}}} {
				q.Text, q.Mode, q.K = text, mode, 20
				rs, err := x.Search(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, rs)
			}
		}
	}
	return out
}

// storeAnswers are the answers of a reader that loads the store itself.
func storeAnswers(t *testing.T, dir string, modes ...Mode) [][]Result {
	t.Helper()
	snap := filepath.Join(dir, snapFile)
	if err := os.Rename(snap, snap+".aside"); err != nil {
		t.Fatal(err)
	}
	defer os.Rename(snap+".aside", snap)
	r, err := Open(context.Background(), dir, Options{Embedder: newHashEmbedder(), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if fromSnapshot(t, r) {
		t.Fatal("loaded a snapshot that was moved aside")
	}
	return answers(t, r, modes...)
}

func writeCorpus(t *testing.T, dir string, docs []Document) {
	t.Helper()
	w, err := Open(context.Background(), dir, Options{Embedder: newHashEmbedder()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Upsert(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotAnswersLikeTheStore: a reader mapping the snapshot the
// writer left, with and without changes committed since, answers exactly
// as a reader that loads the store.
func TestSnapshotAnswersLikeTheStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	corpus := newSynthCorpus(3)
	writeCorpus(t, dir, append(sampleDocs(), corpus.docs(0, 15)...))
	if _, err := os.Stat(filepath.Join(dir, snapFile)); err != nil {
		t.Fatalf("the writer's Close left no snapshot: %v", err)
	}

	r := openReader(t, dir, newHashEmbedder())
	if !fromSnapshot(t, r) {
		t.Fatal("the reader did not map the snapshot")
	}
	if got, want := answers(t, r), storeAnswers(t, dir); !reflect.DeepEqual(got, want) {
		diffAnswers(t, got, want)
		t.Fatal("answers from the snapshot differ from the store's")
	}

	// Changes after the snapshot: the next reader maps it and applies them.
	w := openWriter(t, dir, newHashEmbedder())
	docs := sampleDocs()
	docs[0].Chunks = docs[0].Chunks[:1]
	docs[0].Chunks[0].Text = "Install the agent from the tarball on Linux."
	if _, err := w.Upsert(ctx, append(docs[:1], corpus.docs(15, 10)...)); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete(ctx, []string{"jira:WEB-7", synthID(5)}); err != nil {
		t.Fatal(err)
	}
	r2 := openReader(t, dir, newHashEmbedder())
	if !fromSnapshot(t, r2) {
		t.Fatal("a snapshot the change log reaches was not used")
	}
	// BM25 counts removed chunks until the next compaction, so keyword
	// scores match those of a reader that followed the same commits, and
	// vector scores those of a fresh load.
	if got, want := answers(t, r2, Vector), storeAnswers(t, dir, Vector); !reflect.DeepEqual(got, want) {
		diffAnswers(t, got, want)
		t.Fatal("answers from the snapshot and the changes since differ from the store's")
	}
	if got, want := answers(t, r2), answers(t, r); !reflect.DeepEqual(got, want) {
		diffAnswers(t, got, want)
		t.Fatal("a reader opened before the changes answers differently")
	}
	// The writer's Close writes the snapshot from the old one and the
	// changes, tombstones and all: a reader of it has nothing to apply.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r3 := openReader(t, dir, newHashEmbedder())
	r3.memMu.RLock()
	seq := r3.mem.seq
	r3.memMu.RUnlock()
	if v, ok := snapshotVersion(dir); !ok || v.seq != seq || !fromSnapshot(t, r3) {
		t.Fatalf("the writer's Close left snapshot %+v (ok %v), the store is at %d", v, ok, seq)
	}
	if got, want := answers(t, r3), answers(t, r2); !reflect.DeepEqual(got, want) {
		diffAnswers(t, got, want)
		t.Fatal("answers from the rewritten snapshot differ")
	}
}

// TestSnapshotRewrittenUnderReaders: a reader keeps searching while the
// writer replaces the snapshot it mapped, and sees the new commits.
func TestSnapshotRewrittenUnderReaders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	docs := sampleDocs()
	writeCorpus(t, dir, docs[:3])
	r := openReader(t, dir, newHashEmbedder())
	if !fromSnapshot(t, r) {
		t.Fatal("the reader did not map the snapshot")
	}
	before, _ := os.Stat(filepath.Join(dir, snapFile))
	writeCorpus(t, dir, docs[3:])
	after, _ := os.Stat(filepath.Join(dir, snapFile))
	if os.SameFile(before, after) {
		t.Fatal("the writer did not replace the snapshot")
	}
	rs, err := r.Search(ctx, Query{Text: "kernel upgrade systemd", Mode: Keyword})
	if err != nil || len(rs) == 0 || rs[0].DocID != "jira:OPS-1" {
		t.Fatalf("after the rewrite: %v, %v", ids(rs), err)
	}
	if got, want := answers(t, r, Vector), storeAnswers(t, dir, Vector); !reflect.DeepEqual(got, want) {
		t.Fatal("the reader's answers differ from the store's after the rewrite")
	}
}

// TestSnapshotUnusable: a damaged, truncated, foreign-format or
// other-epoch snapshot is ignored (the store is loaded) and the next
// writer replaces it; a temporary file a crash left is removed.
func TestSnapshotUnusable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
	}{
		{"truncated", func(t *testing.T, dir string) {
			p := filepath.Join(dir, snapFile)
			st, _ := os.Stat(p)
			if err := os.Truncate(p, st.Size()-100); err != nil {
				t.Fatal(err)
			}
		}},
		{"header damaged", func(t *testing.T, dir string) { patchFile(t, filepath.Join(dir, snapFile), 20, 0xff) }},
		{"sections damaged", func(t *testing.T, dir string) {
			rewriteHeader(t, dir, func(h *snapHead) { h.sec[secChunks].len++ })
		}},
		{"older format", func(t *testing.T, dir string) {
			rewriteHeader(t, dir, func(h *snapHead) { h.format = snapFormat - 1 })
		}},
		{"not a snapshot", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, snapFile), make([]byte, 10000), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"another epoch", func(t *testing.T, dir string) {
			// Another index's snapshot, of the same documents.
			other := t.TempDir()
			writeCorpus(t, other, sampleDocs())
			b, err := os.ReadFile(filepath.Join(other, snapFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, snapFile), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeCorpus(t, dir, sampleDocs())
			want := storeAnswers(t, dir)
			tc.spoil(t, dir)
			r := openReader(t, dir, newHashEmbedder())
			if fromSnapshot(t, r) {
				t.Fatal("a spoilt snapshot was used")
			}
			if got := answers(t, r); !reflect.DeepEqual(got, want) {
				t.Fatal("answers differ from the store's")
			}
			leftover := filepath.Join(dir, snapFile+".tmp-42")
			if err := os.WriteFile(leftover, []byte("half a snapshot"), 0o600); err != nil {
				t.Fatal(err)
			}
			w := openWriter(t, dir, newHashEmbedder())
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(leftover); !os.IsNotExist(err) {
				t.Fatalf("the temporary file a crash left is still there: %v", err)
			}
			r2 := openReader(t, dir, newHashEmbedder())
			if !fromSnapshot(t, r2) {
				t.Fatal("the writer did not replace the spoilt snapshot")
			}
			if got := answers(t, r2); !reflect.DeepEqual(got, want) {
				t.Fatal("answers from the new snapshot differ from the store's")
			}
		})
	}
}

// TestSnapshotThenCompaction: a reader that mapped the snapshot compacts
// after many deletions without writing to the file under it.
func TestSnapshotThenCompaction(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	corpus := newSynthCorpus(5)
	writeCorpus(t, dir, corpus.docs(0, 400))
	r := openReader(t, dir, newHashEmbedder())
	if !fromSnapshot(t, r) {
		t.Fatal("the reader did not map the snapshot")
	}
	sum := fileSum(t, filepath.Join(dir, snapFile))
	w := openWriter(t, dir, newHashEmbedder())
	var gone []string
	for i := range 300 {
		gone = append(gone, synthID(i))
	}
	if err := w.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	r.memMu.RLock()
	chunks := len(r.mem.chunks)
	r.memMu.RUnlock()
	if chunks != 500 {
		t.Fatalf("%d chunk ordinals after deleting 1,500 of 2,000 chunks: no compaction", chunks)
	}
	if fileSum(t, filepath.Join(dir, snapFile)) != sum {
		t.Fatal("the mapped snapshot changed")
	}
	// Compaction dropped the removed chunks from BM25's counts too.
	if got, want := answers(t, r, Keyword), storeAnswers(t, dir, Keyword); !reflect.DeepEqual(got, want) {
		diffAnswers(t, got, want)
		t.Fatal("answers after compaction differ from the store's")
	}
}

func patchFile(t *testing.T, path string, off int64, b byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{b}, off); err != nil {
		t.Fatal(err)
	}
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func diffAnswers(t *testing.T, got, want [][]Result) {
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Logf("answer %d:", i)
			for j := range max(len(got[i]), len(want[i])) {
				if j < len(got[i]) {
					t.Logf("  got  %+v", got[i][j])
				}
				if j < len(want[i]) {
					t.Logf("  want %+v", want[i][j])
				}
			}
			return
		}
	}
}

// rewriteHeader changes the header of dir's snapshot with change, checksum
// and all.
func rewriteHeader(t *testing.T, dir string, change func(*snapHead)) {
	t.Helper()
	p := filepath.Join(dir, snapFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	h, err := decodeSnapHead(b)
	if err != nil {
		t.Fatal(err)
	}
	change(h)
	copy(b, h.encode())
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotWaitsForEnoughChanges: the writer's Close leaves the
// snapshot as it is after a few changed documents (readers apply them from
// the change log), and writes it once they hold more chunks than its
// budget, counted since the snapshot.
func TestSnapshotWaitsForEnoughChanges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	corpus := newSynthCorpus(5)
	writeCorpus(t, dir, corpus.docs(0, 100)) // 500 chunks: a budget of 10
	snap := filepath.Join(dir, snapFile)
	sum := fileSum(t, snap)
	before, _ := snapshotVersion(dir)

	w := openWriter(t, dir, newHashEmbedder())
	added := corpus.docs(100, 1) // 5 chunks
	if _, err := w.Upsert(ctx, added); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete(ctx, []string{synthID(7)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if fileSum(t, snap) != sum {
		t.Fatal("the snapshot was rewritten for one new and one removed document")
	}
	r := openReader(t, dir, newHashEmbedder())
	if !fromSnapshot(t, r) {
		t.Fatal("the reader did not map the snapshot")
	}
	if got, want := answers(t, r, Vector), storeAnswers(t, dir, Vector); !reflect.DeepEqual(got, want) {
		diffAnswers(t, got, want)
		t.Fatal("the old snapshot and the changes since answer differently from the store")
	}
	rs, err := r.Search(ctx, Query{Text: added[0].Chunks[0].Text, Mode: Keyword, K: 3})
	if err != nil || len(rs) == 0 || rs[0].DocID != added[0].ID {
		t.Fatalf("the new document: %v, %v", ids(rs), err)
	}

	// Two more documents: 15 chunks changed since the snapshot.
	w = openWriter(t, dir, newHashEmbedder())
	if _, err := w.Upsert(ctx, corpus.docs(101, 2)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	after, ok := snapshotVersion(dir)
	if !ok || after.seq <= before.seq || fileSum(t, snap) == sum {
		t.Fatalf("the snapshot was not written after 3 documents of 15 chunks: seq %d → %d", before.seq, after.seq)
	}
	r2 := openReader(t, dir, newHashEmbedder())
	if !fromSnapshot(t, r2) {
		t.Fatal("the reader did not map the new snapshot")
	}
	r2.memMu.RLock()
	seq := r2.mem.seq
	r2.memMu.RUnlock()
	if after.seq != seq {
		t.Fatalf("the snapshot reflects change %d, the store is at %d", after.seq, seq)
	}
}

// TestStatusCountsAndSize: Status counts documents and chunks per
// container, documents without chunks too, and its size includes the
// snapshot beside the store.
func TestStatusCountsAndSize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	docs := newSynthCorpus(9).docs(0, 12) // 5 chunks each, containers by id
	empty := docs[11]
	empty.ID, empty.Chunks = "confluence:empty", nil
	writeCorpus(t, dir, append(docs[:11], empty))
	r := openReader(t, dir, newHashEmbedder())
	st, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]string][2]int{}
	for _, d := range append(docs[:11], empty) {
		k := [2]string{d.Source, d.Container}
		w := want[k]
		want[k] = [2]int{w[0] + 1, w[1] + len(d.Chunks)}
	}
	got := map[[2]string][2]int{}
	for _, c := range st.Containers {
		got[[2]string{c.Source, c.Container}] = [2]int{c.Documents, c.Chunks}
	}
	if !reflect.DeepEqual(got, want) || st.Documents != 12 || st.Chunks != 55 {
		t.Fatalf("status %d documents, %d chunks, per container %v; want 12, 55, %v", st.Documents, st.Chunks, got, want)
	}
	var files int64
	for _, name := range []string{dbFile, snapFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files += fi.Size()
	}
	if st.Bytes < files {
		t.Fatalf("status says %d bytes, the store and snapshot hold %d", st.Bytes, files)
	}
}
