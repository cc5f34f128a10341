package retrieve

import (
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"", time.Time{}, false},
		{"2026-01-31", time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), false},
		{"2026-01-31T10:00:00Z", time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC), false},
		{"30d", now.AddDate(0, 0, -30), false},
		{" 12h ", now.Add(-12 * time.Hour), false},
		{"2w", now.AddDate(0, 0, -14), false},
		{"-3d", time.Time{}, true},
		{"d", time.Time{}, true},
		{"31/01/2026", time.Time{}, true},
		{"999999999999d", time.Time{}, true},
	}
	for _, tc := range cases {
		got, err := ParseSince(tc.in, now)
		if (err != nil) != tc.err || !got.Equal(tc.want) {
			t.Errorf("ParseSince(%q) = %v, %v", tc.in, got, err)
		}
	}
}
