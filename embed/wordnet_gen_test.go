package embed

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The relation table is generated from WordNet 3.0 as Debian ships it
// (apt-get install wordnet-base), by this test:
//
//	go test ./embed -run TestWordNetTable -update-wordnet
//
// Without the flag it checks that the committed table is what the generator
// makes of the installed WordNet (skipped when it is not installed).
var updateWordNet = flag.Bool("update-wordnet", false, "rewrite "+wordNetFile+" from "+wordNetDir)

const wordNetDir = "/usr/share/wordnet"

func TestWordNetTable(t *testing.T) {
	if _, err := os.Stat(filepath.Join(wordNetDir, "data.noun")); err != nil {
		t.Skipf("WordNet missing (apt-get install wordnet-base): %v", err)
	}
	table, err := buildWordNetTable(wordNetDir)
	if err != nil {
		t.Fatal(err)
	}
	if *updateWordNet {
		writeGzipTable(t, wordNetFile, table)
		return
	}
	committed, err := readWordNetTable()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, table) {
		t.Errorf("%s is not what the generator makes of %s: run go generate ./embed", wordNetFile, wordNetDir)
	}
}

// writeGzipTable writes a generated relation table, compressed, to path.
func writeGzipTable(t *testing.T, path string, table []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(table)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes (%d uncompressed)", path, buf.Len(), len(table))
}

// wnSenses is how many senses of a word (WordNet lists them most frequent
// first) give it relations: rare senses ("bloat" as a cattle disease) would
// pull a word towards meanings it hardly ever has in documentation.
const wnSenses = 2

// wnMaxRelated caps each word's synonyms and its hypernyms.
const wnMaxRelated = 12

type wnSynset struct {
	words []string // single lower-case words of the synset
	hyper []string // keys ("n00001740") of its hypernyms
}

// buildWordNetTable makes the relation table: one line per stem with
// relations, "stem TAB synonyms TAB hypernyms", each list separated by
// spaces, sorted by stem. Only single words of letters take part;
// synonyms come from the first wnSenses senses of every word that has the
// stem, hypernyms are those senses' direct hypernyms (instances included).
func buildWordNetTable(dir string) ([]byte, error) {
	synsets := map[string]*wnSynset{}
	poss := []struct{ name, tag string }{{"noun", "n"}, {"verb", "v"}, {"adj", "a"}, {"adv", "r"}}
	for _, p := range poss {
		if err := eachWordNetLine(filepath.Join(dir, "data."+p.name), func(f []string) error {
			if len(f) < 4 {
				return fmt.Errorf("short line")
			}
			var n int
			if _, err := fmt.Sscanf(f[3], "%x", &n); err != nil || len(f) < 4+2*n+1 {
				return fmt.Errorf("bad word count %q", f[3])
			}
			ss := &wnSynset{}
			for i := range n {
				if w, ok := wnWord(f[4+2*i]); ok {
					ss.words = append(ss.words, w)
				}
			}
			rest := f[4+2*n:]
			var np int
			if _, err := fmt.Sscanf(rest[0], "%d", &np); err != nil || len(rest) < 1+4*np {
				return fmt.Errorf("bad pointer count %q", rest[0])
			}
			for i := range np {
				sym, off, pos := rest[1+4*i], rest[2+4*i], rest[3+4*i]
				if sym == "@" || sym == "@i" {
					ss.hyper = append(ss.hyper, wnKey(pos, off))
				}
			}
			synsets[wnKey(p.tag, f[0])] = ss
			return nil
		}); err != nil {
			return nil, err
		}
	}
	type rel struct{ syn, hyp []string }
	rels := map[string]*rel{}
	for _, p := range poss {
		if err := eachWordNetLine(filepath.Join(dir, "index."+p.name), func(f []string) error {
			w, ok := wnWord(f[0])
			if !ok {
				return nil
			}
			st := stemOf(w)
			if st == "" {
				return nil
			}
			var nss int
			if len(f) < 4 {
				return fmt.Errorf("short line")
			}
			fmt.Sscanf(f[2], "%d", &nss)
			offs := f[len(f)-nss:]
			r := rels[st]
			if r == nil {
				r = &rel{}
				rels[st] = r
			}
			add := func(list []string, words []string) []string {
				for _, x := range words {
					if s := stemOf(x); s != "" && s != st && !slices.Contains(list, s) {
						list = append(list, s)
					}
				}
				return list
			}
			for _, off := range offs[:min(wnSenses, len(offs))] {
				ss := synsets[wnKey(p.tag, off)]
				if ss == nil {
					return fmt.Errorf("unknown synset %s", off)
				}
				r.syn = add(r.syn, ss.words)
				for _, h := range ss.hyper {
					if hs := synsets[h]; hs != nil {
						r.hyp = add(r.hyp, hs.words)
					}
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	stems := make([]string, 0, len(rels))
	for st, r := range rels {
		r.hyp = slices.DeleteFunc(r.hyp, func(h string) bool { return slices.Contains(r.syn, h) })
		if len(r.syn)+len(r.hyp) > 0 {
			stems = append(stems, st)
		}
	}
	slices.Sort(stems)
	var out bytes.Buffer
	notice, err := os.ReadFile("WORDNET-LICENSE")
	if err != nil {
		return nil, err
	}
	// The licence asks for its notice on all copies: the table carries it.
	for _, line := range strings.Split(strings.TrimRight(string(notice), "\n"), "\n") {
		fmt.Fprintf(&out, "#%s\n", strings.TrimRightFunc(" "+line, unicode.IsSpace))
	}
	for _, st := range stems {
		r := rels[st]
		fmt.Fprintf(&out, "%s\t%s\t%s\n", st, strings.Join(r.syn[:min(len(r.syn), wnMaxRelated)], " "),
			strings.Join(r.hyp[:min(len(r.hyp), wnMaxRelated)], " "))
	}
	return out.Bytes(), nil
}

func wnKey(pos, off string) string {
	if pos == "s" { // adjective satellites live in data.adj
		pos = "a"
	}
	return pos + off
}

// wnWord returns a lemma as a word of the tokenizer: letters only, lower
// case, without the (a)/(p) adjective markers; multi-word lemmas fail.
func wnWord(lemma string) (string, bool) {
	lemma, _, _ = strings.Cut(lemma, "(")
	lemma = strings.ToLower(lemma)
	if len(lemma) < 2 {
		return "", false
	}
	for i := 0; i < len(lemma); i++ {
		if lemma[i] < 'a' || lemma[i] > 'z' {
			return "", false
		}
	}
	return lemma, true
}

func stemOf(w string) string {
	if isStopWord(w) {
		return ""
	}
	return stem(w)
}

// eachWordNetLine calls fn with the fields of every line of a WordNet file
// but the licence header (lines starting with two spaces).
func eachWordNetLine(path string, fn func([]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(bufio.NewReaderSize(f, 1<<16))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "  ") {
			continue
		}
		if err := fn(strings.Fields(line)); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	return sc.Err()
}
