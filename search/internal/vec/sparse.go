package vec

// A query's zero values add nothing to a dot product, and most of a short
// query is zero: the builtin embedder's vector of a few words has a few
// hashed features among 512 dimensions beside 128 dense latent ones. So
// the scan multiplies only the parts of the query that are not zero: dense
// runs with the vector kernel, isolated values one by one. The integer sum
// is the same as over every dimension, so the scores do not change.

// plan says which parts of a query's int16 form a scan multiplies.
type plan struct {
	q    []int16
	full bool     // dense enough: every dimension, with dotQuant
	runs [][2]int // [from, to) of dense runs, to-from a multiple of runBlock
	idx  []int32  // dimensions outside the runs where q is not zero
	val  []int32  // … and its values there
}

// runBlock is the width of the blocks a plan sorts into dense and sparse:
// the vector kernel's step.
const runBlock = 16

// denseBlock is the fewest non-zero values that make a block dense: below
// it, multiplying them one by one is cheaper than a call of the kernel.
const denseBlock = 4

// denseShare is the share of dimensions, in sixteenths, past which a plan
// multiplies them all: the kernel over everything costs about as much as
// the plan's runs and single values.
const denseShare = 10

// planAll makes every plan multiply every dimension (a benchmark's
// baseline).
var planAll = false

// newPlan returns the plan for the int16 query q.
func newPlan(q []int16) plan {
	p := plan{q: q}
	if planAll {
		return plan{q: q, full: true}
	}
	blocks := len(q) / runBlock
	cost := 0 // dimensions the plan multiplies, a single value counting as a block
	for b := range blocks {
		nz := 0
		for _, x := range q[b*runBlock : (b+1)*runBlock] {
			if x != 0 {
				nz++
			}
		}
		switch {
		case nz >= denseBlock:
			from := b * runBlock
			if n := len(p.runs); n > 0 && p.runs[n-1][1] == from {
				p.runs[n-1][1] = from + runBlock
			} else {
				p.runs = append(p.runs, [2]int{from, from + runBlock})
			}
			cost += runBlock
		case nz > 0:
			p.single(b*runBlock, (b+1)*runBlock)
			cost += nz * runBlock / denseBlock
		}
	}
	p.single(blocks*runBlock, len(q))
	if cost*16 > denseShare*len(q) {
		return plan{q: q, full: true}
	}
	return p
}

// single adds the non-zero values of q[from:to] as single values.
func (p *plan) single(from, to int) {
	for i := from; i < to; i++ {
		if x := p.q[i]; x != 0 {
			p.idx = append(p.idx, int32(i))
			p.val = append(p.val, int32(x))
		}
	}
}

// dot is the dot product of the plan's query with the int8 vector b (as
// long as the query): dotQuant(q, b) exactly.
func (p *plan) dot(b []int8) int32 {
	if p.full {
		return dotQuant(p.q, b)
	}
	var s int32
	for i, j := range p.idx {
		s += p.val[i] * int32(b[j])
	}
	for _, r := range p.runs {
		s += dotQuant(p.q[r[0]:r[1]], b[r[0]:r[1]])
	}
	return s
}
