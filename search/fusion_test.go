package search

import "testing"

func TestKeywordWeightOfLongQueries(t *testing.T) {
	noLong := defaultFusion
	noLong.longQuery = 0
	cases := []struct {
		name  string
		fu    fusion
		terms int
		want  float64
	}{
		{"short", defaultFusion, 4, 2},
		{"at the threshold", defaultFusion, 10, 2},
		{"long", defaultFusion, 11, 0.5},
		{"rule off (Similar)", noLong, 200, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.fu.keywordWeight(tc.terms); got != tc.want {
				t.Errorf("keywordWeight(%d) = %v, want %v", tc.terms, got, tc.want)
			}
		})
	}
}
