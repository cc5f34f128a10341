package embed

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// csr is a sparse matrix in compressed-row form.
type csr struct {
	rows, cols int
	ptr        []int32 // row r holds idx/val[ptr[r]:ptr[r+1]]
	idx        []int32
	val        []float32
}

// dense is a row-major matrix.
type dense struct {
	rows, cols int
	data       []float64
}

func newDense(rows, cols int) *dense {
	return &dense{rows: rows, cols: cols, data: make([]float64, rows*cols)}
}

func (d *dense) row(i int) []float64 { return d.data[i*d.cols : (i+1)*d.cols] }

// mulDense returns a·x, x being a.cols × k.
func (a *csr) mulDense(x *dense) *dense {
	y := newDense(a.rows, x.cols)
	forRows(a.rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			yr := y.row(r)
			for p := a.ptr[r]; p < a.ptr[r+1]; p++ {
				axpy(yr, x.row(int(a.idx[p])), float64(a.val[p]))
			}
		}
	})
	return y
}

// mulDenseT returns aᵀ·x, x being a.rows × k, without building aᵀ, which
// would be as large as a, the largest matrix of the fit. The k columns are
// split between the cores; each entry of the result is summed over the rows
// of a in order, as a row of aᵀ would hold them, so the result does not
// depend on the number of cores.
func (a *csr) mulDenseT(x *dense) *dense {
	y := newDense(a.cols, x.cols)
	parts := max(min(runtime.GOMAXPROCS(0), x.cols), 1)
	size := (x.cols + parts - 1) / parts
	var wg sync.WaitGroup
	for lo := 0; lo < x.cols; lo += size {
		hi := min(lo+size, x.cols)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < a.rows; r++ {
				xr := x.row(r)[lo:hi]
				for p := a.ptr[r]; p < a.ptr[r+1]; p++ {
					axpy(y.row(int(a.idx[p]))[lo:hi], xr, float64(a.val[p]))
				}
			}
		}()
	}
	wg.Wait()
	return y
}

// rowBlocks is the fixed number of blocks that the matrix code splits rows
// into: fixed, so that sums are taken in the same order on every machine and
// the model does not depend on the number of cores.
const rowBlocks = 64

// forRows calls fn on blocks of [0, n), on all cores.
func forRows(n int, fn func(lo, hi int)) {
	size := (n + rowBlocks - 1) / rowBlocks
	if size == 0 {
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), rowBlocks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1)) - 1
				lo := b * size
				if lo >= n {
					return
				}
				fn(lo, min(lo+size, n))
			}
		}()
	}
	wg.Wait()
}

// gram returns xᵀ·x, summing per block of rows and then the blocks in order.
func gram(x *dense) [][]float64 {
	k := x.cols
	size := (x.rows + rowBlocks - 1) / rowBlocks
	parts := make([][]float64, rowBlocks)
	// Columns in pairs: a zero column pads an odd count.
	kp := k + k%2
	forRows(x.rows, func(lo, hi int) {
		g := make([]float64, kp*kp)
		t := make([]float64, kp*gramRows) // a tile of x, transposed
		for r0 := lo; r0 < hi; r0 += gramRows {
			b := min(gramRows, hi-r0)
			for r := range b {
				for i, v := range x.row(r0 + r) {
					t[i*b+r] = v
				}
			}
			if k < kp {
				clear(t[k*b : kp*b])
			}
			gramTile(g, t[:kp*b], kp, b)
		}
		parts[lo/size] = g
	})
	out := make([][]float64, k)
	for i := range out {
		out[i] = make([]float64, k)
	}
	for _, g := range parts {
		if g == nil {
			continue
		}
		for i := range k {
			for j := i; j < k; j++ {
				out[i][j] += g[i*kp+j]
			}
		}
	}
	for i := range k {
		for j := 0; j < i; j++ {
			out[i][j] = out[j][i]
		}
	}
	return out
}

// gramRows is the height of the tiles of gram: a tile of 140 columns stays
// in the first-level cache of most cores.
const gramRows = 32

// gramTile adds tᵀ·t to the upper triangle of g (kp × kp, kp even), t
// holding kp columns of b values each. Pairs of columns against pairs:
// each value loaded serves two products.
func gramTile(g, t []float64, kp, b int) {
	for i := 0; i < kp; i += 2 {
		a0, a1 := t[i*b:(i+1)*b], t[(i+1)*b:(i+2)*b]
		g0, g1 := g[i*kp:(i+1)*kp], g[(i+1)*kp:(i+2)*kp]
		for j := i; j < kp; j += 2 {
			c0, c1 := t[j*b:(j+1)*b], t[(j+1)*b:(j+2)*b]
			a0, a1, c1 := a0[:len(c0)], a1[:len(c0)], c1[:len(c0)]
			var s00, s01, s10, s11 float64
			for r, c := range c0 {
				x0, x1, d := a0[r], a1[r], c1[r]
				s00 += x0 * c
				s01 += x0 * d
				s10 += x1 * c
				s11 += x1 * d
			}
			g0[j] += s00
			g0[j+1] += s01
			g1[j] += s10
			g1[j+1] += s11
		}
	}
}

// symEigen diagonalises the symmetric matrix a with cyclic Jacobi rotations
// and returns its eigenvalues in decreasing order with the eigenvectors as
// the columns of v. a is destroyed.
func symEigen(a [][]float64) (vals []float64, v [][]float64) {
	n := len(a)
	v = make([][]float64, n)
	for i := range v {
		v[i] = make([]float64, n)
		v[i][i] = 1
	}
	for sweep := 0; sweep < 60; sweep++ {
		var off, diag float64
		for i := range n {
			diag += a[i][i] * a[i][i]
			for j := i + 1; j < n; j++ {
				off += a[i][j] * a[i][j]
			}
		}
		if off <= 1e-22*diag || off == 0 {
			break
		}
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				apq := a[p][q]
				if math.Abs(apq) < 1e-300 {
					continue
				}
				theta := (a[q][q] - a[p][p]) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range n {
					akp, akq := a[k][p], a[k][q]
					a[k][p] = c*akp - s*akq
					a[k][q] = s*akp + c*akq
				}
				for k := range n {
					apk, aqk := a[p][k], a[q][k]
					a[p][k] = c*apk - s*aqk
					a[q][k] = s*apk + c*aqk
				}
				for k := range n {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p] = c*vkp - s*vkq
					v[k][q] = s*vkp + c*vkq
				}
			}
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return a[order[i]][order[i]] > a[order[j]][order[j]] })
	vals = make([]float64, n)
	sorted := make([][]float64, n)
	for i := range sorted {
		sorted[i] = make([]float64, n)
	}
	for c, o := range order {
		vals[c] = a[o][o]
		for r := range n {
			sorted[r][c] = v[r][o]
		}
	}
	return vals, sorted
}

// orthonormalize returns a matrix whose columns are orthonormal and span
// those of x, by Cholesky QR: xᵀx = RᵀR, and x·R⁻¹ is orthonormal. That
// takes half the multiplications of the eigenvectors of xᵀx, and no
// eigen decomposition. A column (almost) in the span of the columns before
// it is dropped. When none is (the usual case) it overwrites x and returns
// it, sparing a copy of x at the fit's peak of memory.
//
// Cholesky QR loses orthogonality with the square of x's condition, which
// the power iterations keep small: each orthonormalizes a product of the
// corpus matrix with an orthonormal basis. The last step (truncatedSVD)
// diagonalises what is left.
func orthonormalize(x *dense) *dense {
	g := gram(x)
	n := x.cols
	var maxDiag float64
	for j := range n {
		maxDiag = max(maxDiag, g[j][j])
	}
	// Column p of the result is (x_kept[p] − Σ_{q<p} y_q·l[p][q]) / diag[p]:
	// l is Rᵀ over the kept columns, its rows contiguous for the solve.
	var kept []int
	var l [][]float64
	var diag []float64
	for j := range n {
		// rj[q] = R[kept[q]][j], from R[kept[m]][kept[q]] = l[q][m].
		rj := make([]float64, len(kept))
		d := g[j][j]
		for q, i := range kept {
			s := g[i][j]
			for m, v := range l[q] {
				s -= v * rj[m]
			}
			rj[q] = s / diag[q]
			d -= rj[q] * rj[q]
		}
		if !(d > 1e-9*g[j][j] && d > 1e-24*maxDiag) {
			continue // dependent on the columns before it, or zero
		}
		kept = append(kept, j)
		l = append(l, rj)
		diag = append(diag, math.Sqrt(d))
	}
	keep := len(kept)
	// Four rows at a time, so that each value of l loaded serves four
	// products; a short group repeats its last row.
	forRows(x.rows, func(lo, hi int) {
		var ys [4][]float64
		for i := range ys {
			ys[i] = make([]float64, keep)
		}
		for r0 := lo; r0 < hi; r0 += 4 {
			var xs [4][]float64
			for i := range xs {
				xs[i] = x.row(min(r0+i, hi-1))
			}
			for p, j := range kept {
				s0, s1, s2, s3 := dot4(l[p], ys[0][:p], ys[1][:p], ys[2][:p], ys[3][:p])
				ys[0][p] = (xs[0][j] - s0) / diag[p]
				ys[1][p] = (xs[1][j] - s1) / diag[p]
				ys[2][p] = (xs[2][j] - s2) / diag[p]
				ys[3][p] = (xs[3][j] - s3) / diag[p]
			}
			for i := range min(4, hi-r0) {
				copy(xs[i], ys[i])
			}
		}
	})
	if keep == n {
		return x
	}
	y := newDense(x.rows, keep)
	for row := range x.rows {
		copy(y.row(row), x.row(row)[:keep])
	}
	return y
}

// axpy adds a·x to y, y at least as long as x. Unrolled: it is the inner
// loop of every product of the fit. Each element's sum is taken in the same
// order as the plain loop.
func axpy(y, x []float64, a float64) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		x4, y4 := x[i:i+4:i+4], y[i:i+4:i+4]
		y4[0] += a * x4[0]
		y4[1] += a * x4[1]
		y4[2] += a * x4[2]
		y4[3] += a * x4[3]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}

// dot4 returns the dot products of l with y0, y1, y2 and y3, each as long
// as l.
func dot4(l, y0, y1, y2, y3 []float64) (s0, s1, s2, s3 float64) {
	y0, y1, y2, y3 = y0[:len(l)], y1[:len(l)], y2[:len(l)], y3[:len(l)]
	for i, v := range l {
		s0 += v * y0[i]
		s1 += v * y1[i]
		s2 += v * y2[i]
		s3 += v * y3[i]
	}
	return s0, s1, s2, s3
}

// mulSmall returns x times the first cols columns of the small square
// matrix v, each result column scaled by scale[j] when scale is not nil.
func mulSmall(x *dense, v [][]float64, cols int, scale []float64) *dense {
	y := newDense(x.rows, cols)
	forRows(x.rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x.row(r), y.row(r)
			for i, a := range xr {
				if a == 0 {
					continue
				}
				axpy(yr, v[i][:cols], a)
			}
			if scale != nil {
				for j := range cols {
					yr[j] *= scale[j]
				}
			}
		}
	})
	return y
}

// truncatedSVD returns the k leading left singular vectors of a (a.rows × k,
// fewer if a has lower rank) and the singular values, by randomized range
// finding with power iterations (Halko, Martinsson, Tropp 2011). The random
// start is seeded, so the result is deterministic.
func truncatedSVD(ctx context.Context, a *csr, k, iters int) (*dense, []float64, error) {
	l := min(k+12, a.cols, a.rows)
	rng := rand.New(rand.NewPCG(0x5eed, uint64(a.rows)<<32|uint64(a.cols)))
	omega := newDense(a.cols, l)
	for i := range omega.data {
		omega.data[i] = rng.NormFloat64()
	}
	q := orthonormalize(a.mulDense(omega))
	for range iters {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		z := orthonormalize(a.mulDenseT(q))
		q = orthonormalize(a.mulDense(z))
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	// B = qᵀa; B·Bᵀ = zᵀz with z = aᵀq. Its eigenvectors w give u = q·w.
	z := a.mulDenseT(q)
	vals, w := symEigen(gram(z))
	k = min(k, len(vals))
	for k > 0 && vals[k-1] <= vals[0]*1e-12 {
		k--
	}
	u := mulSmall(q, w, k, nil)
	flipSigns(u)
	sv := make([]float64, k)
	for j := range k {
		sv[j] = math.Sqrt(vals[j])
	}
	return u, sv, nil
}

// flipSigns makes the entry of largest magnitude of each column of u
// positive (the first of equals). A singular vector's sign is arbitrary:
// fixed this way, the model does not depend on the basis that the
// orthonormalization happened to choose.
func flipSigns(u *dense) {
	for j := range u.cols {
		var best float64
		for r := range u.rows {
			if x := u.data[r*u.cols+j]; math.Abs(x) > math.Abs(best) {
				best = x
			}
		}
		if best < 0 {
			for r := range u.rows {
				u.data[r*u.cols+j] = -u.data[r*u.cols+j]
			}
		}
	}
}
