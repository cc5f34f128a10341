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
// chromem-go stays the collection layer: one collection per space or
// project shard (at most 2,048 chunks), documents added and deleted as the
// store changes. Its query is not used. QueryEmbedding walks the
// collection's map, feeds every document through one channel to its
// workers, keeps a locked heap and copies the results: 80–100 ms per 100k
// vectors, 8 ms per 10k, where a plain scan of the same vectors takes 7.6 ms
// and 0.7 ms (BenchmarkVectorScan, load 4.7); its metadata filters would
// need a copy of our document records in every chromem-go document. So
// each shard keeps its vectors in blocks of consecutive slots (doubling
// from 8 to 256 slots), and chromem-go's
// documents point into them: AddDocument keeps a unit vector without
// copying it (TestVectorScanMatchesChromem checks that chromem-go holds the
// very slices we scan, and that both rank alike). A vector ranking scans
// the shards of the allowed containers on both cores, with an AVX2/FMA dot
// product on amd64 (plain Go elsewhere, or with -tags purego: 2× slower) and
// a small heap per core; document-level filters mark the allowed chunks in
// a bitset first and skip shards with none. Vectors allocated one by one lie
// between other allocations, so a scan of them was 3× slower than
// the same scan of blocks; blocks also use less memory than one
// allocation per vector.
//
// A read-only Open loads all of this; with Options.Lazy it waits for the
// first Search, Similar or Reload, so that callers which only read Status
// or Lookup never pay for it.
//
// Memory is the vectors and little else. The vector blocks are mapped
// outside the Go heap (vecArena): the collector lets the heap grow to twice
// what was live, and loading makes garbage the size of the vectors (the
// SQLite driver copies every blob), so on the heap they were counted twice.
// Keyword postings are delta-encoded (1–2 bytes each); titles, URLs,
// breadcrumbs, headings and texts are read from the store for the final
// hits only; strings and label lists that documents share are shared.
// A one-shot `atlasbridge search --live never` over a store synced from
// atlassim (100,030 documents, 168,078 chunks, 640 dims: 410 MiB of
// vectors) peaked at 882–911 MiB RSS in 2.1 s before and 627–633 MiB in
// 1.8 s after (/usr/bin/time -v, load 0.9, runs alternated); in process
// (TestOpenMemory, ATLASBRIDGE_MEM_OPEN) the heap after loading went from
// 677 to 91 MiB, its peak from 852–881 to 174–190 MiB, RSS high-water from
// 876–890 to 612–628 MiB and the open from 2.2 to 2.0 s. A smaller heap is
// collected more often: a keyword-only query at 100k chunks costs 0.9 ms
// of CPU instead of 0.7 (hybrid and vector queries unchanged).
//
// Measured with TestScale (synthetic 120-word chunks, the builtin embedder
// fitted on them: 640 dims; 20 spaces/projects, shards of 2,048 chunks;
// `ATLASBRIDGE_SCALE=10000,100000,1000000 go test ./search -run TestScale
// -v -timeout 30m`) on the team's 2-core machine while other engineers'
// builds kept it busy (load average 4.8–5.2), with the keyword proximity
// rerank on; "before" is the chromem-go query, measured on the same stores
// at load 4.2 (1M: the earlier figure at load 4.0):
//
//	chunks  open     RSS        hybrid p50 / p99     vector p50   keyword p50
//	10k     0.33 s   +65 MB     1.5 ms / 12 ms       1.0 ms       0.48 ms
//	100k    2.7 s    +408 MB    13.5 ms / 26 ms      9.8 ms       0.65 ms
//	1M      16 s     +3.9 GB    67 ms / 74 ms        64 ms        3.2 ms
//
//	before  open     RSS        hybrid p50           vector p50
//	10k     0.21 s   +83 MB     10.4 ms              11.3 ms
//	100k    2.2 s    +522 MB    105 ms               106 ms
//	1M      16 s     +4.8 GB    850 ms               616 ms
//
// The scan is bound by memory bandwidth (256 MB of vectors per query at
// 100k) and by the CPU the machine leaves it: a whole query costs about
// 11 ms of CPU at 100k, split over both cores, so its wall time ranges from
// 5 ms (vector p50 at load 1.3) to 10–14 ms at load 4–5; p99 is other
// processes taking the cores. Open time is SQLite and the keyword index,
// unchanged (2.2–3.5 s at 100k, old and new alike on this busy machine;
// 1.0 s at load 2.7). A query filtered to 3 of the 20 spaces and 2 of 7
// labels takes 2–4.5 ms at 100k (21–30 ms before). BenchmarkSearchLatency
// reports p50/p99 of Index.Search at 10k and at ATLASBRIDGE_SCALE's sizes;
// at load 2.4 it gave hybrid 1.1 / 1.6 ms at 10k and 7.4 / 9.0 ms at 100k
// (`ATLASBRIDGE_SCALE=100000 go test ./search -run '^$' -bench
// SearchLatency -benchtime 400x`), and BenchmarkVectorScan at 100k:
// chromem-go 55 ms, plain-Go scan 8.6 ms, AVX2 scan 6.4 ms, the index's
// scan 5.8 ms.
package search
