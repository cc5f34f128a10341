package mcp

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Our own result types always encode; failing here is a bug.
		return nil, fmt.Errorf("mcp: encode result: %w", err)
	}
	return mcpgo.NewToolResultText(strings.TrimSuffix(b.String(), "\n")), nil
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
func cut(md string, maxChars, offset int) body {
	part, truncated, next := markup.Truncate(md, maxChars, offset)
	b := body{Body: part, Truncated: truncated}
	if truncated {
		b.NextOffset = next
		b.Length = len(md)
	}
	return b
}

// nextStart is where the next page of a list starts, from the total the
// server sent (0 when none is left or the total is unknown).
func nextStart(start, received, total int) int {
	if received == 0 || total <= 0 || start+received >= total {
		return 0
	}
	return start + received
}
