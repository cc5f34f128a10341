package benchref

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		d, ref time.Duration
		want   string
	}{
		{2 * time.Second, 100 * time.Millisecond, "20.0× ref-v1 (100ms)"},
		{50 * time.Millisecond, 100 * time.Millisecond, "0.5× ref-v1 (100ms)"},
		{time.Second, 0, "no reference"},
	} {
		if got := Ratio(tc.d, tc.ref); got != tc.want {
			t.Errorf("Ratio(%v, %v) = %q, want %q", tc.d, tc.ref, got, tc.want)
		}
	}
}

func TestMeasure(t *testing.T) {
	d := Measure(2)
	if d <= 0 || d > time.Minute {
		t.Errorf("Measure = %v", d)
	}
	if !strings.HasPrefix(Ratio(2*d, d), "2.0×") {
		t.Errorf("Ratio(2·ref, ref) = %q", Ratio(2*d, d))
	}
}

// BenchmarkReference is the workload alone, to see what it costs here.
func BenchmarkReference(b *testing.B) {
	for b.Loop() {
		runtime.KeepAlive(workload())
	}
}
