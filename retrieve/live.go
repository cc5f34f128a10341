package retrieve

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/search"
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

// search asks both servers (those configured and admitted by q) and
// returns their hits ranked, with a note for each server that failed.
func (l *Live) search(ctx context.Context, q search.Query, k int) ([]search.Result, []string) {
	words := QueryWords(q.Text, 8)
	if len(words) == 0 {
		return nil, []string{"the question has no word a live search can use"}
	}
	var (
		mu    sync.Mutex
		notes []string
		conf  []search.Result
		jira  []search.Result
		wg    sync.WaitGroup
	)
	note := func(s string) {
		mu.Lock()
		notes = append(notes, s)
		mu.Unlock()
	}
	if l.Confluence != nil && allowsSource(q, search.SourceConfluence) {
		wg.Go(func() {
			rs, err := l.searchConfluence(ctx, q, words, k)
			if err != nil {
				note("live Confluence search failed, index results only: " + err.Error())
			}
			conf = rs
		})
	}
	if l.Jira != nil && allowsSource(q, search.SourceJira) {
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
	var out []search.Result
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

// allowsSource reports whether q's filters admit a product.
func allowsSource(q search.Query, src string) bool {
	if len(q.Sources) > 0 && !slices.ContainsFunc(q.Sources, func(s string) bool { return strings.EqualFold(s, src) }) {
		return false
	}
	// Spaces filter Confluence and Projects Jira: naming only one kind
	// excludes the other product, as Index.Search does.
	if src == search.SourceConfluence && len(q.Spaces) == 0 && len(q.Projects) > 0 {
		return false
	}
	if src == search.SourceJira && len(q.Projects) == 0 && len(q.Spaces) > 0 {
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
func (l *Live) ConfluenceCQL(q search.Query, words []string, any bool) (string, bool) {
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
func (l *Live) JiraJQL(q search.Query, words []string, any bool) (string, bool) {
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

func (l *Live) searchConfluence(ctx context.Context, q search.Query, words []string, k int) ([]search.Result, error) {
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
		out := make([]search.Result, 0, len(page.Results))
		for i, h := range page.Results {
			if h.Content == nil || h.Content.ID == "" {
				continue
			}
			c := h.Content
			r := search.Result{DocID: search.SourceConfluence + ":" + c.ID.String(), Source: search.SourceConfluence, Container: c.SpaceKey(),
				Key: c.ID.String(), Title: cmp.Or(c.Title, h.Title), Type: c.Type, Updated: h.LastModified.Time,
				URL: l.Confluence.AbsURL(cmp.Or(h.URL, c.Links.WebUI)), Snippet: cleanExcerpt(h.Excerpt, q),
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

func (l *Live) searchJira(ctx context.Context, q search.Query, words []string, k int) ([]search.Result, error) {
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
		out := make([]search.Result, 0, len(page.Issues))
		for i, is := range page.Issues {
			f := is.Fields
			r := search.Result{DocID: search.SourceJira + ":" + is.Key, Source: search.SourceJira, Key: is.Key, Title: f.Summary,
				URL: l.Jira.AbsURL("/browse/" + is.Key), Updated: f.Updated.Time, Labels: f.Labels,
				Snippet: search.MarkdownSnippet(jiraWikiMarkdown(f.Description), q.Text, q.SnippetSize), Score: 1 / float64(i+1)}
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
func cleanExcerpt(s string, q search.Query) string {
	for strings.Contains(s, "@@@hl@@@") || strings.Contains(s, "@@@endhl@@@") {
		s = highlightMarks.Replace(s) // until none is left: a removal can join a new one
	}
	return search.PlainSnippet(s, q.Text, q.SnippetSize)
}
