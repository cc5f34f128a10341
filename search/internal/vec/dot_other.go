//go:build !amd64 || purego

package vec

// dot is the dot product of two vectors of the same length: the cosine
// similarity of unit vectors.
func dot(a, b []float32) float32 { return dotGeneric(a, b) }
