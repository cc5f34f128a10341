package indexer

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
)

// MeteredEmbedder wraps an embedder and measures it, so a sync can report
// the embed stage apart from the store stage (both happen inside
// search.Index.Upsert). It is safe for concurrent use.
type MeteredEmbedder struct {
	embed.Embedder
	nanos atomic.Int64
	texts atomic.Int64
}

// NewMeteredEmbedder wraps e.
func NewMeteredEmbedder(e embed.Embedder) *MeteredEmbedder { return &MeteredEmbedder{Embedder: e} }

// Embed embeds texts with the wrapped embedder and records the time taken.
func (m *MeteredEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	t0 := time.Now()
	v, err := m.Embedder.Embed(ctx, texts)
	m.nanos.Add(int64(time.Since(t0)))
	m.texts.Add(int64(len(texts)))
	return v, err
}

// Took returns the total time spent embedding and the number of texts
// embedded since the last Reset.
func (m *MeteredEmbedder) Took() (time.Duration, int) {
	return time.Duration(m.nanos.Load()), int(m.texts.Load())
}

// Reset sets the counters to zero.
func (m *MeteredEmbedder) Reset() {
	m.nanos.Store(0)
	m.texts.Store(0)
}
