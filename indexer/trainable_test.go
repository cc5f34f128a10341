package indexer

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search"
)

func TestSyncTeachesATrainableEmbedder(t *testing.T) {
	w := newWorld(t, atlassiantest.Options{JiraIssues: 20})
	ctx := context.Background()
	emb := NewMeteredEmbedder(embed.NewBuiltin(embed.BuiltinOptions{}), 2)
	open := func(ctx context.Context) (*search.Index, error) {
		return search.Open(ctx, w.dir, search.Options{Embedder: emb})
	}
	idx, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unfitted := emb.Model()
	ix, err := New(Options{Confluence: w.conf, Jira: w.jira, Index: idx, Embedder: emb, Reopen: open, Now: w.clk.Now,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	first := w.sync(ix, RunOptions{})
	if first.Added == 0 || first.Chunks == 0 || first.Stages.Fit <= 0 {
		t.Errorf("first sync: %+v", first)
	}
	fitted := emb.Model()
	if fitted == unfitted {
		t.Fatalf("the first sync did not fit the embedder (model still %s)", fitted)
	}
	if _, err := os.Stat(filepath.Join(w.dir, EmbedderStateFile)); err != nil {
		t.Fatalf("no embedder state saved: %v", err)
	}
	if ix.Index() == idx {
		t.Fatal("the index was not reopened under the new model")
	}
	st, err := ix.Index().Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Model != fitted || st.Documents != first.Added {
		t.Errorf("index model %q with %d documents, want %q and %d", st.Model, st.Documents, fitted, first.Added)
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
	ix.Index().Close()

	// Another process: a fresh embedder learns the state back and opens
	// the index (a reader, as search and serve do).
	again := embed.NewBuiltin(embed.BuiltinOptions{})
	if ok, err := LoadEmbedderState(w.dir, again); err != nil || !ok {
		t.Fatalf("load state: %v %v", ok, err)
	}
	if again.Model() != fitted {
		t.Fatalf("model after loading %q, want %q", again.Model(), fitted)
	}
	reader, err := search.Open(ctx, w.dir, search.Options{Embedder: again, ReadOnly: true})
	if err != nil {
		t.Fatalf("open with the loaded embedder: %v", err)
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
	reopen := func(ctx context.Context) (*search.Index, error) {
		return search.Open(ctx, w.dir, search.Options{Embedder: again})
	}
	ix2, err := New(Options{Confluence: w.conf, Jira: w.jira, Index: writer, Embedder: again, Reopen: reopen, Now: w.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	inc := w.sync(ix2, RunOptions{})
	if inc.Stages.Fit != 0 || again.Model() != fitted || inc.Added+inc.Updated != 0 {
		t.Errorf("incremental sync refitted or changed something: %+v (model %s)", inc, again.Model())
	}
	full := w.sync(ix2, RunOptions{Full: true})
	if full.Stages.Fit <= 0 || full.Added != first.Added {
		t.Errorf("full sync: fit %s, added %d (first sync added %d)", full.Stages.Fit, full.Added, first.Added)
	}
	ix2.Index().Close()
}

func TestLoadEmbedderStateErrors(t *testing.T) {
	dir := t.TempDir()
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	if ok, err := LoadEmbedderState(dir, emb); ok || err != nil {
		t.Errorf("no state: %v %v", ok, err)
	}
	if err := os.WriteFile(filepath.Join(dir, EmbedderStateFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadEmbedderState(dir, emb); err == nil || !strings.Contains(err.Error(), "sync --full") {
		t.Errorf("damaged state: %v", err)
	}
}
