package main

import (
	"context"
	"errors"
	"io"
)

// runServe is not written yet: it lands with its issue.
func runServe(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("serve: not available in this build yet")
}
