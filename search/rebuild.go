package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Rebuild is a new index being built beside the one in a directory, for
// `sync --full`: readers keep the old one, complete and unchanged, until
// Commit swaps the new one in. A Rebuild holds the directory's writer lock
// from BeginRebuild to Commit or Abort, so no sync writes the old index
// meanwhile. The directory needs room for both indexes until Commit.
type Rebuild struct {
	dir  string
	gen  string
	prev string // the generation being replaced
	x    *Index
	lock *writerLock
	log  *slog.Logger
	done bool
}

// BeginRebuild takes the writer lock of dir (*LockedError while a sync
// holds it), deletes what earlier rebuilds left (killed ones' partial
// generations, generations swapped out while a reader kept them open), and
// opens an empty index beside the current one. opts are those of Open;
// ReadOnly is ignored. The old index is not read: one that another embedder
// built, or a damaged one, is replaced all the same.
func BeginRebuild(ctx context.Context, dir string, opts Options) (*Rebuild, error) {
	if dir == "" {
		return nil, errors.New("search: rebuild: no index directory given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("search: rebuild %s: %w", dir, err)
	}
	l, err := lock(dir)
	var le *LockedError
	if errors.As(err, &le) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("search: rebuild %s: %w", dir, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cur, err := readCurrent(dir)
	if err != nil && !errors.Is(err, ErrBadGeneration) {
		l.release() //nolint:errcheck // the error says more
		return nil, fmt.Errorf("search: rebuild %s: %w", dir, err)
	}
	// A current file that names nothing is what the rebuild replaces.
	sweep(dir, log, cur)
	r := &Rebuild{dir: dir, gen: genPrefix + newEpoch(), prev: cur, lock: l, log: log}
	opts.ReadOnly = false
	x := newIndex(dir, r.gen, opts)
	x.borrowedLock = true
	if err := x.open(ctx); err != nil {
		x.Close()
		os.RemoveAll(filepath.Join(dir, r.gen))
		l.release() //nolint:errcheck // the error says more
		return nil, err
	}
	x.opened = true // its Close (in Commit) writes the snapshot into the new generation
	r.x = x
	log.Info("rebuilding the index beside the current one", "dir", dir, "into", r.gen)
	return r, nil
}

// Index is the new index, open for writing; Commit and Abort close it.
func (r *Rebuild) Index() *Index { return r.x }

// Commit makes the new index the directory's index: it is flushed to disk,
// closed, and swapped in by one rename. Readers move to it at their next
// Search or Reload; the next writer (sync) deletes the old one. The writer
// lock is released.
// After a failed Commit the old index is still the current one.
func (r *Rebuild) Commit(ctx context.Context) error {
	if r.done {
		return fmt.Errorf("search: rebuild %s: %w", r.dir, ErrClosed)
	}
	// A new index whose chunks are not embedded yet cannot answer a search:
	// the old one stays (Abort deletes the new one).
	if pending, err := r.x.VectorsPending(ctx); err != nil {
		return fmt.Errorf("search: rebuild %s: %w; the old index is unchanged", r.dir, err)
	} else if pending {
		return fmt.Errorf("search: rebuild %s: the new index's chunks are not embedded yet (Reembed); the old index is unchanged", r.dir)
	}
	r.done = true
	defer r.lock.release() //nolint:errcheck // the lock goes with the process anyway
	// The store syncs its log to disk lazily (synchronous=normal): write
	// everything into the store file before the swap makes it the index.
	_, err := r.x.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	if cerr := r.x.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = setCurrent(r.dir, r.gen)
	}
	if err != nil {
		os.RemoveAll(filepath.Join(r.dir, r.gen))
		return fmt.Errorf("search: rebuild %s: swap in the new index: %w; the old one is unchanged", r.dir, err)
	}
	r.log.Info("rebuilt index swapped in", "dir", r.dir, "generation", r.gen)
	// The replaced index stays until the next writer: a reader in the
	// middle of a search finishes it there, then follows the swap.
	sweep(r.dir, r.log, r.gen, r.prev)
	return nil
}

// Abort deletes the new index and releases the lock; the old one stays.
// It is safe to call after Commit (it does nothing then).
func (r *Rebuild) Abort() error {
	if r == nil || r.done {
		return nil
	}
	r.done = true
	defer r.lock.release() //nolint:errcheck // the lock goes with the process anyway
	err := r.x.Close()
	if rerr := os.RemoveAll(filepath.Join(r.dir, r.gen)); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("search: rebuild %s: abort: %w", r.dir, err)
	}
	return nil
}

// setCurrent makes gen the current generation of dir: the new name is
// written beside currentFile, flushed, and renamed over it.
func setCurrent(dir, gen string) error {
	tmp := filepath.Join(dir, currentFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(gen + "\n")
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = replaceFile(tmp, filepath.Join(dir, currentFile))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	syncDir(dir)
	return nil
}

// replaceFile renames from over to. Windows refuses to replace a file that
// a reader has open for the moment it reads it: retry for a while.
func replaceFile(from, to string) error {
	var err error
	for range 50 {
		if err = os.Rename(from, to); err == nil || runtime.GOOS != "windows" {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// syncDir flushes a directory's entries (the rename) where the system
// allows opening a directory for that; elsewhere the rename is as durable
// as the system makes it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// sweep deletes, under the writer lock, the generations of dir other than
// those kept ("" is the store in dir itself): the partial one of a rebuild
// that was killed, and one that a rebuild swapped out. What cannot be
// deleted now (Windows, while a reader has it open) is tried again by the
// next writer.
func sweep(dir string, log *slog.Logger, keep ...string) {
	os.Remove(filepath.Join(dir, currentFile+".tmp"))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, genPrefix) || slices.Contains(keep, name) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			log.Warn("could not delete an old index generation; the next sync tries again", "dir", filepath.Join(dir, name), "err", err)
		} else {
			log.Debug("deleted an old index generation", "dir", filepath.Join(dir, name))
		}
	}
	if slices.Contains(keep, "") {
		return
	}
	for _, f := range storeFiles {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			log.Warn("could not delete the replaced index; the next sync tries again", "file", filepath.Join(dir, f), "err", err)
		}
	}
}

// useGeneration points an Index that is not open yet at generation gen.
func (x *Index) useGeneration(gen string) {
	x.dbPath = storePath(x.dir, gen)
	x.store = newGenerations(x.dir, gen, x.readOnly)
}

// refresh loads the memIndex or applies what changed since it was loaded,
// in the generation that is current: a reader whose generation a writer
// deleted under it (the one a rebuild replaced) follows and tries again.
func (x *Index) refresh(ctx context.Context) error {
	gen := x.store.current()
	if err := x.followRebuild(); err != nil {
		return err
	}
	err := x.refreshStore(ctx)
	if err == nil || !x.readOnly {
		return err
	}
	if ferr := x.followRebuild(); ferr == nil && x.store.current() != gen {
		return x.refreshStore(ctx)
	}
	return err
}

// followRebuild moves a reader to the directory's current generation when
// a rebuild swapped in a new one: its connections to the old one are
// replaced, and the refresh that follows loads the new one whole (its
// epoch differs).
func (x *Index) followRebuild() error {
	moved, err := x.store.follow()
	if err != nil {
		return fmt.Errorf("search: reload %s: %w", x.dir, err)
	}
	if !moved {
		return nil
	}
	x.log.Info("the index was rebuilt: loading the new one", "dir", x.dir, "generation", x.store.current())
	// Idle connections to the old generation close now, busy ones when
	// they come back (IsValid): every later query reads the new one.
	x.db.SetMaxIdleConns(0)
	x.db.SetMaxIdleConns(defaultIdleConns)
	x.memMu.Lock()
	x.mem.release()
	x.mem = nil
	x.memMu.Unlock()
	return nil
}

// defaultIdleConns is database/sql's default of idle connections kept.
const defaultIdleConns = 2
