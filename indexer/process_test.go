package indexer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search"
)

// breakable is an embedder that fails once broken, to make the store fail.
type breakable struct {
	embed.Embedder
	broken atomic.Bool
}

var errEmbedderDown = errors.New("embedder down")

func (b *breakable) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if b.broken.Load() {
		return nil, errEmbedderDown
	}
	return b.Embedder.Embed(ctx, texts)
}

// TestProcess drives the build → gather → store pipeline with items whose
// build is scripted, and checks what each way of ending leaves behind.
func TestProcess(t *testing.T) {
	errFetch := errors.New("fetch failed")
	tests := []struct {
		name string
		// build says what item i gives; cancel, when set, is called once
		// the item numbered cancelAt is built.
		build       func(i int) (*search.Document, error)
		breakStore  bool
		cancelAt    int
		wantErr     error  // errors.Is
		wantText    string // in the error
		wantAdded   int    // added and updated, when there is no error
		wantDeleted int
		wantErrors  int // at least
	}{
		{name: "all stored", build: doc, wantAdded: 200},
		{name: "gone items deleted", wantAdded: 150, wantDeleted: 50, build: func(i int) (*search.Document, error) {
			if i < 50 {
				return nil, fmt.Errorf("get: %w", atlassian.ErrNotFound)
			}
			return doc(i)
		}},
		{name: "too many failures", wantErr: errFetch, wantText: "documents failed, giving up", wantErrors: 5, build: func(i int) (*search.Document, error) {
			if i%2 == 1 {
				return nil, errFetch
			}
			return doc(i)
		}},
		{name: "store fails", breakStore: true, wantErr: errEmbedderDown, build: func(i int) (*search.Document, error) {
			d, _ := doc(i)
			d.Chunks[0].Text += ", second edition" // new text, to embed
			return d, nil
		}},
		{name: "caller cancels", cancelAt: 70, wantErr: context.Canceled, build: doc},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			emb := &breakable{Embedder: embed.NewBuiltin(embed.BuiltinOptions{})}
			idx, err := search.Open(t.Context(), t.TempDir(), search.Options{Embedder: emb})
			if err != nil {
				t.Fatal(err)
			}
			defer idx.Close()
			conf, _ := atlassian.NewConfluence("http://confluence.invalid", atlassian.Options{})
			var reports []Progress
			ix, err := New(Options{Confluence: conf, Index: idx, Concurrency: 4, BatchSize: 16, MaxErrors: 5,
				Progress: func(p Progress) { reports = append(reports, p) }})
			if err != nil {
				t.Fatal(err)
			}
			// The index holds the first 50 already, so that gone items have
			// something to delete.
			stored := map[string]time.Time{}
			var first []search.Document
			for i := range 50 {
				d, _ := doc(i)
				first = append(first, *d)
				stored[d.ID] = d.Updated
			}
			if _, err := idx.Upsert(t.Context(), first); err != nil {
				t.Fatal(err)
			}
			emb.broken.Store(tc.breakStore)

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var built atomic.Int32
			todo := make([]item, 200)
			for i := range todo {
				todo[i] = item{id: fmt.Sprint("confluence:", i), build: func(ctx context.Context, st *Stages) (*search.Document, error) {
					st.requests++
					if tc.cancelAt > 0 && int(built.Add(1)) == tc.cancelAt {
						cancel()
					}
					if err := ctx.Err(); err != nil {
						return nil, err
					}
					return tc.build(i)
				}}
			}
			var sum ContainerSummary
			res := ix.process(ctx, "confluence", "ENG", todo, stored, nil, time.Now(), &sum)

			if tc.wantErr == nil && res.err != nil || tc.wantErr != nil && !errors.Is(res.err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", res.err, tc.wantErr)
			}
			if tc.wantText != "" && !strings.Contains(res.err.Error(), tc.wantText) {
				t.Errorf("err = %v, want %q", res.err, tc.wantText)
			}
			if tc.wantErr == nil {
				// Every build counted its request, and progress ended at the total.
				if res.requests != len(todo) {
					t.Errorf("requests = %d, want %d", res.requests, len(todo))
				}
				if last := reports[len(reports)-1]; last.Done != len(todo) || last.Total != len(todo) {
					t.Errorf("last progress %+v, want %d of %d", last, len(todo), len(todo))
				}
			}
			if n := sum.Added + sum.Updated; tc.wantErr == nil && n != tc.wantAdded || tc.wantErr != nil && n >= len(todo) {
				t.Errorf("added+updated %d, want %d (all of them only without an error)", n, tc.wantAdded)
			}
			if sum.Deleted != tc.wantDeleted || sum.Errors < tc.wantErrors {
				t.Errorf("deleted %d errors %d, want %d ≥%d", sum.Deleted, sum.Errors, tc.wantDeleted, tc.wantErrors)
			}
			for i := 1; i < len(reports); i++ {
				if reports[i].Done < reports[i-1].Done {
					t.Fatalf("progress went back: %+v after %+v", reports[i], reports[i-1])
				}
			}
		})
	}
}

// doc is the document item i builds.
func doc(i int) (*search.Document, error) {
	return &search.Document{
		ID: fmt.Sprint("confluence:", i), Source: "confluence", Container: "ENG", Key: fmt.Sprint(i),
		Title: fmt.Sprint("Page ", i), Updated: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), Type: "page",
		Chunks: []search.Chunk{{Text: fmt.Sprintf("page %d about deploying release %d", i, i*7)}},
	}, nil
}
