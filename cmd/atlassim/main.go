// Command atlassim runs the Jira + Confluence Server/DC simulator of package internal/sim on a
// local address, for demos, benchmarks and manual testing of atlasbridge.
//
//	atlassim --addr 127.0.0.1:8990 --confluence-html DIR --space KEY --jira-issues 200 --seed 1 \
//	    --user admin --password admin --token T [--latency 50ms] [--error-rate 0.05] [--rate-limit 20] \
//	    [--timezone Europe/London] [--user-timezone America/New_York] [--anonymous-read] [--no-pat]
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
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // --timezone works without the system's zone database

	"github.com/atlasbridge/atlasbridge/internal/sim"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "atlassim:", err)
		os.Exit(1)
	}
}

// repeated collects a flag given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// config is everything the flags say.
type config struct {
	addr     string
	htmlDirs repeated
	spaces   repeated
	opts     sim.Options
	user     sim.User
	pages    int
	timezone string
	userZone string
	verbose  bool
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("atlassim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8990", "listen address (host:port)")
	fs.Var(&c.htmlDirs, "confluence-html", "folder of .html files to import as a space (repeatable, paired with --space)")
	fs.Var(&c.spaces, "space", "space key for the matching --confluence-html (repeatable)")
	fs.IntVar(&c.opts.JiraIssues, "jira-issues", 200, "number of generated Jira issues (0 for none)")
	fs.Int64Var(&c.opts.Seed, "seed", 1, "seed of generated issues and pages")
	fs.StringVar(&c.user.Name, "user", "admin", "user name of the main account")
	fs.StringVar(&c.user.Password, "password", "admin", "password of the main account")
	fs.StringVar(&c.user.Token, "token", "", "personal access token of the main account (Authorization: Bearer)")
	fs.DurationVar(&c.opts.Latency, "latency", 0, "latency added to every request, e.g. 50ms")
	fs.Float64Var(&c.opts.ErrorRate, "error-rate", 0, "probability (0..1) of a 503 per request")
	fs.Float64Var(&c.opts.RateLimit, "rate-limit", 0, "requests per second before 429 (0: unlimited)")
	fs.StringVar(&c.opts.JiraVersion, "jira-version", "9.12.0", "Jira version reported (8.x serves the old createmeta)")
	fs.BoolVar(&c.opts.DataCenter, "datacenter", false, "report deploymentType DataCenter")
	fs.BoolVar(&c.opts.QuirkNextStart, "quirk-next-start", false, "Confluence _links.next advances by the asked limit even when capped (a DC quirk)")
	fs.BoolVar(&c.opts.AnonymousRead, "anonymous-read", false, "serve requests without credentials as the anonymous user (200, X-AUSERNAME: anonymous), who sees nothing")
	fs.BoolVar(&c.opts.NoPAT, "no-pat", false, "ignore Authorization: Bearer like servers older than personal access tokens (the request is anonymous)")
	fs.IntVar(&c.pages, "pages", 0, "number of synthetic pages to generate in space GEN")
	fs.StringVar(&c.timezone, "timezone", "UTC", "server time zone of both products' timestamps (IANA name with daylight saving, e.g. Europe/London)")
	fs.StringVar(&c.userZone, "user-timezone", "", "profile time zone of every account, in which CQL/JQL dates are read (IANA name; default: --timezone)")
	fs.BoolVar(&c.verbose, "v", false, "log every request")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if len(c.htmlDirs) != len(c.spaces) {
		return nil, fmt.Errorf("--confluence-html given %d times but --space %d times: give them in pairs", len(c.htmlDirs), len(c.spaces))
	}
	if c.opts.JiraIssues == 0 {
		c.opts.JiraIssues = -1
	}
	loc, err := time.LoadLocation(c.timezone)
	if err != nil {
		return nil, fmt.Errorf("--timezone %q: %w", c.timezone, err)
	}
	c.opts.TimeZone = loc
	if c.userZone != "" {
		if c.opts.UserTimeZone, err = time.LoadLocation(c.userZone); err != nil {
			return nil, fmt.Errorf("--user-timezone %q: %w", c.userZone, err)
		}
	}
	if c.pages < 0 {
		return nil, fmt.Errorf("--pages %d: must not be negative", c.pages)
	}
	if c.user.Name == "" || c.user.Password == "" {
		return nil, errors.New("--user and --password must not be empty")
	}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return nil, fmt.Errorf("--addr %q: %w", c.addr, err)
	}
	users := sim.DefaultUsers()
	replaced := false
	for i := range users {
		if users[i].Name == c.user.Name {
			c.user.DisplayName, c.user.Groups = users[i].DisplayName, users[i].Groups
			users[i] = c.user
			replaced = true
		}
	}
	if !replaced {
		c.user.Groups = users[0].Groups
		users = append([]sim.User{c.user}, users...)
	}
	c.opts.Users = users
	if len(c.htmlDirs) > 0 {
		c.opts.Spaces = []sim.SpaceImport{}
		for i, dir := range c.htmlDirs {
			c.opts.Spaces = append(c.opts.Spaces, sim.SpaceImport{Key: c.spaces[i], HTMLDir: dir})
		}
	}
	return c, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if c.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	c.opts.Logger = log

	began := time.Now()
	world, err := sim.New(c.opts)
	if err != nil {
		return err
	}
	if c.pages > 0 {
		if err := world.GeneratePages("GEN", c.pages, c.opts.Seed); err != nil {
			return err
		}
	}
	log.Info("world loaded", "took", time.Since(began).Round(time.Millisecond),
		"issues", world.IssueCount(""), "generated_pages", c.pages)

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", c.addr, err)
	}
	srv := &http.Server{Handler: world.Handler(), ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stderr, "confluence: %s/confluence\njira:       %s/jira\n", base, base)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
