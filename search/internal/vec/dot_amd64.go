//go:build amd64 && !purego

package vec

import "golang.org/x/sys/cpu"

// hasAVX2FMA says whether dot may use the AVX2/FMA kernel (the OS saves the
// YMM registers too: x/sys/cpu checks XGETBV).
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotAVX2 is the dot product of the first n floats of a and b, n a positive
// multiple of 8, with four 8-lane FMA accumulators (dot_amd64.s).
//
//go:noescape
func dotAVX2(a, b *float32, n int) float32

// dot is the dot product of two vectors of the same length: the cosine
// similarity of unit vectors. On amd64 with AVX2 and FMA it is about twice
// as fast as dotGeneric, which makes a 100k-row scan memory-bound.
func dot(a, b []float32) float32 {
	if !hasAVX2FMA || len(a) < 8 {
		return dotGeneric(a, b)
	}
	b = b[:len(a)]
	n := len(a) &^ 7
	s := dotAVX2(&a[0], &b[0], n)
	for i := n; i < len(a); i++ {
		s += a[i] * b[i]
	}
	return s
}

// dotQuantAVX2 is the dot product of the first n values of a and b, n a
// positive multiple of 16 (quant_amd64.s).
//
//go:noescape
func dotQuantAVX2(a *int16, b *int8, n int) int32

// dotQuant is the dot product of an int16 query and an int8 vector of the
// same length.
func dotQuant(a []int16, b []int8) int32 {
	if !hasAVX2FMA || len(a) < 16 {
		return dotQuantGeneric(a, b)
	}
	b = b[:len(a)]
	n := len(a) &^ 15
	s := dotQuantAVX2(&a[0], &b[0], n)
	for i := n; i < len(a); i++ {
		s += int32(a[i]) * int32(b[i])
	}
	return s
}
