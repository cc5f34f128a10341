package mcp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/retrieve"
	"github.com/atlasbridge/atlasbridge/search"
)

// The semantic tools: search by meaning over the local index (with the
// servers' own search as the fallback), similar documents, index status.
// They form the product "index" (--tools index).

// semanticOf is, in the answer of find_similar_issues, the document the
// hits are compared with, with the same names as the table's columns.
type semanticOf struct {
	Ref     string `json:"ref,omitempty"`
	Title   string `json:"title"`
	Space   string `json:"space,omitempty"`
	Type    string `json:"type,omitempty"`
	Status  string `json:"status,omitempty"`
	Updated string `json:"updated,omitempty"`
	URL     string `json:"url,omitempty"`
	Origin  string `json:"origin"`
}

// semanticOut is the answer of semantic_search and find_similar_issues:
// the hits as a table, best first, as the exact searches give theirs
// (columns once, then a row per hit). Pages and issues share the table:
// ref holds a page's id (for page_url) or an issue's key (for issue_url;
// the key's prefix is the project). What every hit shares is given once,
// above the table, and its column left out.
type semanticOut struct {
	Of       *semanticOf `json:"of,omitempty"`
	PageURL  string      `json:"page_url,omitempty"`
	IssueURL string      `json:"issue_url,omitempty"`
	Origin   string      `json:"origin,omitempty"`  // of every hit, when they share one
	Space    string      `json:"space,omitempty"`   // of every page hit, when they share one
	Type     string      `json:"type,omitempty"`    // of every hit, when they share one other than page or issue
	Status   string      `json:"status,omitempty"`  // of every hit, when they share one
	Updated  string      `json:"updated,omitempty"` // of every hit, when they share one
	Columns  []string    `json:"columns"`
	Results  [][]string  `json:"results"`
	Stale    []string    `json:"stale,omitempty"` // refs of hits changed on the server since the sync
	// Confidence (0 to 1) and Weak are how sure the index's answer to a
	// question is (retrieve.Answer; semantic_search only); a weak one was
	// completed by the live servers when they could be asked.
	Confidence *float64 `json:"confidence,omitempty"`
	Weak       bool     `json:"weak,omitempty"`
	Fallback   string   `json:"fallback,omitempty"`
	Notes      []string `json:"notes,omitempty"`

	rows *table // the cells of Results, for fitSemantic
}

// semanticColumns are the columns of a semantic answer before those that
// every hit shares, or no hit fills, are taken out. The snippet comes
// last: it is the longest, and reads best after what it is from.
func semanticColumns() []string {
	return []string{"ref", "title", "space", "type", "status", "updated", "origin", "url", "snippet"}
}

// Limits of the semantic answers.
const (
	defaultHits   = 10
	maxHits       = 50
	maxQueryChars = 2000
	// titleFloor is as short as fitSemantic cuts a title before it cuts
	// a snippet: enough to tell the hit.
	titleFloor = 40
	// rowBytes is what a row costs besides its snippet's text, on average
	// over mixed hits: an id or key, a title of titleFloor runes (after
	// fitSemantic), a status for issues, a date, quotes and commas.
	rowBytes = 80
	// wholeTitleBytes is what a whole title costs over one of titleFloor
	// runes, on average (Jira summaries run to 60-80 characters).
	wholeTitleBytes = 24
	// Bounds of the snippet size asked for: package search's smallest,
	// and its default (a passage of two or three sentences).
	minSnippetBytes = 32
	maxSnippetBytes = search.DefaultSnippetSize
)

// --- semantic_search

type semanticSearchArgs struct {
	Query        string   `json:"query" jsonschema_description:"The question or topic in plain words, e.g. how do we rotate the on-call pager?"`
	K            int      `json:"k,omitempty" jsonschema_description:"Results wanted, 1-50 (default 10)."`
	Limit        int      `json:"limit,omitempty" jsonschema_description:"Same as k."`
	Source       string   `json:"source,omitempty" jsonschema_description:"Only confluence or jira."`
	Spaces       []string `json:"spaces,omitempty" jsonschema_description:"Only these Confluence space keys (then no Jira issue unless projects is given too)."`
	Projects     []string `json:"projects,omitempty" jsonschema_description:"Only these Jira project keys (then no page unless spaces is given too)."`
	Labels       []string `json:"labels,omitempty" jsonschema_description:"Only documents with one of these labels."`
	Statuses     []string `json:"statuses,omitempty" jsonschema_description:"Only Jira issues in one of these statuses, e.g. [\"Open\"]."`
	Types        []string `json:"types,omitempty" jsonschema_description:"Only these types: page, blogpost, comment, or issue types such as Bug."`
	UpdatedAfter string   `json:"updated_after,omitempty" jsonschema_description:"Only documents updated after a date (2024-01-31) or within an age (30d, 12h, 2w)."`
	Verify       bool     `json:"verify,omitempty" jsonschema_description:"Re-read the top hits on the server: drop deleted ones, mark changed ones stale (slower)."`
}

func (s *Server) semanticSearch() tool {
	return readTool("index", "semantic_search", "Search Confluence and Jira by meaning",
		"Find pages and issues by meaning: prefer it to CQL/JQL for questions in plain words. Example: {\"query\":\"how do we rotate the on-call pager?\"}. "+
			"Returns page_url, issue_url, then columns and a row per hit, best first: ref (page id or issue key), title, space, status, updated, origin (index or live), snippet; "+
			"a value all hits share is given once; fallback says why the servers were asked too.",
		func(ctx context.Context, a semanticSearchArgs) (*mcpgo.CallToolResult, error) {
			text := strings.TrimSpace(a.Query)
			if text == "" {
				return nil, argError("query is empty: ask in plain words, e.g. how do we rotate the on-call pager?")
			}
			if utf8Len(text) > maxQueryChars {
				return nil, argError("query is %d characters long: keep it under %d", utf8Len(text), maxQueryChars)
			}
			k, err := hitCount("k", a.K, "limit", a.Limit)
			if err != nil {
				return nil, err
			}
			q := search.Query{Text: text, K: k, Labels: a.Labels, Statuses: a.Statuses, Types: a.Types}
			if err := s.scopeQuery(&q, a.Source, a.Spaces, a.Projects); err != nil {
				return nil, err
			}
			since, err := retrieve.ParseSince(a.UpdatedAfter, time.Now())
			if err != nil {
				return nil, argError("updated_after: %v", err)
			}
			q.UpdatedAfter = since
			_, idxErr := s.search.Index(ctx)
			var notes []string
			if idxErr != nil {
				notes = append(notes, noIndexNote(idxErr))
			}
			q.SnippetSize = s.snippetBytes(k, q.Sources, nil, notes)
			ans, err := s.search.Search(ctx, retrieve.Query{Query: q, Verify: a.Verify})
			if err != nil {
				return indexError(err)
			}
			ans.Notes = append(notes, ans.Notes...)
			out := s.semanticAnswer(ans, k, "", nil)
			return jsonResult(out)
		})
}

// hitCount reads the number of hits wanted from an argument or, when it
// is not given, from its alias (k and limit).
func hitCount(name string, v int, alias string, av int) (int, error) {
	if v == 0 && av != 0 {
		name, v = alias, av
	}
	return bounded(name, v, defaultHits, maxHits)
}

// scopeQuery applies the source, spaces and projects arguments to q within
// the allow-lists. With an allow-list set, it asks for more hits than
// wanted: semanticAnswer drops whatever lies outside, from the index or
// from the servers.
func (s *Server) scopeQuery(q *search.Query, source string, spaces, projects []string) error {
	switch src := strings.ToLower(strings.TrimSpace(source)); src {
	case "":
	case search.SourceConfluence, search.SourceJira:
		q.Sources = []string{src}
	default:
		return argError("source must be confluence or jira (or omitted for both), got %q", quoteInput(source))
	}
	for _, sp := range spaces {
		sp = strings.ToUpper(strings.TrimSpace(sp))
		if sp == "" {
			continue
		}
		if !s.spaces.allows(sp) {
			return s.spaces.refuse("space " + sp)
		}
		q.Spaces = append(q.Spaces, sp)
	}
	for _, p := range projects {
		p = strings.ToUpper(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if !s.projects.allows(p) {
			return s.projects.refuse("project " + p)
		}
		q.Projects = append(q.Projects, p)
	}
	if !s.spaces.all() || !s.projects.all() {
		q.K = min(2*q.K, search.MaxK)
	}
	return nil
}

// inScope reports whether a hit lies within the allow-lists; a hit whose
// space or project is unknown does not when a list is set.
func (s *Server) inScope(r search.Result) bool {
	if r.Source == search.SourceJira {
		return s.projects.all() || r.Container != "" && s.projects.allows(r.Container)
	}
	return s.spaces.all() || r.Container != "" && s.spaces.allows(r.Container)
}

// semanticAnswer shapes at most k hits of ans within the allow-lists,
// skipping the document exclude (a DocID), as compared with the document
// of (when not nil), and fits the answer to its budget.
func (s *Server) semanticAnswer(ans retrieve.Answer, k int, exclude string, of *retrieve.Hit) *semanticOut {
	out := &semanticOut{Fallback: ans.Fallback, Notes: ans.Notes}
	if of == nil {
		// An answer to a question says how sure it is.
		c := math.Round(ans.Confidence*100) / 100
		out.Confidence, out.Weak = &c, ans.Weak
	}
	t := &table{columns: semanticColumns()}
	var pages []bool // per row: a Confluence hit
	for _, h := range ans.Hits {
		if len(t.rows) == k {
			break
		}
		if !s.inScope(h.Result) || exclude != "" && h.DocID == exclude {
			continue
		}
		d := s.docOf(out, h.Result)
		snippet := oneLine(h.Snippet, 0)
		if of != nil {
			// Centred on the title (Similar), it is often the title again;
			// semantic_search's are centred on the question's words.
			snippet = besidesTitle(snippet, d.Title)
		}
		t.add(d.Ref, d.Title, d.Space, d.Type, d.Status, d.Updated, h.Origin, d.URL, snippet)
		pages = append(pages, h.Source != search.SourceJira)
		if h.Stale {
			out.Stale = append(out.Stale, cmp.Or(d.Ref, d.URL))
		}
	}
	if of != nil {
		d := s.docOf(out, of.Result)
		d.Origin = of.Origin
		out.Of = &d
	}
	out.Space = hoistPages(t, pages)
	shared := t.hoist("type", "status", "updated", "origin")
	t.dropEmpty("space", "type", "status", "updated", "origin", "url", "snippet")
	out.Type, out.Status, out.Updated, out.Origin = shared["type"], shared["status"], shared["updated"], shared["origin"]
	out.Columns, out.Results, out.rows = t.columns, t.rowList(), t
	fitSemantic(out)
	return out
}

// hoistPages takes the space out of the rows of pages (pages[i]: row i is
// one) when two or more share it and every page has it, and returns it
// ("" when it stays in the rows). Issues have no space: their key says
// their project.
func hoistPages(t *table, pages []bool) string {
	j := slices.Index(t.columns, "space")
	space, n := "", 0
	for i, r := range t.rows {
		if !pages[i] {
			continue
		}
		if r[j] == "" || space != "" && r[j] != space {
			return ""
		}
		space, n = r[j], n+1
	}
	if n < 2 {
		return ""
	}
	for i := range t.rows {
		t.rows[i][j] = ""
	}
	return space
}

// fitSemantic cuts the text of a semantic answer to the budget of an
// answer of as many hits (hitsBudget): titles first, to titleFloor runes
// (a title that long still tells the hit; the snippet is what answers),
// then the snippets, which the search already sized to fit (snippetBytes),
// then the weakest hits lose theirs, then titles and the short cells are
// cut further. An answer about one document (find_similar_issues: Of)
// keeps whole titles before its snippets instead: near-duplicates differ
// in the words a cut title loses ("… high latency alert", "… error rate
// alert"), and its snippets, centred on the words of a whole document,
// say less than a question's.
func fitSemantic(out *semanticOut) {
	t := out.rows
	titles, short := t.cells("title"), t.cells("title", "type", "status")
	if out.Of != nil {
		titles, short = append(titles, &out.Of.Title), append(short, &out.Of.Title, &out.Of.Type, &out.Of.Status)
	}
	cutTitles := trim{fields: titles, floor: titleFloor}
	snippets := t.cells("snippet")
	trims := []trim{cutTitles, {fields: snippets, floor: minSnippetBytes}, {fields: snippets, tail: true}}
	if out.Of != nil {
		trims = []trim{{fields: snippets, floor: minSnippetBytes}, {fields: snippets, tail: true}, cutTitles}
	}
	fit(out, hitsBudget(len(t.rows)), append(trims, trim{fields: short, floor: 12})...)
}

// snippetBytes is the snippet size to ask the search for, so that k hits
// fit the budget without cutting a snippet that the search centred on the
// query's words: what the budget leaves after the head of the answer
// (URL templates of the products searched, columns, notes, the document
// compared with, fallback) and rowBytes per row, shared by the k
// snippets.
func (s *Server) snippetBytes(k int, sources []string, of *semanticOf, notes []string) int {
	head := semanticOut{Of: of, Origin: retrieve.OriginIndex, Notes: notes,
		Columns: []string{"ref", "title", "status", "updated", "snippet"}, Results: [][]string{}}
	if of == nil {
		// semantic_search says how sure it is: room for the longest.
		c := 0.99
		head.Confidence, head.Weak = &c, true
	}
	if len(notes) > 0 {
		// A note made before the search says the index is missing or
		// lacks the document: the search will then say, in about as many
		// words, why it asked the servers.
		head.Fallback = notes[0]
	}
	if s.conf != nil && (len(sources) == 0 || slices.Contains(sources, search.SourceConfluence)) {
		head.PageURL = s.conf.AbsURL(pageURLTemplate)
	}
	if s.jira != nil && (len(sources) == 0 || slices.Contains(sources, search.SourceJira)) {
		head.IssueURL = s.jira.AbsURL(issueURLTemplate)
	}
	row := rowBytes
	if of != nil {
		row += wholeTitleBytes // fitSemantic keeps whole titles
	}
	share := (hitsBudget(k)-encodedSize(head))/k - row
	return min(maxSnippetBytes, max(minSnippetBytes, share))
}

// docOf shapes the cells of one result (all but origin and snippet), and
// sets in out the URL template that gives its address. A hit with neither
// id nor key, or of a product that is not configured, or a Confluence
// comment or attachment (no page_url for those), has its own url.
func (s *Server) docOf(out *semanticOut, r search.Result) semanticOf {
	d := semanticOf{Ref: r.Key, Title: text(r.Title), Updated: date(r.Updated)}
	if r.Source == search.SourceJira {
		d.Status = text(r.Status)
		if s.jira != nil && d.Ref != "" {
			out.IssueURL = s.jira.AbsURL(issueURLTemplate)
		} else {
			d.URL = r.URL
		}
		return d
	}
	d.Space = text(r.Container)
	if r.Type != "page" {
		d.Type = text(r.Type)
	}
	if s.conf != nil && d.Ref != "" && (r.Type == "page" || r.Type == "blogpost") {
		out.PageURL = s.conf.AbsURL(pageURLTemplate)
	} else {
		d.URL = r.URL
	}
	return d
}

// indexError is a failure of the local index, as the model should read it.
func indexError(err error) (*mcpgo.CallToolResult, error) {
	switch {
	case errors.Is(err, context.Canceled):
		return userError("the request was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return userError("the search timed out: retry, or ask for fewer results")
	}
	return userError("the local index failed: %v", err)
}

// --- find_similar_issues

type findSimilarArgs struct {
	IssueKey string `json:"issue_key,omitempty" jsonschema_description:"Issue key, e.g. OPS-123. Either issue_key or page_id."`
	PageID   string `json:"page_id,omitempty" jsonschema_description:"Numeric Confluence page id, instead of issue_key."`
	Source   string `json:"source,omitempty" jsonschema_description:"Only confluence or jira results (default both)."`
	Limit    int    `json:"limit,omitempty" jsonschema_description:"Results wanted, 1-50 (default 10)."`
	K        int    `json:"k,omitempty" jsonschema_description:"Same as limit."`
}

func (s *Server) findSimilarIssues() tool {
	return readTool("index", "find_similar_issues", "Find issues and pages similar to one",
		"Find issues and pages about the same thing as a Jira issue (or a Confluence page): likely duplicates, related incidents, the runbook that fixes it. Example: {\"issue_key\":\"OPS-123\"}. "+
			"Returns of (the issue itself: ref, title, status, updated, origin), then a table shaped like semantic_search's (columns, one row per hit, best first), the issue itself excluded.",
		func(ctx context.Context, a findSimilarArgs) (*mcpgo.CallToolResult, error) {
			k, err := hitCount("limit", a.Limit, "k", a.K)
			if err != nil {
				return nil, err
			}
			var source, key string
			switch {
			case a.IssueKey != "" && a.PageID != "":
				return nil, argError("give issue_key or page_id, not both")
			case a.IssueKey != "":
				source = search.SourceJira
				key, err = issueKey(a.IssueKey)
			case a.PageID != "":
				source, key = search.SourceConfluence, strings.TrimSpace(a.PageID)
				err = checkPageID(key)
			default:
				return nil, argError("give issue_key (e.g. OPS-123) or page_id")
			}
			if err != nil {
				return nil, err
			}
			q := search.Query{K: k}
			if err := s.scopeQuery(&q, a.Source, nil, nil); err != nil {
				return nil, err
			}
			id := search.DocID(source, key)
			idx, idxErr := s.search.Index(ctx)
			var (
				of     search.Result
				origin = retrieve.OriginIndex
				find   func(search.Query) (retrieve.Answer, error)
				notes  []string
			)
			if idx != nil {
				var err error
				of, err = idx.Lookup(ctx, id)
				switch {
				case err == nil:
					if r := s.outOfScope(of); r != nil {
						return r, nil
					}
					// A caller who may not open the document itself gets
					// what the server says of it, never the index's copy.
					if kept, _ := s.search.Trim(ctx, []retrieve.Hit{{Result: of, Origin: retrieve.OriginIndex}}); len(kept) == 0 {
						if _, _, r := s.liveDocument(ctx, source, key); r != nil {
							return r, nil
						}
						return mcpgo.NewToolResultError(fmt.Sprintf("%s cannot be checked on the server now: try again later", key)), nil
					}
					find = func(q search.Query) (retrieve.Answer, error) {
						if s.search.Trims(ctx) {
							q.K = min(3*q.K, search.MaxK) // Trim may drop some
						}
						rs, err := idx.Similar(ctx, id, q)
						hits := make([]retrieve.Hit, len(rs))
						for i, r := range rs {
							hits[i] = retrieve.Hit{Result: r, Origin: retrieve.OriginIndex}
						}
						var notes []string
						hits, notes = s.search.Trim(ctx, hits)
						return retrieve.Answer{Hits: hits, Notes: notes}, err
					}
				case !errors.Is(err, search.ErrNotIndexed):
					return indexError(err)
				default:
					notes = append(notes, key+" is not in the index yet: its current text was used")
				}
			} else {
				notes = append(notes, noIndexNote(idxErr))
			}
			if find == nil {
				// Not indexed (or no index): its live text is the question.
				var question string
				var r *mcpgo.CallToolResult
				if of, question, r = s.liveDocument(ctx, source, key); r != nil {
					return r, nil
				}
				origin = retrieve.OriginLive
				find = func(q search.Query) (retrieve.Answer, error) {
					q.Text = question
					return s.search.Search(ctx, retrieve.Query{Query: q})
				}
			}
			ofDoc := s.docOf(&semanticOut{}, of)
			ofDoc.Origin = origin
			q.SnippetSize = s.snippetBytes(k, q.Sources, &ofDoc, notes)
			ans, err := s.similarMix(q, k, id, find)
			if err != nil {
				return indexError(err)
			}
			ans.Notes = append(notes, ans.Notes...)
			return jsonResult(s.semanticAnswer(ans, k, id, &retrieve.Hit{Result: of, Origin: origin}))
		})
}

// similarMix runs find once, wide, and keeps the best k hits, with at
// least a quarter of them pages when it found some: near-duplicate issues
// would otherwise fill every slot and hide the runbook. Hits outside the
// allow-lists and the document exclude are dropped first. With a source
// filter it keeps the best k.
func (s *Server) similarMix(q search.Query, k int, exclude string, find func(search.Query) (retrieve.Answer, error)) (retrieve.Answer, error) {
	if len(q.Sources) == 0 {
		q.K = min(search.MaxK, max(q.K, 5*k))
	}
	ans, err := find(q)
	if err != nil {
		return ans, err
	}
	hits := slices.DeleteFunc(ans.Hits, func(h retrieve.Hit) bool { return !s.inScope(h.Result) || h.DocID == exclude })
	if len(hits) <= k || len(q.Sources) > 0 {
		ans.Hits = hits[:min(k, len(hits))]
		return ans, nil
	}
	isPage := func(h retrieve.Hit) bool { return h.Source == search.SourceConfluence }
	top := slices.Clone(hits[:k])
	missing := max(1, k/4)
	for _, h := range top {
		if isPage(h) {
			missing--
		}
	}
	for _, h := range hits[k:] {
		if missing <= 0 {
			break
		}
		if !isPage(h) {
			continue
		}
		// The weakest issue makes room; the page ranks below every hit
		// kept, so the list stays in score order.
		for i := len(top) - 1; i >= 0; i-- {
			if !isPage(top[i]) {
				top = slices.Delete(top, i, i+1)
				break
			}
		}
		top = append(top, h)
		missing--
	}
	ans.Hits = top
	return ans, nil
}

// outOfScope refuses a document outside the allow-lists.
func (s *Server) outOfScope(r search.Result) *mcpgo.CallToolResult {
	if s.inScope(r) {
		return nil
	}
	if r.Source == search.SourceJira {
		return mcpgo.NewToolResultError(s.projects.refusal(fmt.Sprintf("issue %s (project %s)", r.Key, r.Container)))
	}
	return mcpgo.NewToolResultError(s.spaces.refusal(fmt.Sprintf("page %s (space %s)", r.Key, r.Container)))
}

// liveDocument reads an issue or page that the index does not hold: its
// description and the text to search with.
func (s *Server) liveDocument(ctx context.Context, source, key string) (search.Result, string, *mcpgo.CallToolResult) {
	var r search.Result
	if source == search.SourceJira {
		if s.jira == nil {
			return r, "", mcpgo.NewToolResultError(fmt.Sprintf("issue %s is not in the local index, and %s", key, notConfigured("jira")))
		}
		is, _, err := s.jira.Issues.Get(ctx, key, &atlassian.GetIssueOptions{
			Fields: []string{"summary", "description", "project", "status", "issuetype", "updated"}})
		if err != nil {
			res, _ := errorResult(err, "issue "+key, "")
			return r, "", res
		}
		f := &is.Fields
		r = search.Result{DocID: search.DocID(source, is.Key), Source: source, Container: issueProject(is), Key: is.Key,
			Title: f.Summary, URL: s.issueURL(is.Key), Updated: f.Updated.Time, Status: statusName(f.Status), Type: typeName(f.IssueType)}
		if res := s.outOfScope(r); res != nil {
			return r, "", res
		}
		return r, limitText(f.Summary+"\n"+f.Description, maxQueryChars), nil
	}
	if s.conf == nil {
		return r, "", mcpgo.NewToolResultError(fmt.Sprintf("page %s is not in the local index, and %s", key, notConfigured("confluence")))
	}
	c, _, err := s.conf.Content.Get(ctx, key, atlassian.ExpandPage...)
	if err != nil {
		res, _ := errorResult(err, "page "+key, "")
		return r, "", res
	}
	r = search.Result{DocID: search.DocID(source, string(c.ID)), Source: source, Container: c.SpaceKey(), Key: string(c.ID),
		Title: c.Title, URL: s.pageURL(c), Type: c.Type}
	if c.Version != nil {
		r.Updated = c.Version.When.Time
	}
	if res := s.outOfScope(r); res != nil {
		return r, "", res
	}
	return r, limitText(c.Title+"\n"+s.toMarkdown(c.Storage(), c.SpaceKey(), string(c.ID)), maxQueryChars), nil
}

// limitText cleans s and cuts it to about max characters.
func limitText(s string, max int) string {
	s = strings.Join(strings.Fields(text(s)), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max])
	}
	return s
}

// --- index_status

type indexStatusArgs struct{}

type containerOut struct {
	Key       string `json:"key"`
	Documents int    `json:"documents"`
	Chunks    int    `json:"chunks"`
	LastSync  string `json:"last_sync,omitempty"`
	Watermark string `json:"watermark,omitempty"` // the newest modification synced
	Syncs     int    `json:"syncs,omitempty"`
}

type indexStatusOut struct {
	Indexed   bool           `json:"indexed"`
	Note      string         `json:"note,omitempty"`
	Model     string         `json:"model,omitempty"`
	Dims      int            `json:"dims,omitempty"`
	Documents int            `json:"documents"`
	Chunks    int            `json:"chunks"`
	Size      string         `json:"size,omitempty"`
	LastSync  string         `json:"last_sync,omitempty"`
	Spaces    []containerOut `json:"spaces,omitempty"`
	Projects  []containerOut `json:"projects,omitempty"`
}

func (s *Server) indexStatus() tool {
	return readTool("index", "index_status", "Describe the local search index",
		"Say what the local index behind semantic_search holds: per Confluence space and Jira project the documents, chunks, last sync and watermark (newest change synced); the embedder model, size on disk. Use it to judge whether semantic_search can be trusted for a space or is out of date.",
		func(ctx context.Context, _ indexStatusArgs) (*mcpgo.CallToolResult, error) {
			idx, idxErr := s.search.Index(ctx)
			if idx == nil {
				return jsonResult(indexStatusOut{Note: noIndexNote(idxErr) + "; semantic_search asks the servers meanwhile"})
			}
			st, err := idx.Status(ctx)
			if err != nil {
				return indexError(err)
			}
			out := indexStatusOut{Indexed: true, Model: st.Model, Dims: st.Dims, Size: byteSize(st.Bytes)}
			var last time.Time
			for _, c := range st.Containers {
				if !s.inScope(search.Result{Source: c.Source, Container: c.Container}) {
					continue
				}
				o := containerOut{Key: c.Container, Documents: c.Documents, Chunks: c.Chunks,
					LastSync: minute(c.Watermark.LastSync), Watermark: minute(c.Watermark.Updated), Syncs: c.Watermark.Syncs}
				out.Documents += c.Documents
				out.Chunks += c.Chunks
				if c.Watermark.LastSync.After(last) {
					last = c.Watermark.LastSync
				}
				if c.Source == search.SourceJira {
					out.Projects = append(out.Projects, o)
				} else {
					out.Spaces = append(out.Spaces, o)
				}
			}
			out.LastSync = minute(last)
			switch {
			case st.VectorsPending:
				// Searches fail until the sync that stored these embeds them.
				out.Note = "not ready: a first sync stored the documents but did not embed them yet; run atlasbridge sync (semantic_search asks the servers meanwhile)"
			case out.Documents == 0:
				out.Note = "the index is empty: run atlasbridge sync"
			}
			return jsonResult(out)
		})
}

// byteSize formats a size on disk for people: 12.3 MB.
func byteSize(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, i := float64(n), -1
	for f >= unit && i < 3 {
		f /= unit
		i++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + []string{"kB", "MB", "GB", "TB"}[i]
}

// date formats a time as a date only; the zero time is "".
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// minute formats a time in UTC to the minute; the zero time is "".
func minute(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04Z")
}

func utf8Len(s string) int { return len([]rune(s)) }

// minRepeat is the shortest snippet text besidesTitle takes for the title.
const minRepeat = 12

// besidesTitle is snippet without what repeats title, the row's other
// cell: a snippet centred on the title (find_similar_issues centres on it)
// is often the title again, or Jira's "Summary: " and the title.
func besidesTitle(snippet, title string) string {
	core := strings.TrimPrefix(snippet, "…")
	core = strings.TrimPrefix(core, "Summary: ")
	core, trail := strings.CutSuffix(core, "…")
	core = strings.TrimSpace(core)
	if len(core) < minRepeat || title == "" {
		return snippet // too short to cost anything, or to be sure
	}
	if len(core) <= len(title) && strings.EqualFold(title[:len(core)], core) {
		return "" // the title, or its start
	}
	if len(core) > len(title) && strings.EqualFold(core[:len(title)], title) {
		rest := strings.TrimLeft(core[len(title):], " .:;,-–—")
		if rest == "" {
			return ""
		}
		if trail {
			rest += "…"
		}
		return "…" + rest
	}
	return snippet
}
