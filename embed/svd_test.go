package embed

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// randomCSR is a rows × cols matrix with about density of its entries set.
func randomCSR(rows, cols int, density float64, seed uint64) (*csr, [][]float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	full := make([][]float64, rows)
	a := &csr{rows: rows, cols: cols, ptr: make([]int32, rows+1)}
	for r := range rows {
		full[r] = make([]float64, cols)
		for c := range cols {
			if rng.Float64() < density {
				v := float32(rng.NormFloat64())
				full[r][c] = float64(v)
				a.idx = append(a.idx, int32(c))
				a.val = append(a.val, v)
			}
		}
		a.ptr[r+1] = int32(len(a.idx))
	}
	return a, full
}

func TestTruncatedSVD(t *testing.T) {
	cases := []struct {
		name       string
		rows, cols int
		k          int
	}{
		{"tall", 60, 25, 6},
		{"wide", 25, 70, 6},
		{"k above rank", 8, 5, 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, full := randomCSR(tc.rows, tc.cols, 0.3, 42)
			u, sv, err := truncatedSVD(context.Background(), a, tc.k, 6)
			if err != nil {
				t.Fatal(err)
			}
			// Reference: eigenvalues of A·Aᵀ, computed densely.
			aat := make([][]float64, tc.rows)
			for i := range aat {
				aat[i] = make([]float64, tc.rows)
				for j := range aat[i] {
					for c := range tc.cols {
						aat[i][j] += full[i][c] * full[j][c]
					}
				}
			}
			ref := make([][]float64, tc.rows)
			for i := range ref {
				ref[i] = slices.Clone(aat[i])
			}
			want, _ := symEigen(ref)
			if len(sv) > min(tc.k, tc.rows, tc.cols) {
				t.Fatalf("%d singular values for k %d of a %d×%d matrix", len(sv), tc.k, tc.rows, tc.cols)
			}
			for j, s := range sv {
				if math.Abs(s*s-want[j]) > 1e-4*want[0] {
					t.Errorf("σ%d² = %.6f, want %.6f", j, s*s, want[j])
				}
				// A·Aᵀ·u = σ²·u, and u has unit length.
				var res, norm float64
				for i := range tc.rows {
					var x float64
					for l := range tc.rows {
						x += aat[i][l] * u.row(l)[j]
					}
					res += (x - s*s*u.row(i)[j]) * (x - s*s*u.row(i)[j])
					norm += u.row(i)[j] * u.row(i)[j]
				}
				// Vectors converge slower than values where the gaps are small,
				// as in random matrices; a wrong vector has a residual near σ².
				if math.Sqrt(res) > 5e-3*want[0] || math.Abs(norm-1) > 1e-9 {
					t.Errorf("vector %d: residual %.3g of σ0² %.3g, norm² %.9f", j, math.Sqrt(res), want[0], norm)
				}
			}
		})
	}
}

func TestFitDoesNotDependOnCores(t *testing.T) {
	corpus := topicCorpus(400, 11)
	fit := func(procs int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		b := NewBuiltin(BuiltinOptions{})
		if err := b.Fit(context.Background(), slices.Values(corpus)); err != nil {
			t.Fatal(err)
		}
		data, err := b.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if !bytes.Equal(fit(1), fit(4)) {
		t.Error("the model fitted on 1 core differs from the one fitted on 4")
	}
}

// TestOrthonormalize checks Cholesky QR on full-rank columns and on
// columns that repeat or combine earlier ones (dropped), or are zero.
func TestOrthonormalize(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	random := func(rows, cols int) *dense {
		x := newDense(rows, cols)
		for i := range x.data {
			x.data[i] = rng.NormFloat64()
		}
		return x
	}
	cases := []struct {
		name string
		x    func() *dense
		keep int
	}{
		{"full rank", func() *dense { return random(50, 7) }, 7},
		{"odd column count", func() *dense { return random(9, 3) }, 3},
		{"repeated and combined columns, a zero one", func() *dense {
			x := random(40, 6)
			for r := range x.rows {
				row := x.row(r)
				row[2] = row[0]                // a repeat
				row[4] = 2*row[1] - 0.5*row[3] // a combination
				row[5] = 0
			}
			return x
		}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := tc.x()
			orig := &dense{rows: x.rows, cols: x.cols, data: slices.Clone(x.data)}
			q := orthonormalize(x)
			if q.cols != tc.keep {
				t.Fatalf("%d columns kept, want %d", q.cols, tc.keep)
			}
			g := gram(q)
			for i := range q.cols {
				for j := range q.cols {
					want := 0.0
					if i == j {
						want = 1
					}
					if math.Abs(g[i][j]-want) > 1e-10 {
						t.Errorf("qᵀq[%d][%d] = %g, want %g", i, j, g[i][j], want)
					}
				}
			}
			// Every original column lies in the span of q: q·qᵀ·x = x.
			for j := range orig.cols {
				var res, norm float64
				coef := make([]float64, q.cols)
				for r := range q.rows {
					for c := range q.cols {
						coef[c] += q.row(r)[c] * orig.row(r)[j]
					}
				}
				for r := range q.rows {
					var p float64
					for c := range q.cols {
						p += q.row(r)[c] * coef[c]
					}
					res += (p - orig.row(r)[j]) * (p - orig.row(r)[j])
					norm += orig.row(r)[j] * orig.row(r)[j]
				}
				if res > 1e-18+1e-18*norm {
					t.Errorf("column %d is outside the span: residual² %g of norm² %g", j, res, norm)
				}
			}
		})
	}
}
