package embed

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

//go:generate go test -run TestWordNetTable -update-wordnet

// wordNetFile is the relation table drawn from WordNet 3.0 (see
// wordnet_gen_test.go and WORDNET-LICENSE): for an English word stem, its
// synonyms and its hypernyms, as stems, one line per stem in stem order,
// after the licence notice (lines starting with "#"). It is general
// knowledge of English that the corpus of Fit may lack.
const wordNetFile = "wordnet.txt.gz"

//go:embed wordnet.txt.gz
var wordNetGz []byte

// relations is the parsed table, loaded on first use.
type relations struct {
	data  []byte
	lines []int32 // start of every line, in stem order
	tabs  []int32 // end of every line's stem
}

var loadRelations = sync.OnceValues(func() (*relations, error) {
	data, err := readWordNetTable()
	if err != nil {
		return nil, err
	}
	r := &relations{data: data}
	for i := 0; i < len(data); {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return nil, fmt.Errorf("embed: %s: last line unterminated", wordNetFile)
		}
		switch line := data[i : i+j]; {
		case bytes.HasPrefix(line, []byte("#")): // the licence notice
		case bytes.Count(line, []byte("\t")) != 2:
			return nil, fmt.Errorf("embed: %s: bad line %q", wordNetFile, line)
		default:
			r.lines = append(r.lines, int32(i))
			r.tabs = append(r.tabs, int32(i+bytes.IndexByte(line, '\t')))
		}
		i += j + 1
	}
	return r, nil
})

func readWordNetTable() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(wordNetGz))
	if err != nil {
		return nil, fmt.Errorf("embed: %s: %w", wordNetFile, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("embed: %s: %w", wordNetFile, err)
	}
	return data, nil
}

// related calls fn with every synonym (hyper false) and hypernym (hyper
// true) of stem.
func (r *relations) related(stem string, fn func(rel string, hyper bool)) {
	for i := 0; i < len(stem); i++ {
		if stem[i] < 'a' || stem[i] > 'z' {
			return // ids, numbers: the table has words of letters only
		}
	}
	// string(…) in a comparison does not allocate: lookups of the many
	// words that have no relations (ids, numbers) stay cheap.
	i := sort.Search(len(r.lines), func(i int) bool { return string(r.key(i)) >= stem })
	if i == len(r.lines) || string(r.key(i)) != stem {
		return
	}
	line := r.line(i)
	_, rest, _ := strings.Cut(line, "\t")
	syn, hyp, _ := strings.Cut(rest, "\t")
	for _, s := range strings.Fields(syn) {
		fn(s, false)
	}
	for _, s := range strings.Fields(hyp) {
		fn(s, true)
	}
}

func (r *relations) line(i int) string {
	end := len(r.data)
	if i+1 < len(r.lines) {
		end = int(r.lines[i+1])
	}
	return string(r.data[r.lines[i] : end-1])
}

func (r *relations) key(i int) []byte {
	return r.data[r.lines[i]:r.tabs[i]]
}
