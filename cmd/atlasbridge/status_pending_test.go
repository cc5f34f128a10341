package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search"
)

// TestStatusSaysNotReady: an index whose first sync stopped before it
// embedded what it stored says so in status, in text and in JSON.
func TestStatusSaysNotReady(t *testing.T) {
	cfg, _ := syncSimConfig(t, 1)
	ctx := context.Background()
	emb, err := embed.New(cfg.Embed)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(ctx, cfg.DataDir, search.Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idx.UpsertWithoutVectors(ctx, []search.Document{{ID: "confluence:1", Source: search.SourceConfluence,
		Container: "ENG", Key: "1", Title: "Pager", URL: "https://wiki.example/1", Updated: time.Now(),
		Chunks: []search.Chunk{{Text: "Rotate the on-call pager every Monday."}}}}); err != nil {
		t.Fatal(err)
	}
	idx.Close()
	for _, args := range [][]string{nil, {"--json"}} {
		var out bytes.Buffer
		if err := runStatus(ctx, args, cfg, nil, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "did not embed them: run atlasbridge sync") {
			t.Errorf("status %v does not say the index is not ready:\n%s", args, out.String())
		}
	}
}
