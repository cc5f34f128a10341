package search

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
)

// An index directory holds one generation of the store at a time: the
// store in the directory itself (the first sync makes it there), or the one
// in the subdirectory that the currentFile names. A rebuild writes a new
// generation beside the current one and renames currentFile over to it,
// which is the one atomic step: a reader finds either the old generation or
// the complete new one, and a rebuild killed before that step leaves the
// old one in place. Generations that are not current are leftovers, deleted
// by the next writer.
const (
	currentFile = "current"
	genPrefix   = "gen-"
)

// ErrBadGeneration is matched by errors about a current file that does not
// name a generation of the directory (edited or damaged by hand).
var ErrBadGeneration = errors.New("the index directory's current file names no generation")

// readCurrent returns the current generation of dir ("" for the store in
// dir itself).
func readCurrent(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	gen := strings.TrimSpace(string(b))
	if !validGen(gen) {
		return "", fmt.Errorf("%w: %s holds %q; run atlasbridge sync --full to rebuild the index", ErrBadGeneration, filepath.Join(dir, currentFile), gen)
	}
	return gen, nil
}

func validGen(name string) bool {
	return strings.HasPrefix(name, genPrefix) && len(name) > len(genPrefix) &&
		!strings.ContainsAny(name, `/\:`) && !strings.Contains(name, "..")
}

// storePath is the store file of generation gen of dir.
func storePath(dir, gen string) string {
	if gen == "" {
		return filepath.Join(dir, dbFile)
	}
	return filepath.Join(dir, gen, dbFile)
}

// generations is the store of an Index: a database/sql connector that
// opens the generation the Index uses. A reader moves to a new generation
// when a rebuild swaps one in (follow); connections to the one it left are
// then refused by database/sql's validity checks and replaced, so no query
// mixes two generations' rows on one connection.
type generations struct {
	dir      string
	readOnly bool
	gen      atomic.Pointer[string]

	followMu sync.Mutex  // guards seen
	seen     os.FileInfo // the current file as follow last read it (nil: absent)
}

func newGenerations(dir, gen string, readOnly bool) *generations {
	g := &generations{dir: dir, readOnly: readOnly}
	g.gen.Store(&gen)
	return g
}

func (g *generations) current() string { return *g.gen.Load() }

// open returns the database of g; its connections open the current
// generation.
func (g *generations) open() *sql.DB { return sql.OpenDB(g) }

// Connect opens a connection to the generation in use. A reader whose
// generation was deleted (a rebuild swapped in another one) follows the
// directory to its current one: its next refresh sees another epoch and
// loads that one whole.
func (g *generations) Connect(ctx context.Context) (driver.Conn, error) {
	old := g.gen.Load()
	gen := *old
	path := storePath(g.dir, gen)
	if g.readOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if now, err := readCurrent(g.dir); err == nil && now != gen && g.gen.CompareAndSwap(old, &now) {
				gen, path = now, storePath(g.dir, now)
			}
		}
	}
	c, err := sqlite.NewConnector(storeDSN(path, g.readOnly))
	if err != nil {
		return nil, err
	}
	conn, err := c.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &genConn{Conn: conn, g: g, gen: gen}, nil
}

// Driver is the SQLite driver.
func (g *generations) Driver() driver.Driver { return &sqlite.Driver{} }

// follow moves a reader to the directory's current generation; it reports
// whether that is another one than before.
func (g *generations) follow() (bool, error) {
	if !g.readOnly {
		return false, nil // a writer holds the lock: nobody swaps under it
	}
	// Every read of the index comes here: stat the file, which costs
	// less than reading it, and read it only when it changed (a rename
	// puts another file there).
	g.followMu.Lock()
	defer g.followMu.Unlock()
	fi, err := os.Stat(filepath.Join(g.dir, currentFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	if unchanged(g.seen, fi) {
		return false, nil
	}
	now, err := readCurrent(g.dir)
	if err != nil {
		return false, err
	}
	g.seen = fi
	old := g.gen.Load()
	if *old == now {
		return false, nil
	}
	return g.gen.CompareAndSwap(old, &now), nil
}

// unchanged reports whether two stats of the current file (nil: absent)
// are of the same file, unmodified.
func unchanged(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// genConn is a connection to one generation. Once its Index uses another,
// it reports itself bad, and database/sql opens a new one instead.
type genConn struct {
	driver.Conn
	g   *generations
	gen string
}

func (c *genConn) stale() bool { return c.g.current() != c.gen }

// Unwrap returns the driver's connection, as the driver asks of wrappers.
func (c *genConn) Unwrap() driver.Conn { return c.Conn }

// The interfaces of the driver's connection, passed on. A stale one is
// refused where database/sql takes it from its pool or starts a
// transaction (it then retries on another), never within a transaction.

func (c *genConn) IsValid() bool {
	v, ok := c.Conn.(driver.Validator)
	return !c.stale() && (!ok || v.IsValid())
}

func (c *genConn) ResetSession(ctx context.Context) error {
	if c.stale() {
		return driver.ErrBadConn
	}
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *genConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.stale() {
		return nil, driver.ErrBadConn
	}
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	//lint:ignore SA1019 the fallback database/sql itself takes for a driver without BeginTx
	return c.Conn.Begin()
}

func (c *genConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

func (c *genConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *genConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := c.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *genConn) Ping(ctx context.Context) error {
	if c.stale() {
		return driver.ErrBadConn
	}
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}
