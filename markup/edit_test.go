package markup

import (
	"errors"
	"os"

	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// canonicalXML is CanonicalXML, the name the round-trip tests use.
func canonicalXML(s string) string { return CanonicalXML(s) }

// editSamples are the storage bodies of the round-trip suite: name → storage.
func editSamples(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	if files, _ := filepath.Glob(filepath.Join(samplesDir, "*.xml")); len(files) > 0 {
		for _, f := range files {
			if _, err := os.Stat(filepath.Join("testdata", "edit", filepath.Base(f))); err == nil {
				continue // copied into testdata (MIT)
			}
			out["shared/"+filepath.Base(f)] = readFile(t, f)
		}
	} else {
		t.Logf("real Confluence samples not found at %s (they live next to the clone): testing the others only", samplesDir)
	}
	for _, pattern := range []string{"testdata/storage/*.xml", "testdata/edit/*.xml"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if strings.Contains(f, "broken") {
				continue
			}
			out[f] = readFile(t, f)
		}
	}
	return out
}

func TestApplyUnchangedKeepsBytes(t *testing.T) {
	for name, s := range editSamples(t) {
		t.Run(name, func(t *testing.T) {
			md, err := EditableMarkdown(s, testOptions)
			if err != nil {
				t.Fatal(err)
			}
			out, err := ApplyMarkdown(s, md, ApplyOptions{Options: testOptions})
			if err != nil {
				t.Fatal(err)
			}
			if out != s {
				t.Errorf("unchanged markdown changed the storage\n--- got:\n%s\n--- want:\n%s", out, s)
			}
		})
	}
}

var wordPattern = regexp.MustCompile(`\b[A-Za-z]{4,}\b`)

// TestApplyOneWord is the suite of the issue: for each page, render it, change one word, apply,
// and the storage must equal the original but for that word, compared as canonical XML. Every
// word that occurs once in the markdown and once in the storage is tried.
func TestApplyOneWord(t *testing.T) {
	for name, s := range editSamples(t) {
		t.Run(name, func(t *testing.T) {
			md, err := EditableMarkdown(s, testOptions)
			if err != nil {
				t.Fatal(err)
			}
			tried := 0
			for _, w := range uniqueWords(md, s) {
				tried++
				edited := replaceWord(md, w, "Zyzzyva")
				out, err := ApplyMarkdown(s, edited, ApplyOptions{Options: testOptions})
				if err != nil {
					t.Errorf("%q → Zyzzyva: %v", w, err)
					continue
				}
				want := canonicalXML(replaceWord(s, w, "Zyzzyva"))
				if got := canonicalXML(out); got != want {
					t.Errorf("%q → Zyzzyva changed more than the word\n%s", w, firstDiff(got, want))
				}
			}
			if tried == 0 {
				t.Skip("no word occurs once in both the markdown and the storage")
			}
			t.Logf("%d words", tried)
		})
	}
}

// maxWords bounds the words tried per page: each try renders the page twice.
const maxWords = 30

// uniqueWords lists words of md that occur once there and once in storage, as whole words,
// inside the page's text (not a tag, an attribute or a macro parameter): at most maxWords,
// spread over the page.
func uniqueWords(md, storage string) []string {
	inText := textRanges(storage)
	count := func(s string) (map[string]int, map[string]int) {
		n, at := map[string]int{}, map[string]int{}
		for _, m := range wordPattern.FindAllStringIndex(s, -1) {
			w := s[m[0]:m[1]]
			n[w]++
			at[w] = m[0]
		}
		return n, at
	}
	inMD, _ := count(md)
	inStorage, where := count(storage)
	var out []string
	seen := map[string]bool{}
	for _, w := range wordPattern.FindAllString(md, -1) {
		if inMD[w] == 1 && inStorage[w] == 1 && inText(where[w]) && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	if len(out) > maxWords {
		step := float64(len(out)) / maxWords
		var spread []string
		for i := 0; i < maxWords; i++ {
			spread = append(spread, out[int(float64(i)*step)])
		}
		out = spread
	}
	return out
}

// textRanges reports whether an offset of storage lies in text outside macro parameters.
func textRanges(storage string) func(int) bool {
	type r struct{ from, to int }
	var rs []r
	var walk func(*xnode)
	walk = func(n *xnode) {
		for _, c := range n.children {
			switch {
			case c.kind == xText || c.kind == xCDATA:
				rs = append(rs, r{c.start, c.end})
			case c.kind == xElement && c.name != "ac:parameter":
				walk(c)
			}
		}
	}
	walk(parseX(storage))
	return func(off int) bool {
		i := sort.Search(len(rs), func(i int) bool { return rs[i].to > off })
		return i < len(rs) && off >= rs[i].from
	}
}

func replaceWord(s, w, by string) string {
	return regexp.MustCompile(`\b`+w+`\b`).ReplaceAllLiteralString(s, by)
}

// firstDiff shows where two strings part.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	return "got:  …" + got[from:min(len(got), i+120)] + "\nwant: …" + want[from:min(len(want), i+120)]
}

func TestApplyRefusesLoss(t *testing.T) {
	s := `<p>Status: <ac:structured-macro ac:name="status" ac:macro-id="m1"><ac:parameter ac:name="title">Done</ac:parameter><ac:parameter ac:name="colour">Green</ac:parameter></ac:structured-macro> by <ac:link><ri:user ri:userkey="8a7f00aa" /></ac:link></p><p>Second</p>`
	md, err := EditableMarkdown(s, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, "⟦status:Done (Green)⟧") || !strings.Contains(md, "⟦@8a7f00aa⟧") {
		t.Fatalf("placeholders missing:\n%s", md)
	}
	edited := strings.Replace(md, "⟦status:Done (Green)⟧ ", "", 1)
	_, err = ApplyMarkdown(s, edited, ApplyOptions{Options: testOptions})
	var le *LossError
	if !errors.Is(err, ErrWouldLose) || !errors.As(err, &le) || len(le.Lost) != 1 || !strings.Contains(le.Lost[0], "status") {
		t.Fatalf("want a loss error naming the status macro, got %v", err)
	}
	out, err := ApplyMarkdown(s, edited, ApplyOptions{Options: testOptions, AllowLoss: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "status") || !strings.Contains(out, `ri:userkey="8a7f00aa"`) {
		t.Errorf("allowed loss: got %s", out)
	}
}
