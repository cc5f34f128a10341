package search

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestUpsertThenSearchEveryMode(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	st, err := x.Upsert(ctx, sampleDocs())
	if err != nil {
		t.Fatal(err)
	}
	if want := (UpsertStats{Added: 5, Embedded: 6}); st != want {
		t.Fatalf("stats = %+v, want %+v", st, want)
	}
	for _, mode := range []Mode{Hybrid, Vector, Keyword, ""} {
		t.Run(string(mode), func(t *testing.T) {
			rs, err := x.Search(ctx, Query{Text: "rotate TLS certificates", K: 3, Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 || rs[0].DocID != "confluence:200" {
				t.Fatalf("results = %v, want confluence:200 first", ids(rs))
			}
			r := rs[0]
			if r.Title != "Rotate certificates" || r.Heading != "Certificates" || r.Container != "OPS" ||
				!r.Updated.Equal(testTime.Add(-48*time.Hour)) || !slices.Equal(r.Labels, []string{"security"}) {
				t.Errorf("result = %+v", r)
			}
			if !strings.Contains(r.Snippet, "certificates") {
				t.Errorf("snippet %q lacks the query term", r.Snippet)
			}
			if r.KeywordHit != (mode != Vector) {
				t.Errorf("KeywordHit = %v in mode %q", r.KeywordHit, mode)
			}
			for i := 1; i < len(rs); i++ {
				if rs[i].Score > rs[i-1].Score {
					t.Errorf("scores not descending: %v", rs)
				}
			}
		})
	}
}

func TestKeywordHitOnlyWithSharedTerms(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	rs, err := x.Search(ctx, Query{Text: "zebra giraffe", K: 5})
	if err != nil || len(rs) == 0 {
		t.Fatalf("hybrid search without shared words: %v, %v (vectors always rank something)", ids(rs), err)
	}
	for _, r := range rs {
		if r.KeywordHit {
			t.Errorf("%s: KeywordHit without a shared word", r.DocID)
		}
	}
}

func TestGroupingOneResultPerDocument(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	rs, err := x.Search(ctx, Query{Text: "install agent windows linux", K: 10})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.DocID] {
			t.Fatalf("document %s twice in %v", r.DocID, ids(rs))
		}
		seen[r.DocID] = true
	}
	if rs[0].DocID != "confluence:100" {
		t.Fatalf("results = %v, want confluence:100 first", ids(rs))
	}
}

func TestUpsertIsIdempotentAndReusesVectors(t *testing.T) {
	ctx := context.Background()
	emb := newHashEmbedder()
	x := openWriter(t, t.TempDir(), emb)
	docs := sampleDocs()
	if _, err := x.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	_, before := emb.counts()
	st, err := x.Upsert(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	if want := (UpsertStats{Unchanged: 5}); st != want {
		t.Fatalf("second upsert = %+v, want %+v", st, want)
	}
	if _, after := emb.counts(); after != before {
		t.Fatalf("unchanged upsert embedded %d texts", after-before)
	}

	// A title change re-writes the document but embeds nothing.
	docs[0].Title = "Install the monitoring agent"
	// A new chunk in another document is the only text embedded.
	docs[1].Chunks = append(docs[1].Chunks, Chunk{Index: 1, Heading: "Certificates › Renewal", Text: "Renew with the ACME client."})
	st, err = x.Upsert(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	if want := (UpsertStats{Updated: 2, Unchanged: 3, Embedded: 1, Reused: 3}); st != want {
		t.Fatalf("third upsert = %+v, want %+v", st, want)
	}
	rs, err := x.Search(ctx, Query{Text: "ACME renewal", K: 1, Mode: Keyword})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].DocID != "confluence:200" || rs[0].Heading != "Certificates › Renewal" {
		t.Fatalf("results = %+v", rs)
	}

	// A chunk identical to one stored elsewhere is reused by hash.
	dup := Document{ID: "confluence:999", Source: SourceConfluence, Container: "DEV", Title: "copy",
		Chunks: []Chunk{{Index: 0, Text: docs[2].Chunks[0].Text}}}
	st, err = x.Upsert(ctx, []Document{dup})
	if err != nil {
		t.Fatal(err)
	}
	if want := (UpsertStats{Added: 1, Reused: 1}); st != want {
		t.Fatalf("duplicate upsert = %+v, want %+v", st, want)
	}
}

func TestEmbedInBatches(t *testing.T) {
	ctx := context.Background()
	emb := newHashEmbedder()
	x, err := Open(ctx, t.TempDir(), Options{Embedder: emb, EmbedBatch: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	if calls, texts := emb.counts(); calls != 3 || texts != 6 {
		t.Fatalf("embedder saw %d calls for %d texts, want 3 for 6", calls, texts)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := newHashEmbedder()
	x := openWriter(t, dir, emb)
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	w := Watermark{Source: SourceJira, Container: "OPS", Updated: testTime, LastSync: testTime.Add(time.Minute), Syncs: 4, LastReconcile: testTime.Add(-time.Hour)}
	if err := x.SetWatermark(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := x.SetMeta(ctx, "embed.state", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	want, err := x.Search(ctx, Query{Text: "agent crashes after kernel upgrade", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}

	r := openReader(t, dir, emb)
	got, err := r.Search(ctx, Query{Text: "agent crashes after kernel upgrade", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), ids(want)) || !slices.Contains(ids(got), "jira:OPS-1") {
		t.Fatalf("after reopen %v, before %v", ids(got), ids(want))
	}
	gw, err := r.Watermark(ctx, SourceJira, "OPS")
	if err != nil || gw != w {
		t.Fatalf("watermark = %+v, %v; want %+v", gw, err, w)
	}
	if m, err := r.Meta(ctx, "embed.state"); err != nil || !slices.Equal(m, []byte{1, 2, 3}) {
		t.Fatalf("meta = %v, %v", m, err)
	}
	st, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Documents != 5 || st.Chunks != 6 || st.Model != "test/hash-64" || st.Dims != 64 || st.Bytes == 0 || len(st.Containers) != 4 {
		t.Fatalf("status = %+v", st)
	}
	if c := st.Containers[1]; c.Source != SourceConfluence || c.Container != "OPS" || c.Documents != 2 || c.Chunks != 3 {
		t.Fatalf("status container = %+v", c)
	}
	if c := st.Containers[2]; c.Container != "OPS" || c.Watermark != w {
		t.Fatalf("status container = %+v", c)
	}
	if err := r.SetWatermark(ctx, w); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only SetWatermark: %v", err)
	}
	if _, err := r.Upsert(ctx, sampleDocs()); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only Upsert: %v", err)
	}
}

func TestOpenRefusesAnotherModel(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	x := openWriter(t, dir, newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	x.Close()
	other := newHashEmbedder()
	other.model = "test/other"
	for _, ro := range []bool{false, true} {
		_, err := Open(ctx, dir, Options{Embedder: other, ReadOnly: ro})
		if !errors.Is(err, ErrModelChanged) || !strings.Contains(err.Error(), "sync --full") || !strings.Contains(err.Error(), "test/hash-64") {
			t.Fatalf("Open(ReadOnly=%v) with another model: %v", ro, err)
		}
	}
	// After a reset the other model is accepted.
	x = openWriter(t, dir, newHashEmbedder())
	if err := x.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	x.Close()
	y, err := Open(ctx, dir, Options{Embedder: other})
	if err != nil {
		t.Fatalf("Open of an emptied index with another model: %v", err)
	}
	defer y.Close()
	if st, err := y.Status(ctx); err != nil || st.Model != "test/other" {
		t.Fatalf("model = %q, %v", st.Model, err)
	}
}

func TestSecondWriterIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	x := openWriter(t, dir, newHashEmbedder())
	_, err := Open(ctx, dir, Options{Embedder: newHashEmbedder()})
	var le *LockedError
	if !errors.As(err, &le) || le.PID != itoa(os.Getpid()) || !strings.Contains(err.Error(), "another sync is running on "+dir) {
		t.Fatalf("second writer: %v", err)
	}
	// Readers never block.
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir, newHashEmbedder())
	if rs, err := r.Search(ctx, Query{Text: "certificates"}); err != nil || len(rs) == 0 {
		t.Fatalf("reader search: %v, %v", rs, err)
	}
	x.Close()
	y, err := Open(ctx, dir, Options{Embedder: newHashEmbedder()})
	if err != nil {
		t.Fatalf("writer after the first closed: %v", err)
	}
	y.Close()
}

func TestDamagedStoreIsReported(t *testing.T) {
	ctx := context.Background()
	good := t.TempDir()
	x := openWriter(t, good, newHashEmbedder())
	var docs []Document
	for i := range 300 {
		d := sampleDocs()[i%5]
		d.ID = d.ID + "-" + itoa(i)
		d.Chunks = []Chunk{{Index: 0, Text: strings.Repeat(d.Title+" filler text to take up pages ", 40) + itoa(i)}}
		docs = append(docs, d)
	}
	if _, err := x.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	x.Close()
	whole, err := os.ReadFile(filepath.Join(good, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) < 64<<10 {
		t.Fatalf("store of %d bytes: too small to truncate meaningfully", len(whole))
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"garbage", []byte(strings.Repeat("this is not sqlite ", 500))},
		{"truncated", whole[:len(whole)/2]},
		{"header only", whole[:100]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, dbFile)
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{true, false} {
				x, err := Open(ctx, dir, Options{Embedder: newHashEmbedder(), ReadOnly: ro})
				if err == nil {
					// A writer loads lazily: the damage shows at the first search.
					_, err = x.Search(ctx, Query{Text: "agent"})
					x.Close()
				}
				if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNoIndex) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "sync --full") {
					t.Fatalf("ReadOnly=%v: %v", ro, err)
				}
			}
		})
	}
}

func TestReaderSeesConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, newHashEmbedder())
	docs := sampleDocs()
	if _, err := w.Upsert(ctx, docs[:2]); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir, newHashEmbedder())
	search := func(text string) []string {
		t.Helper()
		rs, err := r.Search(ctx, Query{Text: text, Mode: Keyword})
		if err != nil {
			t.Fatal(err)
		}
		return ids(rs)
	}
	if got := search("kernel upgrade"); len(got) != 0 {
		t.Fatalf("before the commit: %v", got)
	}
	if _, err := w.Upsert(ctx, docs[2:]); err != nil {
		t.Fatal(err)
	}
	if got := search("kernel upgrade"); !slices.Equal(got, []string{"jira:OPS-1"}) {
		t.Fatalf("after the commit: %v", got)
	}
	// An update replaces the old chunks.
	docs[3].Chunks = []Chunk{{Index: 0, Text: "Fixed by pinning the glibc version."}}
	if _, err := w.Upsert(ctx, docs[3:4]); err != nil {
		t.Fatal(err)
	}
	if got := search("kernel upgrade"); len(got) != 0 {
		t.Fatalf("after the update, old text still found: %v", got)
	}
	if got := search("glibc"); !slices.Equal(got, []string{"jira:OPS-1"}) {
		t.Fatalf("after the update: %v", got)
	}
	if err := w.Delete(ctx, []string{"jira:OPS-1", "jira:NOPE-1"}); err != nil {
		t.Fatal(err)
	}
	if got := search("glibc"); len(got) != 0 {
		t.Fatalf("after delete: %v", got)
	}
	if err := w.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if got := search("certificates"); len(got) != 0 {
		t.Fatalf("after reset: %v", got)
	}
	st, err := r.Status(ctx)
	if err != nil || st.Documents != 0 || st.Chunks != 0 {
		t.Fatalf("status after reset = %+v, %v", st, err)
	}
}

func TestDeleteAndDocumentIDs(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	got, err := x.DocumentIDs(ctx, SourceConfluence, "OPS")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["confluence:100"].Equal(testTime) {
		t.Fatalf("DocumentIDs = %v", got)
	}
	if all, _ := x.DocumentIDs(ctx, "", ""); len(all) != 5 {
		t.Fatalf("all DocumentIDs = %v", all)
	}
	if err := x.Delete(ctx, []string{"confluence:100"}); err != nil {
		t.Fatal(err)
	}
	got, _ = x.DocumentIDs(ctx, SourceConfluence, "OPS")
	if len(got) != 1 {
		t.Fatalf("after delete DocumentIDs = %v", got)
	}
	var vectors int
	if err := x.db.QueryRow(`SELECT count(*) FROM vectors`).Scan(&vectors); err != nil || vectors != 4 {
		t.Fatalf("vectors left = %d, %v; want 4 (orphans dropped)", vectors, err)
	}
	rs, err := x.Search(ctx, Query{Text: "install agent"})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(ids(rs), "confluence:100") {
		t.Fatalf("deleted document found: %v", ids(rs))
	}
}

func TestFilters(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	// Every document mentions one of these words.
	const text = "agent certificates tests certificate expired install"
	cases := []struct {
		name string
		q    Query
		want []string // sorted
	}{
		{"none", Query{}, []string{"confluence:100", "confluence:200", "confluence:300", "jira:OPS-1", "jira:WEB-7"}},
		{"source", Query{Sources: []string{"jira"}}, []string{"jira:OPS-1", "jira:WEB-7"}},
		{"space", Query{Spaces: []string{"ops"}}, []string{"confluence:100", "confluence:200"}},
		{"project", Query{Projects: []string{"WEB"}}, []string{"jira:WEB-7"}},
		{"space and project", Query{Spaces: []string{"DEV"}, Projects: []string{"OPS"}}, []string{"confluence:300", "jira:OPS-1"}},
		{"label", Query{Labels: []string{"linux"}}, []string{"confluence:100", "jira:OPS-1"}},
		{"labels any", Query{Labels: []string{"security", "install"}}, []string{"confluence:100", "confluence:200"}},
		{"status", Query{Statuses: []string{"done"}}, []string{"jira:WEB-7"}},
		{"type", Query{Types: []string{"blogpost", "Bug"}}, []string{"confluence:300", "jira:OPS-1"}},
		{"updated after", Query{UpdatedAfter: testTime.Add(-time.Hour)}, []string{"confluence:100", "confluence:300", "jira:OPS-1"}},
		{"label and source", Query{Labels: []string{"linux"}, Sources: []string{"confluence"}}, []string{"confluence:100"}},
		{"unknown space", Query{Spaces: []string{"NOPE"}}, nil},
		{"unknown label", Query{Labels: []string{"nope"}}, nil},
		{"unknown source", Query{Sources: []string{"github"}}, nil},
	}
	for _, tc := range cases {
		for _, mode := range []Mode{Hybrid, Vector, Keyword} {
			t.Run(tc.name+"/"+string(mode), func(t *testing.T) {
				q := tc.q
				q.Text, q.Mode, q.K = text, mode, 20
				rs, err := x.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				got := ids(rs)
				slices.Sort(got)
				if mode == Keyword || mode == Vector && len(tc.want) == 0 {
					if !slices.Equal(got, tc.want) {
						t.Fatalf("got %v, want %v", got, tc.want)
					}
					return
				}
				// Vector search returns every allowed document (all have a
				// similarity), so it must equal the allowed set exactly too.
				if !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			})
		}
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	good := sampleDocs()[0]
	mut := func(f func(*Document)) []Document {
		d := good
		d.Chunks = slices.Clone(good.Chunks)
		f(&d)
		return []Document{d}
	}
	cases := []struct {
		name string
		docs []Document
		want string
	}{
		{"empty id", mut(func(d *Document) { d.ID = "" }), "empty ID"},
		{"bad source", mut(func(d *Document) { d.Source = "github" }), `source "github"`},
		{"no container", mut(func(d *Document) { d.Container = "" }), "empty container"},
		{"duplicate chunk", mut(func(d *Document) { d.Chunks[1].Index = 0 }), "chunk index 0 appears twice"},
		{"empty chunk", mut(func(d *Document) { d.Chunks[1].Text = " \n" }), "chunk 1 has no text"},
		{"twice in batch", []Document{good, good}, "appears twice in the batch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := x.Upsert(ctx, tc.docs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if st, _ := x.Status(ctx); st.Documents != 0 {
		t.Fatalf("bad input stored %d documents", st.Documents)
	}

	queries := []struct {
		name string
		q    Query
		want string
	}{
		{"empty", Query{Text: "  "}, "empty query"},
		{"bad mode", Query{Text: "x", Mode: "fuzzy"}, `unknown search mode "fuzzy"`},
		{"negative K", Query{Text: "x", K: -1}, "K is -1"},
	}
	for _, tc := range queries {
		t.Run(tc.name, func(t *testing.T) {
			_, err := x.Search(ctx, tc.q)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if err := x.SetMeta(ctx, "atlasbridge.model", []byte("x")); err == nil {
		t.Fatal("SetMeta of a reserved key succeeded")
	}
	if err := x.SetWatermark(ctx, Watermark{Source: "jira"}); err == nil {
		t.Fatal("SetWatermark without container succeeded")
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "missing"), Options{Embedder: newHashEmbedder(), ReadOnly: true}); err == nil ||
		!strings.Contains(err.Error(), "run atlasbridge sync first") {
		t.Fatalf("read-only open of a missing index: %v", err)
	}
	if _, err := Open(ctx, t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "no embedder") {
		t.Fatalf("open without embedder: %v", err)
	}
}

func TestEmbedderFailureWritesNothing(t *testing.T) {
	ctx := context.Background()
	emb := newHashEmbedder()
	emb.failOn = "midnight"
	x := openWriter(t, t.TempDir(), emb)
	if _, err := x.Upsert(ctx, sampleDocs()); err == nil || !strings.Contains(err.Error(), "embedder refused") {
		t.Fatalf("upsert with failing embedder: %v", err)
	}
	if st, _ := x.Status(ctx); st.Documents != 0 {
		t.Fatalf("a failed batch stored %d documents", st.Documents)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestReaderCompactsAfterManyUpdates(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, newHashEmbedder())
	corpus := newSynthCorpus(3)
	docs := corpus.docs(0, 300) // 1,500 chunks
	if _, err := w.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir, newHashEmbedder())
	for i := range docs {
		docs[i].Chunks = docs[i].Chunks[:2]
		docs[i].Chunks[1].Text = "replacement text number " + strconv.Itoa(i) + " mentions zanzibar"
	}
	if _, err := w.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	rs, err := r.Search(ctx, Query{Text: "zanzibar", K: 100, Mode: Keyword})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 100 || rs[0].Heading != "H1" {
		t.Fatalf("%d results, first %+v", len(rs), rs[0])
	}
	r.memMu.RLock()
	m := r.mem
	chunks, live := len(m.chunks), m.kw.Live()
	r.memMu.RUnlock()
	if chunks != 600 || live != 600 {
		t.Fatalf("after compaction: %d chunk ordinals, %d live; want 600, 600", chunks, live)
	}
	// Every document is still found through its own first chunk.
	for _, d := range docs[:20] {
		rs, err := r.Search(ctx, Query{Text: d.Chunks[0].Text, K: 1, Mode: Vector})
		if err != nil || len(rs) != 1 || rs[0].DocID != d.ID {
			t.Fatalf("vector search for %s: %v, %v", d.ID, ids(rs), err)
		}
	}
}

func TestConcurrentSearchDuringSync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, newHashEmbedder())
	corpus := newSynthCorpus(5)
	if _, err := w.Upsert(ctx, corpus.docs(0, 50)); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir, newHashEmbedder())
	queryWords := newSynthCorpus(6) // the writer's generator is not shared
	done := make(chan error)
	go func() {
		defer close(done)
		for from := 50; from < 250; from += 25 {
			if _, err := w.Upsert(ctx, corpus.docs(from, 25)); err != nil {
				done <- err
				return
			}
			if err := w.Delete(ctx, []string{synthID(from - 50)}); err != nil {
				done <- err
				return
			}
		}
	}()
	queries := 0
	for running := true; running; queries++ {
		select {
		case err, ok := <-done:
			if ok {
				t.Fatal(err)
			}
			running = false
		default:
		}
		for _, x := range []*Index{r, w} {
			if _, err := x.Search(ctx, Query{Text: queryWords.words(3), K: 5}); err != nil {
				t.Fatalf("search during sync: %v", err)
			}
		}
	}
	if err := r.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	r.memMu.RLock()
	live := r.mem.liveChunks()
	r.memMu.RUnlock()
	if want := (250 - 8) * 5; live != want {
		t.Fatalf("reader holds %d live chunks after %d queries, want %d", live, queries, want)
	}
}

func TestShardedContainer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, newHashEmbedder())
	corpus := newSynthCorpus(8)
	docs := corpus.docs(0, 60)
	for i := range docs {
		docs[i].Source, docs[i].Container = SourceConfluence, "BIG"
		docs[i].ID = "confluence:" + strconv.Itoa(i)
	}
	if _, err := w.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, dir, Options{Embedder: newHashEmbedder(), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.shardSize = 64 // 300 chunks → 5 collections
	r.memMu.Lock()
	r.mem = nil
	r.memMu.Unlock()
	if err := r.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range []Document{docs[0], docs[31], docs[59]} {
		for _, mode := range []Mode{Vector, Hybrid} {
			rs, err := r.Search(ctx, Query{Text: d.Chunks[2].Text, K: 3, Mode: mode, Spaces: []string{"BIG"}})
			if err != nil || len(rs) == 0 || rs[0].DocID != d.ID {
				t.Fatalf("%s search for %s: %v, %v", mode, d.ID, ids(rs), err)
			}
		}
	}
	// Filters below the container: exactly the labelled documents come back.
	var want []string
	for i, d := range docs {
		if i%7 == 1 {
			want = append(want, d.ID)
		}
	}
	slices.Sort(want)
	rs, err := r.Search(ctx, Query{Text: docs[1].Chunks[0].Text, K: 50, Mode: Vector, Labels: []string{"l1"}})
	if err != nil {
		t.Fatal(err)
	}
	got := ids(rs)
	slices.Sort(got)
	if !slices.Equal(got, want) || rs[0].DocID != docs[1].ID {
		t.Fatalf("label-filtered vector search = %v, want %v with %s first", ids(rs), want, docs[1].ID)
	}
	// Replaced documents are found by their new text (vec's
	// TestShardsOfAGroup checks that they take the room freed in old
	// shards).
	for i := range docs[:20] {
		docs[i].Chunks[0].Text += " changed"
	}
	if _, err := w.Upsert(ctx, docs[:20]); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs[:20] {
		rs, err := r.Search(ctx, Query{Text: d.Chunks[0].Text, K: 1, Mode: Vector, Spaces: []string{"BIG"}})
		if err != nil || len(rs) != 1 || rs[0].DocID != d.ID {
			t.Fatalf("vector search for changed %s: %v, %v", d.ID, ids(rs), err)
		}
	}
	rs, err = r.Search(ctx, Query{Text: docs[1].Chunks[0].Text, K: 100, Mode: Vector})
	if err != nil || len(rs) != 60 {
		t.Fatalf("vector search over the container: %d documents, want 60 (%v)", len(rs), err)
	}
}

func TestClosedIndex(t *testing.T) {
	ctx := context.Background()
	x, err := Open(ctx, t.TempDir(), Options{Embedder: newHashEmbedder()})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	calls := map[string]func() error{
		"Search":       func() error { _, err := x.Search(ctx, Query{Text: "x"}); return err },
		"Upsert":       func() error { _, err := x.Upsert(ctx, sampleDocs()); return err },
		"Delete":       func() error { return x.Delete(ctx, []string{"a"}) },
		"DocumentIDs":  func() error { _, err := x.DocumentIDs(ctx, "", ""); return err },
		"Watermark":    func() error { _, err := x.Watermark(ctx, "jira", "A"); return err },
		"SetWatermark": func() error { return x.SetWatermark(ctx, Watermark{Source: "jira", Container: "A"}) },
		"Status":       func() error { _, err := x.Status(ctx); return err },
		"Reset":        func() error { return x.Reset(ctx) },
		"Meta":         func() error { _, err := x.Meta(ctx, "k"); return err },
		"SetMeta":      func() error { return x.SetMeta(ctx, "k", nil) },
		"Reload":       func() error { return x.Reload(ctx) },
		"Reembed":      func() error { _, err := x.Reembed(ctx); return err },
		"ChunkTexts":   func() error { _, errf := x.ChunkTexts(ctx); return errf() },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s on a closed index: %v", name, err)
		}
	}
}

// TestOpenWithoutIndex: a read-only Open of a directory a sync has not
// filled yet fails with ErrNoIndex and says to sync.
func TestOpenWithoutIndex(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, dir string)
		want    string
	}{
		{name: "missing directory", prepare: func(t *testing.T, dir string) { os.Remove(dir) }, want: "no index here"},
		{name: "empty directory", prepare: func(*testing.T, string) {}, want: "no index here"},
		{name: "empty store file", prepare: func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, dbFile), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, want: "is not an atlasbridge index"},
		{name: "another program's database", prepare: withStore(func(db *sql.DB) error {
			_, err := db.Exec(`CREATE TABLE other (x)`)
			return err
		}), want: "is not an atlasbridge index"},
		{name: "tables but never written", prepare: withStore(func(db *sql.DB) error { return initDB(ctx, db) }),
			want: "never written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.prepare(t, dir)
			_, err := Open(ctx, dir, Options{Embedder: newHashEmbedder(), ReadOnly: true})
			if !errors.Is(err, ErrNoIndex) || errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "run atlasbridge sync first") {
				t.Fatalf("read-only open: %v", err)
			}
		})
	}
}

// withStore prepares a directory by running fn on a new store in it.
func withStore(fn func(*sql.DB) error) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		db, err := openDB(filepath.Join(dir, dbFile), false)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := fn(db); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRemove: Remove deletes what a writer left, refuses while a writer
// holds the directory, and leaves a directory a reader finds empty.
func TestRemove(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, newHashEmbedder())
	if _, err := w.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	var le *LockedError
	if err := Remove(dir); !errors.As(err, &le) || le.Dir != dir {
		t.Fatalf("Remove while a writer holds the index: %v", err)
	}
	w.Close()
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range storeFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there (%v)", f, err)
		}
	}
	if _, err := Open(ctx, dir, Options{Embedder: newHashEmbedder(), ReadOnly: true}); !errors.Is(err, ErrNoIndex) {
		t.Fatalf("read-only open after Remove: %v", err)
	}
	if err := Remove(filepath.Join(dir, "missing")); err != nil {
		t.Fatalf("Remove of a missing directory: %v", err)
	}
	// The directory is a new index again.
	w = openWriter(t, dir, newHashEmbedder())
	if st, err := w.Status(ctx); err != nil || st.Documents != 0 {
		t.Fatalf("status after Remove: %+v, %v", st, err)
	}
}

func TestCanceledUpsertWritesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); !errors.Is(err, context.Canceled) {
		t.Fatalf("upsert with a canceled context: %v", err)
	}
	if st, err := x.Status(context.Background()); err != nil || st.Documents != 0 {
		t.Fatalf("status = %+v, %v", st, err)
	}
}

func TestDocumentMovesContainer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, newHashEmbedder())
	docs := sampleDocs()
	if _, err := w.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir, newHashEmbedder())
	docs[2].Container = "ARCHIVE" // confluence:300 moves from DEV
	if _, err := w.Upsert(ctx, docs[2:3]); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		space string
		want  int
	}{{"DEV", 0}, {"ARCHIVE", 1}} {
		for _, mode := range []Mode{Vector, Keyword} {
			rs, err := r.Search(ctx, Query{Text: "small packages wrap errors", Spaces: []string{tc.space}, Mode: mode})
			if err != nil || len(rs) != tc.want {
				t.Fatalf("%s in %s: %v, %v; want %d", mode, tc.space, ids(rs), err, tc.want)
			}
		}
	}
	st, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range st.Containers {
		if c.Container == "DEV" {
			t.Fatalf("status still lists DEV: %+v", st.Containers)
		}
	}
}

func TestStoreIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	x := openWriter(t, dir, newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", dbFile, dbFile + "-wal", "lock"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v: readable by others", fi.Name(), perm)
		}
	}
}
