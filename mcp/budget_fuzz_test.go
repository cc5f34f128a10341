package mcp

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTextCuts feeds arbitrary server text to what shapes and cuts hit
// text: no panic, the reckoned JSON length is the encoded one, cuts keep
// their bound, and valid UTF-8 stays valid.
//
//	go test ./mcp -run '^$' -fuzz '^FuzzTextCuts$' -fuzztime 60s
func FuzzTextCuts(f *testing.F) {
	f.Add("Deploy Guide Run the @@@hl@@@deploy@@@endhl@@@ script", "Deploy Guide", 40)
	f.Add(strings.Repeat("lead word ", 20)+"@@@hl@@@rollback@@@endhl@@@ steps", "", 24)
	f.Add("@@@hl@@@Backup@@@endhl@@@ Notes 31 This page describes", "Backup Notes 31", 160)
	f.Add("bad \xff utf-8 \u2028 \"quoted\" \x01", "bad", 3)
	f.Add("@@@endhl@@@@@@hl@@@", "@@@", 1)
	f.Fuzz(func(t *testing.T, raw, title string, n int) {
		n = 1 + abs(n)%300
		ex := excerpt(withoutTitle(raw, title), max(n, 2))
		if c := utf8.RuneCountInString(ex); c > max(n, 2) {
			t.Fatalf("excerpt of %d runes, max %d: %q", c, max(n, 2), ex)
		}
		if strings.Contains(ex, hlOpen) || strings.Contains(ex, hlClose) {
			t.Fatalf("highlight markers left in %q", ex)
		}
		for _, s := range []string{raw, title, ex} {
			b, err := encode(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := jsonStringLen(s); got != len(b) {
				t.Fatalf("jsonStringLen(%q) = %d, encoded %d", s, got, len(b))
			}
		}
		if utf8.RuneCountInString(raw) > n {
			cut := cutLine(raw, n)
			if c := utf8.RuneCountInString(cut); c > n {
				t.Fatalf("cutLine(%q, %d) has %d runes", raw, n, c)
			}
			if utf8.ValidString(raw) && !utf8.ValidString(cut) {
				t.Fatalf("cutLine(%q, %d) = %q: invalid UTF-8", raw, n, cut)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -(n + 1) // no overflow at the smallest int
	}
	return n
}
