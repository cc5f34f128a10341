package mcp

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestArgSpec(t *testing.T) {
	spec, err := specOf(json.RawMessage(`{"type":"object","properties":{
		"key":{"type":"string"},"n":{"type":"integer"},"tags":{"type":["null","array"],"items":{"type":"string"}},
		"extra":{"type":"object"},"flag":{"type":"boolean"}},"required":["key"],"additionalProperties":false}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   any
		want map[string]any
		err  string
	}{
		{"fine", map[string]any{"key": "A-1", "n": 3.0}, map[string]any{"key": "A-1", "n": 3.0}, ""},
		{"raw json", json.RawMessage(`{"key":"A-1","tags":["x"]}`), map[string]any{"key": "A-1", "tags": []any{"x"}}, ""},
		{"number for string", map[string]any{"key": 123.0}, map[string]any{"key": "123"}, ""},
		{"string for integer", map[string]any{"key": "k", "n": " 7 "}, map[string]any{"key": "k", "n": 7.0}, ""},
		{"string for array", map[string]any{"key": "k", "tags": "one"}, map[string]any{"key": "k", "tags": []any{"one"}}, ""},
		{"string for boolean", map[string]any{"key": "k", "flag": "true"}, map[string]any{"key": "k", "flag": true}, ""},
		{"null is absent", map[string]any{"key": "k", "n": nil}, map[string]any{"key": "k"}, ""},
		{"nil arguments", nil, nil, `missing argument "key"`},
		{"unknown", map[string]any{"key": "k", "kee": 1.0, "a": 1.0}, nil, `unknown argument "a", "kee": this tool takes key (required), n, tags, extra, flag`},
		{"missing", map[string]any{"n": 1.0}, nil, `missing argument "key"`},
		{"fraction", map[string]any{"key": "k", "n": 1.5}, nil, `argument "n" must be an integer, got the number 1.5`},
		{"word for integer", map[string]any{"key": "k", "n": "ten"}, nil, `argument "n" must be an integer, got the string "ten"`},
		{"object for string", map[string]any{"key": map[string]any{}}, nil, `argument "key" must be a string, got an object`},
		{"array of numbers", map[string]any{"key": "k", "tags": []any{1.0}}, nil, `argument "tags" must be an array of strings`},
		{"string for object", map[string]any{"key": "k", "extra": "x"}, nil, `argument "extra" must be an object`},
		{"not an object", []any{1.0}, nil, "arguments must be a JSON object"},
		{"bad raw json", json.RawMessage(`[1]`), nil, "arguments must be a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problem := spec.normalize(tc.in)
			if tc.err != "" {
				if !strings.Contains(problem, tc.err) {
					t.Fatalf("problem %q, want %q", problem, tc.err)
				}
				return
			}
			if problem != "" || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v %q, want %v", got, problem, tc.want)
			}
		})
	}
}

func TestNextStart(t *testing.T) {
	for _, tc := range []struct{ start, received, total, want int }{
		{0, 10, 25, 10}, {20, 5, 25, 0}, {0, 0, 25, 0}, {0, 10, 0, 0}, {10, 10, 20, 0},
	} {
		if got := nextStart(tc.start, tc.received, tc.total); got != tc.want {
			t.Errorf("nextStart(%d, %d, %d) = %d, want %d", tc.start, tc.received, tc.total, got, tc.want)
		}
	}
}
