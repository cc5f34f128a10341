package mcp

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/markup"
)

// pageRef is a page as an entry of a list.
type pageRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url,omitempty"`
}

// pageURL is the web address of a content.
func (s *Server) pageURL(c *atlassian.Content) string {
	if c.Links.WebUI != "" {
		return s.conf.AbsURL(c.Links.WebUI)
	}
	return s.conf.AbsURL("/pages/viewpage.action?pageId=" + string(c.ID))
}

func (s *Server) pageRef(c *atlassian.Content) pageRef {
	return pageRef{ID: string(c.ID), Title: text(c.Title), URL: s.pageURL(c)}
}

// markupOptions are the conversion options of a page in space: the same
// for the read and the write of an edit, or links would not be recognised.
func (s *Server) markupOptions(space, pageID string) markup.Options {
	opts := markup.Options{BaseURL: s.conf.BaseURL(), SpaceKey: space, PageID: pageID}
	if s.jira != nil {
		opts.JiraBaseURL = s.jira.BaseURL()
	}
	return opts
}

// editableMarkdown is the body confluence_get_page shows: markdown that
// confluence_update_page writes back without loss (markup.ApplyMarkdown).
func (s *Server) editableMarkdown(storage, space, pageID string) string {
	md, err := markup.EditableMarkdown(storage, s.markupOptions(space, pageID))
	if err != nil {
		s.log.Warn("editable conversion failed", "page", pageID, "err", err)
		return s.toMarkdown(storage, space, pageID)
	}
	return md
}

// toMarkdown converts a storage body of a page in space to markdown.
func (s *Server) toMarkdown(storage, space, pageID string) string {
	md, err := markup.StorageToMarkdown(storage, s.markupOptions(space, pageID))
	if err != nil {
		// The converter is best effort and should not fail; if it does, the
		// model still gets the text rather than nothing.
		s.log.Warn("storage conversion failed", "page", pageID, "err", err)
		return markup.Clean(storage)
	}
	return md
}

var pageIDPattern = regexp.MustCompile(`^[0-9]{1,19}$`)

// checkPageID refuses what cannot be a page id.
func checkPageID(id string) error {
	if !pageIDPattern.MatchString(id) {
		return argError("page_id must be the numeric id of a page, such as 65601 (got %q); find ids with confluence_search_pages", quoteInput(id))
	}
	return nil
}

// checkPageScope enforces CONFLUENCE_SPACES on a page found by id: it
// costs one request, and only when the allow-list is set.
func (s *Server) checkPageScope(ctx context.Context, id string) error {
	if err := checkPageID(id); err != nil {
		return err
	}
	if s.spaces.all() {
		return nil
	}
	c, _, err := s.conf.Content.Get(ctx, id, "space")
	if err != nil {
		return serverError(err, "page "+id, "")
	}
	if !s.spaces.allows(c.SpaceKey()) {
		return s.spaces.refuse(fmt.Sprintf("page %s (space %s)", id, c.SpaceKey()))
	}
	return nil
}

// --- confluence_get_spaces

type getSpacesArgs struct {
	Limit int `json:"limit,omitempty" jsonschema_description:"Spaces per page, 1-200 (default 50)."`
	Start int `json:"start,omitempty" jsonschema_description:"Index of the first space, from next_start of a previous call."`
}

type spaceOut struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
	URL  string `json:"url,omitempty"`
}

func (s *Server) confluenceGetSpaces() tool {
	return readTool("confluence", "confluence_get_spaces", "List Confluence spaces",
		"List the Confluence spaces you can read: key, name, type (global or personal), URL. Use a key in CQL, e.g. space = \"ENG\".",
		func(ctx context.Context, a getSpacesArgs) (*mcpgo.CallToolResult, error) {
			limit, err := window("limit", a.Limit, 50, 200, "start", a.Start)
			if err != nil {
				return nil, err
			}
			p, _, err := s.conf.Spaces.List(ctx, &atlassian.SpaceListOptions{
				ListOptions: atlassian.ListOptions{Start: a.Start, Limit: limit}, Keys: s.spaces.keys})
			if err != nil {
				return nil, serverError(err, "the space list", "")
			}
			out := struct {
				Total     int        `json:"total,omitempty"`
				Spaces    []spaceOut `json:"spaces"`
				NextStart int        `json:"next_start,omitempty"`
			}{Spaces: []spaceOut{}}
			for _, sp := range p.Results {
				o := spaceOut{Key: sp.Key, Name: text(sp.Name), Type: sp.Type}
				if sp.Links.WebUI != "" {
					o.URL = s.conf.AbsURL(sp.Links.WebUI)
				}
				out.Spaces = append(out.Spaces, o)
			}
			out.Total, out.NextStart = listEnd(p.Page, 0, a.Start)
			return jsonResult(out)
		})
}

// listEnd reads the end of a Confluence list page: the total when the
// server says it or when this is the last page (0 when unknown), and the
// start of the next page (0 when none).

// listHead is what every page of a list says of the whole: the total when
// known, else that more remain, and where the next page starts.
type listHead struct {
	Total     int  `json:"total,omitempty"`
	More      bool `json:"more,omitempty"`
	NextStart int  `json:"next_start,omitempty"`
}

func listHeadOf(p atlassian.Page, totalSize, start int) listHead {
	total, next := listEnd(p, totalSize, start)
	return listHead{Total: total, More: total == 0 && next > 0, NextStart: next}
}

func listEnd(p atlassian.Page, totalSize, start int) (total, next int) {
	if n, ok := p.Next(); ok {
		return max(totalSize, 0), n
	}
	if totalSize > 0 {
		return totalSize, 0
	}
	return start + p.Size, 0
}

// --- confluence_get_page

type getPageArgs struct {
	PageID   string `json:"page_id,omitempty" jsonschema_description:"Numeric page id. Either page_id, or space_key and title."`
	SpaceKey string `json:"space_key,omitempty" jsonschema_description:"Space key (e.g. ENG), with title."`
	Title    string `json:"title,omitempty" jsonschema_description:"Exact page title, with space_key."`
	MaxChars int    `json:"max_chars,omitempty" jsonschema_description:"Most characters of body to return (default 20000)."`
	Offset   int    `json:"offset,omitempty" jsonschema_description:"Byte offset into the body to continue from (next_offset of a previous call)."`
	Format   string `json:"format,omitempty" jsonschema_description:"markdown (default) or storage (the raw XHTML)."`
}

// Body formats of the page tools.
const (
	formatMarkdown = "markdown"
	formatStorage  = "storage"
)

// checkFormat refuses a body format other than markdown and storage.
func checkFormat(name, f string) error {
	if f != "" && f != formatMarkdown && f != formatStorage {
		return argError("%s must be markdown or storage (got %q)", name, quoteInput(f))
	}
	return nil
}

type pageOut struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Space    string   `json:"space"`
	Version  int      `json:"version"`
	Modified string   `json:"modified,omitempty"`
	By       string   `json:"by,omitempty"`
	URL      string   `json:"url"`
	Parent   *pageRef `json:"parent,omitempty"`
	Labels   []string `json:"labels,omitempty"`
	body
}

func (s *Server) confluenceGetPage() tool {
	return readTool("confluence", "confluence_get_page", "Read a Confluence page",
		"Read one Confluence page as markdown, by page_id or by space_key + exact title. Returns id, title, space, version (pass it to confluence_update_page), last modified, URL, parent, labels and body; long bodies are cut at max_chars with truncated=true and next_offset. "+
			"What markdown cannot say is a placeholder such as ⟦status:Done (Green)⟧, ⟦@userkey⟧ or a \"::: info\" block: keep them as they are when you edit.",
		func(ctx context.Context, a getPageArgs) (*mcpgo.CallToolResult, error) {
			maxChars, err := window("max_chars", a.MaxChars, defaultMaxChars, maxMaxChars, "offset", a.Offset)
			if err != nil {
				return nil, err
			}
			if err := checkFormat("format", a.Format); err != nil {
				return nil, err
			}
			var (
				c       *atlassian.Content
				subject string
			)
			switch {
			case a.PageID != "":
				if err := checkPageID(a.PageID); err != nil {
					return nil, err
				}
				subject = "page " + a.PageID
				c, _, err = s.conf.Content.Get(ctx, a.PageID, atlassian.ExpandPage...)
			case a.SpaceKey != "" && a.Title != "":
				if !s.spaces.allows(a.SpaceKey) {
					return nil, s.spaces.refuse("space " + a.SpaceKey)
				}
				subject = fmt.Sprintf("page %q in space %s", a.Title, a.SpaceKey)
				c, _, err = s.conf.Content.FindByTitle(ctx, a.SpaceKey, a.Title, atlassian.ExpandPage...)
			default:
				return nil, argError("give page_id, or both space_key and title")
			}
			if err != nil {
				return nil, serverError(err, subject, "")
			}
			if !s.spaces.allows(c.SpaceKey()) {
				return nil, s.spaces.refuse(fmt.Sprintf("page %s (space %s)", c.ID, c.SpaceKey()))
			}
			out := pageOut{ID: string(c.ID), Title: text(c.Title), Space: c.SpaceKey(), URL: s.pageURL(c), Labels: c.LabelNames()}
			if c.Version != nil {
				out.Version = c.Version.Number
				out.Modified = stamp(c.Version.When)
				out.By = text(c.Version.By.Name())
			}
			if n := len(c.Ancestors); n > 0 {
				p := s.pageRef(&c.Ancestors[n-1])
				p.URL = ""
				out.Parent = &p
			}
			content := c.Storage()
			if a.Format != formatStorage {
				content = s.editableMarkdown(content, c.SpaceKey(), string(c.ID))
			}
			if out.body, err = cut(content, maxChars, a.Offset); err != nil {
				return nil, err
			}
			return jsonResult(out)
		})
}

// --- confluence_search_pages

type searchPagesArgs struct {
	CQL   string `json:"cql" jsonschema_description:"CQL query, e.g. space = \"ENG\" AND type = page AND text ~ \"deploy rollback\" ORDER BY lastmodified DESC"`
	Limit int    `json:"limit,omitempty" jsonschema_description:"Results per page, 1-50 (default 10)."`
	Start int    `json:"start,omitempty" jsonschema_description:"Index of the first result, from next_start of a previous call."`
}

type pageHit struct {
	ID       string
	Title    string
	Type     string // only when not a page
	Space    string
	Modified string
	URL      string // relative to the base URL
	Excerpt  string
}

// excerptChars bounds a search excerpt before the answer's byte budget
// cuts it (budget.go).
const excerptChars = 160

// pageURLTemplate is the web address of a page or blog post by id, on
// every Confluence Server and Data Center.
const pageURLTemplate = "/pages/viewpage.action?pageId={id}"

// pageList is the answer of confluence_search_pages: the hits as a table.
type pageList struct {
	Searched  string     `json:"searched,omitempty"` // the query run for plain words
	Total     int        `json:"total"`
	Start     int        `json:"start,omitempty"`
	PageURL   string     `json:"page_url"`
	Space     string     `json:"space,omitempty"` // of every hit, when they share one
	Type      string     `json:"type,omitempty"`  // of every hit, when they share one other than page
	Modified  string     `json:"modified,omitempty"`
	Columns   []string   `json:"columns"`
	Results   [][]string `json:"results"`
	NextStart int        `json:"next_start,omitempty"`
}

func (s *Server) confluenceSearchPages() tool {
	return readTool("confluence", "confluence_search_pages", "Search Confluence with CQL",
		"Search Confluence pages and blog posts with CQL (exact terms, not meaning; plain words are searched as text). Example: space = \"ENG\" AND text ~ \"deploy rollback\" ORDER BY lastmodified DESC. "+
			"Returns total, page_url (insert a hit's id), then columns and one row per hit: id, title, space, type (if not page), modified (date), excerpt; "+
			"a value all hits share is given once. Read a hit with confluence_get_page.",
		func(ctx context.Context, a searchPagesArgs) (*mcpgo.CallToolResult, error) {
			if strings.TrimSpace(a.CQL) == "" {
				return nil, argError("cql is empty: give a CQL query such as text ~ \"onboarding\"")
			}
			limit, err := window("limit", a.Limit, 10, 50, "start", a.Start)
			if err != nil {
				return nil, err
			}
			query, plain := wordsQuery(a.CQL)
			cql, err := s.spaces.scope(query, "space")
			if err != nil {
				return nil, argError("%v", err)
			}
			p, _, err := s.conf.Content.SiteSearch(ctx, cql, &atlassian.SearchOptions{ListOptions: atlassian.ListOptions{Start: a.Start, Limit: limit}})
			if err != nil {
				return nil, serverError(err, "the search", queryHint("CQL", cql))
			}
			var hits []pageHit
			for _, r := range p.Results {
				h := pageHitOf(r)
				if h.Space != "" && !s.spaces.allows(h.Space) {
					continue // defence in depth: the scoped query should not return it
				}
				hits = append(hits, h)
			}
			head := pageList{Total: p.TotalSize, Start: a.Start}
			if plain {
				head.Searched = plainWordsNote(query)
			}
			if head.Total == 0 && len(p.Results) > 0 {
				// Older servers send no totalSize: say at least what we know.
				head.Total = a.Start + len(p.Results)
			}
			if next, ok := p.Next(); ok {
				head.NextStart = next
			} else {
				head.NextStart = nextStart(a.Start, len(p.Results), p.TotalSize)
			}
			return jsonResult(s.pageTable(hits, head))
		})
}

// pageTable shapes page hits within the byte budget: a url column only
// for hits without an id (spaces, users), whose url cannot come from
// page_url; head holds what the answer says besides the hits. When the
// titles leave no room for any excerpt, the excerpt column goes, and the
// titles get its bytes.
func (s *Server) pageTable(hits []pageHit, head pageList) *pageList {
	head.PageURL = s.conf.AbsURL(pageURLTemplate)
	var out pageList
	for _, excerpts := range []bool{true, false} {
		t := &table{columns: []string{"id", "title", "space", "type", "modified", "url", "excerpt"}}
		for _, h := range hits {
			url := ""
			if h.ID == "" {
				url = s.conf.AbsURL(h.URL)
			}
			if !excerpts {
				h.Excerpt = ""
			}
			t.add(h.ID, h.Title, h.Space, h.Type, h.Modified, url, h.Excerpt)
		}
		shared := t.hoist("space", "type", "modified")
		t.dropEmpty("type", "url", "excerpt", "modified", "space")
		out = head
		out.Space, out.Type, out.Modified = shared["space"], shared["type"], shared["modified"]
		out.Columns, out.Results = t.columns, t.rowList()
		fitHits(&out, len(hits),
			trim{fields: t.cells("excerpt"), floor: 24, drop: true},
			trim{fields: t.cells("title"), floor: 40},
			trim{fields: t.cells("title", "type"), floor: 12})
		if !excerpts || !t.emptied("excerpt") {
			break
		}
	}
	return &out
}

// Markers of the site search's highlighted excerpts.
const (
	hlOpen  = "@@@hl@@@"
	hlClose = "@@@endhl@@@"
)

var highlightMarks = strings.NewReplacer(hlOpen, "", hlClose, "")

// unmark removes the highlight markers from s until none is left: one pass
// over "@@@@@@hl@@@hl@@@" leaves the "@@@hl@@@" its removal joined.
func unmark(s string) string {
	for strings.Contains(s, hlOpen) || strings.Contains(s, hlClose) {
		s = highlightMarks.Replace(s)
	}
	return s
}

// pageHitOf shapes one site-search result; its url is relative to the
// Confluence base URL (the short /x/ link when the server gives one).
func pageHitOf(r atlassian.SearchResult) pageHit {
	h := pageHit{Title: text(unmark(r.Title)), Modified: day(r.LastModified), URL: r.URL}
	if c := r.Content; c != nil {
		h.ID = string(c.ID)
		h.Title = text(c.Title)
		if c.Type != "page" {
			h.Type = c.Type
		}
		h.Space = c.SpaceKey()
		switch {
		case c.Links.TinyUI != "":
			h.URL = c.Links.TinyUI
		case h.URL == "":
			h.URL = c.Links.WebUI
		}
	}
	if r.Content == nil && r.EntityType != "" {
		h.Type = r.EntityType // a space or user hit: it has no page id
	}
	if h.Space == "" && r.ResultGlobalContainer != nil {
		h.Space, _ = strings.CutPrefix(r.ResultGlobalContainer.DisplayURL, "/display/")
	}
	h.Excerpt = excerpt(withoutTitle(r.Excerpt, h.Title), excerptChars)
	return h
}

// withoutTitle drops the page title from the start of an excerpt, where
// Confluence often repeats it (highlighted or not): the hit shows the
// title already.
func withoutTitle(ex, title string) string {
	if title == "" {
		return ex
	}
	rest := strings.TrimLeft(ex, " \t\n")
	i, j := 0, 0 // in rest and in title
	for j < len(title) && i < len(rest) {
		switch {
		case strings.HasPrefix(rest[i:], hlOpen):
			i += len(hlOpen)
		case strings.HasPrefix(rest[i:], hlClose):
			i += len(hlClose)
		case rest[i] == title[j]:
			i, j = i+1, j+1
		default:
			return ex
		}
	}
	if j < len(title) {
		return ex
	}
	rest = strings.TrimPrefix(rest[i:], hlClose)
	if r, _ := utf8.DecodeRuneInString(rest); rest != "" && r != ' ' && r != '\n' && r != '\t' && r != ':' && r != '.' {
		return ex // the title is only the start of a longer word
	}
	return strings.TrimSpace(rest)
}

// excerpt folds a highlighted excerpt into one line of at most max runes
// that starts a few words before its first highlighted term: however far
// the answer's budget then cuts it from the end, what is left still shows
// why the page matched.
func excerpt(raw string, max int) string {
	// Clean before the markers go: dropping an invisible character from
	// "@@@\x02hl@@@" afterwards would forge one.
	raw = markup.Clean(raw)
	plain := strings.Join(strings.Fields(unmark(raw)), " ")
	i := strings.Index(raw, hlOpen)
	if i < 0 {
		return oneLine(plain, max)
	}
	// Where the first highlight falls in the folded plain text.
	before := strings.Join(strings.Fields(unmark(raw[:i])), " ")
	r := []rune(plain)
	at := min(utf8.RuneCountInString(before), len(r))
	const lead = 24 // runes of context kept before the highlight
	if at <= lead {
		return oneLine(plain, max)
	}
	from := at - lead
	for from < at && r[from] != ' ' {
		from++
	}
	return "…" + oneLine(strings.TrimSpace(string(r[from:])), max-1)
}

// --- confluence_get_page_children

type pageListArgs struct {
	PageID string `json:"page_id" jsonschema_description:"Numeric page id."`
	Limit  int    `json:"limit,omitempty" jsonschema_description:"Results per page, 1-100 (default 25)."`
	Start  int    `json:"start,omitempty" jsonschema_description:"Index of the first result, from next_start of a previous call."`
}

func (s *Server) confluenceGetPageChildren() tool {
	return readTool("confluence", "confluence_get_page_children", "List child pages",
		"List the direct child pages of a Confluence page: total (or more), page_url (insert an id), id and title each, next_start when more remain.",
		func(ctx context.Context, a pageListArgs) (*mcpgo.CallToolResult, error) {
			limit, err := window("limit", a.Limit, 25, 100, "start", a.Start)
			if err != nil {
				return nil, err
			}
			if err := s.checkPageScope(ctx, a.PageID); err != nil {
				return nil, err
			}
			p, _, err := s.conf.Content.Children(ctx, a.PageID, &atlassian.SearchOptions{ListOptions: atlassian.ListOptions{Start: a.Start, Limit: limit}})
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "")
			}
			out := struct {
				listHead
				PageURL  string    `json:"page_url"`
				Children []pageRef `json:"children"`
			}{listHead: listHeadOf(p.Page, p.TotalSize, a.Start), PageURL: s.conf.AbsURL(pageURLTemplate), Children: []pageRef{}}
			for i := range p.Results {
				out.Children = append(out.Children, pageRef{ID: string(p.Results[i].ID), Title: text(p.Results[i].Title)})
			}
			return jsonResult(out)
		})
}

// --- confluence_get_page_ancestors

type pageArgs struct {
	PageID string `json:"page_id" jsonschema_description:"Numeric page id."`
}

func (s *Server) confluenceGetPageAncestors() tool {
	return readTool("confluence", "confluence_get_page_ancestors", "List parent pages",
		"List the ancestors of a Confluence page, from the space's root page down to its parent: id, title, URL each.",
		func(ctx context.Context, a pageArgs) (*mcpgo.CallToolResult, error) {
			if err := checkPageID(a.PageID); err != nil {
				return nil, err
			}
			c, _, err := s.conf.Content.Get(ctx, a.PageID, "ancestors", "space")
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "")
			}
			if !s.spaces.allows(c.SpaceKey()) {
				return nil, s.spaces.refuse(fmt.Sprintf("page %s (space %s)", a.PageID, c.SpaceKey()))
			}
			out := struct {
				Ancestors []pageRef `json:"ancestors"`
			}{Ancestors: []pageRef{}}
			for i := range c.Ancestors {
				out.Ancestors = append(out.Ancestors, s.pageRef(&c.Ancestors[i]))
			}
			return jsonResult(out)
		})
}

// --- confluence_get_comments

type commentsArgs struct {
	PageID   string `json:"page_id" jsonschema_description:"Numeric page id."`
	Limit    int    `json:"limit,omitempty" jsonschema_description:"Comments per page, 1-100 (default 25)."`
	Start    int    `json:"start,omitempty" jsonschema_description:"Index of the first comment, from next_start of a previous call."`
	MaxChars int    `json:"max_chars,omitempty" jsonschema_description:"Most characters of each comment body (default 2000)."`
}

type commentOut struct {
	ID        string `json:"id"`
	Author    string `json:"author,omitempty"`
	Created   string `json:"created,omitempty"`
	Body      string `json:"body"`
	Truncated bool   `json:"truncated,omitempty"`
}

func (s *Server) confluenceGetComments() tool {
	return readTool("confluence", "confluence_get_comments", "Read page comments",
		"Read the comments of a Confluence page, oldest first, as markdown: id, author, created, body (cut at max_chars).",
		func(ctx context.Context, a commentsArgs) (*mcpgo.CallToolResult, error) {
			limit, err := window("limit", a.Limit, 25, 100, "start", a.Start)
			if err != nil {
				return nil, err
			}
			maxChars, err := bounded("max_chars", a.MaxChars, 2000, maxMaxChars)
			if err != nil {
				return nil, err
			}
			if err := s.checkPageScope(ctx, a.PageID); err != nil {
				return nil, err
			}
			p, _, err := s.conf.Content.Comments(ctx, a.PageID, &atlassian.SearchOptions{ListOptions: atlassian.ListOptions{Start: a.Start, Limit: limit},
				Expand: []string{"body.storage", "version", "history", "space"}})
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "")
			}
			out := struct {
				Total     int          `json:"total,omitempty"`
				Comments  []commentOut `json:"comments"`
				NextStart int          `json:"next_start,omitempty"`
			}{Comments: []commentOut{}}
			for i := range p.Results {
				c := &p.Results[i]
				o := commentOut{ID: string(c.ID)}
				if c.History != nil {
					o.Author = text(c.History.CreatedBy.Name())
					o.Created = stamp(c.History.CreatedDate)
				}
				if o.Author == "" && c.Version != nil {
					o.Author = text(c.Version.By.Name())
					o.Created = stamp(c.Version.When)
				}
				b, _ := cut(s.toMarkdown(c.Storage(), c.SpaceKey(), a.PageID), maxChars, 0)
				o.Body, o.Truncated = strings.TrimSpace(b.Body), b.Truncated
				out.Comments = append(out.Comments, o)
			}
			out.Total, out.NextStart = listEnd(p.Page, p.TotalSize, a.Start)
			return jsonResult(out)
		})
}

// --- confluence_get_labels

func (s *Server) confluenceGetLabels() tool {
	return readTool("confluence", "confluence_get_labels", "Read page labels",
		"List the labels of a Confluence page. Find pages by label with CQL: label = \"runbook\".",
		func(ctx context.Context, a pageArgs) (*mcpgo.CallToolResult, error) {
			if err := s.checkPageScope(ctx, a.PageID); err != nil {
				return nil, err
			}
			labels, _, err := s.conf.Content.Labels(ctx, a.PageID)
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "")
			}
			return jsonResult(labelsOut(a.PageID, labels))
		})
}

type labelsResult struct {
	PageID string   `json:"page_id"`
	Labels []string `json:"labels"`
}

func labelsOut(id string, labels []atlassian.Label) labelsResult {
	out := labelsResult{PageID: id, Labels: []string{}}
	for _, l := range labels {
		out.Labels = append(out.Labels, text(l.Name))
	}
	return out
}

// --- confluence_get_attachments

type attachmentOut struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	MediaType string `json:"media_type,omitempty"`
	Size      int64  `json:"size,omitempty"`
	Modified  string `json:"modified,omitempty"`
	Download  string `json:"download,omitempty"`
}

func (s *Server) confluenceGetAttachments() tool {
	return readTool("confluence", "confluence_get_attachments", "List page attachments",
		"List the files attached to a Confluence page: id, file name, media type, size in bytes, last modified, download URL.",
		func(ctx context.Context, a pageListArgs) (*mcpgo.CallToolResult, error) {
			limit, err := window("limit", a.Limit, 25, 100, "start", a.Start)
			if err != nil {
				return nil, err
			}
			if err := s.checkPageScope(ctx, a.PageID); err != nil {
				return nil, err
			}
			p, _, err := s.conf.Content.Attachments(ctx, a.PageID, &atlassian.SearchOptions{ListOptions: atlassian.ListOptions{Start: a.Start, Limit: limit}})
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "")
			}
			out := struct {
				listHead
				Attachments []attachmentOut `json:"attachments"`
			}{listHead: listHeadOf(p.Page, p.TotalSize, a.Start), Attachments: []attachmentOut{}}
			for _, c := range p.Results {
				o := attachmentOut{ID: string(c.ID), Title: text(c.Title)}
				if c.Extensions != nil {
					o.MediaType, o.Size = c.Extensions.MediaType, c.Extensions.FileSize
				}
				if o.MediaType == "" && c.Metadata != nil {
					o.MediaType = c.Metadata.MediaType
				}
				if c.Version != nil {
					o.Modified = stamp(c.Version.When)
				}
				if c.Links.Download != "" {
					o.Download = s.conf.AbsURL(c.Links.Download)
				}
				out.Attachments = append(out.Attachments, o)
			}
			return jsonResult(out)
		})
}

// --- confluence_create_page

type createPageArgs struct {
	SpaceKey   string `json:"space_key" jsonschema_description:"Key of the space to create the page in, e.g. ENG."`
	Title      string `json:"title" jsonschema_description:"Page title, unique in the space."`
	Body       string `json:"body" jsonschema_description:"Page content as markdown."`
	ParentID   string `json:"parent_id,omitempty" jsonschema_description:"Numeric id of the parent page (default: the space's top level)."`
	BodyFormat string `json:"body_format,omitempty" jsonschema_description:"markdown (default) or storage (raw XHTML)."`
}

// writtenPage is the answer to a page write.
type writtenPage struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Space   string `json:"space,omitempty"`
	Version int    `json:"version,omitempty"`
	URL     string `json:"url"`
}

func (s *Server) written(c *atlassian.Content, space string) writtenPage {
	w := writtenPage{ID: string(c.ID), Title: text(c.Title), Space: c.SpaceKey(), URL: s.pageURL(c)}
	if w.Space == "" {
		w.Space = space
	}
	if c.Version != nil {
		w.Version = c.Version.Number
	}
	return w
}

func (s *Server) confluenceCreatePage() tool {
	return writeTool("confluence", "confluence_create_page", "Create a Confluence page",
		"Create a Confluence page from markdown (converted to storage format), optionally under a parent page. Returns id, version and URL. Fails if the title exists in the space.",
		false, false,
		func(ctx context.Context, a createPageArgs) (*mcpgo.CallToolResult, error) {
			if strings.TrimSpace(a.SpaceKey) == "" || strings.TrimSpace(a.Title) == "" {
				return nil, argError("space_key and title are required")
			}
			if !s.spaces.allows(a.SpaceKey) {
				return nil, s.spaces.refuse("space " + a.SpaceKey)
			}
			if err := checkFormat("body_format", a.BodyFormat); err != nil {
				return nil, err
			}
			if a.ParentID != "" {
				if err := s.checkPageScope(ctx, a.ParentID); err != nil {
					return nil, err
				}
			}
			storage := a.Body
			if a.BodyFormat != formatStorage {
				var err error
				if storage, err = markup.MarkdownToStorage(a.Body); err != nil {
					return nil, argError("body: cannot convert the markdown: %v", err)
				}
			}
			c, _, err := s.conf.Content.Create(ctx, atlassian.NewPage{SpaceKey: a.SpaceKey, Title: a.Title, Storage: storage, ParentID: a.ParentID})
			if err != nil {
				return nil, s.createPageError(ctx, err, a)
			}
			return jsonResult(s.written(c, a.SpaceKey))
		})
}

// createPageError explains a failed create: a missing parent is named as
// such (Confluence answers 404 for it as for a missing space).
func (s *Server) createPageError(ctx context.Context, err error, a createPageArgs) error {
	if a.ParentID != "" && errors.Is(err, atlassian.ErrNotFound) {
		if _, _, perr := s.conf.Content.Get(ctx, a.ParentID); errors.Is(perr, atlassian.ErrNotFound) {
			return serverError(perr, "parent page "+a.ParentID, "")
		}
	}
	return serverError(err, "space "+a.SpaceKey, "check the title (it must be unique in the space) and parent_id")
}

// --- confluence_update_page

type updatePageArgs struct {
	PageID         string `json:"page_id" jsonschema_description:"Numeric page id."`
	Version        int    `json:"version" jsonschema_description:"The page version you read (from confluence_get_page); the update is refused if the page changed since."`
	Body           string `json:"body" jsonschema_description:"The whole page as edited markdown from confluence_get_page (or only the section's part, with section)."`
	Title          string `json:"title,omitempty" jsonschema_description:"New title (default: unchanged)."`
	VersionComment string `json:"version_comment,omitempty" jsonschema_description:"Note for the page history."`
	Section        string `json:"section,omitempty" jsonschema_description:"Text of a heading: body replaces only that heading's part of the page."`
	AllowLoss      bool   `json:"allow_loss,omitempty" jsonschema_description:"Write even if macros, mentions or placeholders you removed are lost (default false: refused, naming them)."`
	BodyFormat     string `json:"body_format,omitempty" jsonschema_description:"markdown (default) or storage (raw XHTML replacing the body)."`
}

func (s *Server) confluenceUpdatePage() tool {
	return writeTool("confluence", "confluence_update_page", "Update a Confluence page",
		"Write back the markdown of confluence_get_page after editing it: only what you changed changes; macros, mentions, layouts and placeholders you left stay. "+
			"Pass the version you read: if the page changed since, nothing is written. A write that would drop an element is refused, naming it, unless allow_loss. Returns the new version and URL.",
		true, false,
		func(ctx context.Context, a updatePageArgs) (*mcpgo.CallToolResult, error) {
			if err := checkPageID(a.PageID); err != nil {
				return nil, err
			}
			if a.Version < 1 {
				return nil, argError("version must be the page's current version number (1 or more), as returned by confluence_get_page")
			}
			if err := checkFormat("body_format", a.BodyFormat); err != nil {
				return nil, err
			}
			if a.BodyFormat == formatStorage && a.Section != "" {
				return nil, argError("section works with markdown only: leave body_format out, or send the whole storage body without section")
			}
			cur, _, err := s.conf.Content.Get(ctx, a.PageID, "body.storage", "version", "space")
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "")
			}
			if !s.spaces.allows(cur.SpaceKey()) {
				return nil, s.spaces.refuse(fmt.Sprintf("page %s (space %s)", a.PageID, cur.SpaceKey()))
			}
			// The edit is applied to the version the model read, never to a
			// later one: that would revert someone else's change.
			if cur.Version == nil || cur.Version.Number != a.Version {
				now := 0
				if cur.Version != nil {
					now = cur.Version.Number
				}
				return nil, conflict(a.PageID, a.Version, now)
			}
			storage := a.Body
			if a.BodyFormat != formatStorage {
				opts := markup.ApplyOptions{Options: s.markupOptions(cur.SpaceKey(), a.PageID), AllowLoss: a.AllowLoss, Section: a.Section}
				if storage, err = markup.ApplyMarkdown(cur.Storage(), a.Body, opts); err != nil {
					return nil, editError(err, "confluence_get_page")
				}
				if err := s.checkWhole(cur, a); err != nil {
					return nil, err
				}
			}
			title := a.Title
			if strings.TrimSpace(title) == "" {
				title = cur.Title
			}
			c, _, err := s.conf.Content.Update(ctx, a.PageID, atlassian.PageUpdate{Title: title, Storage: storage, Version: a.Version, Type: cur.Type, Message: a.VersionComment})
			if errors.Is(err, atlassian.ErrConflict) {
				return nil, conflict(a.PageID, a.Version, 0)
			}
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "check the title (unique in the space)")
			}
			return jsonResult(s.written(c, cur.SpaceKey()))
		})
}

// minCutPage is the size of markdown below which a page is not taken for
// one read in parts: models rarely ask for fewer characters.
const minCutPage = 2000

// checkWhole refuses a body that looks like a page cut at max_chars: it
// lacks the page's last line and a quarter of its length. Written back, it
// would delete the rest of the page, text the loss check does not count.
func (s *Server) checkWhole(cur *atlassian.Content, a updatePageArgs) error {
	if a.AllowLoss || a.Section != "" {
		return nil
	}
	md := s.editableMarkdown(cur.Storage(), cur.SpaceKey(), a.PageID)
	if len(md) < minCutPage {
		return nil
	}
	last := strings.TrimSpace(md)
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = strings.TrimSpace(last[i+1:])
	}
	if last == "" || strings.Contains(a.Body, last) || len(md)-len(a.Body) <= len(md)/4 {
		return nil
	}
	return &toolError{msg: fmt.Sprintf("refused: body is %d bytes shorter than page %s (%d bytes of markdown) and lacks its last line %q, as a body cut at max_chars does; "+
		"send the whole page (read it with a larger max_chars), or replace one part with section; pass allow_loss=true if you mean to delete the end",
		len(md)-len(a.Body), a.PageID, len(md), quoteInput(last))}
}

// editError explains an edit the markup engine refused: what would be
// lost, a placeholder it does not know, a section that is not there.
// reader is the tool that shows the editable form.
func editError(err error, reader string) error {
	var loss *markup.LossError
	switch {
	case errors.As(err, &loss):
		const shown = 10
		list, more := loss.Lost, ""
		if len(list) > shown {
			list, more = list[:shown], fmt.Sprintf(" and %d more", len(list)-shown)
		}
		return &toolError{msg: fmt.Sprintf("refused: the edit would lose %s%s. Keep their placeholders as %s shows them, or pass allow_loss=true if the loss is wanted",
			strings.Join(list, ", "), more, reader), err: err}
	case errors.Is(err, markup.ErrUnknownPlaceholder):
		return &toolError{msg: fmt.Sprintf("body: %v; copy placeholders exactly as %s shows them", err, reader), err: err}
	case errors.Is(err, markup.ErrNoSection):
		return &toolError{msg: fmt.Sprintf("section: %v; give the text of a heading as %s shows it", err, reader), err: err}
	default:
		return &toolError{msg: fmt.Sprintf("body: cannot apply the edit: %v", err), err: err}
	}
}

// conflict tells the model the page moved on under it.
func conflict(id string, read, now int) error {
	msg := fmt.Sprintf("page %s changed since version %d: re-read it with confluence_get_page and retry", id, read)
	if now > 0 {
		msg = fmt.Sprintf("page %s changed since version %d (now version %d): re-read it with confluence_get_page and retry", id, read, now)
	}
	return &toolError{msg: msg}
}

// --- confluence_add_comment

type addPageCommentArgs struct {
	PageID  string `json:"page_id" jsonschema_description:"Numeric page id."`
	Comment string `json:"comment" jsonschema_description:"Comment text as markdown."`
}

func (s *Server) confluenceAddComment() tool {
	return writeTool("confluence", "confluence_add_comment", "Comment on a Confluence page",
		"Add a comment (markdown) to a Confluence page. Returns the comment id and URL.",
		false, false,
		func(ctx context.Context, a addPageCommentArgs) (*mcpgo.CallToolResult, error) {
			if strings.TrimSpace(a.Comment) == "" {
				return nil, argError("comment is empty")
			}
			if err := s.checkPageScope(ctx, a.PageID); err != nil {
				return nil, err
			}
			storage, err := markup.MarkdownToStorage(a.Comment)
			if err != nil {
				return nil, argError("comment: cannot convert the markdown: %v", err)
			}
			c, _, err := s.conf.Content.AddComment(ctx, a.PageID, storage)
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "")
			}
			return jsonResult(struct {
				ID     string `json:"id"`
				PageID string `json:"page_id"`
				URL    string `json:"url"`
			}{string(c.ID), a.PageID, s.pageURL(c)})
		})
}

// --- confluence_add_label

type addLabelArgs struct {
	PageID string `json:"page_id" jsonschema_description:"Numeric page id."`
	Label  string `json:"label" jsonschema_description:"Label to add: one word, no spaces (e.g. runbook)."`
}

var labelPattern = regexp.MustCompile(`^[^\s:;,.!&()\[\]#^*?"'<>|/\\]{1,255}$`)

func (s *Server) confluenceAddLabel() tool {
	return writeTool("confluence", "confluence_add_label", "Label a Confluence page",
		"Add a label to a Confluence page (adding one it already has changes nothing). Returns all its labels.",
		false, true,
		func(ctx context.Context, a addLabelArgs) (*mcpgo.CallToolResult, error) {
			label := strings.ToLower(strings.TrimSpace(a.Label))
			if !labelPattern.MatchString(label) {
				return nil, argError("label %q is not valid: one word without spaces or punctuation such as : ; , . ! ? ( ) [ ] #; use - or _ to join words", quoteInput(a.Label))
			}
			if err := s.checkPageScope(ctx, a.PageID); err != nil {
				return nil, err
			}
			labels, _, err := s.conf.Content.AddLabels(ctx, a.PageID, label)
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "")
			}
			return jsonResult(labelsOut(a.PageID, labels))
		})
}
