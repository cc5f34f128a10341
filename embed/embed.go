// Package embed turns text into vectors for the index: the builtin offline
// embedder and clients for Ollama and OpenAI-compatible embedding endpoints.
//
// New builds the one that a Config names. The builtin embedder is also a
// Trainable: it learns from the corpus during sync (see Trainable for the
// indexer's protocol). The remote clients batch, retry 429 and 5xx answers
// with backoff (honouring Retry-After), normalise the vectors, refuse a
// change of dimension, and keep the API key out of every error.
package embed

import "context"

// Embedder turns texts into L2-normalised vectors.
//
// Implementations must be safe for concurrent use and deterministic for a
// given model: the index refuses to mix vectors of two Model values.
type Embedder interface {
	// Model names the embedder and its model, as recorded with the index,
	// e.g. "builtin/hash-v1" or "ollama/nomic-embed-text".
	Model() string
	// Embed returns one normalised vector per text, in the order given.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// As returns e, or the first embedder it wraps, as a T: wrappers (a meter,
// a cache) say what they wrap with an Unwrap() Embedder method, and need
// not forward every optional interface (Trainable, a Warm method) of it.
func As[T any](e Embedder) (T, bool) {
	for e != nil {
		if t, ok := e.(T); ok {
			return t, true
		}
		u, ok := e.(interface{ Unwrap() Embedder })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
	var zero T
	return zero, false
}
