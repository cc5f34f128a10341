package main

import (
	"context"
	"errors"
	"io"
)

// runSearch is not written yet: it lands with its issue.
func runSearch(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("search: not available in this build yet")
}
