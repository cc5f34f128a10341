package retrieve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/search"
)

// Where a Hit came from.
const (
	OriginIndex = "index" // the local index
	OriginLive  = "live"  // a CQL or JQL search on the server, at query time
)

// Query is one search: the index's query, and what to do beyond the index.
type Query struct {
	search.Query
	// Verify re-reads the top index hits on their server: deleted or
	// hidden ones are dropped with a note, changed ones marked Stale.
	Verify bool
}

// Hit is a Result with its origin and, after verification, its freshness.
type Hit struct {
	search.Result
	Origin string // OriginIndex or OriginLive
	// Stale is set by verification when the server holds a newer version
	// than the index.
	Stale bool
}

// Answer is what a Searcher found.
type Answer struct {
	Hits []Hit
	// Confidence is how sure the index's answer is, from 0 to 1, and Weak
	// says it is too unsure to stand alone (search.Confidence); a weak
	// answer asks the live servers when there are any. Both are of the
	// index's hits before any live ones are fused in: with no index hit,
	// Confidence is 0 and Weak true.
	Confidence float64
	Weak       bool
	// Fallback says why the live servers were asked ("" when they were not).
	Fallback string
	// Notes explain anything the caller should know: a live search that
	// failed, hits dropped by verification.
	Notes []string
}

// Options configure New.
type Options struct {
	// Index is the open index, which the Searcher closes, or nil when there
	// is none yet.
	Index *search.Index
	// Open opens the index while there is none, at most once every
	// ReopenEvery (default 10s); nil: never. OpenErr is the error of the
	// caller's own first attempt, if it made one.
	Open        func(context.Context) (*search.Index, error)
	OpenErr     error
	ReopenEvery time.Duration
	// Live is the fallback to the servers' own search, and what Verify
	// reads; nil: the index only.
	Live *Live
	// NoFallback keeps Live for verification only: the servers are never
	// searched.
	NoFallback bool
	// MaxAge is how old the last sync of a space or project may be before
	// the servers are asked too (default 24h; negative: never for age).
	MaxAge time.Duration
	// MinScore is the hybrid score under which the best index hit is too
	// weak to stand alone (default DefaultMinScore). A negative MinScore
	// turns off the fallback for a weak answer (Answer.Weak) as well:
	// only the keyword probe is left.
	MinScore float64
	// LiveTimeout bounds the live search, and the verification, of one
	// query (default DefaultLiveTimeout): a server that hangs costs a note,
	// never the index's answer.
	LiveTimeout time.Duration
	// Account is the configured account's credentials, for a stdio server
	// or the CLI: when it is not the account that synced the index (a
	// shared data directory), index hits are trimmed to what it may open,
	// as for a caller of WithCaller (see Searcher.Trim). Nil: no trimming
	// without a caller.
	Account *atlassian.Caller
	// StateDir keeps, per credential (a salted slow hash of it, never the
	// credential), the user name and groups it last logged in as and where
	// it could open documents, so that trimming works when the servers are
	// down and the syncing account costs no request; "": memory only.
	StateDir string
	Logger   *slog.Logger
	Now      func() time.Time
}

// DefaultMinScore is the weakest hybrid score trusted alone: with the
// default fusion, a document that is the vectors' first choice and in no
// keyword ranking scores about 0.18, so a best hit below 0.1 is far down
// every ranking. Whether the answer holds what the question asks is
// search.Confidence's call (Answer.Weak).
const DefaultMinScore = 0.1

// DefaultLiveTimeout is how long a search waits for the servers: a person
// or a model is waiting, and the index has already answered.
const DefaultLiveTimeout = 10 * time.Second

// coverageTTL bounds how stale the cached list of indexed containers is.
const coverageTTL = time.Minute

// ErrNoIndex is the reason Searcher.Index gives when there is no index and
// no attempt to open one said why. It matches search.ErrNoIndex.
var ErrNoIndex = fmt.Errorf("%w: run atlasbridge sync", search.ErrNoIndex)

// Searcher answers queries from the index and falls back to live CQL/JQL
// searches when the index is missing or empty, does not cover what was
// asked, is older than MaxAge, or its best hit is weak. A missing index is
// looked for again (Options.Open), so that a server started before the
// first sync picks it up; an open index follows later syncs by itself. It
// is safe for concurrent use.
type Searcher struct {
	opts Options

	// busy is held (read) by every use of the index and (write) by Close,
	// so that Close waits for searches in flight.
	busy sync.RWMutex

	mu       sync.Mutex
	idx      *search.Index
	openErr  error     // why the last Open failed
	nextOpen time.Time // no Open before this
	closed   bool
	coverage map[[2]string]time.Time // of idx: (source, container) → last sync
	covAt    time.Time

	names   callerNames // see Trim
	state   callerState // names as remembered in StateDir
	syncers syncers     // of idx, guarded by mu
}

// New returns a Searcher over opts.
func New(opts Options) *Searcher {
	if opts.ReopenEvery <= 0 {
		opts.ReopenEvery = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Searcher{opts: opts, idx: opts.Index, openErr: opts.OpenErr}
	if opts.OpenErr != nil {
		s.nextOpen = opts.Now().Add(opts.ReopenEvery)
	}
	return s
}

// Index returns the open index, opening it first when there is none and an
// attempt is due; without one, it returns why (matching search.ErrNoIndex
// when no index was synced yet).
func (s *Searcher) Index(ctx context.Context) (*search.Index, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idx == nil && !s.closed && s.opts.Open != nil && !s.opts.Now().Before(s.nextOpen) {
		idx, err := s.opts.Open(ctx)
		switch {
		case err == nil && idx != nil:
			s.opts.Logger.Info("index opened", "dir", idx.Dir())
			s.idx, s.coverage = idx, nil
			s.openErr = nil
		case err != nil:
			s.openErr = err
			s.nextOpen = s.opts.Now().Add(s.opts.ReopenEvery)
		}
	}
	if s.idx == nil {
		if s.openErr != nil {
			return nil, s.openErr
		}
		return nil, ErrNoIndex
	}
	return s.idx, nil
}

// Preload opens the index now rather than at the first call that needs it
// (calls made meanwhile wait), and readies it for searching (search.Index
// Warm: what a lazily opened index defers to its first searches); it
// returns why there is no index, or nil. A server
// preloads in the background so that loading a large index does not delay
// its client.
func (s *Searcher) Preload(ctx context.Context) error {
	s.busy.RLock()
	defer s.busy.RUnlock()
	idx, err := s.Index(ctx)
	if err != nil {
		return err
	}
	return idx.Warm(ctx)
}

// Close closes the index, if one is open; the Searcher then answers from
// the servers only.
func (s *Searcher) Close() error {
	s.busy.Lock()
	defer s.busy.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.idx == nil {
		return nil
	}
	err := s.idx.Close()
	s.idx, s.coverage = nil, nil
	return err
}

// Search answers q. Index and live hits are fused by reciprocal rank; a
// document found by both keeps its index hit.
func (s *Searcher) Search(ctx context.Context, q Query) (Answer, error) {
	var ans Answer
	if strings.TrimSpace(q.Text) == "" {
		return ans, errors.New("search: empty query")
	}
	k := q.K
	if k <= 0 {
		k = 10
	}
	k = min(k, search.MaxK)
	s.busy.RLock()
	defer s.busy.RUnlock()
	idx, _ := s.Index(ctx) // nil: the reason is the caller's to tell
	// The account that synced the index sees all it holds: no trimming.
	trimmed := !s.callerIsSyncer(ctx)
	candidates := k
	if trimmed {
		// Trim drops what the caller may not open: ask for more, so
		// that k are usually left.
		candidates = min(3*k, search.MaxK)
	}
	var indexed []search.Result
	if idx != nil {
		iq := q.Query
		iq.K = candidates
		rs, err := idx.Search(ctx, iq)
		switch {
		case errors.Is(err, search.ErrNoIndex):
			// A first sync has stored documents but not embedded them
			// yet: the servers answer meanwhile, and the note says why.
			ans.Notes = append(ans.Notes, err.Error())
			idx = nil
		case err != nil:
			return ans, err
		}
		indexed = rs
	}
	if trimmed && len(indexed) > 0 {
		// Trimmed before anything is judged or fused, so that nothing of
		// a dropped hit (not even its score) shapes the answer, and a
		// caller left with no match gets the servers' search.
		hits := make([]Hit, len(indexed))
		for i, r := range indexed {
			hits[i] = Hit{Result: r, Origin: OriginIndex}
		}
		hits, notes := s.Trim(ctx, hits)
		ans.Notes = append(ans.Notes, notes...)
		indexed = indexed[:0]
		for _, h := range hits {
			indexed = append(indexed, h.Result)
		}
		indexed = indexed[:min(k, len(indexed))]
	}
	ans.Confidence, ans.Weak = search.Confidence(indexed)
	ans.Fallback = s.fallbackReason(ctx, idx, q.Query, indexed)
	var live []search.Result
	if ans.Fallback != "" {
		lctx, cancel := s.liveContext(ctx)
		rs, notes := s.opts.Live.search(lctx, q.Query, k)
		cancel()
		live = rs
		ans.Notes = append(ans.Notes, notes...)
	}
	ans.Hits = fuse(indexed, live, k)
	if q.Verify && s.opts.Live != nil {
		lctx, cancel := s.liveContext(ctx)
		ans.Hits, ans.Notes = s.opts.Live.verify(lctx, ans.Hits, ans.Notes)
		cancel()
	}
	return ans, nil
}

// liveContext is ctx bounded by LiveTimeout.
func (s *Searcher) liveContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d := s.opts.LiveTimeout
	if d <= 0 {
		d = DefaultLiveTimeout
	}
	return context.WithTimeout(ctx, d)
}

// fallbackReason says why the live servers must be asked, or "".
func (s *Searcher) fallbackReason(ctx context.Context, idx *search.Index, q search.Query, indexed []search.Result) string {
	l := s.opts.Live
	if s.opts.NoFallback || l == nil || l.Confluence == nil && l.Jira == nil {
		return ""
	}
	if idx == nil {
		return "there is no index yet"
	}
	cov, err := s.coverageOf(ctx, idx)
	if err != nil {
		return "the index status cannot be read: " + err.Error()
	}
	if len(cov) == 0 {
		return "the index is empty"
	}
	for _, sp := range q.Spaces {
		if _, ok := cov[[2]string{search.SourceConfluence, strings.ToUpper(sp)}]; !ok && l.Confluence != nil {
			return "space " + sp + " is not indexed"
		}
	}
	for _, p := range q.Projects {
		if _, ok := cov[[2]string{search.SourceJira, strings.ToUpper(p)}]; !ok && l.Jira != nil {
			return "project " + p + " is not indexed"
		}
	}
	maxAge := s.opts.MaxAge
	if maxAge == 0 {
		maxAge = 24 * time.Hour
	}
	if maxAge > 0 {
		now := s.opts.Now()
		for key, last := range cov {
			if !allowsContainer(q, key[0], key[1]) {
				continue
			}
			if last.IsZero() || now.Sub(last) > maxAge {
				return fmt.Sprintf("the index of %s was last synced %s ago", key[1], now.Sub(last).Round(time.Minute))
			}
		}
	}
	minScore := s.opts.MinScore
	if minScore == 0 {
		minScore = DefaultMinScore
	}
	mode, _ := search.ParseMode(string(q.Mode))
	switch {
	case len(indexed) == 0:
		return "the index has no match"
	case mode == search.Hybrid && indexed[0].Score < minScore:
		return fmt.Sprintf("the best index match is weak (score %.3f)", indexed[0].Score)
	case mode == search.Hybrid && !slices.ContainsFunc(indexed, func(r search.Result) bool { return r.KeywordHit }):
		// Vectors always find a nearest chunk; when no indexed chunk holds a
		// word of the question, that nearest chunk is a guess.
		return "no indexed text contains the words of the question"
	}
	if c, weak := search.Confidence(indexed); weak && minScore > 0 {
		// The question's weightiest words are in none of the best pages:
		// the servers' own search may know more.
		return fmt.Sprintf("the index's best matches hold little of the question (confidence %.2f)", c)
	}
	return ""
}

// allowsContainer reports whether q's filters admit a space or project.
func allowsContainer(q search.Query, source, container string) bool {
	if len(q.Sources) > 0 && !slices.ContainsFunc(q.Sources, func(s string) bool { return strings.EqualFold(s, source) }) {
		return false
	}
	list := q.Spaces
	if source == search.SourceJira {
		list = q.Projects
	}
	if len(q.Spaces)+len(q.Projects) > 0 && !slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, container) }) {
		return false
	}
	return true
}

// coverageOf returns the containers idx holds and their last sync, cached
// for coverageTTL.
func (s *Searcher) coverageOf(ctx context.Context, idx *search.Index) (map[[2]string]time.Time, error) {
	s.mu.Lock()
	if s.idx == idx && s.coverage != nil && s.opts.Now().Sub(s.covAt) < coverageTTL {
		cov := s.coverage
		s.mu.Unlock()
		return cov, nil
	}
	s.mu.Unlock()
	st, err := idx.Status(ctx)
	if err != nil {
		return nil, err
	}
	cov := make(map[[2]string]time.Time, len(st.Containers))
	for _, c := range st.Containers {
		if c.Documents > 0 {
			cov[[2]string{c.Source, strings.ToUpper(c.Container)}] = c.Watermark.LastSync
		}
	}
	s.mu.Lock()
	if s.idx == idx {
		s.coverage, s.covAt = cov, s.opts.Now()
	}
	s.mu.Unlock()
	return cov, nil
}

// fuse merges the index and live rankings by reciprocal rank (k = 10),
// keeping the index hit of a document found by both.
func fuse(indexed, live []search.Result, k int) []Hit {
	if len(live) == 0 {
		hits := make([]Hit, 0, min(k, len(indexed)))
		for _, r := range indexed[:min(k, len(indexed))] {
			hits = append(hits, Hit{Result: r, Origin: OriginIndex})
		}
		return hits
	}
	type entry struct {
		hit   Hit
		score float64
		order int
	}
	byID := map[string]*entry{}
	var all []*entry
	add := func(rs []search.Result, origin string) {
		for rank, r := range rs {
			e := byID[r.DocID]
			if e == nil {
				e = &entry{hit: Hit{Result: r, Origin: origin}, order: len(all)}
				byID[r.DocID] = e
				all = append(all, e)
			}
			e.score += 1 / (10 + float64(rank+1))
		}
	}
	add(indexed, OriginIndex)
	add(live, OriginLive)
	slices.SortStableFunc(all, func(a, b *entry) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return a.order - b.order
	})
	hits := make([]Hit, 0, min(k, len(all)))
	for _, e := range all[:min(k, len(all))] {
		e.hit.Score = e.score
		hits = append(hits, e.hit)
	}
	return hits
}
