// Package search is atlasbridge's on-disk index and its hybrid ranking: a
// SQLite store (the system of record for documents, chunks, vectors,
// watermarks and the embedder's name), in-memory chromem-go collections and a
// BM25 keyword index loaded from it, fused by reciprocal-rank fusion.
//
// Layout of an index directory:
//
//	index.db, index.db-wal, index.db-shm   the SQLite store (WAL mode)
//	lock                                   held (flock) by the one writer
//
// chromem-go is used in memory only: its persistent mode names document
// files by 32 bits of a hash and writes without rename or fsync, so it cannot
// be the system of record at 100k chunks. Every sync batch is one SQLite
// transaction; readers notice commits through a change log (see
// [Index.Reload]) and apply them incrementally.
package search
