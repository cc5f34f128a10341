package indexer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search"
)

// Options configure an Indexer. Confluence, Jira or both may be nil (not
// configured); Index is required and must be open for writing.
type Options struct {
	Confluence *atlassian.Confluence
	Jira       *atlassian.Jira
	Index      *search.Index
	// Previous is, for a full sync into a new, empty Index (built beside
	// the current one: search.BeginRebuild), the index it is to replace,
	// open read-only (nil: none, or none that opens). The identity check
	// compares with the user it was built by, and a full Sync whose result
	// holds more than MaxDrop fewer documents fails with ErrTooManyDrops
	// unless RunOptions.Force, so that the caller keeps it.
	Previous *search.Index

	// Embedder is the embedder Index was opened with (optional). When it
	// is trainable (embed.Trainable, the builtin; give search.Open and this
	// field MeteredEmbedder.ForIndex() to keep it so), a sync teaches it
	// the index when it has learnt nothing yet (the first sync) and on every
	// full sync, and refits it when a sync that changed enough finds the
	// index drifted; each time every chunk is embedded with the new model
	// in one transaction (see fit and refitOnDrift). A sync that teaches it
	// stores the crawled chunks without vectors until then.
	Embedder embed.Embedder
	// RefitDrift is the drift (0..1, see embed.Trainable) above which a
	// trainable embedder learns the index again (default 0.2).
	RefitDrift float64

	// Spaces and Projects are the allow-lists of the configuration
	// (CONFLUENCE_SPACES, JIRA_PROJECTS). Empty means every space or
	// project the user can see.
	Spaces, Projects []string

	// Concurrency is the number of documents fetched and converted at once
	// (default 8). The clients' own caps (MaxConcurrent, RateLimit) still
	// apply below it.
	Concurrency int
	// BatchSize is the number of documents per Upsert transaction
	// (default 64).
	BatchSize int
	// Overlap is how far before the watermark an incremental crawl starts
	// again (default 10m). It covers clock skew between the servers' nodes
	// and the minute granularity of CQL and JQL dates. Items re-listed but
	// unchanged cost nothing but their line in the listing. Jira bounds
	// are instants (epoch milliseconds); Confluence bounds also keep the
	// margin of ConfluenceZone.
	Overlap time.Duration
	// ConfluenceZone is the profile time zone of the Confluence account
	// (CONFLUENCE_TIMEZONE), in which Confluence reads CQL dates; its REST
	// API does not tell it, and the offsets of its timestamps are the
	// server's. Known, a CQL bound starts an hour early (daylight saving);
	// nil, twelve hours early (any zone).
	ConfluenceZone *time.Location
	// ReconcileEvery makes every Nth sync of a container also reconcile
	// deletions (default 12; negative: never by count).
	ReconcileEvery int
	// ReconcileAfter reconciles a container whose last reconciliation is
	// older than this (default 24h; negative: never by age).
	ReconcileAfter time.Duration
	// MaxDrop is the share (0..1) of the index one sync may delete
	// without RunOptions.Force (default 0.2): a server that suddenly shows
	// much less (a changed permission, an account answered as anonymous)
	// must not empty the index.
	MaxDrop float64
	// MaxErrors is how many documents of one container may fail before its
	// sync is abandoned (default 20).
	MaxErrors int

	Chunk  ChunkOptions
	Logger *slog.Logger
	// Progress, when set, is called from one goroutine as documents are
	// processed (see Progress).
	Progress func(Progress)
	// Now returns the current time (tests); default time.Now.
	Now func() time.Time
}

// RunOptions choose what one Sync does.
type RunOptions struct {
	// Full crawls and builds everything again: into the empty index of a
	// rebuild (Options.Previous); without Previous, into an index Reset
	// first, or, limited to some containers, over what the index holds of
	// them (what the listing lacks is reconciled, within MaxDrop).
	Full bool
	// Spaces and Projects limit this run to these containers. When either
	// is set, only the containers named are synced. They must be within
	// the allow-lists of Options.
	Spaces, Projects []string
	// Reconcile forces the id reconciliation that notices deletions, moves
	// and pages that became invisible.
	Reconcile bool
	// Force allows deleting more than Options.MaxDrop of the index, and a
	// full sync as another user than the index was built by.
	Force bool
}

// Progress reports where a sync is.
type Progress struct {
	Source, Container string
	// Phase is "list", "fetch" or "done" for a container, "fit" (no
	// container) while a trainable embedder learns the index and every
	// chunk is embedded with what it learnt.
	Phase string
	// Done and Total count the documents of the container that needed work
	// (Total is 0 while listing).
	Done, Total int
	// Elapsed is the time spent on the container so far.
	Elapsed time.Duration
}

// Stages is the time spent in each stage of a sync. Fetch, Convert and
// Chunk add up the time of every worker, so with several workers their sum
// can exceed the wall-clock duration; Store is the time of the upserts,
// which embed the new chunks (see MeteredEmbedder to split it).
type Stages struct {
	List, Fetch, Convert, Chunk, Store time.Duration
	// Fit is the time a trainable embedder took to learn the corpus.
	Fit time.Duration

	requests int // API calls made by the stage
	// replaces are the ids of documents the built one takes the place of:
	// an issue moved to another project changes key, so its document id.
	replaces []string
}

func (s *Stages) add(o Stages) {
	s.List += o.List
	s.Fetch += o.Fetch
	s.Convert += o.Convert
	s.Chunk += o.Chunk
	s.Store += o.Store
	s.Fit += o.Fit
	s.requests += o.requests
}

// ContainerSummary is what a sync did to one space or project.
type ContainerSummary struct {
	Source, Container string
	Listed            int  // items listed by the crawl (changed or not)
	Added             int  // documents new to the index
	Updated           int  // documents changed
	Unchanged         int  // listed documents the index already held
	Deleted           int  // documents removed
	Errors            int  // documents that failed
	Chunks            int  // chunks embedded (new hashes)
	Reconciled        bool // deletions were reconciled
	Requests          int  // API calls made (retries not counted)
	Duration          time.Duration
	Stages            Stages
	// Err is why the container's sync stopped early, or nil.
	Err error
}

// Summary is what a Sync did.
type Summary struct {
	Containers                                                   []ContainerSummary
	Added, Updated, Unchanged, Deleted, Errors, Chunks, Requests int
	Duration                                                     time.Duration
	Stages                                                       Stages
	// Refitted tells that the trainable embedder learnt the index again
	// after it drifted, and every chunk was re-embedded.
	Refitted bool
	// Paces are the rate limits the servers announced (by source), and
	// how long requests waited to stay within them.
	Paces map[string]atlassian.Pace
}

// Failed reports whether some container stopped early or some document
// failed.
func (s *Summary) Failed() bool {
	if s.Errors > 0 {
		return true
	}
	for _, c := range s.Containers {
		if c.Err != nil {
			return true
		}
	}
	return false
}

// Indexer syncs Confluence spaces and Jira projects into a search.Index.
// One Indexer runs one Sync at a time; a Sync started while another runs
// returns ErrBusy.
type Indexer struct {
	opts    Options
	log     *slog.Logger
	running atomic.Bool
	drops   dropBudget // what this sync may still delete
	// atStart is what the index held when this sync began.
	atStart []search.ContainerStatus
	// deferVectors stores chunks without vectors: this sync fits the
	// embedder and then embeds every chunk once (see fit).
	deferVectors bool
}

// indexedElsewhere reports whether, when the sync began, the index held
// documents of src in other containers than key that a sync had finished.
func (ix *Indexer) indexedElsewhere(src, key string) bool {
	for _, c := range ix.atStart {
		if c.Source == src && c.Container != key && c.Documents > 0 && !c.Watermark.LastSync.IsZero() {
			return true
		}
	}
	return false
}

// Index returns the index the Indexer writes to: Options.Index, or the one
// Reopen returned after the embedder learnt the corpus. The caller closes it.
func (ix *Indexer) Index() *search.Index { return ix.opts.Index }

// ErrBusy is returned by Sync while another Sync of the same Indexer runs.
var ErrBusy = errors.New("indexer: a sync is already running")

// New returns an Indexer. It checks the options but makes no request.
func New(opts Options) (*Indexer, error) {
	if opts.Index == nil {
		return nil, errors.New("indexer: no index given")
	}
	if opts.Confluence == nil && opts.Jira == nil {
		return nil, errors.New("indexer: neither Confluence nor Jira is configured: set CONFLUENCE_BASE_URL and/or JIRA_BASE_URL")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 64
	}
	if opts.Overlap == 0 {
		opts.Overlap = 10 * time.Minute
	}
	if opts.Overlap < 0 {
		opts.Overlap = 0
	}
	if opts.ReconcileEvery == 0 {
		opts.ReconcileEvery = 12
	}
	if opts.ReconcileAfter == 0 {
		opts.ReconcileAfter = 24 * time.Hour
	}
	if opts.RefitDrift <= 0 {
		opts.RefitDrift = driftRefit
	}
	if opts.MaxDrop <= 0 {
		opts.MaxDrop = 0.2
	}
	if opts.MaxDrop > 1 {
		return nil, fmt.Errorf("indexer: MaxDrop %v: want a share between 0 and 1", opts.MaxDrop)
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Indexer{opts: opts, log: log}, nil
}

// container is one space or project to crawl.
type container struct {
	key, name string
}

// containerTTL is how long a listing of spaces or projects is reused: a
// no-change sync within it costs one request per space or project, and a
// new space is noticed within it (a --full or --reconcile run lists again).
const containerTTL = time.Hour

// cachedContainers is a listing of containers kept in the index's meta.
type cachedContainers struct {
	At   time.Time `json:"at"`
	List []struct {
		Key  string `json:"key"`
		Name string `json:"name"`
	} `json:"list"`
}

// listContainers lists the spaces or projects of a crawler within allow,
// reusing the listing of a previous sync younger than containerTTL unless
// the run is a full or reconciling one.
func (ix *Indexer) listContainers(ctx context.Context, cr crawler, allow []string, run RunOptions) ([]container, error) {
	keys := make([]string, len(allow))
	for i, a := range allow {
		keys[i] = strings.ToUpper(a)
	}
	slices.Sort(keys)
	metaKey := "indexer.containers." + cr.source() + "." + strings.Join(keys, ",")
	now := ix.opts.Now()
	if !run.Full && !run.Reconcile {
		var c cachedContainers
		if v, err := ix.opts.Index.Meta(ctx, metaKey); err == nil && len(v) > 0 && json.Unmarshal(v, &c) == nil &&
			!c.At.After(now) && now.Sub(c.At) < containerTTL {
			cs := make([]container, len(c.List))
			for i, e := range c.List {
				cs[i] = container{key: e.Key, name: e.Name}
			}
			cr.restore(cs)
			return cs, nil
		}
	}
	cs, err := cr.containers(ctx, allow)
	if err != nil {
		return nil, err
	}
	c := cachedContainers{At: now}
	for _, k := range cs {
		c.List = append(c.List, struct {
			Key  string `json:"key"`
			Name string `json:"name"`
		}{k.key, k.name})
	}
	if v, err := json.Marshal(c); err == nil {
		if err := ix.opts.Index.SetMeta(ctx, metaKey, v); err != nil {
			ix.log.Warn("could not keep the container listing", "err", err)
		}
	}
	return cs, nil
}

// item is one listed document: its id, when it last changed, and how to
// build it (fetch, convert, chunk) when the index does not hold it yet.
type item struct {
	id      string    // document id
	ref     string    // page id or issue key
	kind    string    // content type (Confluence)
	updated time.Time // last modification, as listed
	// arrived is set for an item new to a container synced before: it was
	// created, or moved in from another container.
	arrived bool
	// build is set by crawler.prepare for the items that need work.
	build func(ctx context.Context, st *Stages) (*search.Document, error)
}

// crawler is what a product contributes to a sync.
type crawler interface {
	source() string
	// containers lists the containers in scope (the allow-list, or all
	// the user can see).
	containers(ctx context.Context, allow []string) ([]container, error)
	// restore takes a listing reused from an earlier sync instead of
	// calling containers.
	restore(cs []container)
	// list lists the items of a container changed at or after since (all
	// of them when since is zero), newest last, and returns the API calls
	// made.
	list(ctx context.Context, c container, since time.Time) ([]item, int, error)
	// prepare sets the build function of the items that need work,
	// grouping their fetches.
	prepare(c container, todo []item)
	// restricted reports for refs who may read each (own and inherited
	// view restrictions), for those the server still returns; nil when
	// restriction changes always show as a new modification time.
	restricted(ctx context.Context, c container, refs []string) (map[string]*search.Readers, int, error)
	// whoami returns the user the server answers as (ErrAnonymous when
	// it answers as nobody).
	whoami(ctx context.Context) (string, error)
	// exists reports, for ids the index holds but a full listing did not
	// return, whether each still belongs to the container (guards against
	// items shifted out of a listing while it was paged).
	exists(ctx context.Context, c container, id string) (bool, error)
}

// Sync brings the index up to date with the servers and returns what it
// did. A container that fails does not stop the others; Summary.Failed
// tells whether anything failed, and the error returned is non-nil only
// when nothing could be done at all (bad options, cancelled, the index
// failing).
func (ix *Indexer) Sync(ctx context.Context, run RunOptions) (*Summary, error) {
	if !ix.running.CompareAndSwap(false, true) {
		return nil, ErrBusy
	}
	defer ix.running.Store(false)
	start := time.Now()
	limited := len(run.Spaces) > 0 || len(run.Projects) > 0

	type job struct {
		cr    crawler
		allow []string
	}
	var jobs []job
	if ix.opts.Confluence != nil && (!limited || len(run.Spaces) > 0) {
		allow, err := narrow(ix.opts.Spaces, run.Spaces, "space", "CONFLUENCE_SPACES")
		if err != nil {
			return nil, err
		}
		cc := &confluenceCrawler{c: ix.opts.Confluence, chunk: ix.opts.Chunk, log: ix.log, zone: ix.opts.ConfluenceZone}
		if ix.opts.Jira != nil {
			cc.jiraBase = ix.opts.Jira.BaseURL()
		}
		jobs = append(jobs, job{cc, allow})
	} else if len(run.Spaces) > 0 {
		return nil, errors.New("indexer: --spaces given but Confluence is not configured (CONFLUENCE_BASE_URL)")
	}
	if ix.opts.Jira != nil && (!limited || len(run.Projects) > 0) {
		allow, err := narrow(ix.opts.Projects, run.Projects, "project", "JIRA_PROJECTS")
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job{&jiraCrawler{j: ix.opts.Jira, chunk: ix.opts.Chunk, log: ix.log}, allow})
	} else if len(run.Projects) > 0 {
		return nil, errors.New("indexer: --projects given but Jira is not configured (JIRA_BASE_URL)")
	}

	// Ask who the servers think we are, then list the containers: a sync
	// answered anonymously or as someone else, or a full sync against a
	// server that does not answer, must not empty the index.
	st, err := ix.opts.Index.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("indexer: %w", err)
	}
	ix.drops = newDropBudget(st.Documents, ix.opts.MaxDrop, run.Force)
	ix.atStart = st.Containers
	sum := &Summary{}
	scopes := make([][]container, len(jobs))
	reached := make([]bool, len(jobs))
	listed := 0
	checks := 0
	for i, j := range jobs {
		checks++
		err := ix.checkIdentity(ctx, j.cr, run)
		if errors.Is(err, ErrAnonymous) || errors.Is(err, ErrOtherUser) {
			return nil, err
		}
		var cs []container
		if err == nil {
			cs, err = ix.listContainers(ctx, j.cr, j.allow, run)
		}
		if err != nil {
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			ix.log.Error("list containers failed", "source", j.cr.source(), "err", err)
			sum.Containers = append(sum.Containers, ContainerSummary{Source: j.cr.source(), Err: err, Requests: 1})
			continue
		}
		scopes[i], reached[i] = cs, true
		listed++
	}
	if run.Full && !limited {
		if listed < len(jobs) {
			return sum, errors.New("indexer: full sync: not every server could be reached, the index was left as it is")
		}
		if err := ix.opts.Index.Reset(ctx); err != nil {
			return nil, fmt.Errorf("indexer: full sync: %w", err)
		}
	}
	trainer, err := ix.fitPlan(ctx, run, limited)
	if err != nil {
		return nil, fmt.Errorf("indexer: %w", err)
	}
	ix.deferVectors = trainer != nil
	for i, j := range jobs {
		if !reached[i] {
			continue
		}
		cs := scopes[i]
		ix.log.Debug("containers", "source", j.cr.source(), "count", len(cs))
		for _, c := range cs {
			cs := ix.syncContainer(ctx, j.cr, c, run)
			sum.Containers = append(sum.Containers, cs)
			if ctx.Err() != nil {
				break
			}
		}
		if !limited && ctx.Err() == nil {
			n, err := ix.dropOutOfScope(ctx, j.cr.source(), cs, run)
			if err != nil {
				return sum, err
			}
			sum.Deleted += n
		}
	}
	reconciled := false
	sum.Requests += checks
	for _, c := range sum.Containers {
		sum.Added += c.Added
		sum.Updated += c.Updated
		sum.Unchanged += c.Unchanged
		sum.Deleted += c.Deleted
		sum.Errors += c.Errors
		sum.Chunks += c.Chunks
		sum.Requests += c.Requests
		sum.Stages.add(c.Stages)
		reconciled = reconciled || c.Reconciled
	}
	switch t := asTrainable(ix.opts.Embedder); {
	case ctx.Err() != nil:
	case trainer != nil:
		if err := ix.fit(ctx, trainer, sum); err != nil {
			return sum, err
		}
	case t != nil && !limited && sum.Chunks > 0 && (reconciled || sum.Chunks >= driftCheckChunks):
		if err := ix.refitOnDrift(ctx, t, sum); err != nil {
			return sum, err
		}
	}
	sum.Paces = map[string]atlassian.Pace{}
	if c := ix.opts.Confluence; c != nil && (c.Pace().Announced || c.Pace().Assumed) {
		sum.Paces[search.SourceConfluence] = c.Pace()
	}
	if j := ix.opts.Jira; j != nil && (j.Pace().Announced || j.Pace().Assumed) {
		sum.Paces[search.SourceJira] = j.Pace()
	}
	sum.Duration = time.Since(start)
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("indexer: sync interrupted: %w", err)
	}
	if run.Full && !limited {
		if err := ix.checkRebuild(ctx, run); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// checkRebuild compares a full sync's result with the index it is to
// replace (Options.Previous): one that lost more than MaxDrop of its
// documents is refused without Force, as an incremental sync that would
// delete as many is.
func (ix *Indexer) checkRebuild(ctx context.Context, run RunOptions) error {
	if ix.opts.Previous == nil || run.Force {
		return nil
	}
	prev, err := ix.opts.Previous.Status(ctx)
	if err != nil {
		// What cannot be read cannot be lost: the rebuild replaces it.
		ix.log.Warn("the index being replaced cannot be read; the rebuild is not compared with it", "err", err)
		return nil
	}
	now, err := ix.opts.Index.Status(ctx)
	if err != nil {
		return fmt.Errorf("indexer: %w", err)
	}
	if lost := prev.Documents - now.Documents; lost > 0 && float64(lost) > ix.opts.MaxDrop*float64(prev.Documents) {
		return fmt.Errorf("%w: the rebuilt index holds %d documents, the current one %d (%d fewer, more than %.0f%%); the current index was kept: check the account's permissions, or sync --full --force if it is meant",
			ErrTooManyDrops, now.Documents, prev.Documents, lost, ix.opts.MaxDrop*100)
	}
	return nil
}

// narrow intersects the configured allow-list with the run's limit; a limit
// outside the allow-list is an error rather than silently ignored.
func narrow(allow, limit []string, what, env string) ([]string, error) {
	if len(limit) == 0 {
		return allow, nil
	}
	if len(allow) == 0 {
		return limit, nil
	}
	for _, l := range limit {
		if !slices.ContainsFunc(allow, func(a string) bool { return strings.EqualFold(a, l) }) {
			return nil, fmt.Errorf("indexer: %s %s is not in %s (%s)", what, l, env, strings.Join(allow, ","))
		}
	}
	return limit, nil
}

// dropOutOfScope deletes the documents of containers of source that the
// index holds but that are no longer in scope (removed from the
// allow-list, deleted, or invisible to the user). It runs with the
// reconciliation: on --reconcile, --full, or when one is due.
func (ix *Indexer) dropOutOfScope(ctx context.Context, source string, inScope []container, run RunOptions) (int, error) {
	st, err := ix.opts.Index.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("indexer: %s: %w", source, err)
	}
	keep := map[string]bool{}
	for _, c := range inScope {
		keep[c.key] = true
	}
	deleted := 0
	for _, c := range st.Containers {
		if c.Source != source || keep[c.Container] {
			continue
		}
		if !run.Reconcile && !run.Full && !ix.reconcileDue(c.Watermark) {
			continue
		}
		ids, err := ix.opts.Index.DocumentIDs(ctx, source, c.Container)
		if err != nil {
			return deleted, fmt.Errorf("indexer: %s %s: %w", source, c.Container, err)
		}
		del := make([]string, 0, len(ids))
		for id := range ids {
			del = append(del, id)
		}
		if err := ix.drops.spend(len(del)); err != nil {
			return deleted, fmt.Errorf("indexer: %s %s no longer in scope: %w", source, c.Container, err)
		}
		if err := ix.opts.Index.Delete(ctx, del); err != nil {
			return deleted, fmt.Errorf("indexer: %s %s: drop out-of-scope documents: %w", source, c.Container, err)
		}
		ix.log.Info("dropped a container no longer in scope", "source", source, "container", c.Container, "documents", len(del))
		deleted += len(del)
		w := c.Watermark
		w.Source, w.Container = source, c.Container
		w.Updated, w.LastReconcile = time.Time{}, ix.opts.Now()
		if err := ix.opts.Index.SetWatermark(ctx, w); err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

func (ix *Indexer) reconcileDue(w search.Watermark) bool {
	if ix.opts.ReconcileEvery > 0 && (w.Syncs+1)%ix.opts.ReconcileEvery == 0 {
		return true
	}
	return ix.opts.ReconcileAfter > 0 && ix.opts.Now().Sub(w.LastReconcile) >= ix.opts.ReconcileAfter
}

// syncContainer syncs one space or project. The watermark moves only when
// every changed document was stored.
func (ix *Indexer) syncContainer(ctx context.Context, cr crawler, c container, run RunOptions) ContainerSummary {
	began := time.Now()
	src := cr.source()
	sum := ContainerSummary{Source: src, Container: c.key}
	log := ix.log.With("source", src, "container", c.key)
	fail := func(err error) ContainerSummary {
		sum.Err = err
		sum.Duration = time.Since(began)
		log.Error("sync failed", "err", err)
		return sum
	}
	idx := ix.opts.Index
	w, err := idx.Watermark(ctx, src, c.key)
	if err != nil {
		return fail(err)
	}
	stored, err := idx.DocumentIDs(ctx, src, c.key)
	if err != nil {
		return fail(err)
	}
	if run.Full {
		// Every document is built again; those the listing no longer
		// returns go at the reconciliation, within the drop budget.
		w.Updated = time.Time{}
	}
	// A reconciliation lists the whole container: that complete listing
	// shows deletions, moves and hidden items, and also any change an
	// incremental window missed (a server user's time zone far from the
	// server's, a clock jump).
	reconcile := w.Updated.IsZero() || run.Reconcile || run.Full || ix.reconcileDue(w)
	since := time.Time{}
	if !reconcile {
		since = w.Updated.Add(-ix.opts.Overlap)
	}
	ix.report(Progress{Source: src, Container: c.key, Phase: "list", Elapsed: time.Since(began)})
	t0 := time.Now()
	items, reqs, err := cr.list(ctx, c, since)
	sum.Requests += reqs
	sum.Stages.List = time.Since(t0)
	if err != nil {
		return fail(err)
	}
	sum.Listed = len(items)

	newest := w.Updated
	var todo []item
	// The first sync of a container, other than a rebuild's, may find
	// issues moved in from containers already indexed: count its items as
	// arrived when the index holds documents of this source elsewhere.
	firstVisit := w.Updated.IsZero() && !run.Full && ix.indexedElsewhere(src, c.key)
	arrivals := false
	listed := make(map[string]bool, len(items))
	for _, it := range items {
		listed[it.id] = true
		if it.updated.After(newest) {
			newest = it.updated
		}
		old, ok := stored[it.id]
		if ok && old.Equal(it.updated.Truncate(time.Microsecond)) && !run.Full {
			sum.Unchanged++
			continue
		}
		it.arrived = !ok && (!w.Updated.IsZero() || firstVisit)
		arrivals = arrivals || it.arrived
		todo = append(todo, it)
	}
	// An item that arrived may have moved here from another container under
	// another id; its old document is deleted when the new one is stored,
	// in this sync, rather than at that container's next reconciliation.
	var elsewhere map[string]time.Time
	if arrivals {
		if elsewhere, err = idx.DocumentIDs(ctx, src, ""); err != nil {
			return fail(err)
		}
	}

	recheck, reqs, err := ix.permissionPass(ctx, cr, c, stored, todo, reconcile, w.Syncs)
	sum.Requests += reqs
	if err != nil {
		log.Warn("permission pass failed; it is tried again next sync", "err", err)
	}
	sum.Unchanged -= len(recheck)
	todo = append(todo, recheck...)

	cr.prepare(c, todo)
	res := ix.process(ctx, src, c.key, todo, stored, elsewhere, began, &sum)
	sum.Requests += res.requests
	if res.err != nil {
		return fail(res.err)
	}

	if reconcile && sum.Errors == 0 && ctx.Err() == nil {
		n, reqs, err := ix.reconcile(ctx, cr, c, listed)
		sum.Requests += reqs
		if err != nil {
			return fail(fmt.Errorf("reconcile: %w", err))
		}
		sum.Deleted += n
		sum.Reconciled = true
		w.LastReconcile = ix.opts.Now()
	}

	if ctx.Err() != nil {
		return fail(ctx.Err())
	}
	if sum.Errors == 0 {
		w.Updated = newest
	} else {
		log.Warn("watermark kept: some documents failed and will be retried next sync", "errors", sum.Errors)
	}
	w.Source, w.Container = src, c.key
	w.LastSync = ix.opts.Now()
	w.Syncs++
	if err := idx.SetWatermark(ctx, w); err != nil {
		return fail(err)
	}
	sum.Duration = time.Since(began)
	ix.report(Progress{Source: src, Container: c.key, Phase: "done", Done: len(todo), Total: len(todo), Elapsed: sum.Duration})
	log.Info("synced", "listed", sum.Listed, "added", sum.Added, "updated", sum.Updated, "unchanged", sum.Unchanged,
		"deleted", sum.Deleted, "errors", sum.Errors, "requests", sum.Requests, "took", sum.Duration.Round(time.Millisecond))
	return sum
}

// reconcile deletes the documents of c that the index holds but a complete
// listing did not return, after checking each one (a listing paged while
// the server changes can skip an item).
func (ix *Indexer) reconcile(ctx context.Context, cr crawler, c container, listed map[string]bool) (int, int, error) {
	stored, err := ix.opts.Index.DocumentIDs(ctx, cr.source(), c.key)
	if err != nil {
		return 0, 0, err
	}
	var missing []string
	for id := range stored {
		if !listed[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return 0, 0, nil
	}
	slices.Sort(missing)
	gone := make([]bool, len(missing))
	// Every check runs even after one fails, as each costs one request
	// and the first error is enough to keep the documents.
	var g errgroup.Group
	g.SetLimit(ix.opts.Concurrency)
	for i, id := range missing {
		g.Go(func() error {
			ok, err := cr.exists(ctx, c, id)
			gone[i] = err == nil && !ok
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, len(missing), err
	}
	var del []string
	for i, id := range missing {
		if gone[i] {
			del = append(del, id)
		}
	}
	if err := ix.drops.spend(len(del)); err != nil {
		return 0, len(missing), err
	}
	if err := ix.opts.Index.Delete(ctx, del); err != nil {
		return 0, len(missing), err
	}
	if len(del) > 0 {
		ix.log.Info("reconciled deletions", "source", cr.source(), "container", c.key, "deleted", len(del))
	}
	return len(del), len(missing), nil
}

type processResult struct {
	requests int
	err      error
}

// built is what building one item gave.
type built struct {
	id  string
	doc *search.Document
	st  Stages
	err error
}

// storeBatch is one transaction of the store: documents to upsert, ids to delete.
type storeBatch struct {
	docs []search.Document
	gone []string
}

// process builds the documents of todo and stores them in batches, one
// transaction per batch. Three parts run at once: the builders (fetch,
// convert, chunk), Concurrency at a time; this goroutine, which gathers
// what they built into batches and reports progress; and the store, which
// upserts (and so embeds) one batch while the next is built. Too many
// failed documents, a failed store or the caller's cancellation stop all
// three; the first of these is the error. A built document's replaces that
// elsewhere holds (documents of other containers) are deleted with it.
func (ix *Indexer) process(ctx context.Context, src, key string, todo []item, stored, elsewhere map[string]time.Time, began time.Time, sum *ContainerSummary) processResult {
	if len(todo) == 0 {
		return processResult{}
	}
	caller := ctx
	ctx, giveUp := context.WithCancel(ctx)
	defer giveUp()
	g, ctx := errgroup.WithContext(ctx)

	results := make(chan built, ix.opts.Concurrency)
	g.Go(func() error {
		defer close(results)
		ix.buildAll(ctx, todo, results)
		return nil
	})
	batches := make(chan storeBatch, 1)
	g.Go(func() error {
		for b := range batches {
			if ctx.Err() != nil {
				return nil
			}
			if err := ix.store(ctx, b, stored, sum); err != nil {
				return err
			}
		}
		return nil
	})

	log := ix.log.With("source", src, "container", key)
	var out processResult
	var pending storeBatch
	flush := func() {
		if len(pending.docs) > 0 || len(pending.gone) > 0 {
			select {
			case batches <- pending:
			case <-ctx.Done(): // the store has stopped
			}
			pending = storeBatch{}
		}
	}
	done, errs := 0, 0
	var st Stages
	lastReport := time.Time{}
	for r := range results {
		done++
		out.requests += r.st.requests
		st.add(r.st)
		switch {
		case r.err == nil && r.doc != nil:
			pending.docs = append(pending.docs, *r.doc)
			for _, id := range r.st.replaces {
				if _, ok := elsewhere[id]; ok && id != r.doc.ID {
					pending.gone = append(pending.gone, id)
				}
			}
		case r.err == nil || isGone(r.err):
			// Deleted or hidden between listing and fetching.
			if _, ok := stored[r.id]; ok {
				pending.gone = append(pending.gone, r.id)
			}
		case ctx.Err() != nil:
		default:
			errs++
			log.Warn("document failed", "id", r.id, "err", r.err)
			if errs >= ix.opts.MaxErrors && out.err == nil {
				out.err = fmt.Errorf("%d documents failed, giving up on this container (last: %w)", errs, r.err)
				giveUp()
			}
		}
		if len(pending.docs) >= ix.opts.BatchSize || len(pending.gone) >= ix.opts.BatchSize {
			flush()
		}
		if now := time.Now(); now.Sub(lastReport) >= 100*time.Millisecond || done == len(todo) {
			lastReport = now
			ix.report(Progress{Source: src, Container: key, Phase: "fetch", Done: done, Total: len(todo), Elapsed: time.Since(began)})
		}
	}
	if out.err == nil && ctx.Err() == nil {
		flush()
	}
	close(batches)
	storeErr := g.Wait()
	sum.Stages.add(st)
	sum.Errors += errs
	if out.err == nil {
		out.err = cmp.Or(storeErr, caller.Err())
	}
	return out
}

// buildAll builds every item of todo, Concurrency at a time, in the order
// given, and sends each result to results in that order too, whatever order
// the builds end in: the store numbers chunks as they come, and those
// numbers break ties in rankings, so the same content must arrive in the
// same order at any concurrency (TestSameWorldSameIndex). A finished build
// waits at most ahead for 4×Concurrency others. Once ctx ends it starts no
// more; the builds under way end with ctx's error.
func (ix *Indexer) buildAll(ctx context.Context, todo []item, results chan<- built) {
	var g errgroup.Group
	g.SetLimit(ix.opts.Concurrency)
	queue := make(chan chan built, 4*ix.opts.Concurrency)
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		for c := range queue {
			results <- <-c
		}
	}()
	for _, it := range todo {
		if ctx.Err() != nil {
			break
		}
		c := make(chan built, 1)
		queue <- c
		g.Go(func() error {
			var st Stages
			doc, err := it.build(ctx, &st)
			c <- built{id: it.id, doc: doc, st: st, err: err}
			return nil
		})
	}
	close(queue)
	g.Wait()
	<-forwarded
}

// store deletes and upserts one batch in the index and counts it in sum.
func (ix *Indexer) store(ctx context.Context, b storeBatch, stored map[string]time.Time, sum *ContainerSummary) error {
	if len(b.gone) > 0 {
		if err := ix.opts.Index.Delete(ctx, b.gone); err != nil {
			return err
		}
		sum.Deleted += len(b.gone)
	}
	if len(b.docs) == 0 {
		return nil
	}
	t0 := time.Now()
	upsert := ix.opts.Index.Upsert
	if ix.deferVectors {
		upsert = ix.opts.Index.UpsertWithoutVectors
	}
	st, err := upsert(ctx, b.docs)
	sum.Stages.Store += time.Since(t0)
	if err != nil {
		return err
	}
	sum.Chunks += st.Embedded
	for _, d := range b.docs {
		if _, ok := stored[d.ID]; ok {
			sum.Updated++
		} else {
			sum.Added++
		}
	}
	return nil
}

func (ix *Indexer) report(p Progress) {
	if ix.opts.Progress != nil {
		ix.opts.Progress(p)
	}
}

// isGone reports errors meaning the item no longer exists for this user.
func isGone(err error) bool {
	return errors.Is(err, atlassian.ErrNotFound) || errors.Is(err, atlassian.ErrForbidden)
}
