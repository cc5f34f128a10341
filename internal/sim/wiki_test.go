package sim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestRenderWiki(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"heading", "h2. Steps to fix", `<h2><a name="Stepstofix"></a>Steps to fix</h2>`},
		{"bold italic", "a *bold* and _it_ word", "<p>a <b>bold</b> and <em>it</em> word</p>"},
		{"not bold inside words", "2*3*4 snake_case_name", "<p>2*3*4 snake_case_name</p>"},
		{"mono", "run {{make test}} now", "<p>run <tt>make test</tt> now</p>"},
		{"escape", "a <b> & c", "<p>a &lt;b&gt; &amp; c</p>"},
		{"external link", "[Google|https://google.com]", `<a href="https://google.com" class="external-link" rel="nofollow">Google</a>`},
		{"bare link", "[https://example.org]", `<a href="https://example.org" class="external-link" rel="nofollow">https://example.org</a>`},
		{"issue link", "see [OPS-12]", `class="issue-link" data-issue-key="OPS-12">OPS-12</a>`},
		{"bullets", "* one\n* two\n** nested", "<ul class=\"alternate\" type=\"square\">\n\t<li>one</li>\n\t<li>two<ul class=\"alternate\" type=\"square\">\n\t<li>nested</li></ul>\n</li></ul>\n"},
		{"numbered", "# first\n# second", "<ol>\n\t<li>first</li>\n\t<li>second</li></ol>\n"},
		{"code", "{code:sql}\nSELECT 1 < 2;\n{code}", "<pre class=\"code-sql\">SELECT 1 &lt; 2;</pre>"},
		{"noformat", "{noformat}\n*raw*\n{noformat}", "<div class=\"preformatted panel\" style=\"border-width: 1px;\"><div class=\"preformattedContent panelContent\">\n<pre>*raw*</pre>"},
		{"quote", "{quote}\nwise words\n{quote}", "<blockquote>\n<p>wise words</p>\n</blockquote>"},
		{"bq", "bq. short quote", "<blockquote><p>short quote</p></blockquote>"},
		{"table", "||A||B||\n|1|2|", "<table class='confluenceTable'><tbody>\n<tr>\n<th class='confluenceTh'>A</th>\n<th class='confluenceTh'>B</th>\n</tr>\n<tr>\n<td class='confluenceTd'>1</td>\n<td class='confluenceTd'>2</td>\n</tr>\n</tbody></table>"},
		{"paragraph lines", "one\ntwo\n\nthree", "<p>one<br/>\ntwo</p>\n<p>three</p>\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := renderWiki(tc.in); !strings.Contains(got, tc.want) {
				t.Errorf("renderWiki(%q) =\n%s\nwant it to contain\n%s", tc.in, got, tc.want)
			}
		})
	}
}

// TestRenderWikiSamples renders the real wiki markup samples (with CRLF line ends) against a golden file.
func TestRenderWikiSamples(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(samplesDir, "jira/wiki_markup_samples.cloud2013_v2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var samples map[string]string
	if err := json.Unmarshal(raw, &samples); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(samples))
	for k := range samples {
		if !strings.HasPrefix(k, "_") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("== " + k + "\n" + renderWiki(samples[k]) + "\n")
	}
	golden(t, "wiki_samples.golden", b.String())
}

func TestJiraDurations(t *testing.T) {
	for _, tc := range []struct {
		in   string
		secs int64
		ok   bool
		out  string
	}{
		{"1h 30m", 5400, true, "1h 30m"}, {"2d", 57600, true, "2d"}, {"1w 1d", 28800 * 6, true, "1w 1d"},
		{"90m", 5400, true, "1h 30m"}, {"1.5h", 5400, true, "1h 30m"}, {"", 0, false, ""}, {"soon", 0, false, ""}, {"3x", 0, false, ""},
	} {
		secs, ok := parseJiraDuration(tc.in)
		if secs != tc.secs || ok != tc.ok {
			t.Errorf("parse %q = %d %v", tc.in, secs, ok)
		}
		if ok && formatJiraDuration(secs) != tc.out {
			t.Errorf("format %d = %q, want %q", secs, formatJiraDuration(secs), tc.out)
		}
	}
}
