package indexer

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

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

// TestFirstSyncEmbedsEachChunkOnce: a sync that fits the embedder (the
// first one, and a full one) embeds each chunk once, with the fitted model,
// rather than once before the fit and again after it (issue 14).
func TestFirstSyncEmbedsEachChunkOnce(t *testing.T) {
	w := newWorld(t, sim.Options{JiraIssues: 20})
	ctx := context.Background()
	metered := NewMeteredEmbedder(embed.NewBuiltin(embed.BuiltinOptions{}), 2)
	emb := metered.ForIndex()
	idx, err := search.Open(ctx, w.dir, search.Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	ix, err := New(Options{Confluence: w.conf, Jira: w.jira, Index: idx, Embedder: emb, Now: w.clk.Now,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		run  RunOptions
	}{
		{"first sync", RunOptions{}},
		{"full sync", RunOptions{Full: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			metered.Reset()
			sum := w.sync(ix, tc.run)
			_, texts := metered.Took()
			st, err := idx.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Stages.Fit <= 0 || texts == 0 || texts > st.Chunks {
				t.Errorf("%d texts embedded for %d chunks (fit %s), want each chunk at most once", texts, st.Chunks, sum.Stages.Fit)
			}
			if pending, err := idx.VectorsPending(ctx); err != nil || pending {
				t.Errorf("vectors pending after the sync: %v %v", pending, err)
			}
		})
	}
}

// TestInterruptedFirstSyncIsFinishedByTheNext: a first sync stopped before
// the fit leaves its documents stored and the index saying it is not ready
// (never damaged); the next sync, in another process, crawls what is left,
// fits and embeds each chunk once, and ends with the model and ranking of
// an uninterrupted first sync of the same world.
func TestInterruptedFirstSyncIsFinishedByTheNext(t *testing.T) {
	ctx := context.Background()
	opts := sim.Options{JiraIssues: 20}
	open := func(w *world) (*MeteredEmbedder, embed.Embedder, *search.Index) {
		t.Helper()
		metered := NewMeteredEmbedder(embed.NewBuiltin(embed.BuiltinOptions{}), 2)
		emb := metered.ForIndex()
		idx, err := search.Open(ctx, w.dir, search.Options{Embedder: emb})
		if err != nil {
			t.Fatal(err)
		}
		return metered, emb, idx
	}
	newIndexer := func(w *world, idx *search.Index, emb embed.Embedder, progress func(Progress)) *Indexer {
		ix, err := New(Options{Confluence: w.conf, Jira: w.jira, Index: idx, Embedder: emb, Now: w.clk.Now,
			Progress: progress, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return ix
	}
	top := func(idx *search.Index) []string {
		t.Helper()
		res, err := idx.Search(ctx, search.Query{Text: "wireguard profile access portal", K: 5})
		if err != nil {
			t.Fatal(err)
		}
		keys := make([]string, len(res))
		for i, r := range res {
			keys[i] = r.DocID
		}
		return keys
	}

	clean := newWorld(t, opts)
	_, emb, idx := open(clean)
	clean.sync(newIndexer(clean, idx, emb, nil), RunOptions{})
	wantModel, wantTop := emb.Model(), top(idx)
	idx.Close()

	w := newWorld(t, opts)
	_, emb, idx = open(w)
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	fitted := false
	ix := newIndexer(w, idx, emb, func(p Progress) {
		switch p.Phase {
		case "done":
			cancel() // after the first container
		case "fit":
			fitted = true
		}
	})
	w.clk.Advance(time.Minute)
	if _, err := ix.Sync(stop, RunOptions{}); err == nil || fitted {
		t.Fatalf("interrupted sync: err %v, fitted %v", err, fitted)
	}
	st, err := idx.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pending, err := idx.VectorsPending(ctx); err != nil || !pending || st.Chunks == 0 {
		t.Fatalf("after the interruption: %d chunks, vectors pending %v (%v)", st.Chunks, pending, err)
	}
	if _, err := idx.Search(ctx, search.Query{Text: "wireguard", K: 3}); !errors.Is(err, search.ErrNoIndex) || errors.Is(err, search.ErrCorrupt) {
		t.Errorf("search of the unfinished index: %v, want ErrNoIndex", err)
	}
	idx.Close()

	metered, emb, idx := open(w)
	defer idx.Close()
	w.sync(newIndexer(w, idx, emb, nil), RunOptions{})
	_, texts := metered.Took()
	st, err = idx.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if texts == 0 || texts > st.Chunks {
		t.Errorf("the finishing sync embedded %d texts for %d chunks, want each at most once", texts, st.Chunks)
	}
	if emb.Model() != wantModel || st.Model != wantModel {
		t.Errorf("model %s (index %s), an uninterrupted sync fits %s", emb.Model(), st.Model, wantModel)
	}
	if got := top(idx); !slices.Equal(got, wantTop) {
		t.Errorf("ranking %v, an uninterrupted sync gives %v", got, wantTop)
	}
}
