//go:build !amd64 || purego

package vec

// dot is the dot product of two vectors of the same length: the cosine
// similarity of unit vectors.
func dot(a, b []float32) float32 { return dotGeneric(a, b) }

// dotQuant is the dot product of an int16 query and an int8 vector of the
// same length.
func dotQuant(a []int16, b []int8) int32 { return dotQuantGeneric(a, b) }
