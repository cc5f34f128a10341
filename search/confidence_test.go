package search

import "testing"

func TestConfidence(t *testing.T) {
	res := func(cov ...float64) []Result {
		var rs []Result
		for _, c := range cov {
			rs = append(rs, Result{Coverage: c})
		}
		return rs
	}
	tests := []struct {
		name string
		rs   []Result
		want float64
		weak bool
	}{
		{"no result", nil, 0, true},
		{"the first holds all", res(1, 0.2, 0.1), 1, false},
		{"the third holds most", res(0.2, 0.3, 0.6, 0.9), 0.6, false},
		{"beyond the third does not count", res(0.2, 0.3, 0.4, 0.9), 0.4, true},
		{"at the bound", res(WeakBelow), WeakBelow, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, weak := Confidence(tc.rs)
			if got != tc.want || weak != tc.weak {
				t.Fatalf("Confidence = %v, %v; want %v, %v", got, weak, tc.want, tc.weak)
			}
		})
	}
}
