package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search"
)

// openReadIndex opens the index of cfg.DataDir for reading; search.Open
// restores what the last sync taught a trainable embedder.
func openReadIndex(ctx context.Context, cfg *config, log *slog.Logger) (*search.Index, error) {
	emb, err := embed.New(cfg.Embed)
	if err != nil {
		return nil, fmt.Errorf("embedder: %w", err)
	}
	return search.Open(ctx, cfg.DataDir, search.Options{Embedder: emb, ReadOnly: true, Lazy: true, Logger: log})
}
