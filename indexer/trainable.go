package indexer

import (
	"context"
	"fmt"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
)

// A trainable embedder (embed.Trainable, the builtin) learns the corpus
// during sync. search keeps what it learnt with the index (written with the
// vectors it produced, restored by search.Open), so the indexer only
// decides when to teach it:
//
//   - when it has learnt nothing yet (the first sync, or an index built
//     before), on every full sync, and while the index holds chunks not
//     embedded yet: the crawl stores documents and chunks without vectors
//     (search.Index.UpsertWithoutVectors), so that each chunk is embedded
//     once, with the fitted model, rather than also before the fit; then
//     Fit runs on every chunk of the index and Reembed writes all vectors,
//     the model name and the embedder's state in one transaction. Nothing
//     is held in memory. A crash before the Reembed commits leaves the
//     documents stored and the index saying it is not ready
//     (search.ErrNoIndex); the next sync finds the vectors pending, crawls
//     what is left, fits and embeds. A full sync builds beside the current
//     index (search.BeginRebuild), which serves until the swap;
//   - after a sync that changed enough, the drift of the whole index from
//     what the embedder learnt is measured; above Options.RefitDrift it
//     learns again the same way.

// driftRefit is the Drift above which the corpus has moved too far from
// what the embedder learnt (the value embed.Trainable suggests).
const driftRefit = 0.2

// driftCheckChunks is how many new chunks make a sync measure the drift
// even when it did not reconcile (a reconciling sync always measures).
const driftCheckChunks = 1000

// asTrainable returns e as a trainable embedder, looking through wrappers
// that do not forward the Trainable methods; nil when it is not one.
func asTrainable(e embed.Embedder) embed.Trainable {
	t, _ := embed.As[embed.Trainable](e)
	return t
}

// fitted reports whether a trainable embedder has learnt something (from a
// Fit or from the state search.Open restored).
func fitted(t embed.Trainable) bool {
	_, err := t.MarshalBinary()
	return err == nil
}

// fitPlan returns the embedder this sync teaches the index: a trainable
// one that has learnt nothing yet, any trainable one on an unlimited full
// sync, and one whose index holds chunks stored without vectors (an
// earlier sync stopped before its Reembed).
func (ix *Indexer) fitPlan(ctx context.Context, run RunOptions, limited bool) (embed.Trainable, error) {
	t := asTrainable(ix.opts.Embedder)
	if t == nil {
		return nil, nil
	}
	if run.Full && !limited || !fitted(t) {
		return t, nil
	}
	pending, err := ix.opts.Index.VectorsPending(ctx)
	if err != nil || !pending {
		return nil, err
	}
	return t, nil
}

// fit teaches the embedder every chunk of the index and re-embeds them.
func (ix *Indexer) fit(ctx context.Context, t embed.Trainable, sum *Summary) error {
	idx := ix.opts.Index
	texts, errf := idx.ChunkTexts(ctx)
	empty := true
	for range texts {
		empty = false
		break
	}
	if err := errf(); err != nil {
		return fmt.Errorf("indexer: fit the embedder: %w", err)
	}
	if empty {
		// Nothing to learn from yet; documents without chunks may still
		// have marked the vectors pending.
		if pending, err := idx.VectorsPending(ctx); err != nil || !pending {
			return err
		}
		_, err := idx.Reembed(ctx)
		return err
	}
	before := ix.opts.Embedder.Model()
	ix.report(Progress{Phase: "fit"})
	t0 := time.Now()
	texts, errf = idx.ChunkTexts(ctx)
	if err := t.Fit(ctx, texts); err != nil {
		return fmt.Errorf("indexer: fit the embedder: %w", err)
	}
	if err := errf(); err != nil {
		return fmt.Errorf("indexer: fit the embedder: %w", err)
	}
	sum.Stages.Fit += time.Since(t0)
	t1 := time.Now()
	n, err := idx.Reembed(ctx)
	sum.Stages.Store += time.Since(t1)
	if err != nil {
		return fmt.Errorf("indexer: re-embed after fitting the embedder: %w", err)
	}
	sum.Chunks += n
	ix.log.Info("embedder fitted to the index", "was", before, "now", ix.opts.Embedder.Model(),
		"fit", sum.Stages.Fit.Round(time.Millisecond), "reembed", time.Since(t1).Round(time.Millisecond), "texts", n)
	return nil
}

// refitOnDrift measures how far the index has drifted from what the
// embedder learnt and, above Options.RefitDrift, teaches it the index again
// and re-embeds every chunk.
func (ix *Indexer) refitOnDrift(ctx context.Context, t embed.Trainable, sum *Summary) error {
	if !fitted(t) {
		return nil
	}
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
	sum.Stages.Fit += time.Since(t0)
	if err := ix.fit(ctx, t, sum); err != nil {
		return err
	}
	sum.Refitted = true
	return nil
}
