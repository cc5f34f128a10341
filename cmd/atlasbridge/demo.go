package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// demoQueries are the example searches of atlasbridge demo: questions
// worded unlike the sample pages, the case semantic search is for.
var demoQueries = []string{
	"how do I undo a bad release in production",
	"who gets woken up at night when the site is down",
}

// runDemo is atlasbridge demo: a simulator with the sample space and
// generated issues, a sync into a temporary index, two searches, and the
// configuration to use the real thing.
func runDemo(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keep := fs.Bool("keep", false, "keep the demo index (its directory is printed) instead of deleting it")
	issues := fs.Int("issues", 200, "number of generated Jira issues")
	var queries multiFlag
	fs.Var(&queries, "query", "a search to run instead of the two examples (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: atlasbridge demo [--keep] [--issues N] [--query TEXT]...")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Starts a simulated Confluence and Jira with sample data in this process, syncs")
		fmt.Fprintln(stderr, "them into a temporary index, runs example searches and prints the IDE config.")
		fmt.Fprintln(stderr, "Needs no server, no credentials and no network.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: 2, err: fmt.Errorf("demo: %w", err)}
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("demo: unexpected argument %q (to search, use --query %q)", fs.Arg(0), strings.Join(fs.Args(), " "))}
	}
	if *issues < 0 || *issues > 100_000 {
		return &exitError{code: 2, err: fmt.Errorf("demo: --issues %d: want 0 to 100000", *issues)}
	}
	if len(queries) == 0 {
		queries = demoQueries
	}
	quiet := *cfg
	if quiet.LogLevel == slog.LevelInfo {
		quiet.LogLevel = slog.LevelWarn // the demo prints its own story
	}
	log := quiet.logger(stderr)
	began := time.Now()

	n := *issues
	if n == 0 {
		n = -1 // the simulator's "none"
	}
	sb, err := openSandbox(ctx, "demo", sim.Options{JiraIssues: n, Seed: 1}, true, log)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer sb.Close(*keep)
	fmt.Fprintf(stdout, "Simulated Confluence at %s/confluence and Jira at %s/jira (user admin).\n", sb.BaseURL, sb.BaseURL)
	pr := newProgressPrinter("auto", stderr, log)
	if pr.mode == "log" {
		pr.mode = "none" // the summary below says it all
	}
	sum, embedTook, err := sb.Sync(ctx, pr.update)
	pr.finish()
	if sum != nil {
		fmt.Fprintln(stdout)
		writeSummary(stdout, sum, embedTook, false)
	}
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	for _, q := range queries {
		res, err := sb.Index.Search(ctx, search.Query{Text: q, K: 3})
		if err != nil {
			return fmt.Errorf("demo: search %q: %w", q, err)
		}
		fmt.Fprintf(stdout, "\nsearch: %q\n", q)
		if len(res) == 0 {
			fmt.Fprintln(stdout, "  (no results)")
		}
		for i, r := range res {
			fmt.Fprintf(stdout, "  %d. [%s %s] %s\n", i+1, r.Source, r.Container, r.Title)
			if r.Heading != "" {
				fmt.Fprintf(stdout, "     § %s\n", r.Heading)
			}
			if snip := oneLine(r.Snippet, 160); snip != "" {
				fmt.Fprintf(stdout, "     %s\n", snip)
			}
			fmt.Fprintf(stdout, "     %s\n", r.URL)
		}
	}

	fmt.Fprintf(stdout, "\nDone in %s.", time.Since(began).Round(100*time.Millisecond))
	if *keep {
		fmt.Fprintf(stdout, " The demo index is in %s (ATLASBRIDGE_DATA_DIR=%s atlasbridge search \"…\").", sb.Dir, sb.Dir)
	}
	fmt.Fprint(stdout, "\n\n"+ideConfig)
	return nil
}

// ideConfig tells how to use atlasbridge with real servers.
const ideConfig = `To use your own Confluence and Jira, put this in your IDE's MCP configuration
(Claude Desktop: claude_desktop_config.json; Cursor: .cursor/mcp.json; VS Code: .vscode/mcp.json
under "servers" instead of "mcpServers"):

{
  "mcpServers": {
    "atlasbridge": {
      "command": "atlasbridge",
      "args": ["serve", "--sync-schedule", "@every 30m"],
      "env": {
        "CONFLUENCE_BASE_URL": "https://wiki.example.com",
        "CONFLUENCE_PERSONAL_TOKEN": "<your token>",
        "JIRA_BASE_URL": "https://jira.example.com",
        "JIRA_PERSONAL_TOKEN": "<your token>"
      }
    }
  }
}

Then build the index once with "atlasbridge sync" (same variables, e.g. in a .env file);
"atlasbridge doctor" checks the connection and "atlasbridge status" shows what is indexed.
`

// oneLine flattens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ", ") }

func (m *multiFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("empty query")
	}
	*m = append(*m, v)
	return nil
}
