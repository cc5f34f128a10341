package ql

import (
	"strconv"
	"strings"
	"time"
)

// Absolute date layouts both products accept; Go's single-digit month/day fields also accept
// zero-padded input. Date-only fields (Jira's due) take only the first two.
var dateLayouts = []string{"2006-1-2", "2006/1/2", "2006-1-2 15:04", "2006/1/2 15:04"}

// parseDate reads an absolute date in loc or a relative period from now ("-1d", "4w 2d",
// "-1h 30m"). Numbers are Jira's epoch milliseconds.
func parseDate(s string, number bool, now time.Time, loc *time.Location, dateOnly bool) (time.Time, bool) {
	if number {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.UnixMilli(ms).In(loc), true
	}
	s = strings.TrimSpace(s)
	layouts := dateLayouts
	if dateOnly {
		layouts = layouts[:2]
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	if d, ok := parsePeriod(s); ok {
		return now.Add(d), true
	}
	return time.Time{}, false
}

// parsePeriod reads Jira's period format: an optional sign for the whole period, then one or more
// <number><unit> groups (w, d, h, m = minutes; case-insensitive), optionally separated by spaces.
func parsePeriod(s string) (time.Duration, bool) {
	sign := time.Duration(1)
	switch {
	case strings.HasPrefix(s, "-"):
		sign, s = -1, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	var total time.Duration
	groups := 0
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		j := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == 0 || j > 9 || j == len(s) {
			return 0, false
		}
		n, _ := strconv.Atoi(s[:j])
		var unit time.Duration
		switch s[j] {
		case 'w', 'W':
			unit = 7 * 24 * time.Hour
		case 'd', 'D':
			unit = 24 * time.Hour
		case 'h', 'H':
			unit = time.Hour
		case 'm', 'M':
			unit = time.Minute
		default:
			return 0, false
		}
		total += time.Duration(n) * unit
		s = s[j+1:]
		groups++
	}
	return sign * total, groups > 0
}

// dateFunctions are the functions that yield a date, by lower-case name, with their JQL spelling.
var dateFunctions = map[string]string{
	"now": "now", "startofday": "startOfDay", "startofweek": "startOfWeek", "startofmonth": "startOfMonth",
	"startofyear": "startOfYear", "endofday": "endOfDay", "endofweek": "endOfWeek", "endofmonth": "endOfMonth",
	"endofyear": "endOfYear",
}

// increment is a function argument like "-1d", "+2M" or "-1" (in the function's own unit).
type increment struct {
	n    int
	unit byte // y M w d h m
}

// parseIncrement reads (+/-)n(yMwdhm); a bare number counts in defaultUnit.
func parseIncrement(s string, defaultUnit byte) (increment, bool) {
	s = strings.TrimSpace(s)
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == 0 || j > 6 {
		return increment{}, false
	}
	n, _ := strconv.Atoi(s[:j])
	if neg {
		n = -n
	}
	unit := defaultUnit
	switch rest := s[j:]; rest {
	case "":
	case "y", "Y":
		unit = 'y'
	case "M":
		unit = 'M'
	case "w", "W":
		unit = 'w'
	case "d", "D":
		unit = 'd'
	case "h", "H":
		unit = 'h'
	case "m":
		unit = 'm'
	default:
		return increment{}, false
	}
	return increment{n: n, unit: unit}, true
}

func (inc increment) addTo(t time.Time) time.Time {
	switch inc.unit {
	case 'y':
		return t.AddDate(inc.n, 0, 0)
	case 'M':
		return t.AddDate(0, inc.n, 0)
	case 'w':
		return t.AddDate(0, 0, 7*inc.n)
	case 'd':
		return t.AddDate(0, 0, inc.n)
	case 'h':
		return t.Add(time.Duration(inc.n) * time.Hour)
	}
	return t.Add(time.Duration(inc.n) * time.Minute)
}

// evalDateFunction computes name(args) at now in loc. Weeks start on Sunday, as in the products'
// default locale. ok is false when the argument is not an increment.
func evalDateFunction(lname string, args []string, now time.Time, loc *time.Location) (time.Time, bool) {
	now = now.In(loc)
	y, mo, d := now.Date()
	day := time.Date(y, mo, d, 0, 0, 0, 0, loc)
	var start, next time.Time
	var unit byte
	switch lname {
	case "now":
		start, unit = now, 'm'
	case "startofday", "endofday":
		start, next, unit = day, day.AddDate(0, 0, 1), 'd'
	case "startofweek", "endofweek":
		start = day.AddDate(0, 0, -int(now.Weekday()))
		next, unit = start.AddDate(0, 0, 7), 'w'
	case "startofmonth", "endofmonth":
		start = time.Date(y, mo, 1, 0, 0, 0, 0, loc)
		next, unit = start.AddDate(0, 1, 0), 'M'
	case "startofyear", "endofyear":
		start = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
		next, unit = start.AddDate(1, 0, 0), 'y'
	default:
		return time.Time{}, false
	}
	t := start
	if strings.HasPrefix(lname, "end") {
		t = next.Add(-time.Minute)
	}
	if len(args) == 1 {
		inc, ok := parseIncrement(args[0], unit)
		if !ok {
			return time.Time{}, false
		}
		t = inc.addTo(t)
	}
	return t, true
}
