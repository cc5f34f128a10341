package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/indexer"
	"github.com/atlasbridge/atlasbridge/search"
)

// Exit codes of atlasbridge sync, for cron and scripts (0 is success, 1 an
// error that stopped the sync, 2 bad flags or configuration).
const (
	exitPartial = 3 // the sync finished, but some documents or containers failed: they are retried next time
	exitLocked  = 4 // another sync holds the data directory
	exitRefused = 5 // the servers answered as anonymous or another user, or the sync would delete too much: nothing was deleted
)

// syncFlags are the flags of atlasbridge sync.
type syncFlags struct {
	run         indexer.RunOptions
	schedule    string
	concurrency int
	overlap     time.Duration
	progress    string
	json        bool
}

func parseSyncFlags(args []string, stderr io.Writer) (*syncFlags, error) {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &syncFlags{}
	var spaces, projects string
	fs.BoolVar(&f.run.Full, "full", false, "crawl everything again: a new index built beside the current one and swapped in when complete (needs room for both), or, with --spaces/--projects, those rebuilt in place; also rebuilds after an embedder change")
	fs.StringVar(&spaces, "spaces", "", "comma-separated Confluence space keys: sync only these in this run")
	fs.StringVar(&projects, "projects", "", "comma-separated Jira project keys: sync only these in this run")
	fs.BoolVar(&f.run.Reconcile, "reconcile", false, "also look for deleted, moved and hidden pages and issues (done every 12th sync or daily anyway)")
	fs.BoolVar(&f.run.Force, "force", false, "allow deleting more than 20% of the index in one sync (or a --full rebuild that much smaller), and --full as another account than the index was built by")
	fs.StringVar(&f.schedule, "schedule", "", `keep running and sync on a schedule: "@every 15m", "@hourly" or a cron spec like "*/30 * * * *"`)
	fs.IntVar(&f.concurrency, "concurrency", 8, "documents fetched and converted at once")
	fs.DurationVar(&f.overlap, "overlap", 10*time.Minute, "how far before the last sync an incremental crawl looks again (clock skew, time zones)")
	fs.StringVar(&f.progress, "progress", "auto", "progress display: auto (a bar on a terminal, log lines otherwise), bar, log or none")
	fs.BoolVar(&f.json, "json", false, "print the summary as one JSON object on stdout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: atlasbridge sync [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Crawls what changed in Confluence and Jira since the last sync into the local index.")
		fmt.Fprintln(stderr, "Exit codes: 0 done, 1 nothing could be synced, 2 bad flags or configuration, 3 done but some items")
		fmt.Fprintln(stderr, "failed (they are retried next time), 4 another sync is running on the data directory, 5 refused:")
		fmt.Fprintln(stderr, "the servers answered as anonymous or as another account, or the sync would delete more than 20% of")
		fmt.Fprintln(stderr, "the index (see --force); nothing was deleted.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, &exitError{code: 0}
		}
		return nil, &exitError{code: 2, err: fmt.Errorf("sync: %w", err)}
	}
	if fs.NArg() > 0 {
		return nil, &exitError{code: 2, err: fmt.Errorf("sync: unexpected argument %q (flags only; see atlasbridge sync -h)", fs.Arg(0))}
	}
	f.run.Spaces, f.run.Projects = list(spaces), list(projects)
	switch f.progress {
	case "auto", "bar", "log", "none":
	default:
		return nil, &exitError{code: 2, err: fmt.Errorf("sync: --progress %q: want auto, bar, log or none", f.progress)}
	}
	if f.concurrency < 1 || f.concurrency > 64 {
		return nil, &exitError{code: 2, err: fmt.Errorf("sync: --concurrency %d: want 1 to 64", f.concurrency)}
	}
	if f.overlap < 0 {
		return nil, &exitError{code: 2, err: fmt.Errorf("sync: --overlap %s: must not be negative", f.overlap)}
	}
	if f.schedule != "" {
		if _, err := cron.ParseStandard(f.schedule); err != nil {
			return nil, &exitError{code: 2, err: fmt.Errorf("sync: --schedule %q: %w (examples: \"@every 15m\", \"@hourly\", \"0 */2 * * *\")", f.schedule, err)}
		}
		if f.run.Full {
			return nil, &exitError{code: 2, err: errors.New("sync: --full cannot be combined with --schedule (it would rebuild on every run)")}
		}
	}
	return f, nil
}

// runSync is atlasbridge sync.
func runSync(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	f, err := parseSyncFlags(args, stderr)
	if err != nil {
		return err
	}
	if !cfg.Confluence.Configured() && !cfg.Jira.Configured() {
		return &exitError{code: 2, err: fmt.Errorf("sync: nothing to crawl: %w", errors.Join(cfg.Confluence.NotConfigured(), cfg.Jira.NotConfigured()))}
	}
	log := cfg.logger(stderr)
	job := syncJob{cfg: cfg, flags: f, log: log, stdout: stdout, stderr: stderr}
	if f.schedule != "" {
		return scheduleSyncs(ctx, f.schedule, log, func(ctx context.Context) {
			if _, err := job.run(ctx); err != nil && ctx.Err() == nil {
				log.Error("scheduled sync failed", "err", err)
			}
		})
	}
	sum, err := job.run(ctx)
	if err != nil {
		return err
	}
	if err := syncOutcome(sum); err != nil {
		return err
	}
	return nil
}

// timeoutHint is what to do when a server accepted requests and then did
// not answer them.
const timeoutHint = "a server did not answer in time: check the URL, VPN and proxy, or raise ATLASBRIDGE_TIMEOUT_SECONDS (default 30) if it is only slow"

// syncOutcome maps a finished sync to its exit: nil when all went well,
// code 1 when no container could be synced at all, code 3 when some
// documents or containers failed (they are retried on the next sync).
func syncOutcome(sum *indexer.Summary) error {
	if !sum.Failed() {
		return nil
	}
	failed := 0
	var first error
	for _, c := range sum.Containers {
		if c.Err != nil {
			failed++
			if first == nil {
				first = c.Err
			}
		}
	}
	hint := ""
	for _, c := range sum.Containers {
		if errors.Is(c.Err, atlassian.ErrTimeout) {
			hint = "; " + timeoutHint
			break
		}
	}
	for _, c := range sum.Containers {
		if errors.Is(c.Err, indexer.ErrTooManyDrops) {
			return &exitError{code: exitRefused, err: fmt.Errorf("sync: %w", c.Err)}
		}
	}
	if failed > 0 && failed == len(sum.Containers) {
		return fmt.Errorf("sync: nothing could be synced%s: %w", hint, first)
	}
	return &exitError{code: exitPartial, err: fmt.Errorf("sync: finished with %d failures%s; they are retried on the next sync", failures(sum), hint)}
}

func failures(s *indexer.Summary) int {
	n := s.Errors
	for _, c := range s.Containers {
		if c.Err != nil && c.Errors == 0 {
			n++
		}
	}
	return n
}

// syncJob is one sync of the configured servers into the data directory.
// The index is opened (and its lock taken) for the duration of the run
// only, so scheduled syncs leave the directory free in between.
type syncJob struct {
	cfg            *config
	flags          *syncFlags
	log            *slog.Logger
	stdout, stderr io.Writer
}

func (j syncJob) run(ctx context.Context) (*indexer.Summary, error) {
	pr := newProgressPrinter(j.flags.progress, j.stderr, j.log)
	if pr.mode == "bar" && j.cfg.LogLevel == slog.LevelInfo {
		// Info lines would tear the bar apart; warnings still show.
		quiet := *j.cfg
		quiet.LogLevel = slog.LevelWarn
		j.log = quiet.logger(j.stderr)
	}
	emb, err := embed.New(j.cfg.Embed)
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("sync: %w", err)}
	}
	full := j.flags.run.Full && len(j.flags.run.Spaces)+len(j.flags.run.Projects) == 0
	metered := indexer.NewMeteredEmbedder(emb, runtime.GOMAXPROCS(0))
	forIndex := metered.ForIndex()
	var idx, prev *search.Index
	var rb *search.Rebuild
	if full {
		rb, prev, err = openRebuild(ctx, j.cfg.DataDir, forIndex, j.cfg.Embed, j.log)
		if err != nil {
			return nil, err
		}
		idx = rb.Index()
		defer rb.Abort() //nolint:errcheck // after Commit it does nothing; before, the build is given up
		if prev != nil {
			defer prev.Close()
		}
	} else if idx, err = openForSync(ctx, j.cfg.DataDir, forIndex, j.log); err != nil {
		return nil, err
	}
	// closeIndex ends the run's use of the index (with a rebuild: Abort).
	closeIndex := func() {
		if rb == nil {
			idx.Close()
		}
	}
	conf, err := j.cfg.confluence(j.log)
	if err != nil {
		closeIndex()
		return nil, &exitError{code: 2, err: fmt.Errorf("sync: %w", err)}
	}
	jira, err := j.cfg.jira(j.log)
	if err != nil {
		closeIndex()
		return nil, &exitError{code: 2, err: fmt.Errorf("sync: %w", err)}
	}
	opts := indexer.Options{
		Index: idx, Previous: prev, Embedder: forIndex, Spaces: j.cfg.Spaces, Projects: j.cfg.Projects,
		Concurrency: j.flags.concurrency, Overlap: j.flags.overlap, Logger: j.log,
		ConfluenceZone: j.cfg.ConfluenceZone,
	}
	if opts.Overlap == 0 {
		opts.Overlap = -1 // --overlap 0 means none, not the default
	}
	if conf != nil {
		opts.Confluence = conf
	}
	if jira != nil {
		opts.Jira = jira
	}
	opts.Progress = pr.update
	ix, err := indexer.New(opts)
	if err != nil {
		closeIndex()
		return nil, &exitError{code: 2, err: fmt.Errorf("sync: %w", err)}
	}
	sum, err := ix.Sync(ctx, j.flags.run)
	rememberSyncer(ctx, j.cfg, idx, sum, j.log)
	closeIndex()
	pr.finish()
	if errors.Is(err, indexer.ErrAnonymous) || errors.Is(err, indexer.ErrOtherUser) {
		return sum, &exitError{code: exitRefused, err: fmt.Errorf("sync: %w; nothing was changed", err)}
	}
	if sum != nil {
		embedTook, _ := metered.Took()
		writeSummary(j.stdout, sum, embedTook, j.flags.json)
	}
	if rb != nil {
		return sum, finishRebuild(ctx, rb, sum, err)
	}
	if err != nil {
		return sum, fmt.Errorf("sync: %w", err)
	}
	return sum, nil
}

// openRebuild starts sync --full: a new index built beside the current
// one (search.BeginRebuild, which takes the data directory's lock), and
// the current one open read-only for the indexer to compare with, or nil
// when there is none or it cannot be read (another embedder's, damaged):
// the rebuild replaces it all the same.
func openRebuild(ctx context.Context, dir string, emb embed.Embedder, cfg embed.Config, log *slog.Logger) (*search.Rebuild, *search.Index, error) {
	rb, err := search.BeginRebuild(ctx, dir, search.Options{Embedder: emb, Logger: log})
	var locked *search.LockedError
	if errors.As(err, &locked) {
		return nil, nil, &exitError{code: exitLocked, err: fmt.Errorf("sync: %w; wait for it to finish (or stop it) and retry", err)}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sync: %w", err)
	}
	// An embedder of its own: opening an index restores a trainable
	// embedder's state, and the current index's must not reach the rebuild.
	prevEmb, err := embed.New(cfg)
	if err != nil {
		rb.Abort()
		return nil, nil, &exitError{code: 2, err: fmt.Errorf("sync: %w", err)}
	}
	prev, err := search.Open(ctx, dir, search.Options{Embedder: prevEmb, ReadOnly: true, Lazy: true, Logger: log})
	if err != nil {
		if !errors.Is(err, search.ErrNoIndex) {
			log.Warn("the current index cannot be read: the rebuild replaces it without comparing", "dir", dir, "err", err)
		}
		prev = nil
	}
	return rb, prev, nil
}

// finishRebuild swaps the rebuilt index in when the full sync completed:
// every container synced and the result not much smaller than the index it
// replaces (indexer.ErrTooManyDrops, exit 5). Otherwise the current index
// stays as it was and the build is deleted.
func finishRebuild(ctx context.Context, rb *search.Rebuild, sum *indexer.Summary, err error) error {
	const kept = "the current index was kept as it was"
	if errors.Is(err, indexer.ErrTooManyDrops) {
		return &exitError{code: exitRefused, err: fmt.Errorf("sync --full: %w", err)}
	}
	if err != nil {
		return fmt.Errorf("sync --full: %w; %s", err, kept)
	}
	for _, c := range sum.Containers {
		if c.Err != nil {
			name := strings.TrimSpace(c.Source + " " + c.Container)
			return fmt.Errorf("sync --full: %s failed, so the rebuilt index would miss it; %s (run sync --full again): %w", name, kept, c.Err)
		}
	}
	if err := rb.Commit(ctx); err != nil {
		return fmt.Errorf("sync --full: %w", err)
	}
	return nil
}

// openForSync opens the index for writing. A second writer gets exit code 4
// with the holder's pid.
func openForSync(ctx context.Context, dir string, emb embed.Embedder, log *slog.Logger) (*search.Index, error) {
	idx, err := search.Open(ctx, dir, search.Options{Embedder: emb, Logger: log})
	var locked *search.LockedError
	if errors.As(err, &locked) {
		return nil, &exitError{code: exitLocked, err: fmt.Errorf("sync: %w; wait for it to finish (or stop it) and retry", err)}
	}
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	return idx, nil
}

// summaryJSON is the --json form of a sync summary.
type summaryJSON struct {
	Added      int                 `json:"added"`
	Updated    int                 `json:"updated"`
	Unchanged  int                 `json:"unchanged"`
	Deleted    int                 `json:"deleted"`
	Errors     int                 `json:"errors"`
	Chunks     int                 `json:"chunks_embedded"`
	Requests   int                 `json:"requests"`
	Seconds    float64             `json:"seconds"`
	Stages     map[string]float64  `json:"stage_seconds"`
	Paces      map[string]paceJSON `json:"rate_limits,omitempty"`
	Containers []containerJSON     `json:"containers"`
}

// paceJSON is a rate limit a server announced (or, when it announced
// none, the one assumed) and the time spent within it.
type paceJSON struct {
	Assumed       bool    `json:"assumed,omitempty"`
	Limit         float64 `json:"limit"`
	PerSecond     float64 `json:"per_second"`
	WaitedSeconds float64 `json:"waited_seconds"`
}

type containerJSON struct {
	Source     string  `json:"source"`
	Container  string  `json:"container"`
	Listed     int     `json:"listed"`
	Added      int     `json:"added"`
	Updated    int     `json:"updated"`
	Unchanged  int     `json:"unchanged"`
	Deleted    int     `json:"deleted"`
	Errors     int     `json:"errors"`
	Requests   int     `json:"requests"`
	Reconciled bool    `json:"reconciled"`
	Seconds    float64 `json:"seconds"`
	Error      string  `json:"error,omitempty"`
}

// stageSeconds splits the store stage into embed and store.
func stageSeconds(s indexer.Stages, embedTook time.Duration) map[string]float64 {
	store := s.Store - embedTook
	if store < 0 {
		store = 0
	}
	return map[string]float64{
		"list": s.List.Seconds(), "fetch": s.Fetch.Seconds(), "convert": s.Convert.Seconds(),
		"chunk": s.Chunk.Seconds(), "fit": s.Fit.Seconds(), "embed": embedTook.Seconds(), "store": store.Seconds(),
	}
}

func writeSummary(w io.Writer, s *indexer.Summary, embedTook time.Duration, asJSON bool) {
	if asJSON {
		out := summaryJSON{Added: s.Added, Updated: s.Updated, Unchanged: s.Unchanged, Deleted: s.Deleted, Errors: s.Errors,
			Chunks: s.Chunks, Requests: s.Requests, Seconds: s.Duration.Seconds(), Stages: stageSeconds(s.Stages, embedTook),
			Containers: []containerJSON{}}
		if len(s.Paces) > 0 {
			out.Paces = map[string]paceJSON{}
			for src, p := range s.Paces {
				out.Paces[src] = paceJSON{Assumed: p.Assumed && !p.Announced, Limit: p.Limit, PerSecond: p.PerSecond, WaitedSeconds: p.Waited.Seconds()}
			}
		}
		for _, c := range s.Containers {
			cj := containerJSON{Source: c.Source, Container: c.Container, Listed: c.Listed, Added: c.Added, Updated: c.Updated,
				Unchanged: c.Unchanged, Deleted: c.Deleted, Errors: c.Errors, Requests: c.Requests, Reconciled: c.Reconciled,
				Seconds: c.Duration.Seconds()}
			if c.Err != nil {
				cj.Error = c.Err.Error()
			}
			out.Containers = append(out.Containers, cj)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return
	}
	fmt.Fprintf(w, "sync finished in %s: %d added, %d updated, %d deleted, %d unchanged, %d errors (%d requests, %d chunks embedded)\n",
		s.Duration.Round(time.Millisecond), s.Added, s.Updated, s.Deleted, s.Unchanged, s.Errors, s.Requests, s.Chunks)
	for _, c := range s.Containers {
		if c.Container == "" {
			c.Container = "-" // the listing of spaces or projects failed
		}
		line := fmt.Sprintf("  %-10s %-12s %6d listed %6d added %6d updated %6d deleted %6d unchanged %4d errors %5d requests  %s",
			c.Source, c.Container, c.Listed, c.Added, c.Updated, c.Deleted, c.Unchanged, c.Errors, c.Requests, c.Duration.Round(time.Millisecond))
		if c.Reconciled {
			line += "  (reconciled)"
		}
		if c.Err != nil {
			line += "\n    failed: " + c.Err.Error()
		}
		fmt.Fprintln(w, line)
	}
	for _, src := range []string{search.SourceConfluence, search.SourceJira} {
		p, ok := s.Paces[src]
		switch {
		case ok && p.Announced:
			fmt.Fprintf(w, "  %s rate limit: %.4g requests/s (bucket of %.0f); requests waited %s to stay within it\n",
				src, p.PerSecond, p.Limit, p.Waited.Round(time.Millisecond))
		case ok && p.Assumed:
			fmt.Fprintf(w, "  %s announced no rate limit: kept to %.4g requests/s after a burst of %.0f (waited %s); ATLASBRIDGE_RATE_LIMIT sets another pace\n",
				src, p.PerSecond, p.Limit, p.Waited.Round(time.Millisecond))
		}
	}
	st := stageSeconds(s.Stages, embedTook)
	var parts []string
	for _, k := range []string{"list", "fetch", "convert", "chunk", "fit", "embed", "store"} {
		parts = append(parts, fmt.Sprintf("%s %.2fs", k, st[k]))
	}
	fmt.Fprintf(w, "  time by stage (summed over workers): %s\n", strings.Join(parts, " · "))
}

// progressPrinter shows sync progress: a bar redrawn in place on a
// terminal, a log line every few seconds otherwise.
type progressPrinter struct {
	mode    string // bar, log or none
	w       io.Writer
	log     *slog.Logger
	mu      sync.Mutex
	last    time.Time
	drawn   bool
	every   time.Duration
	started map[string]time.Time
}

func newProgressPrinter(mode string, w io.Writer, log *slog.Logger) *progressPrinter {
	if mode == "auto" {
		mode = "log"
		if isTerminal(w) {
			mode = "bar"
		}
	}
	return &progressPrinter{mode: mode, w: w, log: log, every: 5 * time.Second, started: map[string]time.Time{}}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progressPrinter) update(pr indexer.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.mode {
	case "bar":
		p.drawBar(pr)
	case "log":
		if pr.Phase == "fit" {
			p.log.Info("teaching the embedder the corpus and re-embedding every chunk")
		}
		if pr.Phase == "fetch" && time.Since(p.last) >= p.every {
			p.last = time.Now()
			p.log.Info("sync progress", "source", pr.Source, "container", pr.Container, "done", pr.Done, "total", pr.Total,
				"rate_per_s", rate(pr), "eta", eta(pr))
		}
	}
}

func rate(pr indexer.Progress) int {
	if pr.Elapsed <= 0 {
		return 0
	}
	return int(float64(pr.Done) / pr.Elapsed.Seconds())
}

func eta(pr indexer.Progress) time.Duration {
	if pr.Done == 0 || pr.Total <= pr.Done {
		return 0
	}
	per := pr.Elapsed / time.Duration(pr.Done)
	return (per * time.Duration(pr.Total-pr.Done)).Round(time.Second)
}

func (p *progressPrinter) drawBar(pr indexer.Progress) {
	label := pr.Source + " " + pr.Container
	switch pr.Phase {
	case "list":
		fmt.Fprintf(p.w, "\r\033[K%-24s listing changes…", label)
		p.drawn = true
	case "fetch":
		const width = 30
		filled := 0
		if pr.Total > 0 {
			filled = width * pr.Done / pr.Total
		}
		fmt.Fprintf(p.w, "\r\033[K%-24s [%s%s] %d/%d  %d/s  ETA %s", label, strings.Repeat("#", filled), strings.Repeat(".", width-filled),
			pr.Done, pr.Total, rate(pr), eta(pr))
		p.drawn = true
	case "done":
		fmt.Fprintf(p.w, "\r\033[K%-24s %d documents in %s\n", label, pr.Total, pr.Elapsed.Round(time.Millisecond))
		p.drawn = false
	case "fit":
		fmt.Fprintf(p.w, "\r\033[K%-24s teaching the builtin embedder this corpus and re-embedding…", "embedder")
		p.drawn = true
	}
}

// finish ends a bar left half drawn (an interrupted sync).
func (p *progressPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == "bar" && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// scheduleSyncs runs job now and then on every tick of spec ("@every 15m",
// "@hourly" or a five-field cron spec) until ctx is done. A run still going
// when the next tick comes makes that tick skip (cron.SkipIfStillRunning),
// so syncs never overlap. It returns when ctx is done and the running job,
// if any, has returned.
//
// serve --sync-schedule runs it in the background: see backgroundSync.
func scheduleSyncs(ctx context.Context, spec string, log *slog.Logger, job func(ctx context.Context)) error {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("schedule %q: %w", spec, err)}
	}
	cl := cronLogger{log}
	wrapped := cron.NewChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)).Then(cron.FuncJob(func() { job(ctx) }))
	c := cron.New(cron.WithLogger(cl))
	c.Schedule(sched, wrapped)
	log.Info("sync scheduled", "schedule", spec, "next", sched.Next(time.Now()).Format(time.RFC3339))
	c.Start()
	wrapped.Run() // the first sync now, under the same skip guard
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// backgroundSync starts scheduled syncs of cfg's servers into its data
// directory, for atlasbridge serve --sync-schedule SPEC: serve's
// startSyncSchedule hook returns backgroundSync(ctx, spec, cfg, log). It
// checks spec and the configuration at once and returns an error for bad
// ones; the syncs then run in the background (the first one now) until ctx
// is done or stop is called. stop cancels a sync in flight and returns
// once it has stopped; it is safe to call more than once. Each run takes
// the data directory's writer lock only while it runs: a concurrent
// atlasbridge sync makes that run log "another sync is running" and skip.
func backgroundSync(ctx context.Context, spec string, cfg *config, log *slog.Logger) (stop func(), err error) {
	if _, err := cron.ParseStandard(spec); err != nil {
		return nil, fmt.Errorf("--sync-schedule %q: %w (examples: \"@every 15m\", \"@hourly\")", spec, err)
	}
	if !cfg.Confluence.Configured() && !cfg.Jira.Configured() {
		return nil, errors.New("--sync-schedule: neither Confluence nor Jira is configured")
	}
	if _, err := embed.New(cfg.Embed); err != nil {
		return nil, fmt.Errorf("--sync-schedule: %w", err)
	}
	job := syncJob{cfg: cfg, flags: &syncFlags{concurrency: 4, overlap: 10 * time.Minute, progress: "none"}, log: log, stdout: io.Discard, stderr: io.Discard}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		scheduleSyncs(ctx, spec, log, func(ctx context.Context) {
			sum, err := job.run(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("background sync failed", "err", err)
			case sum != nil && ctx.Err() == nil:
				log.Info("background sync done", "added", sum.Added, "updated", sum.Updated, "deleted", sum.Deleted,
					"errors", sum.Errors, "took", sum.Duration.Round(time.Millisecond))
			}
		})
	}()
	return func() { cancel(); <-done }, nil
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ log *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		c.log.Warn("scheduled sync skipped: the previous one is still running")
		return
	}
	c.log.Debug("cron: "+msg, kv...)
}
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.log.Error("cron: "+msg, append(kv, "err", err)...)
}
