//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vec

import (
	"os"
	"syscall"
)

// MapFile maps the whole of f privately: pages are read from the file as
// they are first touched and may be dropped again by the kernel under
// memory pressure; a write to the mapping changes a private copy of the
// page, never the file. Unmap with UnmapFile.
func MapFile(f *os.File, size int) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
}

// UnmapFile releases a mapping of MapFile.
func UnmapFile(b []byte) {
	if b != nil {
		_ = syscall.Munmap(b) // only fails for a region that was not mapped
	}
}
