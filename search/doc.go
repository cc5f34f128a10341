// Package search is atlasbridge's on-disk index and its hybrid ranking: a
// SQLite store (the system of record for documents, chunks, vectors,
// watermarks and the embedder's model and state), in-memory chromem-go
// collections and a BM25 keyword index loaded from it, fused by weighted
// reciprocal-rank fusion and grouped per document.
//
// Layout of an index directory:
//
//	index.db, index.db-wal, index.db-shm   the SQLite store (WAL, 16 KiB pages)
//	lock                                   held (flock) by the one writer
//
// chromem-go is used in memory only: its persistent mode names document
// files by 32 bits of a hash and writes without rename or fsync, so it cannot
// be the system of record at 100k chunks. Every Upsert is one SQLite
// transaction; readers (serve) notice commits of another process through a
// change log and apply them incrementally at their next Search (or Reload).
// BM25 term counts are stored per chunk: rebuilding the keyword index from
// them at open is 2–4× faster than tokenising the texts again.
//
// Measured with TestScale (synthetic 120-word chunks, 512-dim vectors, 20
// spaces/projects, shards of 2,048 chunks; `ATLASBRIDGE_SCALE=10000,100000
// go test ./search -run TestScale -v`) on the team's 2-core machine while it
// was busy (load average 7–12), so latencies are upper bounds; CPU time per
// query is the steadier figure:
//
//	chunks  store    open    RSS      hybrid p50 (CPU)  vector p50  keyword p50
//	10k     49 MB    0.2 s   +50 MB   8.4 ms (8.7 ms)   8.1 ms      0.26 ms
//	100k    490 MB   2.5 s   +412 MB  83 ms (92 ms)     84 ms       0.37 ms
//	1M      4.9 GB   91 s    +4.0 GB  1.16 s (1.05 s)   1.06 s      1.2 ms
//
// A query filtered to 3 of the 20 spaces costs a sixth of that. The vector
// side is chromem-go's exhaustive scan, which misses the 15 ms target at
// 100k: BenchmarkVectorScan puts a plain scan of one contiguous matrix at
// about a third of chromem-go's time for the same vectors.
package search
