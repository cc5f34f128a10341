// Package samples embeds the real Server/DC payloads of this folder (see
// SOURCES.md) for tests of every package: decoding, shapes, fuzz seeds.
package samples

import (
	"embed"
	"encoding/json"
	"io/fs"
	"slices"
)

// FS holds confluence/*.json and jira/*.json.
//
//go:embed confluence/*.json jira/*.json
var FS embed.FS

// Texts returns up to max titles, summaries and names found in the
// payloads, in a stable order: real words for fuzz seeds.
func Texts(max int) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				if s, ok := v[k].(string); ok && (k == "summary" || k == "title" || k == "name") && len(out) < max {
					out = append(out, s)
				}
				walk(v[k])
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	files, _ := fs.Glob(FS, "*/*.json")
	for _, f := range files {
		b, err := FS.ReadFile(f)
		if err != nil {
			continue
		}
		var v any
		if json.Unmarshal(b, &v) == nil {
			walk(v)
		}
	}
	return out
}
