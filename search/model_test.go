package search

import (
	"context"
	"errors"
	"iter"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atlasbridge/atlasbridge/embed"
)

// fitEmbedder is a trainable test embedder: Fit derives a salt from the
// corpus that rotates the hashed vectors, so two fits give different vectors
// and model names.
type fitEmbedder struct {
	base hashEmbedder
	salt atomic.Int64 // 0 before Fit
}

var _ embed.Trainable = (*fitEmbedder)(nil)

func newFitEmbedder() *fitEmbedder { return &fitEmbedder{base: *newHashEmbedder()} }

func (e *fitEmbedder) Model() string {
	if s := e.salt.Load(); s != 0 {
		return "test/fit-" + strconv.FormatInt(s, 10)
	}
	return "test/fit-none"
}

func (e *fitEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	vs, err := e.base.Embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	s := int(e.salt.Load()) % e.base.dims
	for i, v := range vs {
		vs[i] = append(v[s:], v[:s]...)
	}
	return vs, nil
}

func (e *fitEmbedder) Fit(_ context.Context, texts iter.Seq[string]) error {
	n := int64(0)
	for t := range texts {
		n += int64(len(t))
	}
	e.salt.Store(n%1000 + 1)
	return nil
}

func (e *fitEmbedder) MarshalBinary() ([]byte, error) {
	if e.salt.Load() == 0 {
		return nil, errors.New("not fitted")
	}
	return []byte(strconv.FormatInt(e.salt.Load(), 10)), nil
}

func (e *fitEmbedder) UnmarshalBinary(b []byte) error {
	s, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || s <= 0 {
		return errors.New("bad state")
	}
	e.salt.Store(s)
	return nil
}

func (e *fitEmbedder) Drift(iter.Seq[string]) float64 { return 0 }

func texts(docs []Document) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, d := range docs {
			for _, c := range d.Chunks {
				if !yield(c.Text) {
					return
				}
			}
		}
	}
}

func TestTrainableEmbedderLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := newFitEmbedder()
	w, err := Open(ctx, dir, Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	docs := sampleDocs()
	// First sync: fit on the crawled chunks, then upsert.
	if err := emb.Fit(ctx, texts(docs)); err != nil {
		t.Fatal(err)
	}
	first := emb.Model()
	if _, err := w.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if st, _ := w.Status(ctx); st.Model != first {
		t.Fatalf("stored model %q, want %q", st.Model, first)
	}

	// A fresh process gets the state back at Open.
	readerEmb := newFitEmbedder()
	r, err := Open(ctx, dir, Options{Embedder: readerEmb, ReadOnly: true})
	if err != nil {
		t.Fatalf("reader open with an unfitted embedder: %v", err)
	}
	defer r.Close()
	if readerEmb.Model() != first {
		t.Fatalf("reader model %q, want %q", readerEmb.Model(), first)
	}
	if rs, err := r.Search(ctx, Query{Text: "rotate certificates", Mode: Vector, K: 1}); err != nil || rs[0].DocID != "confluence:200" {
		t.Fatalf("reader search: %v, %v", ids(rs), err)
	}
	plain := newHashEmbedder()
	plain.model = first // same name, cannot follow a re-embed
	p, err := Open(ctx, dir, Options{Embedder: plain, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	// Refit: vectors of two models must not mix.
	more := append(docs, Document{ID: "jira:NEW-1", Source: SourceJira, Container: "NEW", Title: "new",
		Chunks: []Chunk{{Index: 0, Text: "a brand new issue about backups"}}})
	if err := emb.Fit(ctx, texts(more)); err != nil {
		t.Fatal(err)
	}
	second := emb.Model()
	if second == first {
		t.Fatal("refit kept the model name")
	}
	if _, err := w.Upsert(ctx, more[5:]); !errors.Is(err, ErrModelChanged) || !strings.Contains(err.Error(), "Reembed") {
		t.Fatalf("upsert after refit: %v", err)
	}
	n, err := w.Reembed(ctx)
	if err != nil || n != 6 {
		t.Fatalf("Reembed = %d, %v; want 6", n, err)
	}
	if _, err := w.Upsert(ctx, more[5:]); err != nil {
		t.Fatal(err)
	}
	// The trainable reader follows; the plain one must stop.
	if rs, err := r.Search(ctx, Query{Text: "backups", Mode: Vector, K: 1}); err != nil || rs[0].DocID != "jira:NEW-1" {
		t.Fatalf("reader after re-embed: %v, %v", ids(rs), err)
	}
	if readerEmb.Model() != second {
		t.Fatalf("reader model %q, want %q", readerEmb.Model(), second)
	}
	if _, err := p.Search(ctx, Query{Text: "backups"}); !errors.Is(err, ErrModelChanged) {
		t.Fatalf("plain reader after re-embed: %v", err)
	}
	// Texts come back for Drift and Fit.
	seq, errf := w.ChunkTexts(ctx)
	count := 0
	for range seq {
		count++
	}
	if errf() != nil || count != 7 {
		t.Fatalf("ChunkTexts: %d texts, %v", count, errf())
	}
	// A damaged state is reported, not ignored.
	w.Close()
	w2, err := Open(ctx, dir, Options{Embedder: newFitEmbedder()})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.db.Exec(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, 'junk')`, EmbedderStateKey); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.db.Exec(`UPDATE meta SET value = 'test/fit-7' WHERE key = ?`, metaModel); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.db.Exec(`INSERT INTO chunks (doc_id, idx, heading, hash, terms, text) VALUES ('x', 0, '', 'h', x'00', 't')`); err != nil {
		t.Fatal(err)
	}
	w2.Close()
	if _, err := Open(ctx, dir, Options{Embedder: newFitEmbedder(), ReadOnly: true}); !errors.Is(err, ErrEmbedderState) || !strings.Contains(err.Error(), "sync --full") {
		t.Fatalf("open with a damaged state: %v", err)
	}
}

// wrapped is an embedder wrapper that hides the Trainable methods.
type wrapped struct{ inner embed.Embedder }

func (w wrapped) Model() string { return w.inner.Model() }
func (w wrapped) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return w.inner.Embed(ctx, texts)
}
func (w wrapped) Unwrap() embed.Embedder { return w.inner }

func TestTrainableBehindAWrapper(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := newFitEmbedder()
	if err := emb.Fit(ctx, texts(sampleDocs())); err != nil {
		t.Fatal(err)
	}
	w := openWriter(t, dir, wrapped{emb})
	if _, err := w.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	if state, err := w.Meta(ctx, EmbedderStateKey); err != nil || len(state) == 0 {
		t.Fatalf("state behind a wrapper not stored: %q, %v", state, err)
	}
	fresh := newFitEmbedder()
	r := openReader(t, dir, wrapped{fresh})
	if fresh.Model() != emb.Model() {
		t.Fatalf("state behind a wrapper not restored: %q, want %q", fresh.Model(), emb.Model())
	}
	if rs, err := r.Search(ctx, Query{Text: "certificates"}); err != nil || len(rs) == 0 {
		t.Fatalf("search: %v, %v", rs, err)
	}
}
