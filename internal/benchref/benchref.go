// Package benchref measures a fixed reference workload, so that a benchmark
// can print its figure both as a time and as a multiple of the reference
// measured in the same run. Machines differ, and a shared machine's load
// changes from minute to minute: a figure that doubles with its reference
// came from a slower (or busier) machine, one that doubles alone from a
// slower program.
//
// The workload resembles what the indexer and the embedder do: it hashes
// and looks up short strings in a map, sorts integers, and multiplies a
// sparse-like float64 matrix, on one goroutine. It never changes: a change
// would make old ratios incomparable (bump Version with it).
package benchref

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"time"
)

// Version names the workload; print it with a ratio.
const Version = "ref-v1"

// Measure runs the workload runs times on the calling goroutine and returns
// the CPU time of the fastest run (wall time where the system does not say):
// on a shared machine the wall time of a run is mostly waiting for a core,
// its CPU time much less so. Compare CPU times with it, or take wall times
// with a grain of salt.
func Measure(runs int) time.Duration {
	best := time.Duration(0)
	for range max(runs, 1) {
		t0, c0 := time.Now(), CPUTime()
		runtime.KeepAlive(workload())
		d := CPUTime() - c0
		if c0 == 0 {
			d = time.Since(t0)
		}
		if best == 0 || d < best {
			best = d
		}
	}
	return best
}

func workload() float64 {
	// Words and map lookups, as in tokenizing and counting.
	words := make([]string, 4096)
	for i := range words {
		words[i] = "w" + strconv.Itoa(i*7919%10007)
	}
	counts := map[string]int{}
	for i := range 400_000 {
		counts[words[(i*31)%len(words)]]++
	}
	// Sorting, as in merging features.
	xs := make([]uint64, 200_000)
	var h uint64 = 1469598103934665603
	for i := range xs {
		h ^= uint64(i)
		h *= 1099511628211
		xs[i] = h
	}
	slices.Sort(xs)
	// Floating point over rows, as in the SVD.
	const n, k = 2000, 64
	m := make([]float64, n*k)
	for i := range m {
		m[i] = float64(i%97) / 97
	}
	var acc float64
	for it := range 20 {
		for r := range n {
			row := m[r*k : (r+1)*k]
			other := m[((r*13+it)%n)*k:][:k]
			var dot float64
			for j, x := range row {
				dot += x * other[j]
			}
			acc += dot
		}
	}
	return acc + float64(len(counts)) + float64(xs[len(xs)/2]%7)
}

// Ratio formats d as a multiple of the reference: "12.3× ref-v1 (41ms)".
func Ratio(d, ref time.Duration) string {
	if ref <= 0 {
		return "no reference"
	}
	return fmt.Sprintf("%.1f× %s (%s)", float64(d)/float64(ref), Version, ref.Round(100*time.Microsecond))
}
