package search

import (
	"context"
	"slices"
	"strconv"
	"testing"
)

// TestPageKeysFollowChanges checks that the page keys the page-level
// ranking reads stay those derived afresh from the chunks as a reader
// follows a writer's upserts, deletions and the compaction they cause,
// kept up as chunks come and go rather than derived again each time.
func TestPageKeysFollowChanges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, newHashEmbedder())
	corpus := newSynthCorpus(11)
	docs := corpus.docs(0, 300) // 1,500 chunks
	if _, err := w.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir, newHashEmbedder())
	check := func(step string, maintained bool) {
		t.Helper()
		if _, err := r.Search(ctx, Query{Text: "zanzibar " + corpus.words(2)}); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		r.memMu.RLock()
		defer r.memMu.RUnlock()
		m := r.mem
		if maintained && (m.pageKey.stale || len(m.pageKey.key) != len(m.chunks)) {
			t.Errorf("%s: page keys derived again, not kept up", step)
		}
		gotKey, gotLen := m.pageKeys()
		wantKey, wantLen := derivePageKeys(m.chunks, m.kw)
		if !slices.Equal(gotKey, wantKey) || !slices.Equal(gotLen, wantLen) {
			t.Fatalf("%s: page keys or lengths differ from those derived from the chunks", step)
		}
	}
	check("opened", false)

	// Documents shrink, grow and go; the searches in between keep the
	// keys current.
	for i := range docs[:40] {
		docs[i].Chunks = docs[i].Chunks[:1+i%3]
		docs[i].Chunks[0].Text = "zanzibar " + strconv.Itoa(i)
	}
	if _, err := w.Upsert(ctx, docs[:40]); err != nil {
		t.Fatal(err)
	}
	check("after upserts", true)
	if err := w.Delete(ctx, []string{docs[40].ID, docs[0].ID, docs[299].ID}); err != nil {
		t.Fatal(err)
	}
	check("after deletions", true)

	// Shrinking every document removes enough chunks to compact.
	r.memMu.RLock()
	before := len(r.mem.chunks)
	r.memMu.RUnlock()
	for i := range docs {
		docs[i].Chunks = docs[i].Chunks[:1]
	}
	if _, err := w.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	check("after compaction", true)
	r.memMu.RLock()
	after := len(r.mem.chunks)
	r.memMu.RUnlock()
	if after >= before {
		t.Fatalf("no compaction: %d chunk ordinals before, %d after", before, after)
	}
}
