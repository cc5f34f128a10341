package indexer

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/markup"
	"github.com/atlasbridge/atlasbridge/search"
)

// confluenceCrawler crawls pages, blog posts and their comments.
type confluenceCrawler struct {
	c     *atlassian.Confluence
	chunk ChunkOptions
	log   *slog.Logger
	zone  *time.Location    // the account's profile zone; nil when unknown
	names map[string]string // space key → name, for breadcrumbs
	// jiraBase is where jira macros link to (the Jira of the
	// configuration; the wiki's own URL when none).
	jiraBase string
	people   userNames
}

func (cc *confluenceCrawler) source() string { return search.SourceConfluence }

func (cc *confluenceCrawler) containers(ctx context.Context, allow []string) ([]container, error) {
	spaces, err := cc.c.Spaces.All(ctx, allow...)
	if err != nil {
		return nil, fmt.Errorf("confluence: list spaces: %w", err)
	}
	cc.names = map[string]string{}
	var out []container
	for _, s := range spaces {
		cc.names[s.Key] = s.Name
		out = append(out, container{key: s.Key, name: s.Name})
	}
	for _, k := range allow {
		if _, ok := cc.names[k]; !ok {
			cc.log.Warn("space not found or not visible to this user; skipped", "space", k)
		}
	}
	return out, nil
}

func (cc *confluenceCrawler) restore(cs []container) {
	cc.names = make(map[string]string, len(cs))
	for _, c := range cs {
		cc.names[c.key] = c.name
	}
}

// listingPage is the size of an id listing page (the servers allow 200
// without bodies).
const listingPage = 200

// contentTypes are what the crawl indexes of a space.
const contentTypes = "type in (page, blogpost, comment)"

// listed is the small expansion of a content listing.
var listExpand = []string{"version"}

func (cc *confluenceCrawler) list(ctx context.Context, c container, since time.Time) ([]item, int, error) {
	base := "space = " + atlassian.Quote(c.key) + " AND " + contentTypes
	type entry struct {
		id, typ string
		when    time.Time
	}
	var entries []entry
	reqs := 0
	err := keyset(since, cqlBound(cc.zone), func(lower string, start int) (page []time.Time, more bool, next int, err error) {
		cql := base
		if lower != "" {
			cql += " AND lastmodified >= " + lower
		}
		cql += " ORDER BY lastmodified ASC"
		p, _, err := cc.c.Content.Search(ctx, cql, &atlassian.SearchOptions{ListOptions: atlassian.ListOptions{Start: start, Limit: listingPage}, Expand: listExpand})
		reqs++
		if err != nil {
			return nil, false, 0, fmt.Errorf("confluence: list space %s: %w", c.key, err)
		}
		for _, ct := range p.Results {
			var when time.Time
			if ct.Version != nil {
				when = ct.Version.When.Time
			}
			page = append(page, when)
			entries = append(entries, entry{ct.ID.String(), ct.Type, when})
		}
		next, more = p.Next()
		return page, more, next, nil
	})
	items := make([]item, 0, len(entries))
	for _, e := range entries {
		items = append(items, item{id: search.SourceConfluence + ":" + e.id, ref: e.id, kind: e.typ, updated: e.when})
	}
	return dedupe(items), reqs, err
}

// prepare gives the items to build their build functions: bodies are
// fetched 50 to a request, in the order of todo.
func (cc *confluenceCrawler) prepare(c container, todo []item) {
	var b *batch[*contentWithRestrictions]
	for i := range todo {
		if b == nil || len(b.ids) == bodyPage {
			b = b.then(&batch[*contentWithRestrictions]{load: cc.fetchMany})
		}
		b.ids = append(b.ids, todo[i].ref)
		id, typ, b := todo[i].ref, todo[i].kind, b
		todo[i].build = func(ctx context.Context, st *Stages) (*search.Document, error) {
			ct, ok, err := b.get(ctx, id, st)
			if err != nil || !ok {
				// The group failed, or the search index lags behind:
				// fetch this one alone, which also tells a deletion.
				t0 := time.Now()
				ct, err = cc.fetch(ctx, id)
				st.Fetch += time.Since(t0)
				st.requests++
				if err != nil {
					return nil, fmt.Errorf("confluence: get %s %s: %w", typ, id, err)
				}
			}
			return cc.build(ctx, c, ct, st)
		}
	}
}

// bodyPage is how many bodies one request fetches: Confluence caps search
// results with bodies at 50.
const bodyPage = 50

// cqlTimeLayout is how CQL writes a date with minutes.
const cqlTimeLayout = "2006-01-02 15:04"

// restrictionExpand reads the view restrictions that decide who may read a
// content: its own, every ancestor's, and for a comment its page's and
// that page's ancestors' (restrictions inherit; a comment follows its
// page).
var restrictionExpand = []string{
	"restrictions.read.restrictions.user", "restrictions.read.restrictions.group",
	"ancestors.restrictions.read.restrictions.user", "ancestors.restrictions.read.restrictions.group",
	"container.restrictions.read.restrictions.user", "container.restrictions.read.restrictions.group",
	"container.ancestors.restrictions.read.restrictions.user", "container.ancestors.restrictions.read.restrictions.group",
}

// pageExpand is what the crawl reads of a page, blog post or comment.
var pageExpand = append([]string{
	"body.storage", "version", "space", "ancestors", "metadata.labels", "history", "container",
}, restrictionExpand...)

// contentWithRestrictions adds the read restrictions, which the client's
// Content does not decode, to a content.
type contentWithRestrictions struct {
	atlassian.Content
	perms readRestrictions
}

// UnmarshalJSON decodes the content and, from the same object, the
// restrictions of it and its ancestors and container (whose fields the
// content's own Ancestors and Container would otherwise shadow).
func (c *contentWithRestrictions) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &c.Content); err != nil {
		return err
	}
	return json.Unmarshal(b, &c.perms)
}

// viewRestriction is a content's own "restrictions" expansion.
type viewRestriction struct {
	Restrictions *struct {
		Read *struct {
			Restrictions struct {
				User  *struct{ Results []restrictionSubject } `json:"user"`
				Group *struct{ Results []restrictionSubject } `json:"group"`
			} `json:"restrictions"`
		} `json:"read"`
	} `json:"restrictions"`
}

func (v *viewRestriction) set() bool {
	if v == nil || v.Restrictions == nil || v.Restrictions.Read == nil {
		return false
	}
	r := v.Restrictions.Read.Restrictions
	return r.User != nil && len(r.User.Results) > 0 || r.Group != nil && len(r.Group.Results) > 0
}

// restrictionSubject is a user (username, userKey) or a group (name) of a
// restriction.
type restrictionSubject struct {
	Username string `json:"username"`
	UserKey  string `json:"userKey"`
	Name     string `json:"name"`
}

// level is the read restriction as stored: nil when there is none.
func (v *viewRestriction) level() *search.ReadLevel {
	if !v.set() {
		return nil
	}
	var l search.ReadLevel
	r := v.Restrictions.Read.Restrictions
	if r.User != nil {
		for _, u := range r.User.Results {
			if n := cmp.Or(u.Username, u.UserKey); n != "" {
				l.Users = append(l.Users, n)
			}
		}
	}
	if r.Group != nil {
		for _, g := range r.Group.Results {
			if g.Name != "" {
				l.Groups = append(l.Groups, g.Name)
			}
		}
	}
	return &l
}

// readRestrictions are the view restrictions on the way to a content.
type readRestrictions struct {
	viewRestriction
	Ancestors []viewRestriction `json:"ancestors"`
	Container *struct {
		viewRestriction
		Ancestors []viewRestriction `json:"ancestors"`
	} `json:"container"`
}

// restricted reports whether a view restriction applies to the content:
// its own, an ancestor's, or (a comment) its page's or one of that page's
// ancestors'.
func (c *contentWithRestrictions) restricted() bool {
	return c.readers().Restricted()
}

// readers are the read restrictions on the way to the content, one level
// each: a reader must pass all of them.
func (c *contentWithRestrictions) readers() *search.Readers {
	levels := append([]viewRestriction{c.perms.viewRestriction}, c.perms.Ancestors...)
	if ct := c.perms.Container; ct != nil {
		levels = append(append(levels, ct.viewRestriction), ct.Ancestors...)
	}
	r := &search.Readers{}
	for i := range levels {
		if l := levels[i].level(); l != nil {
			r.Levels = append(r.Levels, *l)
		}
	}
	return r
}

func (cc *confluenceCrawler) fetch(ctx context.Context, id string) (*contentWithRestrictions, error) {
	req, err := cc.c.NewRequest(ctx, http.MethodGet, "rest/api/content/"+url.PathEscape(id), url.Values{"expand": {strings.Join(pageExpand, ",")}}, nil)
	if err != nil {
		return nil, err
	}
	var ct contentWithRestrictions
	if _, err := cc.c.Do(req, &ct); err != nil {
		return nil, err
	}
	return &ct, nil
}

// fetchMany fetches the contents of ids with one CQL search.
func (cc *confluenceCrawler) fetchMany(ctx context.Context, ids []string) (map[string]*contentWithRestrictions, error) {
	cts, err := cc.byIDs(ctx, ids, pageExpand)
	if err != nil {
		return nil, fmt.Errorf("confluence: fetch %d contents: %w", len(ids), err)
	}
	out := make(map[string]*contentWithRestrictions, len(cts))
	for _, ct := range cts {
		out[ct.ID.String()] = ct
	}
	return out, nil
}

// byIDs returns the contents of ids the server still has, with expand,
// from one CQL search.
func (cc *confluenceCrawler) byIDs(ctx context.Context, ids, expand []string) ([]*contentWithRestrictions, error) {
	return cc.search(ctx, url.Values{
		"cql":    {"id in (" + strings.Join(ids, ",") + ")"},
		"limit":  {strconv.Itoa(len(ids))},
		"expand": {strings.Join(expand, ",")},
	})
}

// search runs one CQL content search (rest/api/content/search with q).
func (cc *confluenceCrawler) search(ctx context.Context, q url.Values) ([]*contentWithRestrictions, error) {
	req, err := cc.c.NewRequest(ctx, http.MethodGet, "rest/api/content/search", q, nil)
	if err != nil {
		return nil, err
	}
	var p struct {
		Results []*contentWithRestrictions `json:"results"`
	}
	if _, err := cc.c.Do(req, &p); err != nil {
		return nil, err
	}
	return p.Results, nil
}

func (cc *confluenceCrawler) build(ctx context.Context, c container, ct *contentWithRestrictions, st *Stages) (*search.Document, error) {
	id, typ := ct.ID.String(), ct.Type
	if sk := ct.SpaceKey(); sk != "" && sk != c.key && ct.Type != "comment" {
		// Moved to another space after the listing: that space's sync
		// indexes it.
		return nil, nil
	}
	t0 := time.Now()
	md, err := markup.StorageToMarkdown(ct.Storage(), markup.Options{BaseURL: cc.c.BaseURL(), JiraBaseURL: cc.jiraBase, SpaceKey: c.key, PageID: id,
		UserName: func(key string) string { return cc.people.name(ctx, cc.c, key, st) }})
	st.Convert += time.Since(t0)
	if err != nil {
		return nil, fmt.Errorf("confluence: convert %s %s: %w", typ, id, err)
	}
	doc := &search.Document{
		ID:         search.SourceConfluence + ":" + id,
		Source:     search.SourceConfluence,
		Container:  c.key,
		Key:        id,
		Title:      markup.Clean(ct.Title),
		URL:        cc.c.AbsURL(ct.Links.WebUI),
		Labels:     ct.LabelNames(),
		Type:       ct.Type,
		Restricted: ct.restricted(),
		Readers:    ct.readers(),
	}
	if ct.Version != nil {
		doc.Updated = ct.Version.When.Time
		doc.Version = ct.Version.Number
	}
	space := c.name
	if space == "" {
		space = c.key
	}
	doc.Breadcrumb = []string{space}
	var header []string
	if ct.Type == "comment" {
		page := ""
		if ct.Container != nil {
			page = markup.Clean(ct.Container.Title)
		}
		author := ""
		if ct.History != nil {
			author = ct.History.CreatedBy.Name()
		}
		if page != "" {
			doc.Breadcrumb = append(doc.Breadcrumb, page)
		}
		doc.Title = "Comment on " + page
		if author != "" {
			doc.Title = "Comment by " + author + " on " + page
		}
		doc.Breadcrumb = append(doc.Breadcrumb, "Comment")
	} else {
		for _, a := range ct.Ancestors {
			// A home page named like its space would say it twice.
			if t := markup.Clean(a.Title); t != doc.Breadcrumb[len(doc.Breadcrumb)-1] {
				doc.Breadcrumb = append(doc.Breadcrumb, t)
			}
		}
		doc.Breadcrumb = append(doc.Breadcrumb, doc.Title)
		if len(doc.Labels) > 0 {
			header = append(header, "Labels: "+strings.Join(doc.Labels, ", "))
		}
		var who []string
		if ct.History != nil && ct.History.CreatedBy.Name() != "" {
			who = append(who, "Author: "+ct.History.CreatedBy.Name())
		}
		if ct.Version != nil && ct.Version.By.Name() != "" && !doc.Updated.IsZero() {
			who = append(who, "Last edited by "+ct.Version.By.Name()+" on "+day(doc.Updated))
		}
		if len(who) > 0 {
			header = append(header, strings.Join(who, " · "))
		}
	}
	if len(header) > 0 {
		md = strings.Join(header, "\n") + "\n\n" + md
	}
	t0 = time.Now()
	doc.Chunks = ChunkMarkdown(md, doc.Breadcrumb, cc.chunk)
	st.Chunk += time.Since(t0)
	return doc, nil
}

func (cc *confluenceCrawler) exists(ctx context.Context, c container, docID string) (bool, error) {
	id := strings.TrimPrefix(docID, search.SourceConfluence+":")
	ct, _, err := cc.c.Content.Get(ctx, id, "space", "container")
	if isGone(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("confluence: check %s: %w", id, err)
	}
	if ct.Status != "" && ct.Status != "current" {
		return false, nil
	}
	return ct.SpaceKey() == "" || ct.SpaceKey() == c.key, nil
}

// restricted reads the readers of refs (their view restrictions, no
// bodies) with one CQL search.
// restrictedUnder returns the readers of at most limit contents below ref
// (CQL ancestor = ref), a request per bodyPage of them.
func (cc *confluenceCrawler) restrictedUnder(ctx context.Context, c container, ref string, limit int) (map[string]*search.Readers, int, error) {
	out := map[string]*search.Readers{}
	reqs := 0
	for start := 0; start < limit; start += bodyPage {
		reqs++
		cts, err := cc.search(ctx, url.Values{
			"cql":    {"ancestor = " + ref + " and " + contentTypes + " order by id"},
			"start":  {strconv.Itoa(start)},
			"limit":  {strconv.Itoa(bodyPage)},
			"expand": {strings.Join(restrictionExpand, ",")},
		})
		if err != nil {
			return nil, reqs, fmt.Errorf("confluence: restrictions below %s in %s: %w", ref, c.key, err)
		}
		for _, ct := range cts {
			out[ct.ID.String()] = ct.readers()
		}
		if len(cts) < bodyPage {
			break
		}
	}
	return out, reqs, nil
}

func (cc *confluenceCrawler) restricted(ctx context.Context, c container, refs []string) (map[string]*search.Readers, int, error) {
	cts, err := cc.byIDs(ctx, refs, restrictionExpand)
	if err != nil {
		return nil, 1, fmt.Errorf("confluence: restrictions of %d contents in %s: %w", len(refs), c.key, err)
	}
	out := make(map[string]*search.Readers, len(cts))
	for _, ct := range cts {
		out[ct.ID.String()] = ct.readers()
	}
	return out, 1, nil
}
