// Package indexer keeps the local index in step with Confluence and Jira:
// it crawls what changed since the last sync, converts it to markdown,
// splits it into chunks by headings and hands the documents to package
// search, which embeds and stores them.
//
// A sync of one space or project goes:
//
//	list ids and modification times since the watermark minus an overlap
//	  (CQL lastmodified / JQL updated, ascending, keyset-paged: 200 or 1000 a page)
//	→ keep those the index does not hold at that time
//	→ fetch their bodies 50 to a request (CQL "id in (…)", JQL "key in (…)"),
//	  convert (package markup) and chunk (ChunkMarkdown) with bounded parallelism
//	→ search.Index.Upsert in batches, from one goroutine, while fetching goes on
//	→ save the new watermark, only after every upsert committed.
//
// A sync with nothing changed costs one listing request per container. Every
// 12th sync of a container, or once a day, or with RunOptions.Reconcile, the
// listing covers the whole container instead: ids the index holds but the
// listing lacks are checked one by one and removed (deleted, moved, no longer
// visible), and any change an incremental window missed is fetched.
//
// A crash or a full disk loses at most the batch in flight: the watermark has
// not moved, and the next sync lists the same window again and fetches only
// what the index does not hold yet. A full sync fills a search.Rebuild.
//
// A trainable embedder (the builtin) learns the index after the crawl of a
// first or full sync, and again when the index drifts; every chunk is then
// re-embedded in one transaction (see Options.Embedder).
package indexer
