package mcp

import (
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
	"github.com/atlasbridge/atlasbridge/search"
)

// The semantic tools: search by meaning over the local index (with the
// servers' own search as the fallback), similar documents, index status.
// They form the product "index" (--tools index).

// semanticHit is one document found by meaning: a page (id) or an issue
// (key). Its web address is in the answer's page_url or issue_url unless
// it has its own url.
type semanticHit struct {
	ID      string  `json:"id,omitempty"`
	Key     string  `json:"key,omitempty"`
	Title   string  `json:"title"`
	Space   string  `json:"space,omitempty"`   // unless the answer gives it for every page
	Project string  `json:"project,omitempty"` // unless the answer gives it for every issue
	Type    string  `json:"type,omitempty"`    // a Confluence type other than page
	Status  string  `json:"status,omitempty"`
	Updated string  `json:"updated,omitempty"`
	Score   float64 `json:"score,omitempty"` // 0 only for the document compared with
	URL     string  `json:"url,omitempty"`
	Heading string  `json:"heading,omitempty"`
	Snippet string  `json:"snippet,omitempty"`
	Origin  string  `json:"origin"`
	Stale   bool    `json:"stale,omitempty"`
}

// semanticOut is the answer of semantic_search and find_similar_issues.
type semanticOut struct {
	Of       *semanticHit  `json:"of,omitempty"` // find_similar_issues: the document compared with
	PageURL  string        `json:"page_url,omitempty"`
	IssueURL string        `json:"issue_url,omitempty"`
	Space    string        `json:"space,omitempty"`   // of every page hit, when they share one
	Project  string        `json:"project,omitempty"` // of every issue hit, when they share one
	Results  []semanticHit `json:"results"`
	Fallback string        `json:"fallback,omitempty"`
	Notes    []string      `json:"notes,omitempty"`
}

// Limits of the semantic answers. Ten hits fit in 1,600 bytes
// (hitsBudget): the snippets share what the rest leaves.
const (
	snippetChars  = 160
	headingChars  = 80
	defaultHits   = 10
	maxHits       = 50
	maxQueryChars = 2000
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
		"Find pages and issues by meaning, not exact words: prefer it to CQL/JQL for questions in plain words. Example: {\"query\":\"how do we rotate the on-call pager?\"}. Returns page_url, issue_url (insert a hit's id or key) and per hit id (page) or key (issue), title, space or project (once if shared), status, updated, score, heading, snippet, origin (index or live); fallback says why the servers were asked too.",
		func(ctx context.Context, a semanticSearchArgs) (*mcpgo.CallToolResult, error) {
			text := strings.TrimSpace(a.Query)
			if text == "" {
				return userError("query is empty: ask in plain words, e.g. how do we rotate the on-call pager?")
			}
			if utf8Len(text) > maxQueryChars {
				return userError("query is %d characters long: keep it under %d", utf8Len(text), maxQueryChars)
			}
			k, bad := hitCount("k", a.K, "limit", a.Limit)
			if bad != nil {
				return bad, nil
			}
			q := search.Query{Text: text, K: k, Labels: a.Labels, Statuses: a.Statuses, Types: a.Types}
			if r := s.scopeQuery(&q, a.Source, a.Spaces, a.Projects); r != nil {
				return r, nil
			}
			since, err := parseSince(a.UpdatedAfter, time.Now())
			if err != nil {
				return userError("updated_after: %v", err)
			}
			q.UpdatedAfter = since
			_, ss, idxErr := s.search.current(ctx, a.Verify)
			ans, err := ss.Search(ctx, q)
			if err != nil {
				return indexError(err)
			}
			out := s.semanticAnswer(ans.Hits, k, "", nil, "")
			out.Fallback, out.Notes = ans.Fallback, ans.Notes
			if idxErr != nil {
				out.Notes = append([]string{noIndexNote(idxErr)}, out.Notes...)
			}
			fitSemantic(&out)
			return jsonResult(out)
		})
}

// hitCount reads the number of hits wanted from an argument or, when it
// is not given, from its alias (k and limit).
func hitCount(name string, v int, alias string, av int) (int, *mcpgo.CallToolResult) {
	if v == 0 && av != 0 {
		name, v = alias, av
	}
	return bounded(name, v, defaultHits, maxHits)
}

// scopeQuery applies the source, spaces and projects arguments to q within
// the allow-lists. With an allow-list set, it asks for more hits than
// wanted: semanticAnswer drops whatever lies outside, from the index or
// from the servers.
func (s *Server) scopeQuery(q *search.Query, source string, spaces, projects []string) *mcpgo.CallToolResult {
	switch src := strings.ToLower(strings.TrimSpace(source)); src {
	case "":
	case search.SourceConfluence, search.SourceJira:
		q.Sources = []string{src}
	default:
		r, _ := userError("source must be confluence or jira (or omitted for both), got %q", source)
		return r
	}
	for _, sp := range spaces {
		sp = strings.ToUpper(strings.TrimSpace(sp))
		if sp == "" {
			continue
		}
		if !s.spaces.allows(sp) {
			return mcpgo.NewToolResultError(s.spaces.refusal("space " + sp))
		}
		q.Spaces = append(q.Spaces, sp)
	}
	for _, p := range projects {
		p = strings.ToUpper(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if !s.projects.allows(p) {
			return mcpgo.NewToolResultError(s.projects.refusal("project " + p))
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

// semanticAnswer shapes at most k hits within the allow-lists, skipping
// the document exclude (a DocID), and the document of (when not nil)
// compared with.
func (s *Server) semanticAnswer(hits []search.Hit, k int, exclude string, of *search.Result, ofOrigin string) semanticOut {
	out := semanticOut{Results: []semanticHit{}}
	for _, h := range hits {
		if len(out.Results) == k {
			break
		}
		if !s.inScope(h.Result) || h.DocID == exclude {
			continue
		}
		o := s.hitOf(&out, h.Result)
		o.Origin, o.Stale = h.Origin, h.Stale
		out.Results = append(out.Results, o)
	}
	if of != nil {
		o := s.hitOf(&out, *of)
		o.Origin, o.Score, o.Heading, o.Snippet = ofOrigin, 0, "", ""
		out.Of = &o
	}
	out.Space = hoist(out.Results, func(h *semanticHit) *string { return &h.Space })
	out.Project = hoist(out.Results, func(h *semanticHit) *string { return &h.Project })
	return out
}

// hoist clears a field that the hits having it share, when two or more
// do, and returns its value ("" when they differ or are too few).
func hoist(hits []semanticHit, field func(*semanticHit) *string) string {
	var have []*string
	for i := range hits {
		if f := field(&hits[i]); *f != "" {
			have = append(have, f)
		}
	}
	if len(have) < 2 || slices.ContainsFunc(have, func(f *string) bool { return *f != *have[0] }) {
		return ""
	}
	v := *have[0]
	for _, f := range have {
		*f = ""
	}
	return v
}

// semanticBudget is the byte budget of a semantic answer of n hits: 2,400
// for ten. It is larger than that of the exact searches (hitsBudget)
// because a snippet is what answers the question: the answer must be
// objects (each hit says its origin), whose field names alone cost about
// 60 bytes a hit, and within 1,600 bytes ten hits with their titles would
// keep almost no snippet (measured: none on TestSemanticSearch's corpus).
func semanticBudget(n int) int { return hitsBudget(n) + semanticExtraPerHit*max(n, 10) }

// semanticExtraPerHit is what a semantic hit may cost over a search hit.
const semanticExtraPerHit = 80

// fitSemantic cuts the text of a semantic answer to its byte budget:
// snippets first (to 48 characters, then the weakest hits lose theirs),
// then headings, then titles.
func fitSemantic(out *semanticOut) {
	var snippets, headings, titles, rest []*string
	for i := range out.Results {
		h := &out.Results[i]
		snippets, headings, titles = append(snippets, &h.Snippet), append(headings, &h.Heading), append(titles, &h.Title)
		rest = append(rest, &h.Title, &h.Status, &h.Heading)
	}
	fit(out, semanticBudget(len(out.Results)),
		trim{fields: snippets, floor: 48},
		trim{fields: snippets, tail: true},
		trim{fields: headings, tail: true},
		trim{fields: titles, floor: 40},
		trim{fields: rest, floor: 12})
}

// hitOf shapes one result (without origin), and sets in out the URL
// template that gives its address.
func (s *Server) hitOf(out *semanticOut, r search.Result) semanticHit {
	h := semanticHit{Title: text(r.Title), Updated: date(r.Updated), Score: round2(r.Score),
		Heading: oneLine(r.Heading, headingChars), Snippet: oneLine(trimBreadcrumb(r.Snippet, r.Title, r.Heading), snippetChars)}
	if r.Source == search.SourceJira {
		h.Key, h.Project, h.Status = r.Key, r.Container, text(r.Status)
		if s.jira != nil && h.Key != "" {
			out.IssueURL = s.jira.AbsURL(issueURLTemplate)
		} else {
			h.URL = r.URL
		}
		return h
	}
	h.Space, h.ID = r.Container, r.Key
	if r.Type != "page" {
		h.Type = r.Type
	}
	if s.conf != nil && h.ID != "" && (r.Type == "page" || r.Type == "blogpost") {
		out.PageURL = s.conf.AbsURL(pageURLTemplate)
	} else {
		h.URL = r.URL
	}
	return h
}

// trimBreadcrumb drops the path an indexed chunk starts with ("Space ›
// Parent › Title › Heading", or "Summary: Title."), which the hit says
// already, and the markers of markdown headings. A snippet without them
// (package search may clean its snippets itself) comes back unchanged, and
// trimming twice changes nothing more.
func trimBreadcrumb(snippet, title, heading string) string {
	words := strings.Fields(snippet)
	for i, w := range words {
		if lead, ok := strings.CutPrefix(w, "…"); ok && lead != "" && strings.Trim(lead, "#") == "" {
			words[i] = "…"
		}
	}
	words = slices.DeleteFunc(words, func(w string) bool { return strings.Trim(w, "#") == "" })
	snippet = strings.Join(words, " ")
	for _, mark := range []string{strings.Join(strings.Fields(heading), " "), strings.Join(strings.Fields(title), " ")} {
		if mark == "" {
			continue
		}
		if i := strings.Index(snippet, mark); i == 0 || i > 0 && (strings.HasSuffix(snippet[:i], "› ") || isLabel(snippet[:i])) {
			if rest := strings.TrimLeft(snippet[i+len(mark):], " ›:."); rest != "" {
				return rest
			}
		}
	}
	return snippet
}

// isLabel reports whether s is a one-word label such as "Summary: ", which
// a Jira description often puts before repeating the summary.
func isLabel(s string) bool {
	word, ok := strings.CutSuffix(s, ": ")
	return ok && word != "" && len(word) <= 24 && !strings.ContainsAny(word, " ›")
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
		"Find issues and pages about the same thing as a Jira issue (or a Confluence page): likely duplicates, related incidents, the runbook that fixes it. Example: {\"issue_key\":\"OPS-123\"}. Returns of (the issue itself) and results shaped like semantic_search's, best first, the issue itself excluded.",
		func(ctx context.Context, a findSimilarArgs) (*mcpgo.CallToolResult, error) {
			k, bad := hitCount("limit", a.Limit, "k", a.K)
			if bad != nil {
				return bad, nil
			}
			var source, key string
			switch {
			case a.IssueKey != "" && a.PageID != "":
				return userError("give issue_key or page_id, not both")
			case a.IssueKey != "":
				source = search.SourceJira
				key, bad = issueKey(a.IssueKey)
			case a.PageID != "":
				source, key, bad = search.SourceConfluence, strings.TrimSpace(a.PageID), checkPageID(strings.TrimSpace(a.PageID))
			default:
				return userError("give issue_key (e.g. OPS-123) or page_id")
			}
			if bad != nil {
				return bad, nil
			}
			q := search.Query{K: k}
			if r := s.scopeQuery(&q, a.Source, nil, nil); r != nil {
				return r, nil
			}
			id := search.DocID(source, key)
			idx, ss, idxErr := s.search.current(ctx, false)
			var (
				of     search.Result
				origin = search.OriginIndex
				find   func(search.Query) (search.Answer, error)
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
					find = func(q search.Query) (search.Answer, error) {
						rs, err := idx.Similar(ctx, id, q)
						hits := make([]search.Hit, len(rs))
						for i, r := range rs {
							hits[i] = search.Hit{Result: r, Origin: search.OriginIndex}
						}
						return search.Answer{Hits: hits}, err
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
				origin = search.OriginLive
				find = func(q search.Query) (search.Answer, error) {
					q.Text = question
					return ss.Search(ctx, q)
				}
			}
			ans, err := s.similarMix(q, k, id, find)
			if err != nil {
				return indexError(err)
			}
			out := s.semanticAnswer(ans.Hits, k, id, &of, origin)
			out.Fallback, out.Notes = ans.Fallback, append(notes, ans.Notes...)
			fitSemantic(&out)
			return jsonResult(out)
		})
}

// similarMix runs find once, wide, and keeps the best k hits, with at
// least a quarter of them pages when it found some: near-duplicate issues
// would otherwise fill every slot and hide the runbook. Hits outside the
// allow-lists and the document exclude are dropped first. With a source
// filter it keeps the best k.
func (s *Server) similarMix(q search.Query, k int, exclude string, find func(search.Query) (search.Answer, error)) (search.Answer, error) {
	if len(q.Sources) == 0 {
		q.K = min(search.MaxK, max(q.K, 5*k))
	}
	ans, err := find(q)
	if err != nil {
		return ans, err
	}
	hits := slices.DeleteFunc(ans.Hits, func(h search.Hit) bool { return !s.inScope(h.Result) || h.DocID == exclude })
	if len(hits) <= k || len(q.Sources) > 0 {
		ans.Hits = hits[:min(k, len(hits))]
		return ans, nil
	}
	isPage := func(h search.Hit) bool { return h.Source == search.SourceConfluence }
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
			idx, _, idxErr := s.search.current(ctx, false)
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
			if out.Documents == 0 {
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

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func utf8Len(s string) int { return len([]rune(s)) }

// parseSince reads a date (2006-01-02), a time (RFC 3339) or an age ("30d",
// "12h", "2w") before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	units := map[byte]time.Duration{'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	if unit, ok := units[s[len(s)-1]]; ok {
		if n, err := strconv.Atoi(s[:len(s)-1]); err == nil && n >= 0 && n < 100_000 {
			return now.Add(-time.Duration(n) * unit), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want a date like 2024-01-31 or an age like 30d, 12h, 2w", s)
}
