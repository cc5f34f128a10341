//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package vec

import "errors"

// mapRegion is not available here: vectors stay on the Go heap.
func mapRegion(int) ([]byte, error) {
	return nil, errors.New("no anonymous memory mappings on this platform")
}

func unmapRegion([]byte) {}
