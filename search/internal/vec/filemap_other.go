//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package vec

import (
	"io"
	"os"
)

// MapFile reads the whole of f into memory where there are no file
// mappings.
func MapFile(f *os.File, size int) ([]byte, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}

// UnmapFile lets the collector have b.
func UnmapFile([]byte) {}
