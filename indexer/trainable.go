package indexer

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search"
)

// EmbedderStateFile is the file of the data directory that holds what a
// trainable embedder (embed.Trainable, the builtin) learnt from the corpus.
// It sits next to the index rather than inside it because the embedder's
// Model() depends on it, and search.Open checks Model() against the index.
const EmbedderStateFile = "embedder.state"

// driftRefit is the Drift above which the corpus has moved too far from
// what the embedder learnt (the value embed.Trainable suggests).
const driftRefit = 0.2

// minDriftChunks is the smallest sample the drift check trusts.
const minDriftChunks = 500

// unwrapper is an embedder wrapping another (MeteredEmbedder).
type unwrapper interface{ Unwrap() embed.Embedder }

// asTrainable returns the trainable embedder inside e, or nil.
func asTrainable(e embed.Embedder) embed.Trainable {
	for e != nil {
		if t, ok := e.(embed.Trainable); ok {
			return t
		}
		u, ok := e.(unwrapper)
		if !ok {
			return nil
		}
		e = u.Unwrap()
	}
	return nil
}

// LoadEmbedderState restores the state a sync saved in dir into e when e is
// trainable, so that e.Model() matches the index again. Every command that
// opens the index (sync, search, serve, status) calls it before
// search.Open. It reports whether a state was loaded; an embedder that is
// not trainable, or a directory without state, is not an error.
func LoadEmbedderState(dir string, e embed.Embedder) (bool, error) {
	t := asTrainable(e)
	if t == nil {
		return false, nil
	}
	path := filepath.Join(dir, EmbedderStateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("indexer: read the embedder state: %w", err)
	}
	if err := t.UnmarshalBinary(data); err != nil {
		return false, fmt.Errorf("indexer: %s: %w; run atlasbridge sync --full to rebuild", path, err)
	}
	return true, nil
}

// saveEmbedderState writes the state atomically: a crash leaves the old
// file or the new one, never half of one.
func saveEmbedderState(dir string, t embed.Trainable) error {
	data, err := t.MarshalBinary()
	if err != nil {
		return fmt.Errorf("indexer: embedder state: %w", err)
	}
	path := filepath.Join(dir, EmbedderStateFile)
	tmp, err := os.CreateTemp(dir, EmbedderStateFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("indexer: save the embedder state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("indexer: save the embedder state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("indexer: save the embedder state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("indexer: save the embedder state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("indexer: save the embedder state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// chunkTexts ranges over the chunk texts of docs.
func chunkTexts(docs []search.Document) iter.Seq[string] {
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

// fitPlan says whether this sync teaches the embedder the corpus: only
// when the embedder is trainable, the index can be reopened, and the index
// is empty (first sync, or a full one) — fitting changes the embedder's
// model, and vectors of two models never mix in one index.
func (ix *Indexer) fitPlan(ctx context.Context, run RunOptions, limited bool) (embed.Trainable, error) {
	t := asTrainable(ix.opts.Embedder)
	if t == nil || ix.opts.Reopen == nil || limited {
		return nil, nil
	}
	if run.Full {
		return t, nil
	}
	st, err := ix.opts.Index.Status(ctx)
	if err != nil {
		return nil, err
	}
	if st.Chunks > 0 {
		if _, err := os.Stat(filepath.Join(ix.opts.Index.Dir(), EmbedderStateFile)); errors.Is(err, os.ErrNotExist) {
			ix.log.Info("the index was built before the embedder learnt the corpus; run atlasbridge sync --full to use the corpus-adaptive model",
				"model", ix.opts.Embedder.Model())
		}
		return nil, nil
	}
	return t, nil
}

// fitAndStore fits the embedder on the held documents, saves its state,
// reopens the index under the embedder's new model and stores the
// documents and the watermarks.
func (ix *Indexer) fitAndStore(ctx context.Context, t embed.Trainable, sum *Summary) error {
	h := ix.held
	ix.held = nil
	if len(h.docs) == 0 {
		// Nothing to learn from (nothing visible, or every container
		// failed): store the watermarks and stay unfitted.
		for _, w := range h.watermarks {
			if err := ix.opts.Index.SetWatermark(ctx, w); err != nil {
				return err
			}
		}
		return nil
	}
	dir := ix.opts.Index.Dir()
	before := ix.opts.Embedder.Model()
	ix.log.Info("teaching the embedder the corpus", "documents", len(h.docs))
	t0 := time.Now()
	if err := t.Fit(ctx, chunkTexts(h.docs)); err != nil {
		return fmt.Errorf("indexer: fit the embedder: %w", err)
	}
	sum.Stages.Fit += time.Since(t0)
	if err := saveEmbedderState(dir, t); err != nil {
		return err
	}
	if err := ix.opts.Index.Close(); err != nil {
		return fmt.Errorf("indexer: close the index to change its model: %w", err)
	}
	idx, err := ix.opts.Reopen(ctx)
	if err != nil {
		return fmt.Errorf("indexer: reopen the index with the fitted embedder: %w", err)
	}
	ix.opts.Index = idx
	ix.log.Info("embedder fitted", "was", before, "now", ix.opts.Embedder.Model())

	byContainer := map[[2]string]*ContainerSummary{}
	for i := range sum.Containers {
		c := &sum.Containers[i]
		byContainer[[2]string{c.Source, c.Container}] = c
	}
	for start := 0; start < len(h.docs); start += ix.opts.BatchSize {
		batch := h.docs[start:min(start+ix.opts.BatchSize, len(h.docs))]
		t0 := time.Now()
		st, err := idx.Upsert(ctx, batch)
		sum.Stages.Store += time.Since(t0)
		if err != nil {
			return fmt.Errorf("indexer: store after fitting: %w", err)
		}
		for _, d := range batch {
			if c := byContainer[[2]string{d.Source, d.Container}]; c != nil {
				c.Added++
			}
		}
		sum.Chunks += st.Embedded
	}
	for _, w := range h.watermarks {
		if err := idx.SetWatermark(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// held is what a fitting sync keeps in memory until the embedder has
// learnt the corpus.
type held struct {
	docs       []search.Document
	watermarks []search.Watermark
}

// checkDrift warns when the documents of this sync have drifted from the
// corpus the embedder learnt.
func (ix *Indexer) checkDrift(t embed.Trainable, docs []search.Document) {
	n := 0
	for _, d := range docs {
		n += len(d.Chunks)
	}
	if t == nil || n < minDriftChunks {
		return // a handful of chunks says nothing about the corpus
	}
	if d := t.Drift(chunkTexts(docs)); d > driftRefit {
		ix.log.Warn("the new content has drifted from what the embedder learnt; run atlasbridge sync --full to refit",
			"drift", fmt.Sprintf("%.2f", d), "documents", len(docs))
	}
}
