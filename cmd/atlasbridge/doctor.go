package main

import (
	"context"
	"errors"
	"io"
)

// runDoctor is not written yet: it lands with its issue.
func runDoctor(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("doctor: not available in this build yet")
}
