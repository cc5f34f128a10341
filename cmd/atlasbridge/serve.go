package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/internal/httpfront"
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
	toolsets := fs.String("toolsets", "", "also serve these groups of rarely used tools: comma-separated `names` ("+strings.Join(mcp.Toolsets(), ", ")+"), or all")
	schedule := fs.String("sync-schedule", "", "keep the local index fresh in the background on this cron `SPEC` (e.g. \"@every 30m\")")
	token := fs.String("auth-token", "", "bearer `token` HTTP clients must send, 16 characters or more (default $ATLASBRIDGE_HTTP_TOKEN; prefer the variable: flags show in ps); without one, --http generates one and prints it once")
	tlsCert := fs.String("tls-cert", "", "serve --http over TLS with this certificate `file` (PEM; with --tls-key)")
	tlsKey := fs.String("tls-key", "", "the private key `file` of --tls-cert (PEM)")
	origins := fs.String("allowed-origins", "", "browser `origins` (comma-separated, e.g. https://app.example.com) allowed besides loopback ones; others get 403")
	requireUser := fs.Bool("require-user-credentials", false, "with --http, refuse tool calls that bring no X-Atlassian-*-Personal-Token (or -Username/-Password) headers: each user acts as themselves, the configured account only syncs")
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
	var front httpfront.Options
	if *httpAddr != "" {
		// Check before connecting anything: these are config errors.
		if err := checkBind(*httpAddr, *allowRemote); err != nil {
			return &exitError{code: 2, err: err}
		}
		var err error
		if front, err = frontOptions(*token, *allowRemote, *tlsCert, *tlsKey, list(*origins), stderr); err != nil {
			return &exitError{code: 2, err: err}
		}
	} else if *requireUser || *tlsCert != "" || *tlsKey != "" || *origins != "" {
		return &exitError{code: 2, err: errors.New("serve: --require-user-credentials, --tls-cert, --tls-key and --allowed-origins go with --http")}
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
	searcher, stopPreload := openSearcher(ctx, cfg, conf, jira, log)
	if searcher != nil {
		defer func() {
			stopPreload() // the index must not close under a load
			searcher.Close()
		}()
	}
	srv, err := mcp.New(mcp.Options{
		Confluence:   conf,
		Jira:         jira,
		Spaces:       cfg.Spaces,
		Projects:     cfg.Projects,
		ReadOnly:     *readOnly,
		Tools:        list(*tools),
		ExcludeTools: list(*exclude),
		Toolsets:     list(*toolsets),
		Searcher:     searcher,
		Version:      version,
		Logger:       log,

		RequireCallerCredentials: *requireUser,
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
	front.Logger = log
	h, err := httpfront.Wrap(srv.HTTPHandler(mcp.HTTPOptions{}), front)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("serve: %w", err)}
	}
	return serveHTTP(ctx, h, *httpAddr, *tlsCert, *tlsKey, log)
}

// frontOptions checks the HTTP server's token and TLS flags. Without a
// token, a server on loopback generates one and prints it once on stderr
// (never in the log); --allow-remote without a token is refused.
func frontOptions(token string, allowRemote bool, certFile, keyFile string, origins []string, stderr io.Writer) (httpfront.Options, error) {
	opts := httpfront.Options{Token: token, AllowedOrigins: origins}
	if (certFile == "") != (keyFile == "") {
		return opts, errors.New("serve: --tls-cert and --tls-key go together")
	}
	if certFile != "" {
		if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
			return opts, fmt.Errorf("serve: --tls-cert/--tls-key: %w", err)
		}
	}
	for _, o := range origins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" {
			return opts, fmt.Errorf("serve: --allowed-origins %q: want scheme://host[:port], e.g. https://app.example.com", o)
		}
	}
	switch {
	case token == "" && allowRemote:
		return opts, errors.New("serve: --allow-remote needs a bearer token: set ATLASBRIDGE_HTTP_TOKEN (16 characters or more, e.g. from openssl rand -hex 24)")
	case token == "":
		opts.Token = httpfront.NewToken()
		fmt.Fprintf(stderr, "ATLASBRIDGE_HTTP_TOKEN is not set: clients must send \"Authorization: Bearer %s\" (generated for this run only; set ATLASBRIDGE_HTTP_TOKEN to keep one)\n", opts.Token)
	default:
		if err := httpfront.CheckToken(token); err != nil {
			return opts, fmt.Errorf("serve: ATLASBRIDGE_HTTP_TOKEN: %w: use a random one, e.g. from openssl rand -hex 24", err)
		}
	}
	return opts, nil
}

// openSearcher gives the semantic tools the local index, opened read-only
// (it follows what later syncs commit by itself), and the live fallback
// over the configured clients within the allow-lists. The index loads in the
// background, so that a large one does not delay the client's initialize. A
// missing index is not an error: the tools answer from the servers, and the
// index is opened once a sync (--sync-schedule, or another process) has
// created it. With no product configured and no index, there is nothing to
// search: nil. stop cancels the background load and waits for it: call it
// before closing the Searcher.
func openSearcher(ctx context.Context, cfg *config, conf *atlassian.Confluence, jira *atlassian.Jira, log *slog.Logger) (s *retrieve.Searcher, stop func()) {
	opts := retrieve.Options{
		Open:   func(ctx context.Context) (*search.Index, error) { return openReadIndex(ctx, cfg, log) },
		Logger: log,
		// A call without its caller's credentials runs as the configured
		// account: trimmed to it when another account synced the index.
		Account:  cfg.account(),
		StateDir: cfg.DataDir,
	}
	if conf == nil && jira == nil {
		idx, err := opts.Open(ctx)
		if err != nil {
			return nil, func() {}
		}
		opts.Index = idx
		return retrieve.New(opts), func() {}
	}
	opts.Live = &retrieve.Live{Confluence: conf, Jira: jira, Spaces: cfg.Spaces, Projects: cfg.Projects}
	s = retrieve.New(opts)
	return s, preload(ctx, s, func(err error) {
		log.Info("no local index yet: semantic_search asks the servers until a sync creates it", "dir", cfg.DataDir, "err", err)
	})
}

// preload loads s's index in the background. The returned stop cancels the
// load and returns once it has ended: an index closed while it loads would
// be read after its store is gone (a panic at shutdown). failed is told why
// a load that was not cancelled found no index.
func preload(ctx context.Context, s *retrieve.Searcher, failed func(error)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Preload(ctx); err != nil && ctx.Err() == nil {
			failed(err)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// checkBind refuses an HTTP address reachable from other machines unless
// allowRemote is set, and warns when it is.
func checkBind(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("serve: --http %q: want HOST:PORT, e.g. 127.0.0.1:8080", addr)
	}
	if httpfront.Loopback(host) || allowRemote {
		return nil
	}
	return fmt.Errorf("serve: --http %s would accept connections from other machines, and every client acts with your Confluence/Jira credentials: bind 127.0.0.1:PORT, or pass --allow-remote and set ATLASBRIDGE_HTTP_TOKEN", addr)
}

// serveHTTP serves h on addr until ctx is cancelled, over TLS when
// certFile and keyFile are set.
func serveHTTP(ctx context.Context, h http.Handler, addr, certFile, keyFile string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: --http %s: %w", addr, err)
	}
	host, _, _ := net.SplitHostPort(addr)
	if !httpfront.Loopback(host) {
		log.Warn("MCP HTTP server reachable from other machines", "addr", addr, "tls", certFile != "")
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
	scheme := "http"
	if certFile != "" {
		scheme = "https"
	}
	log.Info("serving MCP over streamable HTTP", "url", scheme+"://"+ln.Addr().String()+"/mcp", "bearer_token", true)
	if certFile != "" {
		err = hs.ServeTLS(ln, certFile, keyFile)
	} else {
		err = hs.Serve(ln)
	}
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
