package atlassian

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Time is a timestamp as Confluence and Jira write it. Jira omits the colon
// of the zone offset ("2011-12-05T13:48:14.000+0000"), Confluence keeps it
// ("2021-09-03T10:09:57.427+02:00"), some fields are dates or epoch
// milliseconds. The zero Time is encoded as null.
type Time struct{ time.Time }

var timeLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05.000Z07:00",
	time.RFC3339Nano,
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// UnmarshalJSON accepts every timestamp form the servers send.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" || string(b) == `""` {
		t.Time = time.Time{}
		return nil
	}
	if b[0] != '"' {
		ms, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return fmt.Errorf("timestamp %s: %w", b, err)
		}
		t.Time = time.UnixMilli(ms)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	parsed, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// MarshalJSON writes RFC 3339 with milliseconds, or null for the zero Time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Format("2006-01-02T15:04:05.000Z07:00"))
}

// ParseTime parses a timestamp in any of the servers' layouts.
func ParseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q: unknown layout", s)
}

// ID is an identifier the servers send as a JSON string or a number (a
// Confluence space id is a number, a page id a string).
type ID string

// UnmarshalJSON accepts a string or a number.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*id = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id %s: %w", b, err)
	}
	*id = ID(n.String())
	return nil
}

// String returns the id as text.
func (id ID) String() string { return string(id) }
