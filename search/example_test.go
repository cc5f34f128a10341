package search_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search"
)

// A sync writes documents and the watermark; serve opens the same directory
// read-only and searches.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "atlasbridge-index")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	emb := embed.NewBuiltin(embed.BuiltinOptions{})

	w, err := search.Open(ctx, dir, search.Options{Embedder: emb})
	if err != nil {
		log.Fatal(err)
	}
	updated := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	st, err := w.Upsert(ctx, []search.Document{{
		ID: "confluence:4711", Source: search.SourceConfluence, Container: "OPS", Key: "4711",
		Title: "Rotate certificates", URL: "https://wiki.example/pages/4711", Updated: updated, Type: "page",
		Chunks: []search.Chunk{{Index: 0, Heading: "Rotate certificates › Load balancer",
			Text: "OPS › Rotate certificates\nRenew the TLS certificate of the load balancer every ninety days."}},
	}})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.SetWatermark(ctx, search.Watermark{Source: search.SourceConfluence, Container: "OPS", Updated: updated, LastSync: updated, Syncs: 1}); err != nil {
		log.Fatal(err)
	}
	w.Close()
	fmt.Printf("added %d, embedded %d\n", st.Added, st.Embedded)

	r, err := search.Open(ctx, dir, search.Options{Embedder: emb, ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	rs, err := r.Search(ctx, search.Query{Text: "when do TLS certificates expire", Spaces: []string{"OPS"}})
	if err != nil {
		log.Fatal(err)
	}
	for _, res := range rs {
		fmt.Println(res.DocID, res.Title, "|", res.Heading)
	}
	// Output:
	// added 1, embedded 1
	// confluence:4711 Rotate certificates | Rotate certificates › Load balancer
}
