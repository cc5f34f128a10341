// Package search is atlasbridge's index: the on-disk store of record, and the
// hybrid ranking over it. Open an index directory, Upsert documents (each
// split into chunks, embedded with the configured embed.Embedder), Search
// with a Query, find Similar documents; Status, watermarks and Meta tell
// the indexer what is there.
//
//	x, err := search.Open(ctx, dir, search.Options{Embedder: emb, ReadOnly: true})
//	rs, err := x.Search(ctx, search.Query{Text: "rotate the pager", Spaces: []string{"OPS"}})
//
// The store is one SQLite file (WAL mode: readers in other processes follow
// a writer's commits through a change log, applied at their next Search or
// Reload); one writer holds the directory's lock at a time. Every Upsert is
// one transaction. BeginRebuild writes a new index beside the current one
// and Commit swaps it in with one rename: readers see the old or the
// complete new one, and follow the swap at their next Search or Reload.
//
// A reader maps the snapshot a writer's Close leaves beside the store
// (snapshot.go: vectors in float32 and int8, the BM25 keyword index of
// search/internal/keyword, the documents' metadata) and applies the
// commits since; without a usable one it loads all that from the store.
// With Options.Lazy that happens at its first Search. The vector side
// (search/internal/vec) scans the int8 forms on every core and rescores the
// best exactly. A query ranks chunks by both, fuses the rankings by weighted
// reciprocal rank, groups them per document, applies the filters, and reads
// titles and snippets from the store for the hits only.
//
// Errors that callers act on match a sentinel: ErrNoIndex (sync first),
// ErrModelChanged, ErrEmbedderState, ErrCorrupt and ErrBadGeneration (sync
// --full rebuilds), ErrNotIndexed, ErrReadOnly, ErrClosed; a second writer
// gets *LockedError.
// Live searches of the servers are package retrieve's, above this one.
package search
