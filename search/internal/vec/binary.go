package vec

import (
	"math/bits"
)

// Before the int8 scan, a large search ranks every vector by a binary code
// of it: one bit per dimension, set where the vector lies above the mean of
// the Store's vectors. The Hamming distance between two codes estimates the
// angle between the mean-centred vectors; XOR and popcount over 80 bytes
// (640 dimensions) cost a tenth of an int8 dot product. Only the best of
// that ranking are scored in int8 and then exactly, so the codes pick
// candidates and never decide a score.
//
// The codes live on the heap, by slot, beside each shard's rows; they are
// made from the int8 forms at the first search that wants them (a snapshot
// need not hold them, and an index only ever filtered need not make them),
// and then kept up to date by Add and Attach.

// codeWords is the number of 64-bit words of a code of dims dimensions.
func codeWords(dims int) int { return (dims + 63) / 64 }

// encode writes into code the bits of v (of scale: v[i] ≈ scale*q[i])
// minus centre.
func encode(code []uint64, q []int8, scale float32, centre []float32) {
	clear(code)
	for i, x := range q {
		if float32(x)*scale > centre[i] {
			code[i>>6] |= 1 << (i & 63)
		}
	}
}

// encodeQuery writes into code the bits of the query q minus centre, and
// into mask those of its non-zero values.
func encodeQuery(code, mask []uint64, q, centre []float32) {
	clear(code)
	clear(mask)
	for i, x := range q {
		if x > centre[i] {
			code[i>>6] |= 1 << (i & 63)
		}
		if x != 0 {
			mask[i>>6] |= 1 << (i & 63)
		}
	}
}

// hamming is the number of bits in which a and b (of the same length)
// differ.
func hamming(a, b, m []uint64) int {
	b = b[:len(a)]
	d := 0
	for i := range a {
		d += bits.OnesCount64((a[i] ^ b[i]) & m[i])
	}
	return d
}

// ensureCodes gives every stored vector its code, computing the centre
// first, unless a search did already.
func (s *Store[K]) ensureCodes() {
	if s.coded.Load() {
		return
	}
	s.codeMu.Lock()
	defer s.codeMu.Unlock()
	if s.coded.Load() {
		return
	}
	sum := make([]float64, s.dims)
	live := 0
	for _, sh := range s.shards {
		for i := range sh.rows {
			r := &sh.rows[i]
			if r.ord < 0 {
				continue
			}
			live++
			for j, x := range r.q {
				sum[j] += float64(x) * float64(r.scale)
			}
		}
	}
	centre := make([]float32, s.dims)
	for j := range centre {
		centre[j] = float32(sum[j] / float64(max(live, 1)))
	}
	s.centre = centre
	for _, sh := range s.shards {
		for i := range sh.rows {
			s.code(sh, int32(i))
		}
	}
	s.coded.Store(true)
}

// code (re)writes the code of row i of sh, once the Store has a centre.
func (s *Store[K]) code(sh *shard, i int32) {
	if s.centre == nil {
		return
	}
	w := codeWords(s.dims)
	if need := (int(i) + 1) * w; len(sh.codes) < need {
		sh.codes = append(sh.codes, make([]uint64, need-len(sh.codes))...)
	}
	r := &sh.rows[i]
	encode(sh.codes[int(i)*w:(int(i)+1)*w], r.q, r.scale, s.centre)
}
