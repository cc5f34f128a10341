//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vec

import "syscall"

// mapRegion maps size bytes of private anonymous memory: zeroed, outside
// the Go heap, and resident only once touched.
func mapRegion(size int) ([]byte, error) {
	return syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
}

// unmapRegion returns a region of mapRegion to the system.
func unmapRegion(b []byte) {
	_ = syscall.Munmap(b) // only fails for a region that was not mapped
}
