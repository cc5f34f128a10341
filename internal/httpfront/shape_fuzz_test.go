package httpfront

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// shape measures a valid JSON document with the standard decoder: its
// deepest nesting and its longest array.
func shape(b []byte) (depth, longest int, ok bool) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	type level struct {
		array bool
		n     int
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if err != nil {
			return depth, longest, errors.Is(err, io.EOF)
		}
		if len(stack) > 0 && stack[len(stack)-1].array {
			if d, isDelim := tok.(json.Delim); !isDelim || d == '[' || d == '{' {
				stack[len(stack)-1].n++
				longest = max(longest, stack[len(stack)-1].n)
			}
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			stack = append(stack, level{array: tok == json.Delim('[')})
			depth = max(depth, len(stack))
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:len(stack)-1]
		}
	}
}

// FuzzCheckShape: on valid JSON, checkShape refuses exactly the documents
// the standard decoder finds too deep or with too long an array.
func FuzzCheckShape(f *testing.F) {
	for _, s := range []string{`{}`, `[1,2,3]`, `{"a":[[1,[2]],{"b":"[,,]"}]}`, `"\"[,"`, `[[[[[]]]]]`, `[{},{},[]]`} {
		f.Add([]byte(s))
	}
	const maxDepth, maxArray = 4, 3
	f.Fuzz(func(t *testing.T, b []byte) {
		err := checkShape(b, maxDepth, maxArray)
		if err != nil && !errors.Is(err, errShape) {
			t.Fatalf("error outside the family: %v", err)
		}
		depth, longest, ok := shape(b)
		if !ok || !json.Valid(b) {
			return
		}
		if want := depth > maxDepth || longest > maxArray; want != (err != nil) {
			t.Fatalf("%q: depth %d, longest array %d: checkShape says %v", b, depth, longest, err)
		}
	})
}
