package indexer

import "testing"

func TestPlainLinks(t *testing.T) {
	tests := []struct{ in, want string }{
		{"see [Foreign keys](http://127.0.0.1:8080/confluence/display/PG/3.3.+Foreign+Keys) first", "see [Foreign keys] first"},
		{"![diagram](/download/attachments/1/a.png \"title\") and [x](https://h/p_(q))", "![diagram] and [x]"},
		{"no links [here] (really)", "no links [here] (really)"},
		{"```\nf[0](x)\n```\n[a](b)\n", "```\nf[0](x)\n```\n[a]\n"},
		{"~~~go\n[a](b)\n~~~\n", "~~~go\n[a](b)\n~~~\n"},
	}
	for _, tc := range tests {
		if got := plainLinks(tc.in); got != tc.want {
			t.Errorf("plainLinks(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
