package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/mcp"
	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

// runServe runs the MCP server: over stdio (what an IDE starts), or over
// streamable HTTP at /mcp with --http.
func runServe(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http", "", "serve streamable HTTP on `ADDR` (e.g. 127.0.0.1:8080, endpoint /mcp) instead of stdio")
	allowRemote := fs.Bool("allow-remote", false, "allow --http on an address reachable from other machines")
	readOnly := fs.Bool("read-only", cfg.ReadOnly, "serve no write tool (also ATLASBRIDGE_READ_ONLY=true)")
	tools := fs.String("tools", "", "serve only these tools: comma-separated `names`, or confluence / jira")
	exclude := fs.String("exclude-tools", "", "do not serve these tools: comma-separated `names`, or confluence / jira")
	schedule := fs.String("sync-schedule", "", "keep the local index fresh in the background on this cron `SPEC` (e.g. \"@every 30m\")")
	token := fs.String("auth-token", "", "bearer `token` HTTP clients must send (default $ATLASBRIDGE_HTTP_TOKEN; prefer the variable: flags show in ps)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: atlasbridge serve [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the MCP server over stdio, or streamable HTTP with --http. Logs go to stderr.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: 2} // the flag package has explained
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("serve: unexpected argument %q (flags only; see atlasbridge serve -h)", fs.Arg(0))}
	}
	if *token == "" {
		*token = cfg.HTTPToken
	}
	if *httpAddr != "" {
		// Check before connecting anything: a refused bind is a config error.
		if err := checkBind(*httpAddr, *allowRemote); err != nil {
			return &exitError{code: 2, err: err}
		}
	}

	log := cfg.logger(stderr)
	conf, err := cfg.confluence(log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	jira, err := cfg.jira(log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	searcher := openSearcher(ctx, cfg, conf, jira, log)
	if searcher != nil {
		defer searcher.Close()
	}
	srv, err := mcp.New(mcp.Options{
		Confluence:   conf,
		Jira:         jira,
		Spaces:       cfg.Spaces,
		Projects:     cfg.Projects,
		ReadOnly:     *readOnly,
		Tools:        list(*tools),
		ExcludeTools: list(*exclude),
		Searcher:     searcher,
		Version:      version,
		Logger:       log,
	})
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("serve: %w", err)}
	}

	if *schedule != "" {
		stop, err := startSyncSchedule(ctx, *schedule, cfg, log)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		defer stop()
	}

	names := make([]string, 0, len(srv.Tools()))
	for _, t := range srv.Tools() {
		names = append(names, t.Name)
	}
	if *httpAddr == "" {
		log.Info("serving MCP over stdio", "tools", len(names), "read_only", *readOnly)
		log.Debug("tools", "names", strings.Join(names, ","))
		return srv.ServeStdio(ctx, stdin, stdout)
	}
	return serveHTTP(ctx, srv.HTTPHandler(*token), *httpAddr, *token != "", log)
}

// openSearcher gives the semantic tools the local index, opened read-only
// (it follows what later syncs commit by itself), and the live fallback
// over the configured clients within the allow-lists. The index loads in the
// background, so that a large one does not delay the client's initialize. A
// missing index is not an error: the tools answer from the servers, and the
// index is opened once a sync (--sync-schedule, or another process) has
// created it. With no product configured and no index, there is nothing to
// search: nil.
func openSearcher(ctx context.Context, cfg *config, conf *atlassian.Confluence, jira *atlassian.Jira, log *slog.Logger) *retrieve.Searcher {
	opts := retrieve.Options{
		Open:   func(ctx context.Context) (*search.Index, error) { return openReadIndex(ctx, cfg, log) },
		Logger: log,
	}
	if conf == nil && jira == nil {
		idx, err := opts.Open(ctx)
		if err != nil {
			return nil
		}
		opts.Index = idx
		return retrieve.New(opts)
	}
	opts.Live = &retrieve.Live{Confluence: conf, Jira: jira, Spaces: cfg.Spaces, Projects: cfg.Projects}
	s := retrieve.New(opts)
	go func() {
		if err := s.Preload(ctx); err != nil && ctx.Err() == nil {
			log.Info("no local index yet: semantic_search asks the servers until a sync creates it", "dir", cfg.DataDir, "err", err)
		}
	}()
	return s
}

// checkBind refuses an HTTP address reachable from other machines unless
// allowRemote is set, and warns when it is.
func checkBind(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("serve: --http %q: want HOST:PORT, e.g. 127.0.0.1:8080", addr)
	}
	if loopback(host) || allowRemote {
		return nil
	}
	return fmt.Errorf("serve: --http %s would accept connections from other machines, and every client acts with your Confluence/Jira credentials: bind 127.0.0.1:PORT, or pass --allow-remote and set ATLASBRIDGE_HTTP_TOKEN", addr)
}

// loopback reports whether host names only this machine ("" and 0.0.0.0
// mean every interface).
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// serveHTTP serves h on addr until ctx is cancelled.
func serveHTTP(ctx context.Context, h http.Handler, addr string, withToken bool, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: --http %s: %w", addr, err)
	}
	host, _, _ := net.SplitHostPort(addr)
	if !loopback(host) {
		log.Warn("MCP HTTP server reachable from other machines", "addr", addr, "bearer_token", withToken)
		if !withToken {
			log.Warn("no ATLASBRIDGE_HTTP_TOKEN: anyone who reaches this port can use your Confluence/Jira access")
		}
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		// A request body must arrive within ReadTimeout (a client trickling
		// one ties up a connection); no WriteTimeout, which would cut the
		// long-lived event streams of streamable HTTP.
		ReadTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	log.Info("serving MCP over streamable HTTP", "url", "http://"+ln.Addr().String()+"/mcp", "bearer_token", withToken)
	err = hs.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	return fmt.Errorf("serve: %w", err)
}

// startSyncSchedule starts the background sync of --sync-schedule (the
// indexer's backgroundSync in sync.go: the first sync now, then on the
// cron spec, each taking the data directory's lock only while it runs) and
// returns the function that stops it.
func startSyncSchedule(ctx context.Context, spec string, cfg *config, log *slog.Logger) (stop func(), err error) {
	stop, err = backgroundSync(ctx, spec, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	return stop, nil
}
