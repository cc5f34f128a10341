package vec

import "math"

// Vectors are scanned in an int8 form (a fourth of the memory, and of the
// bytes a scan reads) and the best of them scored again with their float32
// form: the scan only picks candidates, the scores are exact cosines.

// quantize writes the int8 form of v into q (as long) and returns its
// scale: v[i] ≈ scale * q[i], the largest |v[i]| mapped to 127.
func quantize(q []int8, v []float32) float32 {
	q = q[:len(v)]
	m := maxAbs(v)
	if m == 0 {
		clear(q)
		return 0
	}
	inv := 127 / float64(m)
	for i, f := range v {
		q[i] = int8(max(-127, min(127, math.Round(float64(f)*inv))))
	}
	return m / 127
}

// quantizeQuery writes the int16 form of the query q into out and returns
// its scale. Its largest value is bounded so that no sum of dims products
// with int8 values overflows an int32 (the AVX2 kernel adds in int32).
func quantizeQuery(out []int16, q []float32) float32 {
	out = out[:len(q)]
	m := maxAbs(q)
	if m == 0 {
		clear(out)
		return 0
	}
	top := min(math.MaxInt16, float64(math.MaxInt32)/(127*float64(max(len(q), 1))))
	inv := top / float64(m)
	for i, f := range q {
		out[i] = int16(math.Round(float64(f) * inv))
	}
	return float32(float64(m) / top)
}

// maxAbs is the largest absolute value in v (0 for none).
func maxAbs(v []float32) float32 {
	var m float32
	for _, f := range v {
		m = max(m, float32(math.Abs(float64(f))))
	}
	return m
}

// dotQuantGeneric is the dot product of an int16 query and an int8 vector
// of the same length in plain Go.
func dotQuantGeneric(a []int16, b []int8) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	// Eight at a time through fixed-size windows: the compiler drops the
	// bounds checks, which cost more than the multiplications.
	for len(a) >= 8 {
		x, y := a[:8:8], b[:8:8]
		s0 += int32(x[0])*int32(y[0]) + int32(x[4])*int32(y[4])
		s1 += int32(x[1])*int32(y[1]) + int32(x[5])*int32(y[5])
		s2 += int32(x[2])*int32(y[2]) + int32(x[6])*int32(y[6])
		s3 += int32(x[3])*int32(y[3]) + int32(x[7])*int32(y[7])
		a, b = a[8:], b[8:]
	}
	for i := range a {
		s0 += int32(a[i]) * int32(b[i])
	}
	return s0 + s1 + s2 + s3
}
