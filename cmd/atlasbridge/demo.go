package main

import (
	"context"
	"errors"
	"io"
)

// runDemo is not written yet: it lands with its issue.
func runDemo(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("demo: not available in this build yet")
}
