package main

import (
	"context"
	"errors"
	"io"
)

// runSync is not written yet: it lands with its issue.
func runSync(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("sync: not available in this build yet")
}
