// Package keyword is the index's keyword side: the tokenizer (Tokenize,
// ForEachTerm), the stored form of a chunk's term counts (Encode), and an
// in-memory BM25 inverted index over chunk ordinals (Index) with a
// term-proximity rerank (Index.Rerank).
//
// The index of package search stores Encode's output with every chunk and
// feeds it to Index.Add when it loads, so that opening an index does not
// tokenise every chunk again. Ordinals are the caller's: dense, handed out in
// increasing order, renumbered by Compact.
package keyword
