package atlassian

import "testing"

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{`plain`, `"plain"`},
		{`say "hi"`, `"say \"hi\""`},
		{`back\slash`, `"back\\slash"`},
		{"line\nbreak\x00", `"line break"`},
		{`" OR space = X OR "`, `"\" OR space = X OR \""`},
		{"non\uFDD0char\uFFFEacters\U0010FFFF", `"noncharacters"`},
	}
	for _, tc := range tests {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestTextQuery(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"how do we rotate the on-call pager?", 0, `"how do we rotate the on call pager"`},
		{`login "timeout" AND (crash)`, 0, `"login timeout and crash"`},
		{`*?~^`, 0, ``},
		{"a b c d", 2, `"a b"`},
	}
	for _, tc := range tests {
		if got := TextQuery(tc.in, tc.max); got != tc.want {
			t.Errorf("TextQuery(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
