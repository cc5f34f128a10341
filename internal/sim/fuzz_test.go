package sim

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRenderWiki checks the wiki renderer never panics and never lets markup through unescaped.
func FuzzRenderWiki(f *testing.F) {
	for _, s := range []string{"h1. x", "*b* _i_ {{m}}", "||a||b||\n|1|2|", "{code:go}\nx\n{code}", "{quote}q", "* a\n## b\n- c",
		"[a|http://x]", "[OPS-1]", "bq. q", "|", "||", "{noformat}", "*", "\x00A\x00 {{x}}", "[|]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := renderWiki(s)
		if utf8.ValidString(s) && strings.Contains(out, "<script") {
			t.Errorf("unescaped markup in %q", out)
		}
	})
}

// FuzzStorage checks the storage helpers (text extraction, view rendering) never panic.
func FuzzStorage(f *testing.F) {
	for _, s := range []string{`<p>a</p>`, `<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[x]]></ac:plain-text-body></ac:structured-macro>`,
		`<ac:link><ri:page ri:content-title="T" /></ac:link>`, `<![CDATA[`, `<`, `&amp;&`, `<ac:structured-macro ac:name="info"><ac:rich-text-body>x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = storageText(s)
		_ = renderView(s, "ENG", "/confluence")
		_ = highlight(s, []string{"a", "x"})
		_ = excerptOf(s, []string{"a"})
	})
}
