package mcp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/markup"
)

// jsonResult is the one place a tool's answer is formatted: compact JSON
// (no indentation, no HTML escaping) as a single text content.
func jsonResult(v any) (*mcpgo.CallToolResult, error) {
	b, err := encode(v)
	if err != nil {
		// Our own result types always encode; failing here is a bug.
		return nil, fmt.Errorf("mcp: encode result: %w", err)
	}
	return mcpgo.NewToolResultText(string(b)), nil
}

// encode is v as jsonResult sends it.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// encodedSize is the length of v as jsonResult sends it; a value that
// does not encode (a bug jsonResult reports) fits no budget.
func encodedSize(v any) int {
	b, err := encode(v)
	if err != nil {
		return math.MaxInt
	}
	return len(b)
}

// fitHits cuts the text of an answer that lists n hits to its budget
// (hitsBudget) with fit's trims. v must point to the answer.
func fitHits(v any, n int, trims ...trim) {
	fit(v, hitsBudget(n), trims...)
}

// table is a list of hits as the search tools give it: the column names
// once, then one row of cells per hit, which costs a third of the bytes of
// one JSON object per hit.
type table struct {
	columns []string
	rows    [][]string
}

// add appends a row; its cells follow the columns.
func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// hoist takes out each named column whose cells are all the same, in an
// answer of two hits or more, and returns those shared values by column
// name ("" for a column empty in every hit, which is only dropped).
func (t *table) hoist(names ...string) map[string]string {
	shared := map[string]string{}
	if len(t.rows) < 2 {
		return shared
	}
	for _, name := range names {
		j := slices.Index(t.columns, name)
		if j < 0 {
			continue
		}
		v := t.rows[0][j]
		if slices.ContainsFunc(t.rows, func(r []string) bool { return r[j] != v }) {
			continue
		}
		shared[name] = v
		t.drop(j)
	}
	return shared
}

// emptied reports whether the named column is there with every cell empty
// (fit dropped all its text).
func (t *table) emptied(name string) bool {
	j := slices.Index(t.columns, name)
	return j >= 0 && !slices.ContainsFunc(t.rows, func(r []string) bool { return r[j] != "" })
}

// dropEmpty takes out each named column that is empty in every hit.
func (t *table) dropEmpty(names ...string) {
	for _, name := range names {
		j := slices.Index(t.columns, name)
		if j >= 0 && !slices.ContainsFunc(t.rows, func(r []string) bool { return r[j] != "" }) {
			t.drop(j)
		}
	}
}

func (t *table) drop(j int) {
	t.columns = slices.Delete(t.columns, j, j+1)
	for i := range t.rows {
		t.rows[i] = slices.Delete(t.rows[i], j, j+1)
	}
}

// cells returns the cells of the named columns, for fit to cut.
func (t *table) cells(names ...string) []*string {
	var out []*string
	for _, name := range names {
		if j := slices.Index(t.columns, name); j >= 0 {
			for i := range t.rows {
				out = append(out, &t.rows[i][j])
			}
		}
	}
	return out
}

// rowList returns the rows for encoding: never null.
func (t *table) rowList() [][]string {
	if t.rows == nil {
		return [][]string{}
	}
	return t.rows
}

// text cleans a string that came from a server before the model reads it:
// invisible and bidi control characters go, surrounding space is trimmed.
func text(s string) string {
	return strings.TrimSpace(markup.Clean(s))
}

// oneLine cleans s, folds its whitespace and cuts it to max runes with an
// ellipsis: for excerpts and other previews.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(markup.Clean(s)), " ")
	if max > 0 && utf8.RuneCountInString(s) > max {
		r := []rune(s)
		cut := max - 1
		// Prefer to end on a word boundary in the last fifth.
		for i := cut; i > max*4/5; i-- {
			if r[i] == ' ' {
				cut = i
				break
			}
		}
		s = strings.TrimRight(string(r[:cut]), " ,;:") + "…"
	}
	return s
}

// stamp formats a server time for the model: UTC to the minute, which is
// as precise as CQL and JQL can query. The zero time is "".
func stamp(t atlassian.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04Z")
}

// day formats a server time as a date only, for dense lists.
func day(t atlassian.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// body is a markdown body cut to max_chars, with where to continue.
type body struct {
	Body       string `json:"body"`
	Truncated  bool   `json:"truncated,omitempty"`
	NextOffset int    `json:"next_offset,omitempty"`
	Length     int    `json:"length,omitempty"` // of the whole body, in bytes, when truncated
}

// cut applies max_chars and offset to a markdown body.
func cut(md string, maxChars, offset int) (body, error) {
	if offset > 0 && offset >= len(md) {
		return body{}, argError("offset %d is past the end: the text is %d bytes long (offset 0 reads it from the start)", offset, len(md))
	}
	part, truncated, next := markup.Truncate(md, maxChars, offset)
	b := body{Body: part, Truncated: truncated}
	if truncated {
		b.NextOffset = next
		b.Length = len(md)
	}
	return b, nil
}

// nextStart is where the next page of a list starts, from the total the
// server sent (0 when none is left or the total is unknown).
func nextStart(start, received, total int) int {
	if received == 0 || total <= 0 || start+received >= total {
		return 0
	}
	return start + received
}
