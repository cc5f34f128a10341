package vec

import (
	"syscall"
	"unsafe"
)

// dropPages tells the kernel that the whole pages of b, part of a file
// mapping, are not needed soon: they leave the process's resident set and
// are read again from the file when next touched.
func dropPages(b []byte) {
	if len(b) == 0 {
		return
	}
	page := uintptr(syscall.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	from := (start + page - 1) &^ (page - 1)
	to := (start + uintptr(len(b))) &^ (page - 1)
	if to <= from {
		return
	}
	_ = syscall.Madvise(b[from-start:to-start], syscall.MADV_DONTNEED) // advice only
}
