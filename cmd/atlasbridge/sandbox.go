package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/indexer"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// A sandbox is what demo and eval run on: the simulator served on a
// loopback port, the real clients logged in to it, and an empty index in a
// temporary directory built with the builtin embedder (offline by design).
type sandbox struct {
	Sim     *sim.Sim
	BaseURL string // of the simulator, without a product's context path
	Dir     string // of the index
	Index   *search.Index

	conf    *atlassian.Confluence
	jira    *atlassian.Jira // nil when the sandbox has no Jira
	metered *indexer.MeteredEmbedder
	log     *slog.Logger
	srv     *http.Server
}

// openSandbox starts a simulator with opts and opens an index for it in a
// new temporary directory named after purpose. With jira false the index
// is only fed from Confluence; a nil log discards. Close releases it all.
func openSandbox(ctx context.Context, purpose string, opts sim.Options, jira bool, log *slog.Logger) (sb *sandbox, err error) {
	return openSandboxWith(ctx, purpose, opts, jira, embed.Config{Kind: embed.KindBuiltin}, log)
}

// openSandboxWith is openSandbox with the embedder of ec (eval compares
// embedders).
func openSandboxWith(ctx context.Context, purpose string, opts sim.Options, jira bool, ec embed.Config, log *slog.Logger) (sb *sandbox, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	world, err := sim.New(opts)
	if err != nil {
		return nil, fmt.Errorf("start the simulator: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on a local port: %w", err)
	}
	sb = &sandbox{Sim: world, BaseURL: "http://" + ln.Addr().String(), log: log,
		srv: &http.Server{Handler: world.Handler(), ReadHeaderTimeout: 5 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}}
	go sb.srv.Serve(ln)
	defer func() {
		if err != nil {
			sb.Close(false)
		}
	}()
	copts := atlassian.Options{Username: "admin", Password: "admin", Logger: log, MaxConcurrent: 8}
	if sb.conf, err = atlassian.NewConfluence(sb.BaseURL+"/confluence", copts); err != nil {
		return nil, err
	}
	if jira {
		if sb.jira, err = atlassian.NewJira(sb.BaseURL+"/jira", copts); err != nil {
			return nil, err
		}
	}
	if sb.Dir, err = os.MkdirTemp("", "atlasbridge-"+purpose+"-"); err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	emb, err := embed.New(ec)
	if err != nil {
		return nil, err
	}
	sb.metered = indexer.NewMeteredEmbedder(emb, runtime.GOMAXPROCS(0))
	if sb.Index, err = search.Open(ctx, sb.Dir, search.Options{Embedder: sb.metered.ForIndex(), Logger: log}); err != nil {
		return nil, err
	}
	return sb, nil
}

// Sync runs one sync of everything the simulator holds into the index and
// reports the time spent embedding alongside its summary. A sync with
// errors is an error: the sandbox's data is the project's own.
func (sb *sandbox) Sync(ctx context.Context, progress func(indexer.Progress)) (*indexer.Summary, time.Duration, error) {
	ix, err := indexer.New(indexer.Options{Confluence: sb.conf, Jira: sb.jira, Index: sb.Index,
		Embedder: sb.metered.ForIndex(), Logger: sb.log, Progress: progress})
	if err != nil {
		return nil, 0, err
	}
	sum, err := ix.Sync(ctx, indexer.RunOptions{})
	if err != nil {
		return sum, 0, fmt.Errorf("sync: %w", err)
	}
	took, _ := sb.metered.Took()
	if sum.Failed() {
		return sum, took, fmt.Errorf("the sync of the sample data failed (%d errors); rerun with ATLASBRIDGE_LOG_LEVEL=debug for details", failures(sum))
	}
	return sum, took, nil
}

// Close stops the simulator, closes the index and removes its directory
// unless keep is set.
func (sb *sandbox) Close(keep bool) {
	if sb.Index != nil {
		sb.Index.Close()
	}
	sb.srv.Close()
	if sb.Dir != "" && !keep {
		os.RemoveAll(sb.Dir)
	}
}
