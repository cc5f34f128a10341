package search

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
)

// Sources of documents.
const (
	SourceConfluence = "confluence"
	SourceJira       = "jira"
)

// Document is one Confluence page, blog post or comment, or one Jira issue,
// as stored in the index with its chunks.
type Document struct {
	ID         string    // "confluence:<pageid>" or "jira:<ISSUE-KEY>" (comments: "confluence:<id>")
	Source     string    // "confluence" | "jira"
	Container  string    // space key or project key
	Key        string    // page id or issue key
	Title      string    // page title or issue summary
	URL        string    // link for humans
	Updated    time.Time // last modification on the server
	Labels     []string  // Confluence labels or Jira labels
	Type       string    // page, blogpost, comment, or the Jira issue type
	Status     string    // Jira status ("" for Confluence)
	Restricted bool      // the page or issue has view restrictions
	Breadcrumb []string  // space › ancestors › title
	Version    int       // page version; 0 for issues
	Chunks     []Chunk   // the document's text, in order
	// Readers says who may read it; nil: unknown (trimming then asks the
	// server, and fails closed when it cannot).
	Readers *Readers
}

// Chunk is one embedded and keyword-indexed piece of a document.
type Chunk struct {
	Index   int    // position within the document; unique per document
	Heading string // heading path within the document, "Install › Linux"
	Text    string // what is embedded and keyword-indexed (already carries the breadcrumb)
	Hash    string // content hash of Text: a stored hash is never embedded again ("" = SHA-256 of Text)
}

// Options configure Open.
type Options struct {
	// Embedder embeds chunks and queries; its Model must match the one the
	// index was built with. Required.
	Embedder embed.Embedder
	// Logger receives progress and diagnostics; nil discards them.
	Logger *slog.Logger
	// ReadOnly opens without the writer lock, for serve and search: it never
	// blocks and never writes.
	ReadOnly bool
	// Lazy defers a ReadOnly open's load of the search structures (most
	// of an open's time and memory) to the first Search, Similar or Reload,
	// for callers that may only need Status, Watermark, Lookup or Meta. A
	// damaged store is then reported by that first call. Writers always
	// load lazily.
	Lazy bool
	// EmbedBatch is how many chunk texts go to one Embed call (default 64).
	EmbedBatch int
}

// UpsertStats counts what an Upsert did. Embedded+Reused is the number of
// chunks of added and updated documents.
type UpsertStats struct {
	Added     int // documents new to the index
	Updated   int // documents whose metadata or chunks changed
	Unchanged int // documents identical to the stored ones (nothing written)
	Embedded  int // distinct chunk texts sent to the embedder
	Reused    int // chunks whose vector was already stored under their hash
}

// Watermark is how far the crawl of one space or project has got.
type Watermark struct {
	Source, Container string
	Updated           time.Time // newest modification time seen and stored
	LastSync          time.Time // when the last sync of the container finished
	Syncs             int       // number of syncs so far
	LastReconcile     time.Time // when deletions were last reconciled
}

// Status describes an index for `atlasbridge status`.
type Status struct {
	Dir        string
	Model      string // the embedder the vectors were made with
	Dims       int    // vector dimensions (0 while empty)
	Documents  int
	Chunks     int
	Bytes      int64 // size on disk of the store (WAL included) and its snapshot
	Containers []ContainerStatus
	// VectorsPending: chunks were stored without vectors and not embedded
	// yet (see UpsertWithoutVectors); searches fail until a sync does.
	VectorsPending bool
}

// ContainerStatus is the part of Status for one space or project.
type ContainerStatus struct {
	Source, Container string
	Documents, Chunks int
	Watermark         Watermark // zero Updated/LastSync when never synced
}

// ErrModelChanged is matched (errors.Is) by the error Open returns when the
// index was built with another embedder model.
var ErrModelChanged = errors.New("embedder model changed")

// ErrCorrupt is matched by errors caused by a damaged store.
var ErrCorrupt = errors.New("index store is damaged")

// ErrEmbedderState is matched by the error Open returns when the embedder
// state stored with the index cannot be restored into the configured
// embedder (another version of it made the state): sync --full rebuilds.
var ErrEmbedderState = errors.New("the stored embedder state cannot be restored")

// ErrNoIndex is matched by the error a read-only Open returns when dir
// holds no index yet (a sync creates it), and by a Search of an index whose
// chunks were stored without vectors and not embedded yet (a first sync
// that has not finished: UpsertWithoutVectors).
var ErrNoIndex = errors.New("no index yet")

// noIndexError is an Open failure that a first sync cures.
type noIndexError struct{ msg string }

func (e *noIndexError) Error() string        { return e.msg }
func (e *noIndexError) Is(target error) bool { return target == ErrNoIndex }

func noIndex(format string, args ...any) error {
	return &noIndexError{msg: fmt.Sprintf(format, args...)}
}

// ErrReadOnly is returned by writes to an index opened ReadOnly.
var ErrReadOnly = errors.New("index is open read-only")

// LockedError is returned by a writing Open while another writer holds the
// index directory.
type LockedError struct {
	Dir string
	PID string // the holder's process id, or "unknown"
}

// Error says who holds the directory.
func (e *LockedError) Error() string {
	return fmt.Sprintf("another sync is running on %s (pid %s)", e.Dir, e.PID)
}

// Index is an open index directory. It is safe for concurrent use; a
// process has at most one writing Index per directory.
type Index struct {
	dir      string
	dbPath   string
	db       *sql.DB
	emb      embed.Embedder
	log      *slog.Logger
	readOnly bool
	lazy     bool
	opened   bool // Open succeeded: Close may write the snapshot
	batch    int
	lock     *writerLock
	// store opens the index's generation (see generation.go); a rebuild's
	// Index uses the lock its Rebuild holds (borrowedLock).
	store        *generations
	borrowedLock bool
	// shardSize overrides maxShard (tests).
	shardSize int
	// reembedPage overrides reembedPage (tests).
	reembedPage int

	writeMu sync.Mutex // serialises this process's write transactions

	memMu sync.RWMutex // guards mem
	mem   *memIndex    // nil until the first search (writers) or Open (readers)

	// hitRow reads what a result shows of one hit (hitQuery), prepared
	// once: parsing the join cost more than running it.
	hitRow *sql.Stmt
}

// Open opens (a writer: creates) the index in dir.
//
// It refuses, with ErrModelChanged, an index built with another embedder
// model than opts.Embedder's, unless that index holds no chunks. A
// trainable embedder (embed.Trainable) first gets the state stored with the
// index under EmbedderStateKey, so its Model matches again. A writing
// Open takes an exclusive lock in dir and fails with *LockedError while
// another writer holds it; ReadOnly opens never block and load the search
// structures at once (unless Lazy), writers load them at their first Search.
func Open(ctx context.Context, dir string, opts Options) (*Index, error) {
	if dir == "" {
		return nil, errors.New("search: open: no index directory given")
	}
	if opts.Embedder == nil {
		return nil, fmt.Errorf("search: open %s: no embedder given", dir)
	}
	if opts.Embedder.Model() == "" {
		return nil, fmt.Errorf("search: open %s: the embedder has an empty model name", dir)
	}
	gen, err := readCurrent(dir)
	if err != nil {
		return nil, fmt.Errorf("search: open %s: %w", dir, err)
	}
	x := newIndex(dir, gen, opts)
	if err := x.open(ctx); err != nil {
		x.Close()
		return nil, err
	}
	x.opened = true
	return x, nil
}

// newIndex is an Index of generation gen of dir, not yet opened.
func newIndex(dir, gen string, opts Options) *Index {
	x := &Index{
		dir:      dir,
		dbPath:   storePath(dir, gen),
		store:    newGenerations(dir, gen, opts.ReadOnly),
		emb:      opts.Embedder,
		log:      opts.Logger,
		readOnly: opts.ReadOnly,
		lazy:     opts.Lazy,
		batch:    opts.EmbedBatch,
	}
	if x.log == nil {
		x.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if x.batch <= 0 {
		x.batch = 64
	}
	return x
}

func (x *Index) open(ctx context.Context) error {
	if x.readOnly {
		_, err := os.Stat(x.dbPath)
		if errors.Is(err, os.ErrNotExist) {
			// A rebuild may have swapped generations and deleted this one
			// since the directory was read.
			if gen, gerr := readCurrent(x.dir); gerr == nil && gen != x.store.current() {
				x.useGeneration(gen)
				_, err = os.Stat(x.dbPath)
			}
		}
		if errors.Is(err, os.ErrNotExist) {
			return noIndex("search: open %s: no index here; run atlasbridge sync first", x.dir)
		} else if err != nil {
			return fmt.Errorf("search: open %s: %w", x.dir, err)
		}
	} else {
		// The index holds the text of private pages and issues: only its
		// owner may read it. SQLite gives -wal and -shm the mode of the
		// database file, so creating that one 0600 covers all three.
		if err := os.MkdirAll(x.dir, 0o700); err != nil {
			return fmt.Errorf("search: open %s: %w", x.dir, err)
		}
		if !x.borrowedLock {
			l, err := lock(x.dir)
			var le *LockedError
			if errors.As(err, &le) {
				return err
			}
			if err != nil {
				return fmt.Errorf("search: open %s: %w", x.dir, err)
			}
			x.lock = l
			// Until the lock was ours, a rebuild could swap generations.
			gen, err := readCurrent(x.dir)
			if err != nil {
				return fmt.Errorf("search: open %s: %w", x.dir, err)
			}
			x.useGeneration(gen)
			sweep(x.dir, x.log, gen)
		}
		if err := os.MkdirAll(filepath.Dir(x.dbPath), 0o700); err != nil {
			return fmt.Errorf("search: open %s: %w", x.dir, err)
		}
		f, err := os.OpenFile(x.dbPath, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("search: open %s: %w", x.dbPath, err)
		}
		f.Close()
	}
	x.db = x.store.open()
	db := x.db
	var err error
	if !x.readOnly {
		if err := initDB(ctx, db); err != nil {
			return x.fail("open", err)
		}
	}
	if err := x.checkSchemaAndModel(ctx); err != nil {
		return err
	}
	if x.hitRow, err = db.PrepareContext(ctx, hitQuery); err != nil {
		return x.fail("open", err)
	}
	if x.readOnly && !x.lazy {
		start := time.Now()
		if err := x.refresh(ctx); err != nil {
			return err
		}
		x.log.Info("index loaded", "dir", x.dir, "chunks", x.mem.liveChunks(), "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func (x *Index) checkSchemaAndModel(ctx context.Context) error {
	// A reader may find a file without tables: an empty one (a first sync
	// that has just begun) or another program's database.
	var tables int
	if err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).Scan(&tables); err != nil {
		return x.fail("open", err)
	}
	if tables == 0 {
		return noIndex("search: open %s: %s is not an atlasbridge index; run atlasbridge sync first", x.dir, x.dbPath)
	}
	v, ok, err := getMeta(ctx, x.db, metaSchema)
	if err != nil {
		return x.fail("open", err)
	}
	switch {
	case !ok && x.readOnly:
		return noIndex("search: open %s: the index was never written; run atlasbridge sync first", x.dir)
	case !ok:
		if err := x.inTx(ctx, func(tx *sql.Tx) error {
			if err := putMeta(ctx, tx, metaSchema, []byte(schemaVersion)); err != nil {
				return err
			}
			if err := putMeta(ctx, tx, metaEpoch, []byte(newEpoch())); err != nil {
				return err
			}
			return x.adoptModel(ctx, tx)
		}); err != nil {
			return x.fail("open", err)
		}
		return nil
	case string(v) == schemaVersionV1 && x.readOnly:
		// Readers are unknown: Readers reports none.
	case string(v) == schemaVersionV1:
		// initDB has created the readers table; nothing else changed.
		if err := putMeta(ctx, x.db, metaSchema, []byte(schemaVersion)); err != nil {
			return x.fail("migrate", err)
		}
		x.log.Info("index migrated to format "+schemaVersion+": readers are unknown until the next sync", "dir", x.dir)
	case string(v) != schemaVersion:
		return fmt.Errorf("search: open %s: index format %q, this build reads %q; run atlasbridge sync --full to rebuild", x.dir, v, schemaVersion)
	}
	if err := x.checkModel(ctx, x.db, !x.readOnly); err != nil {
		return fmt.Errorf("search: open %s: %w", x.dir, err)
	}
	return nil
}

// fail wraps a store error as a path; damage gets the fix attached.
func (x *Index) fail(op string, err error) error {
	if errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("search: %s %s: %w; run atlasbridge sync --full to rebuild it", op, x.dbPath, err)
	}
	if isCorruption(err) {
		return fmt.Errorf("search: %s %s: %w (%v); run atlasbridge sync --full to rebuild it",
			op, x.dbPath, ErrCorrupt, err)
	}
	return fmt.Errorf("search: %s %s: %w", op, x.dbPath, err)
}

// Close releases the store and the writer lock. A writer first brings
// the snapshot readers map up to date (WriteSnapshot); failing that,
// readers load the store instead, so Close logs it and goes on. It must
// not run concurrently with other calls; later calls fail with ErrClosed.
func (x *Index) Close() error {
	var errs []error
	if x.opened && !x.readOnly && x.db != nil {
		// An index whose vectors are pending has nothing to map yet.
		if pending, _ := x.VectorsPending(context.Background()); !pending {
			if err := x.WriteSnapshot(context.Background()); err != nil {
				x.log.Warn("the index snapshot was not written: readers will load the store", "dir", x.dir, "err", err)
			}
		}
	}
	x.memMu.Lock()
	x.mem.release()
	x.mem = nil
	x.memMu.Unlock()
	if x.hitRow != nil {
		if err := x.hitRow.Close(); err != nil {
			errs = append(errs, err)
		}
		x.hitRow = nil
	}
	if x.db != nil {
		if err := x.db.Close(); err != nil {
			errs = append(errs, err)
		}
		x.db = nil
	}
	if x.lock != nil {
		if err := x.lock.release(); err != nil {
			errs = append(errs, err)
		}
		x.lock = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("search: close %s: %w", x.dir, err)
	}
	return nil
}

// Dir is the index directory.
func (x *Index) Dir() string { return x.dir }

func (x *Index) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// ErrClosed is returned by calls on a closed Index.
var ErrClosed = errors.New("index is closed")

func (x *Index) writable(op string) error {
	if err := x.usable(op); err != nil {
		return err
	}
	if x.readOnly {
		return fmt.Errorf("search: %s %s: %w", op, x.dir, ErrReadOnly)
	}
	return nil
}

func (x *Index) usable(op string) error {
	if x == nil || x.db == nil {
		dir := ""
		if x != nil {
			dir = x.dir
		}
		return fmt.Errorf("search: %s %s: %w", op, dir, ErrClosed)
	}
	if x.readOnly {
		return x.followRebuild() // every read sees the current index
	}
	return nil
}

func newEpoch() string {
	return strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.Itoa(os.Getpid())
}

// validate checks a document before anything is written.
func validate(d *Document) error {
	switch {
	case d.ID == "":
		return errors.New("empty ID")
	case d.Source != SourceConfluence && d.Source != SourceJira:
		return fmt.Errorf("source %q is neither %q nor %q", d.Source, SourceConfluence, SourceJira)
	case d.Container == "":
		return errors.New("empty container (space or project key)")
	case strings.ContainsRune(d.Container, '/'):
		return fmt.Errorf("container %q contains '/'", d.Container)
	}
	seen := make(map[int]bool, len(d.Chunks))
	for _, c := range d.Chunks {
		if seen[c.Index] {
			return fmt.Errorf("chunk index %d appears twice", c.Index)
		}
		seen[c.Index] = true
		if strings.TrimSpace(c.Text) == "" {
			return fmt.Errorf("chunk %d has no text", c.Index)
		}
	}
	return nil
}

func chunkHash(c Chunk) string {
	if c.Hash != "" {
		return c.Hash
	}
	sum := sha256.Sum256([]byte(c.Text))
	return hex.EncodeToString(sum[:])
}

// fingerprint identifies everything stored about a document, so an
// unchanged document costs one read and no write.
func fingerprint(d *Document) string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s|", len(s), s) }
	for _, s := range []string{d.Source, d.Container, d.Key, d.Title, d.URL, d.Type, d.Status,
		d.Updated.UTC().Format(time.RFC3339Nano), strconv.FormatBool(d.Restricted), strconv.Itoa(d.Version),
		encodeStrings(d.Labels), encodeStrings(d.Breadcrumb)} {
		field(s)
	}
	if d.Readers != nil {
		field("readers " + d.Readers.encode())
	}
	for _, c := range d.Chunks {
		field(strconv.Itoa(c.Index))
		field(c.Heading)
		field(chunkHash(c))
		field(c.Text)
	}
	return hex.EncodeToString(h.Sum(nil))
}
