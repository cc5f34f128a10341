// Package indexer keeps the local index in step with Confluence and Jira:
// it crawls what changed since the last sync, converts it to markdown,
// splits it into chunks by headings and hands the documents to package
// search, which embeds and stores them.
//
// A sync of one space or project goes:
//
//	list ids and versions changed since the watermark (minus an overlap)
//	→ fetch the bodies of the ones the index does not hold yet (bounded parallel)
//	→ convert (package markup) → chunk (ChunkMarkdown) → search.Index.Upsert
//	→ save the new watermark, only after the upsert committed.
//
// Deletions, moves and pages that became invisible are noticed by a cheap id
// reconciliation every few syncs. Everything the indexer writes goes through
// one search.Index, so a crash loses at most the batch in flight.
package indexer
