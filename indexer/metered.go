package indexer

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/atlasbridge/atlasbridge/embed"
)

// MeteredEmbedder wraps an embedder for a sync: it measures it, so a sync
// can report the embed stage apart from the store stage (both happen
// inside search.Index.Upsert), and it splits each batch over several
// goroutines, so a CPU-bound embedder (builtin) uses every core while the
// index stores from one goroutine. It is safe for concurrent use.
type MeteredEmbedder struct {
	embed.Embedder
	parallel int
	nanos    atomic.Int64
	texts    atomic.Int64
}

// minSplit is the smallest part of a batch worth its own goroutine.
const minSplit = 16

// NewMeteredEmbedder wraps e; parallel is how many parts a batch is split
// into at most (1 or less: not split).
func NewMeteredEmbedder(e embed.Embedder, parallel int) *MeteredEmbedder {
	return &MeteredEmbedder{Embedder: e, parallel: max(parallel, 1)}
}

// Embed embeds texts with the wrapped embedder and records the time taken.
func (m *MeteredEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	t0 := time.Now()
	defer func() {
		m.nanos.Add(int64(time.Since(t0)))
		m.texts.Add(int64(len(texts)))
	}()
	parts := min(m.parallel, len(texts)/minSplit)
	if parts <= 1 {
		return m.Embedder.Embed(ctx, texts)
	}
	out := make([][]float32, len(texts))
	var g errgroup.Group
	size := (len(texts) + parts - 1) / parts
	for lo := 0; lo < len(texts); lo += size {
		hi := min(lo+size, len(texts))
		g.Go(func() error {
			vs, err := m.Embedder.Embed(ctx, texts[lo:hi])
			if err != nil {
				return err
			}
			if len(vs) != hi-lo {
				return fmt.Errorf("embedder returned %d vectors for %d texts", len(vs), hi-lo)
			}
			copy(out[lo:hi], vs)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// ForIndex returns the embedder to hand search.Open and Options.Embedder:
// m itself, or, when the wrapped embedder is trainable, m with the
// embed.Trainable methods forwarded, so that the index can restore and
// save what the embedder learnt.
func (m *MeteredEmbedder) ForIndex() embed.Embedder {
	if t, ok := m.Embedder.(embed.Trainable); ok {
		return &meteredTrainable{MeteredEmbedder: m, t: t}
	}
	return m
}

// meteredTrainable is a MeteredEmbedder of a trainable embedder.
type meteredTrainable struct {
	*MeteredEmbedder
	t embed.Trainable
}

func (mt *meteredTrainable) Fit(ctx context.Context, texts iter.Seq[string]) error {
	return mt.t.Fit(ctx, texts)
}
func (mt *meteredTrainable) MarshalBinary() ([]byte, error)       { return mt.t.MarshalBinary() }
func (mt *meteredTrainable) UnmarshalBinary(b []byte) error       { return mt.t.UnmarshalBinary(b) }
func (mt *meteredTrainable) Drift(texts iter.Seq[string]) float64 { return mt.t.Drift(texts) }

// Unwrap returns the wrapped embedder.
func (m *MeteredEmbedder) Unwrap() embed.Embedder { return m.Embedder }

// Took returns the total wall time spent in Embed and the number of texts
// embedded since the last Reset.
func (m *MeteredEmbedder) Took() (time.Duration, int) {
	return time.Duration(m.nanos.Load()), int(m.texts.Load())
}

// Reset sets the counters to zero.
func (m *MeteredEmbedder) Reset() {
	m.nanos.Store(0)
	m.texts.Store(0)
}
