package main

import (
	"context"
	"errors"
	"io"
)

// runStatus is not written yet: it lands with its issue.
func runStatus(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("status: not available in this build yet")
}
