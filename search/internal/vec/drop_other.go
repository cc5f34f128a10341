//go:build !linux

package vec

// dropPages is advice that only Linux takes here (the syscall package
// has no madvise on the other systems): the pages stay resident until
// the kernel needs them.
func dropPages([]byte) {}
