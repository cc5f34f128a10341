package search

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// The files of an index directory: the SQLite store (dbFile, with its WAL
// and shared-memory files while open), the snapshot derived from it
// (snapFile, see snapshot.go) and the lock a writer holds.
const (
	dbFile   = "index.db"
	lockFile = "lock"
)

// storeFiles are the files that hold the index.
var storeFiles = []string{dbFile, dbFile + "-wal", dbFile + "-shm", snapFile}

// lock takes the writer lock of dir; another writer's holding it is a
// *LockedError.
func lock(dir string) (*writerLock, error) {
	l, err := lockDir(filepath.Join(dir, lockFile))
	var le *LockedError
	if errors.As(err, &le) {
		le.Dir = dir
		return nil, le
	}
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	return l, nil
}

// Remove deletes the index in dir: the store's files and every generation
// (see BeginRebuild) go, the directory and its lock file stay. It holds the writer lock
// meanwhile, so it fails with *LockedError while a sync runs. No Index of
// dir may be open in this process; readers in other processes keep what
// they loaded.
func Remove(dir string) error {
	if dir == "" {
		return errors.New("search: remove: no index directory given")
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	l, err := lock(dir)
	var le *LockedError
	if errors.As(err, &le) {
		return err
	}
	if err != nil {
		return fmt.Errorf("search: remove %s: %w", dir, err)
	}
	defer l.release() //nolint:errcheck // the lock goes with the process anyway
	for _, f := range append([]string{currentFile}, storeFiles...) {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("search: remove %s: %w", dir, err)
		}
	}
	sweep(dir, slog.New(slog.DiscardHandler), "")
	return nil
}
