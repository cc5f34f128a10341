package search

import (
	"context"
	"errors"
	"testing"
)

// TestUpsertWithoutVectorsUntilReembed: documents stored without vectors
// embed nothing, leave the index not ready (ErrNoIndex, never ErrCorrupt)
// for the writer's searches, for readers and for a rebuild's swap, and the
// Reembed that follows embeds each chunk once and makes it searchable.
func TestUpsertWithoutVectorsUntilReembed(t *testing.T) {
	ctx := context.Background()
	emb := newHashEmbedder()
	dir := t.TempDir()
	w := openWriter(t, dir, emb)
	// A loaded writer drops what it holds when the vectors become pending.
	if _, err := w.Search(ctx, Query{Text: "agent", K: 3}); err != nil {
		t.Fatal(err)
	}
	_, queries := emb.counts()
	st, err := w.UpsertWithoutVectors(ctx, sampleDocs())
	if err != nil {
		t.Fatal(err)
	}
	if _, texts := emb.counts(); texts != queries || st.Embedded != 0 || st.Added != len(sampleDocs()) {
		t.Errorf("stored without vectors: %d texts embedded, stats %+v", texts, st)
	}
	if pending, err := w.VectorsPending(ctx); err != nil || !pending {
		t.Fatalf("VectorsPending = %v, %v; want true", pending, err)
	}
	notReady := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrNoIndex) || errors.Is(err, ErrCorrupt) {
			t.Errorf("%s before Reembed: %v; want ErrNoIndex", what, err)
		}
	}
	_, err = w.Search(ctx, Query{Text: "agent", K: 3})
	notReady("writer's search", err)
	_, err = Open(ctx, dir, Options{Embedder: emb, ReadOnly: true})
	notReady("reader's open", err)
	lazy, err := Open(ctx, dir, Options{Embedder: emb, ReadOnly: true, Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lazy.Close()
	_, err = lazy.Search(ctx, Query{Text: "agent", K: 3})
	notReady("lazy reader's search", err)

	_, before := emb.counts()
	n, err := w.Reembed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st2, err := w.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, texts := emb.counts(); texts-before != n || n == 0 || n > st2.Chunks {
		t.Errorf("Reembed embedded %d texts (returned %d) for %d chunks", texts, n, st2.Chunks)
	}
	if pending, err := w.VectorsPending(ctx); err != nil || pending {
		t.Errorf("VectorsPending after Reembed = %v, %v", pending, err)
	}
	for _, x := range []*Index{w, lazy} {
		if rs, err := x.Search(ctx, Query{Text: "agent", K: 3}); err != nil || len(rs) == 0 {
			t.Errorf("search after Reembed: %v %v", rs, err)
		}
	}

	// A rebuild whose chunks are not embedded is not swapped in.
	w.Close()
	r, err := BeginRebuild(ctx, dir, Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort() //nolint:errcheck
	if _, err := r.Index().UpsertWithoutVectors(ctx, rebuiltDocs(3)); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(ctx); err == nil {
		t.Fatal("a rebuild with pending vectors was swapped in")
	}
	if err := r.Abort(); err != nil {
		t.Fatal(err)
	}
	if rs, err := lazy.Search(ctx, Query{Text: "agent", K: 10}); err != nil || len(rs) == 0 {
		t.Errorf("the old index after a refused swap: %v %v", rs, err)
	}
}
