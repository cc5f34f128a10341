package retrieve

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseSince reads the lower bound of an "updated after" filter: a date
// (2006-01-02), a time (RFC 3339) or an age before now ("30d", "12h",
// "2w"). An empty s is the zero time: no bound.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	units := map[byte]time.Duration{'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	if unit, ok := units[s[len(s)-1]]; ok {
		if n, err := strconv.Atoi(s[:len(s)-1]); err == nil && n >= 0 && n < 100_000 {
			return now.Add(-time.Duration(n) * unit), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want a date like 2024-01-31 or an age like 30d, 12h, 2w", s)
}
