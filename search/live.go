package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// Where a Hit came from.
const (
	OriginIndex = "index" // the local index
	OriginLive  = "live"  // a CQL or JQL search on the server, at query time
)

// Live searches the servers themselves: the fallback when the index cannot
// answer. Either client may be nil (that product is not configured).
type Live struct {
	Confluence *atlassian.Confluence
	Jira       *atlassian.Jira
	// Spaces and Projects are the configured allow-lists: live searches
	// never leave them.
	Spaces, Projects []string
}

// Hit is a Result with its origin and, after verification, its freshness.
type Hit struct {
	Result
	Origin string // OriginIndex or OriginLive
	// Stale is set by Verify when the server holds a newer version than
	// the index.
	Stale bool
}

// Answer is what a Searcher found.
type Answer struct {
	Hits []Hit
	// Fallback says why the live servers were asked ("" when they were not).
	Fallback string
	// Notes explain anything the caller should know: a live search that
	// failed, hits dropped by verification.
	Notes []string
}

// Searcher answers queries from the index and falls back to live CQL/JQL
// searches when the index is empty, does not cover what was asked, is
// older than MaxAge, or its best hit is weak.
type Searcher struct {
	Index *Index // nil when there is no index yet
	Live  *Live  // nil: never ask the servers
	// MaxAge is how old the last sync of a space or project may be before
	// the servers are asked too (default 24h; negative: never for age).
	MaxAge time.Duration
	// MinScore is the hybrid score under which the best index hit is too
	// weak to stand alone (default DefaultMinScore).
	MinScore float64
	// Verify re-reads the top hits on the server: deleted ones are dropped,
	// changed ones marked Stale.
	Verify bool
	// NoFallback keeps Live for Verify only: the servers are never searched.
	NoFallback bool
	// LiveTimeout bounds the live search, and the verification, of one
	// query (default DefaultLiveTimeout): a server that hangs costs a note,
	// never the index's answer.
	LiveTimeout time.Duration
	Logger      *slog.Logger
	Now         func() time.Time

	mu       sync.Mutex
	coverage map[[2]string]time.Time // (source, container) → last sync
	covAt    time.Time
}

// DefaultMinScore is the weakest hybrid score trusted alone. With the
// default fusion, a document ranked first by the vectors but absent from
// the keyword ranking scores about 1/11 ≈ 0.09: below 0.1 no indexed chunk
// shares a word with the question, which is when the server's own search
// (stemming, synonyms of its analyser, content not yet synced) earns its
// round trip.
const DefaultMinScore = 0.1

// DefaultLiveTimeout is how long a search waits for the servers: a person
// or a model is waiting, and the index has already answered.
const DefaultLiveTimeout = 10 * time.Second

// coverageTTL bounds how stale the cached list of indexed containers is.
const coverageTTL = time.Minute

// Search answers q. Index and live hits are fused by reciprocal rank; a
// document found by both keeps its index hit.
func (s *Searcher) Search(ctx context.Context, q Query) (Answer, error) {
	var ans Answer
	if strings.TrimSpace(q.Text) == "" {
		return ans, errors.New("search: empty query")
	}
	k := q.K
	if k <= 0 {
		k = 10
	}
	k = min(k, MaxK)
	var indexed []Result
	if s.Index != nil {
		rs, err := s.Index.Search(ctx, q)
		if err != nil {
			return ans, err
		}
		indexed = rs
	}
	ans.Fallback = s.fallbackReason(ctx, q, indexed)
	var live []Result
	if ans.Fallback != "" {
		lctx, cancel := s.liveContext(ctx)
		rs, notes := s.Live.search(lctx, q, k)
		cancel()
		live = rs
		ans.Notes = append(ans.Notes, notes...)
	}
	ans.Hits = fuse(indexed, live, k)
	if s.Verify && s.Live != nil {
		lctx, cancel := s.liveContext(ctx)
		ans.Hits, ans.Notes = s.Live.verify(lctx, ans.Hits, ans.Notes)
		cancel()
	}
	return ans, nil
}

// liveContext is ctx bounded by LiveTimeout.
func (s *Searcher) liveContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d := s.LiveTimeout
	if d <= 0 {
		d = DefaultLiveTimeout
	}
	return context.WithTimeout(ctx, d)
}

// fallbackReason says why the live servers must be asked, or "".
func (s *Searcher) fallbackReason(ctx context.Context, q Query, indexed []Result) string {
	if s.NoFallback || s.Live == nil || s.Live.Confluence == nil && s.Live.Jira == nil {
		return ""
	}
	if s.Index == nil {
		return "there is no index yet"
	}
	cov, err := s.coverageOf(ctx)
	if err != nil {
		return "the index status cannot be read: " + err.Error()
	}
	if len(cov) == 0 {
		return "the index is empty"
	}
	for _, sp := range q.Spaces {
		if _, ok := cov[[2]string{SourceConfluence, strings.ToUpper(sp)}]; !ok && s.Live.Confluence != nil {
			return "space " + sp + " is not indexed"
		}
	}
	for _, p := range q.Projects {
		if _, ok := cov[[2]string{SourceJira, strings.ToUpper(p)}]; !ok && s.Live.Jira != nil {
			return "project " + p + " is not indexed"
		}
	}
	maxAge := s.MaxAge
	if maxAge == 0 {
		maxAge = 24 * time.Hour
	}
	if maxAge > 0 {
		now := s.now()
		for key, last := range cov {
			if !q.allowsContainer(key[0], key[1]) {
				continue
			}
			if last.IsZero() || now.Sub(last) > maxAge {
				return fmt.Sprintf("the index of %s was last synced %s ago", key[1], now.Sub(last).Round(time.Minute))
			}
		}
	}
	minScore := s.MinScore
	if minScore == 0 {
		minScore = DefaultMinScore
	}
	mode, _ := ParseMode(string(q.Mode))
	switch {
	case len(indexed) == 0:
		return "the index has no match"
	case mode == Hybrid && indexed[0].Score < minScore:
		return fmt.Sprintf("the best index match is weak (score %.3f)", indexed[0].Score)
	case mode == Hybrid && !slices.ContainsFunc(indexed, func(r Result) bool { return r.KeywordHit }):
		// Vectors always find a nearest chunk; when no indexed chunk holds a
		// word of the question, that nearest chunk is a guess.
		return "no indexed text contains the words of the question"
	}
	return ""
}

// allowsContainer reports whether q's filters admit a space or project.
func (q Query) allowsContainer(source, container string) bool {
	if len(q.Sources) > 0 && !slices.ContainsFunc(q.Sources, func(s string) bool { return strings.EqualFold(s, source) }) {
		return false
	}
	list := q.Spaces
	if source == SourceJira {
		list = q.Projects
	}
	if len(q.Spaces)+len(q.Projects) > 0 && !slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, container) }) {
		return false
	}
	return true
}

func (s *Searcher) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// coverageOf returns the indexed containers and their last sync, cached.
func (s *Searcher) coverageOf(ctx context.Context) (map[[2]string]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.coverage != nil && s.now().Sub(s.covAt) < coverageTTL {
		return s.coverage, nil
	}
	st, err := s.Index.Status(ctx)
	if err != nil {
		return nil, err
	}
	cov := make(map[[2]string]time.Time, len(st.Containers))
	for _, c := range st.Containers {
		if c.Documents > 0 {
			cov[[2]string{c.Source, strings.ToUpper(c.Container)}] = c.Watermark.LastSync
		}
	}
	s.coverage, s.covAt = cov, s.now()
	return cov, nil
}

// fuse merges the index and live rankings by reciprocal rank (k = 10),
// keeping the index hit of a document found by both.
func fuse(indexed, live []Result, k int) []Hit {
	if len(live) == 0 {
		hits := make([]Hit, 0, min(k, len(indexed)))
		for _, r := range indexed[:min(k, len(indexed))] {
			hits = append(hits, Hit{Result: r, Origin: OriginIndex})
		}
		return hits
	}
	type entry struct {
		hit   Hit
		score float64
		order int
	}
	byID := map[string]*entry{}
	var all []*entry
	add := func(rs []Result, origin string) {
		for rank, r := range rs {
			e := byID[r.DocID]
			if e == nil {
				e = &entry{hit: Hit{Result: r, Origin: origin}, order: len(all)}
				byID[r.DocID] = e
				all = append(all, e)
			}
			e.score += 1 / (10 + float64(rank+1))
		}
	}
	add(indexed, OriginIndex)
	add(live, OriginLive)
	slices.SortStableFunc(all, func(a, b *entry) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return a.order - b.order
	})
	hits := make([]Hit, 0, min(k, len(all)))
	for _, e := range all[:min(k, len(all))] {
		e.hit.Score = e.score
		hits = append(hits, e.hit)
	}
	return hits
}

// search asks both servers (those configured and admitted by q) and
// returns their hits ranked, with a note for each server that failed.
func (l *Live) search(ctx context.Context, q Query, k int) ([]Result, []string) {
	words := QueryWords(q.Text, 8)
	if len(words) == 0 {
		return nil, []string{"the question has no word a live search can use"}
	}
	var (
		mu    sync.Mutex
		notes []string
		conf  []Result
		jira  []Result
		wg    sync.WaitGroup
	)
	note := func(s string) {
		mu.Lock()
		notes = append(notes, s)
		mu.Unlock()
	}
	if l.Confluence != nil && q.allowsSource(SourceConfluence) {
		wg.Go(func() {
			rs, err := l.searchConfluence(ctx, q, words, k)
			if err != nil {
				note("live Confluence search failed, index results only: " + err.Error())
			}
			conf = rs
		})
	}
	if l.Jira != nil && q.allowsSource(SourceJira) {
		wg.Go(func() {
			rs, err := l.searchJira(ctx, q, words, k)
			if err != nil {
				note("live Jira search failed, index results only: " + err.Error())
			}
			jira = rs
		})
	}
	wg.Wait()
	// Interleave the two servers' rankings: neither score is comparable.
	var out []Result
	for i := 0; i < len(conf) || i < len(jira); i++ {
		if i < len(conf) {
			out = append(out, conf[i])
		}
		if i < len(jira) {
			out = append(out, jira[i])
		}
	}
	return out, notes
}

func (q Query) allowsSource(src string) bool {
	if len(q.Sources) > 0 && !slices.ContainsFunc(q.Sources, func(s string) bool { return strings.EqualFold(s, src) }) {
		return false
	}
	// Spaces filter Confluence and Projects Jira: naming only one kind
	// excludes the other product, as Index.Search does.
	if src == SourceConfluence && len(q.Spaces) == 0 && len(q.Projects) > 0 {
		return false
	}
	if src == SourceJira && len(q.Projects) == 0 && len(q.Spaces) > 0 {
		return false
	}
	return true
}

// scope intersects the query's containers with the allow-list. It reports
// false when nothing is left to search.
func scope(asked, allowed []string) ([]string, bool) {
	if len(allowed) == 0 {
		return asked, true
	}
	if len(asked) == 0 {
		return allowed, true
	}
	var out []string
	for _, a := range asked {
		if slices.ContainsFunc(allowed, func(s string) bool { return strings.EqualFold(s, a) }) {
			out = append(out, a)
		}
	}
	return out, len(out) > 0
}

func quoteAll(vs []string) string {
	qs := make([]string, len(vs))
	for i, v := range vs {
		qs[i] = atlassian.Quote(v)
	}
	return strings.Join(qs, ", ")
}

// textClause is `text ~ "w1 w2 …"` (all words), or with any, one clause per
// word joined by OR.
func textClause(words []string, any bool) string {
	if !any || len(words) == 1 {
		return "text ~ " + atlassian.Quote(strings.Join(words, " "))
	}
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = "text ~ " + atlassian.Quote(w)
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// ConfluenceCQL builds the CQL of a live search from the question's words
// and the query's filters; with any, a page needs only one of the words.
func (l *Live) ConfluenceCQL(q Query, words []string, any bool) (string, bool) {
	clauses := []string{textClause(words, any), "type in (page, blogpost)"}
	spaces, ok := scope(q.Spaces, l.Spaces)
	if !ok {
		return "", false
	}
	if len(spaces) > 0 {
		clauses = append(clauses, "space in ("+quoteAll(spaces)+")")
	}
	if len(q.Labels) > 0 {
		clauses = append(clauses, "label in ("+quoteAll(q.Labels)+")")
	}
	if !q.UpdatedAfter.IsZero() {
		clauses = append(clauses, "lastmodified >= "+atlassian.Quote(q.UpdatedAfter.Format("2006-01-02")))
	}
	return strings.Join(clauses, " AND "), true
}

// JiraJQL builds the JQL of a live search, like ConfluenceCQL.
func (l *Live) JiraJQL(q Query, words []string, any bool) (string, bool) {
	clauses := []string{textClause(words, any)}
	projects, ok := scope(q.Projects, l.Projects)
	if !ok {
		return "", false
	}
	if len(projects) > 0 {
		clauses = append(clauses, "project in ("+quoteAll(projects)+")")
	}
	if len(q.Statuses) > 0 {
		clauses = append(clauses, "status in ("+quoteAll(q.Statuses)+")")
	}
	if len(q.Types) > 0 {
		clauses = append(clauses, "issuetype in ("+quoteAll(q.Types)+")")
	}
	if len(q.Labels) > 0 {
		clauses = append(clauses, "labels in ("+quoteAll(q.Labels)+")")
	}
	if !q.UpdatedAfter.IsZero() {
		clauses = append(clauses, "updated >= "+atlassian.Quote(q.UpdatedAfter.Format("2006/01/02")))
	}
	return strings.Join(clauses, " AND "), true
}

func (l *Live) searchConfluence(ctx context.Context, q Query, words []string, k int) ([]Result, error) {
	for _, any := range []bool{false, true} {
		cql, ok := l.ConfluenceCQL(q, words, any)
		if !ok {
			return nil, nil
		}
		page, _, err := l.Confluence.Content.SiteSearch(ctx, cql, &atlassian.SearchOptions{
			ListOptions: atlassian.ListOptions{Limit: k}, Expand: []string{"content.space", "content.version"}})
		if err != nil {
			return nil, err
		}
		if len(page.Results) == 0 && !any && len(words) > 1 {
			continue // no page has every word: accept pages with some
		}
		out := make([]Result, 0, len(page.Results))
		for i, h := range page.Results {
			if h.Content == nil || h.Content.ID == "" {
				continue
			}
			c := h.Content
			r := Result{DocID: SourceConfluence + ":" + c.ID.String(), Source: SourceConfluence, Container: c.SpaceKey(),
				Key: c.ID.String(), Title: firstNonEmpty(c.Title, h.Title), Type: c.Type, Updated: h.LastModified.Time,
				URL: l.Confluence.AbsURL(firstNonEmpty(h.URL, c.Links.WebUI)), Snippet: cleanExcerpt(h.Excerpt, q),
				Score: 1 / float64(i+1)}
			if r.Container == "" && h.ResultGlobalContainer != nil {
				r.Container = spaceFromDisplayURL(h.ResultGlobalContainer.DisplayURL)
			}
			if r.Updated.IsZero() && c.Version != nil {
				r.Updated = c.Version.When.Time
			}
			out = append(out, r)
		}
		return out, nil
	}
	return nil, nil
}

func (l *Live) searchJira(ctx context.Context, q Query, words []string, k int) ([]Result, error) {
	for _, any := range []bool{false, true} {
		jql, ok := l.JiraJQL(q, words, any)
		if !ok {
			return nil, nil
		}
		page, _, err := l.Jira.Issues.Search(ctx, jql, &atlassian.SearchIssuesOptions{MaxResults: k,
			Fields: []string{"summary", "status", "issuetype", "updated", "project", "labels", "description"}})
		if err != nil {
			return nil, err
		}
		if len(page.Issues) == 0 && !any && len(words) > 1 {
			continue
		}
		out := make([]Result, 0, len(page.Issues))
		for i, is := range page.Issues {
			f := is.Fields
			r := Result{DocID: SourceJira + ":" + is.Key, Source: SourceJira, Key: is.Key, Title: f.Summary,
				URL: l.Jira.AbsURL("/browse/" + is.Key), Updated: f.Updated.Time, Labels: f.Labels,
				Snippet: cutSnippet(plainText(jiraWikiMarkdown(f.Description), nil), tokenize(q.Text), q.snippetSize()), Score: 1 / float64(i+1)}
			if f.Project != nil {
				r.Container = f.Project.Key
			} else if p, _, ok := strings.Cut(is.Key, "-"); ok {
				r.Container = p
			}
			if f.Status != nil {
				r.Status = f.Status.Name
			}
			if f.IssueType != nil {
				r.Type = f.IssueType.Name
			}
			out = append(out, r)
		}
		return out, nil
	}
	return nil, nil
}

// verify re-reads hits on their server: a deleted or hidden one is dropped
// with a note, a changed one is marked Stale.
func (l *Live) verify(ctx context.Context, hits []Hit, notes []string) ([]Hit, []string) {
	type outcome struct {
		gone  bool
		stale bool
		err   error
	}
	res := make([]outcome, len(hits))
	var wg sync.WaitGroup
	for i, h := range hits {
		if h.Origin != OriginIndex {
			continue
		}
		wg.Go(func() {
			var updated time.Time
			var err error
			switch {
			case h.Source == SourceConfluence && l.Confluence != nil:
				var c *atlassian.Content
				c, _, err = l.Confluence.Content.Get(ctx, h.Key, "version")
				if err == nil && c.Version != nil {
					updated = c.Version.When.Time
				}
			case h.Source == SourceJira && l.Jira != nil:
				var is *atlassian.Issue
				is, _, err = l.Jira.Issues.Get(ctx, h.Key, &atlassian.GetIssueOptions{Fields: []string{"updated"}})
				if err == nil {
					updated = is.Fields.Updated.Time
				}
			default:
				return
			}
			switch {
			case errors.Is(err, atlassian.ErrNotFound) || errors.Is(err, atlassian.ErrForbidden):
				res[i].gone = true
			case err != nil:
				res[i].err = err
			case updated.Truncate(time.Millisecond).After(h.Updated.Truncate(time.Millisecond)):
				res[i].stale = true
			}
		})
	}
	wg.Wait()
	kept := hits[:0:0]
	failed := 0
	for i, h := range hits {
		switch {
		case res[i].gone:
			notes = append(notes, fmt.Sprintf("%s %q was deleted or hidden since the last sync: dropped", h.Key, h.Title))
			continue
		case res[i].err != nil:
			failed++
		case res[i].stale:
			h.Stale = true
		}
		kept = append(kept, h)
	}
	if failed > 0 {
		notes = append(notes, fmt.Sprintf("%d hits could not be verified (server unreachable?)", failed))
	}
	return kept, notes
}

// QueryWords returns the content words of a question, in the order they
// appear: punctuation (so every Lucene operator) and English stop words
// removed, duplicates dropped. Past max words, the longest are kept.
func QueryWords(text string, max int) []string {
	fields := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '.'
	})
	seen := map[string]bool{}
	var words []string
	for _, f := range fields {
		w := strings.Trim(strings.ToLower(f), ".")
		if w == "" || liveStopWords[w] || seen[w] || len([]rune(w)) < 2 {
			continue
		}
		seen[w] = true
		words = append(words, w)
	}
	if max > 0 && len(words) > max {
		// Keep the longest words: they carry the most meaning.
		keep := slices.Clone(words)
		slices.SortStableFunc(keep, func(a, b string) int { return len(b) - len(a) })
		keep = keep[:max]
		words = slices.DeleteFunc(words, func(w string) bool { return !slices.Contains(keep, w) })
	}
	return words
}

// liveStopWords are dropped from live queries: Lucene ignores most of them,
// and the rest (question words) only narrow an AND search to nothing.
var liveStopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be but by can do does did for from has have how i if in into is it its
		me my no not of on or our so such that the their then there these they this to was we were what when where which who
		why will with you your should could would about any all also get got make use using vs`) {
		m[w] = true
	}
	return m
}()

// spaceFromDisplayURL reads the space key of "/display/KEY" or
// "/spaces/viewspace.action?key=KEY".
func spaceFromDisplayURL(u string) string {
	if rest, ok := strings.CutPrefix(u, "/display/"); ok {
		key, _, _ := strings.Cut(rest, "/")
		return key
	}
	if _, key, ok := strings.Cut(u, "key="); ok {
		key, _, _ = strings.Cut(key, "&")
		return key
	}
	return ""
}

var highlightMarks = strings.NewReplacer("@@@hl@@@", "", "@@@endhl@@@", "")

// cleanExcerpt turns the excerpt of a Confluence search hit (plain text
// with @@@hl@@@ highlight marks) into a snippet of q's size around q's
// terms.
func cleanExcerpt(s string, q Query) string {
	for strings.Contains(s, "@@@hl@@@") || strings.Contains(s, "@@@endhl@@@") {
		s = highlightMarks.Replace(s) // until none is left: a removal can join a new one
	}
	return cutSnippet(s, tokenize(q.Text), q.snippetSize())
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
