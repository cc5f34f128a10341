//go:build !unix

package search

import (
	"errors"
	"os"
	"strconv"
	"strings"
)

// writerLock is the exclusive lock a writing Open holds on DIR/lock. Without
// flock it is an O_EXCL file, removed on Close; a crashed writer leaves it
// behind and the error names the file to delete.
type writerLock struct{ path string }

func lockDir(path string) (*writerLock, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		b, _ := os.ReadFile(path)
		pid := strings.TrimSpace(string(b))
		if pid == "" {
			pid = "unknown"
		}
		return nil, &LockedError{PID: pid}
	}
	if err != nil {
		return nil, err
	}
	_, _ = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	_ = f.Close()
	return &writerLock{path: path}, nil
}

func (l *writerLock) release() error {
	if l == nil || l.path == "" {
		return nil
	}
	err := os.Remove(l.path)
	l.path = ""
	return err
}
