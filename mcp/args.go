package mcp

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// argSpec is what a tool's input schema says about its arguments: the one
// place arguments are checked, so that every tool refuses unknown or
// missing arguments with the same clear words, and forgives the usual
// slips of a model (a page id sent as a number, a count sent as a string).
type argSpec struct {
	types    map[string]string // argument → JSON type
	names    []string          // in schema order
	required []string
}

// specOf reads an input schema generated from an argument struct.
func specOf(schema json.RawMessage) (argSpec, error) {
	var s struct {
		Properties json.RawMessage `json:"properties"`
		Required   []string        `json:"required"`
	}
	if err := json.Unmarshal(schema, &s); err != nil {
		return argSpec{}, err
	}
	spec := argSpec{types: map[string]string{}, required: s.Required}
	if len(s.Properties) == 0 {
		return spec, nil
	}
	// Decode in order: the names listed in messages follow the schema.
	dec := json.NewDecoder(strings.NewReader(string(s.Properties)))
	if _, err := dec.Token(); err != nil {
		return argSpec{}, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return argSpec{}, err
		}
		name, _ := tok.(string)
		var p struct {
			Type json.RawMessage `json:"type"`
		}
		if err := dec.Decode(&p); err != nil {
			return argSpec{}, err
		}
		var one string
		var many []string
		if json.Unmarshal(p.Type, &one) != nil && json.Unmarshal(p.Type, &many) == nil {
			for _, t := range many {
				if t != "null" {
					one = t
				}
			}
		}
		spec.types[name] = one
		spec.names = append(spec.names, name)
	}
	return spec, nil
}

// normalize checks raw arguments and returns them with forgivable type
// slips corrected, or an argError saying what to fix.
func (s argSpec) normalize(raw any) (map[string]any, error) {
	args := map[string]any{}
	if b, ok := raw.(json.RawMessage); ok {
		raw = nil
		if len(b) > 0 && string(b) != "null" {
			var m map[string]any
			if json.Unmarshal(b, &m) != nil {
				return nil, argError("arguments must be a JSON object")
			}
			raw = m
		}
	}
	switch v := raw.(type) {
	case nil:
	case map[string]any:
		for k, x := range v {
			args[k] = x
		}
	default:
		return nil, argError("arguments must be a JSON object")
	}
	var unknown []string
	for k := range args {
		if _, ok := s.types[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, argError("unknown argument %s: this tool takes %s", quoteAll(unknown), s.takes())
	}
	var missing []string
	for _, k := range s.required {
		if args[k] == nil {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, argError("missing argument %s: this tool takes %s", quoteAll(missing), s.takes())
	}
	for _, k := range s.names {
		v, ok := args[k]
		if !ok {
			continue
		}
		if v == nil { // null: as if not given
			delete(args, k)
			continue
		}
		fixed, ok := coerce(s.types[k], v)
		if !ok {
			return nil, argError("argument %q must be %s, got %s", quoteInput(k), article(s.types[k]), describe(v))
		}
		args[k] = fixed
	}
	return args, nil
}

// coerce returns v as JSON type want, converting what has one obvious
// meaning (5 → "5" for a string, "10" → 10 for an integer, "x" → ["x"]).
func coerce(want string, v any) (any, bool) {
	switch want {
	case "string":
		switch x := v.(type) {
		case string:
			return x, true
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), true
		}
	case "integer":
		switch x := v.(type) {
		case float64:
			return x, x == math.Trunc(x) && math.Abs(x) < 1<<53
		case string:
			n, err := strconv.Atoi(strings.TrimSpace(x))
			return float64(n), err == nil
		}
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, true
		case string:
			b, err := strconv.ParseBool(x)
			return b, err == nil
		}
	case "array":
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if _, ok := e.(string); !ok {
					return nil, false
				}
			}
			return x, true
		case string:
			return []any{x}, true
		}
	case "object":
		_, ok := v.(map[string]any)
		return v, ok
	case "":
		return v, true
	}
	return nil, false
}

func (s argSpec) takes() string {
	if len(s.names) == 0 {
		return "no arguments"
	}
	parts := make([]string, len(s.names))
	for i, n := range s.names {
		parts[i] = n
		if slices.Contains(s.required, n) {
			parts[i] += " (required)"
		}
	}
	return strings.Join(parts, ", ")
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(quoteInput(s))
	}
	return strings.Join(q, ", ")
}

func article(t string) string {
	switch t {
	case "integer":
		return "an integer"
	case "array":
		return "an array of strings"
	case "object":
		return "an object"
	}
	return "a " + t
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", quoteInput(x))
	case float64:
		return "the number " + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
