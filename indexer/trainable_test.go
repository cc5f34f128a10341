package indexer

import (
	"context"
	"log/slog"
	"testing"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

func TestSyncTeachesATrainableEmbedder(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 20})
	ctx := context.Background()
	metered := NewMeteredEmbedder(embed.NewBuiltin(embed.BuiltinOptions{}), 2)
	emb := metered.ForIndex()
	if asTrainable(emb) == nil {
		t.Fatal("ForIndex hides that the builtin is trainable")
	}
	idx, err := search.Open(ctx, w.dir, search.Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	unfitted := emb.Model()
	newIndexer := func(idx *search.Index, emb embed.Embedder, drift float64) *Indexer {
		ix, err := New(Options{Confluence: w.conf, Jira: w.jira, Index: idx, Embedder: emb, Now: w.clk.Now,
			RefitDrift: drift, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return ix
	}
	first := w.sync(newIndexer(idx, emb, 0), RunOptions{})
	if first.Added == 0 || first.Chunks == 0 || first.Stages.Fit <= 0 {
		t.Errorf("first sync: %+v", first)
	}
	fittedModel := emb.Model()
	if fittedModel == unfitted {
		t.Fatalf("the first sync did not fit the embedder (model still %s)", fittedModel)
	}
	st, err := idx.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Model != fittedModel || st.Documents != first.Added {
		t.Errorf("index model %q with %d documents, want %q and %d", st.Model, st.Documents, fittedModel, first.Added)
	}
	wms := 0
	for _, c := range st.Containers {
		if !c.Watermark.LastSync.IsZero() {
			wms++
		}
	}
	if wms != len(first.Containers) {
		t.Errorf("%d watermarks saved for %d containers", wms, len(first.Containers))
	}
	idx.Close()

	// Another process: search.Open hands a fresh embedder what the first
	// one learnt, and searches with it.
	again := NewMeteredEmbedder(embed.NewBuiltin(embed.BuiltinOptions{}), 2).ForIndex()
	reader, err := search.Open(ctx, w.dir, search.Options{Embedder: again, ReadOnly: true})
	if err != nil {
		t.Fatalf("open with a fresh embedder: %v", err)
	}
	if again.Model() != fittedModel {
		t.Errorf("model after open %q, want %q", again.Model(), fittedModel)
	}
	res, err := reader.Search(ctx, search.Query{Text: "wireguard profile access portal", K: 3})
	reader.Close()
	found := false
	for _, r := range res {
		found = found || r.Key == w.pages[testTitle("VPN setup")]
	}
	if err != nil || !found {
		t.Errorf("search after fitting: %v %+v", err, res)
	}

	// An incremental sync keeps the model; a full one learns again.
	writer, err := search.Open(ctx, w.dir, search.Options{Embedder: again})
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	inc := w.sync(newIndexer(writer, again, 0), RunOptions{})
	if inc.Stages.Fit != 0 || again.Model() != fittedModel || inc.Added+inc.Updated != 0 || inc.Refitted {
		t.Errorf("incremental sync refitted or changed something: %+v (model %s)", inc, again.Model())
	}
	full := w.sync(newIndexer(writer, again, 0), RunOptions{Full: true})
	if full.Stages.Fit <= 0 || full.Added != first.Added {
		t.Errorf("full sync: fit %s, added %d (first sync added %d)", full.Stages.Fit, full.Added, first.Added)
	}

	// New content past the drift threshold makes the embedder learn the
	// index again and every chunk re-embedded in one go.
	if err := w.srv.GeneratePages("GEN", 40, 9); err != nil {
		t.Fatal(err)
	}
	drifted := w.sync(newIndexer(writer, again, 0.0001), RunOptions{Reconcile: true})
	if !drifted.Refitted || drifted.Stages.Fit <= 0 {
		t.Errorf("no refit after drift: %+v", drifted)
	}
	st, err = writer.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Model != again.Model() || st.Model == fittedModel {
		t.Errorf("after the refit the index model is %q, the embedder's %q (before: %q)", st.Model, again.Model(), fittedModel)
	}
}
