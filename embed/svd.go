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
				v := float64(a.val[p])
				xr := x.row(int(a.idx[p]))
				for j, xv := range xr {
					yr[j] += v * xv
				}
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
					v := float64(a.val[p])
					yr := y.row(int(a.idx[p]))[lo:hi]
					for j, xv := range xr {
						yr[j] += v * xv
					}
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
	forRows(x.rows, func(lo, hi int) {
		g := make([]float64, k*k)
		for r := lo; r < hi; r++ {
			xr := x.row(r)
			for i, a := range xr {
				if a == 0 {
					continue
				}
				gi := g[i*k : (i+1)*k]
				for j := i; j < k; j++ {
					gi[j] += a * xr[j]
				}
			}
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
				out[i][j] += g[i*k+j]
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

// orthonormalize returns a matrix whose columns span those of x and are
// orthonormal (through the eigenvectors of xᵀx), dropping directions whose
// energy is negligible. When none is dropped (the usual case) it overwrites
// x and returns it, sparing a copy of x at the fit's peak of memory.
func orthonormalize(x *dense) *dense {
	vals, v := symEigen(gram(x))
	keep := 0
	for keep < len(vals) && vals[keep] > vals[0]*1e-12 && vals[keep] > 0 {
		keep++
	}
	scale := make([]float64, keep)
	for j := range keep {
		scale[j] = 1 / math.Sqrt(vals[j])
	}
	if keep == x.cols {
		mulSmallInPlace(x, v, scale)
		return x
	}
	return mulSmall(x, v, keep, scale)
}

// mulSmallInPlace replaces x by x times the square matrix v, each column
// scaled by scale[j]: the same sums, in the same order, as mulSmall.
func mulSmallInPlace(x *dense, v [][]float64, scale []float64) {
	cols := x.cols
	forRows(x.rows, func(lo, hi int) {
		yr := make([]float64, cols)
		for r := lo; r < hi; r++ {
			clear(yr)
			xr := x.row(r)
			for i, a := range xr {
				if a == 0 {
					continue
				}
				vi := v[i]
				for j := range cols {
					yr[j] += a * vi[j]
				}
			}
			for j := range cols {
				xr[j] = yr[j] * scale[j]
			}
		}
	})
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
				vi := v[i]
				for j := range cols {
					yr[j] += a * vi[j]
				}
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
	sv := make([]float64, k)
	for j := range k {
		sv[j] = math.Sqrt(vals[j])
	}
	return u, sv, nil
}
