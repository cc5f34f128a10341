package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search"
)

// statusJSON is atlasbridge status --json: one object, each Confluence space
// with a pages count and each Jira project with an issues count.
type statusJSON struct {
	DataDir    string        `json:"data_dir"`
	Model      string        `json:"embedder_model"`
	Dims       int           `json:"dimensions"`
	Documents  int           `json:"documents"`
	Chunks     int           `json:"chunks"`
	Bytes      int64         `json:"bytes_on_disk"`
	NotReady   string        `json:"not_ready,omitempty"` // why searches fail, when they do
	LastSync   *time.Time    `json:"last_sync,omitempty"`
	Confluence []spaceJSON   `json:"confluence"`
	Jira       []projectJSON `json:"jira"`
}

type spaceJSON struct {
	Space string `json:"space"`
	Pages int    `json:"pages"` // documents: pages, blog posts and comments
	containerStateJSON
}

type projectJSON struct {
	Project string `json:"project"`
	Issues  int    `json:"issues"`
	containerStateJSON
}

type containerStateJSON struct {
	Chunks        int        `json:"chunks"`
	LastSync      *time.Time `json:"last_sync,omitempty"`
	Watermark     *time.Time `json:"watermark,omitempty"`
	LastReconcile *time.Time `json:"last_reconcile,omitempty"`
	Syncs         int        `json:"syncs"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// runStatus is atlasbridge status [--json].
func runStatus(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the status as one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: atlasbridge status [--json]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Shows what the local index holds: per space and project counts, last sync and")
		fmt.Fprintln(stderr, "watermark, the embedder model and the size on disk.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: 2, err: fmt.Errorf("status: %w", err)}
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("status: unexpected argument %q", fs.Arg(0))}
	}
	if _, err := os.Stat(cfg.DataDir); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("status: no index in %s yet: run atlasbridge sync (or set ATLASBRIDGE_DATA_DIR)", cfg.DataDir)
	}
	emb, err := embed.New(cfg.Embed)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("status: %w", err)}
	}
	idx, err := search.Open(ctx, cfg.DataDir, search.Options{Embedder: emb, ReadOnly: true, Lazy: true, Logger: cfg.logger(stderr)})
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	defer idx.Close()
	st, err := idx.Status(ctx)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	out := toStatusJSON(st)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	writeStatus(stdout, out)
	return nil
}

func toStatusJSON(st search.Status) statusJSON {
	out := statusJSON{DataDir: st.Dir, Model: st.Model, Dims: st.Dims, Documents: st.Documents, Chunks: st.Chunks, Bytes: st.Bytes,
		Confluence: []spaceJSON{}, Jira: []projectJSON{}}
	var newest time.Time
	for _, c := range st.Containers {
		state := containerStateJSON{Chunks: c.Chunks, LastSync: timePtr(c.Watermark.LastSync), Watermark: timePtr(c.Watermark.Updated),
			LastReconcile: timePtr(c.Watermark.LastReconcile), Syncs: c.Watermark.Syncs}
		if c.Watermark.LastSync.After(newest) {
			newest = c.Watermark.LastSync
		}
		switch c.Source {
		case search.SourceConfluence:
			out.Confluence = append(out.Confluence, spaceJSON{Space: c.Container, Pages: c.Documents, containerStateJSON: state})
		case search.SourceJira:
			out.Jira = append(out.Jira, projectJSON{Project: c.Container, Issues: c.Documents, containerStateJSON: state})
		}
	}
	out.LastSync = timePtr(newest)
	if st.VectorsPending {
		out.NotReady = "a first sync stored the documents but did not embed them: run atlasbridge sync"
	}
	return out
}

func writeStatus(w io.Writer, s statusJSON) {
	fmt.Fprintf(w, "index      %s (%s on disk)\n", s.DataDir, humanBytes(s.Bytes))
	fmt.Fprintf(w, "embedder   %s (%d dimensions)\n", s.Model, s.Dims)
	fmt.Fprintf(w, "contents   %d documents, %d chunks\n", s.Documents, s.Chunks)
	if s.NotReady != "" {
		fmt.Fprintf(w, "not ready  %s\n", s.NotReady)
	}
	if s.LastSync != nil {
		fmt.Fprintf(w, "last sync  %s (%s ago)\n", s.LastSync.Local().Format("2006-01-02 15:04:05"), time.Since(*s.LastSync).Round(time.Second))
	} else {
		fmt.Fprintln(w, "last sync  never: run atlasbridge sync")
	}
	if len(s.Confluence)+len(s.Jira) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tCONTAINER\tITEMS\tCHUNKS\tLAST SYNC\tWATERMARK\tSYNCS")
	row := func(src, key, kind string, n int, c containerStateJSON) {
		fmt.Fprintf(tw, "%s\t%s\t%d %s\t%d\t%s\t%s\t%d\n", src, key, n, kind, c.Chunks, when(c.LastSync), when(c.Watermark), c.Syncs)
	}
	for _, c := range s.Confluence {
		row("confluence", c.Space, "pages", c.Pages, c.containerStateJSON)
	}
	for _, p := range s.Jira {
		row("jira", p.Project, "issues", p.Issues, p.containerStateJSON)
	}
	tw.Flush()
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
