package mcp

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/search"
)

// Searcher is what the semantic tools (semantic_search, find_similar_issues,
// index_status) work on: the local index, when there is one, and the live
// CQL/JQL fallback of search.Searcher. An index that does not exist yet is
// looked for again (Open) so that a serve started before the first sync
// picks it up; an open index follows later syncs by itself.
type Searcher struct {
	opts SearcherOptions
	now  func() time.Time

	mu        sync.Mutex
	idx       *search.Index
	plain     *search.Searcher // without verification
	verifying *search.Searcher
	live      [2]*search.Searcher // without the index: [0] plain, [1] verifying
	openErr   error               // why the last Open failed
	nextOpen  time.Time           // no Open before this
	closed    bool
}

// SearcherOptions configure NewSearcher.
type SearcherOptions struct {
	// Index is the open index (the Searcher closes it), or nil when there
	// is none yet.
	Index *search.Index
	// Open opens the index while Index is nil, at most once every
	// ReopenEvery (default 10s); nil: never. OpenErr is the error of the
	// first attempt already made by the caller, if any.
	Open        func(context.Context) (*search.Index, error)
	OpenErr     error
	ReopenEvery time.Duration
	// Live is the fallback to the servers' own search (nil: index only).
	// Its allow-lists must be the server's.
	Live *search.Live
	// MaxAge and MinScore tune the fallback (see search.Searcher).
	MaxAge   time.Duration
	MinScore float64
	Logger   *slog.Logger
}

// NewSearcher returns a Searcher over opts.
func NewSearcher(opts SearcherOptions) *Searcher {
	if opts.ReopenEvery <= 0 {
		opts.ReopenEvery = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Searcher{opts: opts, now: time.Now, openErr: opts.OpenErr}
	s.use(opts.Index)
	if opts.OpenErr != nil {
		s.nextOpen = s.now().Add(opts.ReopenEvery)
	}
	return s
}

// use installs idx (possibly nil) under both searchers. Callers hold mu or
// own s exclusively.
func (s *Searcher) use(idx *search.Index) {
	s.idx = idx
	mk := func(verify bool) *search.Searcher {
		return &search.Searcher{Index: idx, Live: s.opts.Live, MaxAge: s.opts.MaxAge, MinScore: s.opts.MinScore,
			Verify: verify, Logger: s.opts.Logger}
	}
	s.plain, s.verifying = mk(false), mk(true)
	s.live = [2]*search.Searcher{
		{Live: s.opts.Live, Logger: s.opts.Logger},
		{Live: s.opts.Live, Verify: true, Logger: s.opts.Logger},
	}
}

// errCallerNoIndex is why a caller with their own credentials is answered
// without the index.
var errCallerNoIndex = errors.New("the shared index holds what the syncing account can see, so it is not searched for a caller " +
	"with their own credentials: answered from the servers' search with your credentials")

// current returns the index (nil when there is none yet, with the reason)
// and the search.Searcher to use.
func (s *Searcher) current(ctx context.Context, verify bool) (*search.Index, *search.Searcher, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idx == nil && !s.closed && s.opts.Open != nil && !s.now().Before(s.nextOpen) {
		idx, err := s.opts.Open(ctx)
		switch {
		case err == nil && idx != nil:
			s.opts.Logger.Info("index opened", "dir", idx.Dir())
			s.use(idx)
			s.openErr = nil
		case err != nil:
			s.openErr = err
			s.nextOpen = s.now().Add(s.opts.ReopenEvery)
		}
	}
	ss := s.plain
	if verify {
		ss = s.verifying
	}
	if _, ok := atlassian.CallerFrom(ctx); ok {
		// Until results are trimmed to each caller, the index answers only
		// the identity that built it: nothing it holds reaches a caller
		// who may not open it.
		if verify {
			return nil, s.live[1], errCallerNoIndex
		}
		return nil, s.live[0], errCallerNoIndex
	}
	if s.idx == nil {
		err := s.openErr
		if err == nil {
			err = errNoIndex
		}
		return nil, ss, err
	}
	return s.idx, ss, nil
}

// Preload opens the index now rather than at the first call that needs it
// (calls made meanwhile wait), and returns why there is none, or nil. A
// server preloads in the background so that loading a large index does not
// delay the client's initialize.
func (s *Searcher) Preload(ctx context.Context) error {
	idx, _, err := s.current(ctx, false)
	if err != nil || idx == nil {
		return err
	}
	// A lazily opened index loads its search structures here, in the
	// background, rather than in the first semantic_search.
	return idx.Reload(ctx)
}

// errNoIndex is why there is no index when nothing more is known.
var errNoIndex = errors.New("no index yet: run atlasbridge sync")

// noIndexNote tells the model why there is no index: not synced yet (the
// search package's own advice ends in "sync first"), or the open error.
func noIndexNote(err error) string {
	if errors.Is(err, errCallerNoIndex) {
		return err.Error()
	}
	if err == nil || errors.Is(err, errNoIndex) || strings.Contains(err.Error(), "sync first") {
		return errNoIndex.Error()
	}
	return "the index cannot be opened: " + err.Error()
}

// Close closes the index, if one is open; the Searcher then answers from
// the servers only.
func (s *Searcher) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.idx == nil {
		return nil
	}
	err := s.idx.Close()
	s.use(nil)
	return err
}
