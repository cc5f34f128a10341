package markup

import (
	"path/filepath"
	"strings"
	"testing"
)

func wikiSamples(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, f := range fixtures(t, "testdata/wiki/*.wiki") {
		out[filepath.Base(f)] = readFile(t, f)
	}
	return out
}

func TestApplyWikiUnchangedKeepsBytes(t *testing.T) {
	for name, s := range wikiSamples(t) {
		t.Run(name, func(t *testing.T) {
			md := EditableWiki(s)
			out, err := ApplyWiki(s, md, ApplyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if out != s {
				t.Errorf("unchanged markdown changed the wiki text\n--- got:\n%q\n--- want:\n%q\n--- markdown:\n%s", out, s, md)
			}
		})
	}
}

// TestApplyWikiOneWord: render, change one word, apply: the wiki text equals the original but
// for that word, byte for byte.
func TestApplyWikiOneWord(t *testing.T) {
	for name, s := range wikiSamples(t) {
		t.Run(name, func(t *testing.T) {
			md := EditableWiki(s)
			words := 0
			for _, w := range uniqueWikiWords(md, s) {
				words++
				out, err := ApplyWiki(s, replaceWordAt(md, w, "Zyzzyva"), ApplyOptions{})
				if err != nil {
					t.Errorf("%q: %v", w, err)
					continue
				}
				if want := replaceWordAt(s, w, "Zyzzyva"); out != want {
					t.Errorf("%q → Zyzzyva changed more than the word\n%s", w, firstDiff(out, want))
				}
			}
			if words == 0 {
				t.Fatal("no word to change")
			}
		})
	}
}

// uniqueWikiWords lists the words that occur once in the markdown and once in the wiki text,
// outside link targets, image names and macro tags (editing those is editing the target).
func uniqueWikiWords(md, wiki string) []string {
	p := buildWikiPage(wiki)
	inMarkup := func(off int) bool {
		for _, a := range p.atoms {
			end := a.off + len(a.src)
			if strings.HasPrefix(a.src, "[") && !strings.HasPrefix(a.src, "[~") {
				if bar := strings.IndexByte(a.src, '|'); bar >= 0 {
					end = a.off + bar // the label is text
					if off >= a.off && off < end {
						return false
					}
					end = a.off + len(a.src)
				}
			}
			if off >= a.off && off < end {
				return true
			}
		}
		for _, l := range p.leaves {
			if l.wcode != nil && off >= l.wcode.bodyFrom-len(l.wcode.open) && off < l.wcode.bodyFrom {
				return true
			}
		}
		return false
	}
	var out []string
	for _, w := range wordPattern.FindAllString(md, -1) {
		at := wordsAt(wiki, w)
		if len(wordsAt(md, w)) == 1 && len(at) == 1 && !inMarkup(at[0]) {
			out = append(out, w)
		}
	}
	return out
}

// replaceWordAt replaces w where it is a whole word by the rules of the patch (letters and
// digits; "_" ends a word as in wiki and markdown emphasis).
func replaceWordAt(s, w, by string) string {
	at := wordsAt(s, w)
	for i := len(at) - 1; i >= 0; i-- {
		s = s[:at[i]] + by + s[at[i]+len(w):]
	}
	return s
}

func TestApplyWikiEdits(t *testing.T) {
	wiki := readFile(t, "testdata/wiki/rich.wiki")
	md := EditableWiki(wiki)
	cases := []struct {
		name    string
		edit    func(string) string
		want    []string
		wantErr error
	}{
		{
			name: "a rewritten sentence keeps mentions and colours",
			edit: func(s string) string {
				return strings.Replace(s, "Owner: ⟦@jsmith⟧, reviewer ⟦@amy.lee⟧.", "Owned by **⟦@jsmith⟧**; reviewed by ⟦@amy.lee⟧.", 1)
			},
			want: []string{"Owned by *[~jsmith]*; reviewed by [~amy.lee]. Status is {color:red}*blocked*{color} until the {color:#00875a}security review{color} passes."},
		},
		{
			name: "a paragraph added in the panel stays in it",
			edit: func(s string) string {
				return strings.Replace(s, "shows the target layout.", "shows the target layout.\n\nAsk *first*.", 1)
			},
			want: []string{"shows the target layout.\n\nAsk _first_.\n{panel}"},
		},
		{
			name: "edited code keeps the tag's options",
			edit: func(s string) string { return strings.Replace(s, "kubectl apply", "kubectl diff", 1) },
			want: []string{"{code:title=deploy.sh|borderStyle=solid|language=bash}\n#!/bin/sh\nkubectl diff -f manifests/\n{code}"},
		},
		{
			name: "a new list item keeps the other items' markup",
			edit: func(s string) string {
				return strings.Replace(s, "1. numbered", "1. numbered\n1. another", 1)
			},
			want: []string{"# another", "{{inline code}}"},
		},
		{
			name: "a new table row keeps the header cells and the mention",
			edit: func(s string) string {
				return strings.Replace(s, "| Push to the registry | *ops team* | (x) |", "| Push to the registry | *ops team* | (x) |\n| Tag the **release** | ⟦@amy.lee⟧ | |", 1)
			},
			want: []string{"||Step||Owner||Done||\n|Build the image|[~jsmith]|(/)|\n|Push to the registry|_ops team_|(x)|\n|Tag the *release*|[~amy.lee]| |\n"},
		},
		{
			name:    "a deleted mention is refused",
			edit:    func(s string) string { return strings.Replace(s, ", reviewer ⟦@amy.lee⟧", "", 1) },
			wantErr: ErrWouldLose,
		},
		{
			name: "a new mention and colour become markup",
			edit: func(s string) string {
				return strings.Replace(s, "A short quote line.", "A ⟦color:blue⟧short⟦color⟧ line for ⟦@bob⟧.", 1)
			},
			want: []string{"bq. A {color:blue}short{color} line for [~bob]."},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			edited := tc.edit(md)
			if edited == md {
				t.Fatal("the edit changed nothing: fix the test")
			}
			out, err := ApplyWiki(wiki, edited, ApplyOptions{})
			appliedAsWanted(t, out, err, tc.wantErr, tc.want)
		})
	}
}
