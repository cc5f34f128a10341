// Package vec is the index's vector side: unit vectors kept outside the Go
// heap in blocks of consecutive slots, grouped by space or project and
// sharded, and an exhaustive scan of them on every core with an AVX2/FMA dot
// product on amd64 (plain Go elsewhere, or with -tags purego).
//
// Package search loads every chunk's vector into a Store (Add), keeps it in
// step with the store of record (Remove, Renumber) and ranks with Search,
// whose Filter skips whole groups and, through a bitset, chunks whose
// document is filtered out. The scores are cosine similarities.
package vec
