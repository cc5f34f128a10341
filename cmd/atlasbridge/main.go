// Command atlasbridge gives AI assistants safe, fast access to self-hosted
// Jira and Confluence: an MCP server (serve), a crawler that keeps a local
// semantic index (sync), and search over that index (search).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// command is one subcommand: it parses its own flags from args.
type command struct {
	run   func(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error
	brief string
}

func commands() map[string]command {
	return map[string]command{
		"serve":  {runServe, "run the MCP server (stdio, or streamable HTTP with --http)"},
		"sync":   {runSync, "crawl Confluence and Jira into the local index"},
		"search": {runSearch, "semantic search over the local index"},
		"status": {runStatus, "show what the local index holds"},
		"demo":   {runDemo, "sync the bundled sample data and search it (no server needed)"},
		"doctor": {runDoctor, "check connectivity, credentials and the index"},
		"eval":   {runEval, "measure search quality on a corpus and question sets (recall@5, MRR@10)"},
	}
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(stdout, "atlasbridge", version)
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "atlasbridge: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	cfg, err := loadConfig(getenv, ".env")
	if err != nil {
		fmt.Fprintln(stderr, "atlasbridge:", err)
		return 2
	}
	if err := cmd.run(ctx, args[1:], cfg, stdin, stdout, stderr); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil {
				fmt.Fprintln(stderr, "atlasbridge:", ee.err)
			}
			return ee.code
		}
		fmt.Fprintln(stderr, "atlasbridge:", err)
		if hint := credentialHint(err); hint != "" {
			fmt.Fprintln(stderr, "atlasbridge:", hint)
		}
		return 1
	}
	return 0
}

// credentialHint names the variables to check after a 401, whatever the
// command that met it.
func credentialHint(err error) string {
	var ae *atlassian.Error
	if !errors.As(err, &ae) || !errors.Is(err, atlassian.ErrUnauthorized) {
		return ""
	}
	p := strings.ToUpper(ae.Product)
	return fmt.Sprintf("the %s credentials were refused: check %s_PERSONAL_TOKEN, or %s_USERNAME and %s_API_TOKEN (atlasbridge doctor checks them)", ae.Product, p, p, p)
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: atlasbridge <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, name := range []string{"demo", "serve", "sync", "search", "status", "doctor", "eval"} {
		fmt.Fprintf(w, "  %-8s %s\n", name, commands()[name].brief)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'atlasbridge <command> -h' for its flags. Configuration comes from the")
	fmt.Fprintln(w, "environment or a .env file: see README.md.")
}
