// Package vec is the index's vector side: unit vectors, each with an int8
// form, kept outside the Go heap in blocks of consecutive slots (or, for a
// snapshot's vectors, the int8 form in a file mapping and the float32 form
// read from the file on demand), grouped by space or project and sharded;
// an exhaustive scan of the int8 forms on every core with an AVX2 kernel on
// amd64 (plain Go elsewhere, or with -tags purego), whose best candidates
// are rescored exactly with their float32 form. A short query (a few
// hashed features beside dense dimensions) scans a copy of the int8 forms
// split by dimension, reading only the columns where it is not zero.
//
// Package search loads every chunk's vector into a Store (Add, or Attach
// from a snapshot), keeps it in step with the store of record (Remove,
// Renumber) and ranks with Search, whose Filter skips whole groups and,
// through a bitset, chunks whose document is filtered out. The scores are
// cosine similarities.
package vec
