package mcp

import (
	"errors"

	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

// noIndexNote tells the model why there is no index: not synced yet, or
// the error that opening it gave.
func noIndexNote(err error) string {
	if err == nil || errors.Is(err, search.ErrNoIndex) {
		return retrieve.ErrNoIndex.Error()
	}
	return "the index cannot be opened: " + err.Error()
}
