package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/indexer"
	"github.com/atlasbridge/atlasbridge/search"
)

// openReadIndex opens the index of cfg.DataDir for reading, with the
// configured embedder restored to what the last sync taught it.
func openReadIndex(ctx context.Context, cfg *config, log *slog.Logger) (*search.Index, error) {
	emb, err := embed.New(cfg.Embed)
	if err != nil {
		return nil, fmt.Errorf("embedder: %w", err)
	}
	if _, err := indexer.LoadEmbedderState(cfg.DataDir, emb); err != nil {
		return nil, err
	}
	return search.Open(ctx, cfg.DataDir, search.Options{Embedder: emb, ReadOnly: true, Logger: log})
}
