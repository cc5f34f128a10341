// Package space embeds the sample Confluence space of atlasbridge: "Engineering Handbook" (key ENG),
// about 25 HTML pages the simulator imports by default (one page per file, title from <title>,
// parent from the "Up" link, labels and view restrictions from <meta name="labels|restricted">).
package space

import "embed"

// FS holds the handbook's *.html files at its root.
//
//go:embed *.html
var FS embed.FS
