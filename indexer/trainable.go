package indexer

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search"
)

// A trainable embedder (embed.Trainable, the builtin) learns the corpus
// during sync. search keeps what it learnt with the index (written with the
// vectors it produced, restored by search.Open), so the indexer only
// decides when to teach it:
//
//   - the first sync into an empty index, and every full sync: the
//     documents are held in memory until every container is crawled, Fit
//     runs on their chunks, and the first Upsert records the new model;
//   - after a sync that changed enough, the drift of the whole index from
//     what the embedder learnt is measured; above driftRefit it learns
//     again and the index is re-embedded in one transaction (Reembed).

// driftRefit is the Drift above which the corpus has moved too far from
// what the embedder learnt (the value embed.Trainable suggests).
const driftRefit = 0.2

// driftCheckChunks is how many new chunks make a sync measure the drift
// even when it did not reconcile (a reconciling sync always measures).
const driftCheckChunks = 1000

// unwrapper is an embedder wrapping another.
type unwrapper interface{ Unwrap() embed.Embedder }

// asTrainable returns e as a trainable embedder, looking through wrappers
// that do not forward the Trainable methods; nil when it is not one.
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

// fitted reports whether a trainable embedder has learnt something (from a
// Fit or from the state search.Open restored).
func fitted(t embed.Trainable) bool {
	_, err := t.MarshalBinary()
	return err == nil
}

// LoadEmbedderState is kept so callers written against the first version of
// this package compile: search.Open now restores a trainable embedder's
// state from the index itself, so there is nothing left to load and it
// always reports false. Callers can drop it.
//
// Deprecated: search.Open does it.
func LoadEmbedderState(dir string, e embed.Embedder) (bool, error) { return false, nil }

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

// fitPlan returns the embedder this sync teaches the corpus before storing
// anything: only a trainable one, on an unlimited run into an empty index
// (the first sync, or a full one).
func (ix *Indexer) fitPlan(ctx context.Context, run RunOptions, limited bool) (embed.Trainable, error) {
	t := asTrainable(ix.opts.Embedder)
	if t == nil || limited {
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
		if !fitted(t) {
			ix.log.Info("the index was built before the embedder learnt the corpus; run atlasbridge sync --full to use the corpus-adaptive model",
				"model", ix.opts.Embedder.Model())
		}
		return nil, nil
	}
	return t, nil
}

// held is what a fitting sync keeps in memory until the embedder has
// learnt the corpus.
type held struct {
	docs       []search.Document
	watermarks []search.Watermark
}

// fitAndStore teaches the embedder the held documents, then stores them
// (the first Upsert into the empty index records the new model and its
// state) and the watermarks.
func (ix *Indexer) fitAndStore(ctx context.Context, t embed.Trainable, sum *Summary) error {
	h := ix.held
	ix.held = nil
	idx := ix.opts.Index
	if len(h.docs) > 0 {
		before := ix.opts.Embedder.Model()
		ix.log.Info("teaching the embedder the corpus", "documents", len(h.docs))
		t0 := time.Now()
		if err := t.Fit(ctx, chunkTexts(h.docs)); err != nil {
			return fmt.Errorf("indexer: fit the embedder: %w", err)
		}
		sum.Stages.Fit += time.Since(t0)
		ix.log.Info("embedder fitted", "was", before, "now", ix.opts.Embedder.Model(), "took", time.Since(t0).Round(time.Millisecond))
	}
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
			return fmt.Errorf("indexer: store after fitting the embedder: %w", err)
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

// refitOnDrift measures how far the index has drifted from what the
// embedder learnt and, above driftRefit, teaches it the index again and
// re-embeds every chunk.
func (ix *Indexer) refitOnDrift(ctx context.Context, t embed.Trainable, sum *Summary) error {
	idx := ix.opts.Index
	texts, errf := idx.ChunkTexts(ctx)
	t0 := time.Now()
	d := t.Drift(texts)
	if err := errf(); err != nil {
		return fmt.Errorf("indexer: measure drift: %w", err)
	}
	ix.log.Debug("embedder drift", "drift", fmt.Sprintf("%.3f", d), "took", time.Since(t0).Round(time.Millisecond))
	if d <= ix.opts.RefitDrift {
		return nil
	}
	ix.log.Info("the index has drifted from what the embedder learnt: teaching it again", "drift", fmt.Sprintf("%.2f", d))
	texts, errf = idx.ChunkTexts(ctx)
	if err := t.Fit(ctx, texts); err != nil {
		return fmt.Errorf("indexer: refit the embedder: %w", err)
	}
	if err := errf(); err != nil {
		return fmt.Errorf("indexer: refit the embedder: %w", err)
	}
	sum.Stages.Fit += time.Since(t0)
	t1 := time.Now()
	n, err := idx.Reembed(ctx)
	sum.Stages.Store += time.Since(t1)
	if err != nil {
		return fmt.Errorf("indexer: re-embed after refitting: %w", err)
	}
	sum.Chunks += n
	sum.Refitted = true
	return nil
}
