package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/indexer"
	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (m *listFlag) String() string { return strings.Join(*m, ",") }
func (m *listFlag) Set(v string) error {
	*m = append(*m, list(v)...)
	return nil
}

// searchResultJSON is one result of `atlasbridge search --json`.
type searchResultJSON struct {
	Title   string   `json:"title"`
	URL     string   `json:"url"`
	Source  string   `json:"source"`
	Space   string   `json:"space,omitempty"`
	Project string   `json:"project,omitempty"`
	ID      string   `json:"id,omitempty"`
	Key     string   `json:"key,omitempty"`
	Type    string   `json:"type,omitempty"`
	Status  string   `json:"status,omitempty"`
	Updated string   `json:"updated,omitempty"`
	Labels  []string `json:"labels,omitempty"`
	Score   float64  `json:"score"`
	Heading string   `json:"heading,omitempty"`
	Snippet string   `json:"snippet"`
	Origin  string   `json:"origin"`
	Stale   bool     `json:"stale,omitempty"`
	// Restricted says the page or issue has view restrictions: not everyone
	// who can read the answer may open it.
	Restricted bool `json:"restricted,omitempty"`
}

// runSearch is `atlasbridge search [flags] "question"`.
func runSearch(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object with a results array")
	k := fs.Int("k", 10, "number of results (1-100)")
	mode := fs.String("mode", "hybrid", "ranking: hybrid, vector or keyword")
	var sources, spaces, projects, labels, statuses, types listFlag
	fs.Var(&sources, "source", "only confluence or jira (repeatable, comma-separated)")
	fs.Var(&spaces, "space", "only these Confluence space keys")
	fs.Var(&projects, "project", "only these Jira project keys")
	fs.Var(&labels, "label", "only documents with one of these labels")
	fs.Var(&statuses, "status", "only Jira issues in one of these statuses")
	fs.Var(&types, "type", "only these types (page, blogpost, comment, Bug, Story…)")
	live := fs.String("live", "auto", "ask the servers too: auto (when the index cannot answer), never")
	verify := fs.Bool("verify", false, "re-read the top hits on the server: drop deleted ones, flag changed ones")
	after := fs.String("updated-after", "", "only documents updated on or after this date (2006-01-02) or age (30d, 12h)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: atlasbridge search [flags] "question in plain words"`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: 2}
	}
	text := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if text == "" {
		fs.Usage()
		return &exitError{code: 2, err: errors.New(`search: no question given: atlasbridge search "how do we rotate the on-call pager?"`)}
	}
	if *k < 1 || *k > search.MaxK {
		return &exitError{code: 2, err: fmt.Errorf("search: --k %d: want 1 to %d", *k, search.MaxK)}
	}
	m, err := search.ParseMode(*mode)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("search: %w", err)}
	}
	since, err := retrieve.ParseSince(*after, time.Now())
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("search: --updated-after: %w", err)}
	}
	for _, s := range sources {
		if s != search.SourceConfluence && s != search.SourceJira {
			return &exitError{code: 2, err: fmt.Errorf("search: --source %q: want confluence or jira", s)}
		}
	}
	q := search.Query{Text: text, K: *k, Mode: m, Sources: sources, Spaces: upper(spaces), Projects: upper(projects),
		Labels: labels, Statuses: statuses, Types: types, UpdatedAfter: since}
	if err := checkScope(q.Spaces, cfg.Spaces, "space", "CONFLUENCE_SPACES"); err != nil {
		return &exitError{code: 2, err: err}
	}
	if err := checkScope(q.Projects, cfg.Projects, "project", "JIRA_PROJECTS"); err != nil {
		return &exitError{code: 2, err: err}
	}

	if *live != "auto" && *live != "never" {
		return &exitError{code: 2, err: fmt.Errorf("search: --live %q: want auto or never", *live)}
	}

	log := cfg.logger(stderr)
	// The clients are built whatever --live says: trimming to the
	// configured account (a shared index) asks the servers through them.
	opts := retrieve.Options{NoFallback: *live == "never", Logger: log, Account: cfg.account(), StateDir: cfg.DataDir}
	if opts.Live, err = liveSearch(cfg, log); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if opts.Live == nil && *verify {
		return &exitError{code: 2, err: errors.New("search: --verify needs CONFLUENCE_BASE_URL or JIRA_BASE_URL to re-read the hits")}
	}
	idx, err := openReadIndex(ctx, cfg, log)
	switch {
	case err == nil:
		opts.Index = idx
	case opts.Live == nil || opts.NoFallback:
		return fmt.Errorf("search: %w", err)
	default:
		log.Warn("no usable index: searching the servers only", "err", err)
	}
	s := retrieve.New(opts)
	defer s.Close()
	if idx != nil && len(q.Spaces)+len(q.Projects) == 0 && len(cfg.Spaces)+len(cfg.Projects) > 0 {
		if q.Spaces, q.Projects, err = allowedContainers(ctx, idx, cfg); err != nil {
			return fmt.Errorf("search: %w", err)
		}
	}
	ans, err := s.Search(ctx, retrieve.Query{Query: q, Verify: *verify})
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	out := make([]searchResultJSON, 0, len(ans.Hits))
	for _, h := range ans.Hits {
		out = append(out, toResultJSON(h))
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(struct {
			Query   string             `json:"query"`
			Results []searchResultJSON `json:"results"`
			// Confidence and Weak: how sure the index's answer is.
			Confidence float64  `json:"confidence"`
			Weak       bool     `json:"weak"`
			Fallback   string   `json:"fallback,omitempty"`
			Notes      []string `json:"notes,omitempty"`
		}{text, out, math.Round(ans.Confidence*100) / 100, ans.Weak, ans.Fallback, ans.Notes})
	}
	writeResults(stdout, out)
	if ans.Weak {
		fmt.Fprintf(stderr, "note: a weak match (confidence %.2f): the best pages hold little of the question\n", ans.Confidence)
	}
	if ans.Fallback != "" {
		fmt.Fprintf(stderr, "note: the servers were asked too: %s\n", ans.Fallback)
	}
	for _, n := range ans.Notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	return nil
}

// checkScope refuses keys outside a configured allow-list.
func checkScope(asked, allowed []string, what, variable string) error {
	if len(allowed) == 0 {
		return nil
	}
	for _, a := range asked {
		if !slices.ContainsFunc(allowed, func(s string) bool { return strings.EqualFold(s, a) }) {
			return fmt.Errorf("search: %s %s is outside %s (%s)", what, a, variable, strings.Join(allowed, ","))
		}
	}
	return nil
}

// allowedContainers lists the indexed spaces and projects the allow-lists
// admit. A query names both kinds, so that an allow-list of spaces alone
// still lets every indexed project through (and the other way round).
func allowedContainers(ctx context.Context, idx *search.Index, cfg *config) (spaces, projects []string, err error) {
	st, err := idx.Status(ctx)
	if err != nil {
		return nil, nil, err
	}
	admit := func(allowed []string, c string) bool {
		return len(allowed) == 0 || slices.ContainsFunc(allowed, func(s string) bool { return strings.EqualFold(s, c) })
	}
	for _, c := range st.Containers {
		switch {
		case c.Source == search.SourceConfluence && admit(cfg.Spaces, c.Container):
			spaces = append(spaces, c.Container)
		case c.Source == search.SourceJira && admit(cfg.Projects, c.Container):
			projects = append(projects, c.Container)
		}
	}
	// An empty list would lift the filter: name a container nothing has.
	if len(spaces) == 0 {
		spaces = []string{"-"}
	}
	if len(projects) == 0 {
		projects = []string{"-"}
	}
	return spaces, projects, nil
}

// liveSearch builds the live fallback from the configured clients, or nil
// when neither product is configured.
func liveSearch(cfg *config, log *slog.Logger) (*retrieve.Live, error) {
	conf, err := cfg.confluence(log)
	if err != nil {
		return nil, err
	}
	jira, err := cfg.jira(log)
	if err != nil {
		return nil, err
	}
	if conf == nil && jira == nil {
		return nil, nil
	}
	return &retrieve.Live{Confluence: conf, Jira: jira, Spaces: cfg.Spaces, Projects: cfg.Projects}, nil
}

// account is the configured account's credentials per product, for
// trimming an index another account synced (a shared data directory); nil
// with no product configured: the index file is then as readable as any
// answer made from it.
func (c *config) account() *atlassian.Caller {
	own := func(p product) *atlassian.Credentials {
		if !p.Configured() {
			return nil
		}
		return &atlassian.Credentials{Token: p.Client.Token, Username: p.Client.Username, Password: p.Client.Password}
	}
	a := &atlassian.Caller{Confluence: own(c.Confluence), Jira: own(c.Jira)}
	if a.Confluence == nil && a.Jira == nil {
		return nil
	}
	return a
}

// rememberSyncer tells later searches in the data directory that the
// configured account is the one that synced each product whose who-am-I
// check this sync passed (it listed a container), so that they need not
// ask the servers to know it.
func rememberSyncer(ctx context.Context, cfg *config, idx *search.Index, sum *indexer.Summary, log *slog.Logger) {
	if sum == nil {
		return
	}
	var sources []string
	for _, c := range sum.Containers {
		if c.Err == nil && c.Container != "" && !slices.Contains(sources, c.Source) {
			sources = append(sources, c.Source)
		}
	}
	retrieve.RememberAccount(ctx, cfg.DataDir, idx, cfg.account(), sources, log)
}

func toResultJSON(h retrieve.Hit) searchResultJSON {
	r := h.Result
	j := searchResultJSON{Stale: h.Stale, Title: r.Title, URL: r.URL, Source: r.Source, Type: r.Type, Status: r.Status,
		Labels: r.Labels, Score: round3(r.Score), Heading: r.Heading, Snippet: r.Snippet, Origin: h.Origin, Restricted: r.Restricted}
	if !r.Updated.IsZero() {
		j.Updated = r.Updated.UTC().Format(time.RFC3339)
	}
	if r.Source == search.SourceJira {
		j.Project, j.Key = r.Container, r.Key
	} else {
		j.Space, j.ID = r.Container, r.Key
	}
	return j
}

func writeResults(w io.Writer, rs []searchResultJSON) {
	if len(rs) == 0 {
		fmt.Fprintln(w, "no results")
		return
	}
	for i, r := range rs {
		where := r.Space
		if r.Source == search.SourceJira {
			where = r.Key
			if r.Status != "" {
				where += ", " + r.Status
			}
		}
		origin := ""
		if r.Origin == retrieve.OriginLive {
			origin = ", live"
		}
		if r.Stale {
			origin += ", changed since sync"
		}
		fmt.Fprintf(w, "%d. %s  [%s %s%s]\n", i+1, r.Title, r.Source, where, origin)
		if r.Heading != "" {
			fmt.Fprintf(w, "   § %s\n", r.Heading)
		}
		fmt.Fprintf(w, "   %s\n", r.URL)
		if r.Snippet != "" {
			fmt.Fprintf(w, "   %s\n", strings.Join(strings.Fields(r.Snippet), " "))
		}
	}
}

func upper(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToUpper(s)
	}
	return out
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
