package atlassian

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Confluence is a client for the REST API (/rest/api) of Confluence
// Server and Data Center.
type Confluence struct {
	*Client

	Spaces  *SpaceService
	Content *ContentService
	Users   *ConfluenceUserService
}

// NewConfluence returns a Confluence client for baseURL, which may carry a
// context path ("https://wiki.example.com/confluence").
func NewConfluence(baseURL string, opts Options) (*Confluence, error) {
	c, err := newClient("confluence", baseURL, opts)
	if err != nil {
		return nil, err
	}
	s := service{c}
	return &Confluence{Client: c, Spaces: (*SpaceService)(&s), Content: (*ContentService)(&s), Users: (*ConfluenceUserService)(&s)}, nil
}

// service is shared by every service of a product client.
type service struct{ client *Client }

// get is the GET round trip every read of a service goes through.
func (s *service) get(ctx context.Context, path string, q url.Values, v any) (*Response, error) {
	req, err := s.client.NewRequest(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return nil, err
	}
	return s.client.Do(req, v)
}

// getJSON is get decoding into a new T, the shape of most reads.
func getJSON[T any](ctx context.Context, s *service, path string, q url.Values) (*T, *Response, error) {
	var v T
	resp, err := s.get(ctx, path, q, &v)
	if err != nil {
		return nil, nil, err
	}
	return &v, resp, nil
}

// send is the write round trip (POST, PUT, DELETE) of every service.
func (s *service) send(ctx context.Context, method, path string, q url.Values, body, v any) (*Response, error) {
	req, err := s.client.NewRequest(ctx, method, path, q, body)
	if err != nil {
		return nil, err
	}
	return s.client.Do(req, v)
}

// Links are the _links of a Confluence entity or page of results.
type Links struct {
	Self     string `json:"self,omitempty"`
	WebUI    string `json:"webui,omitempty"`
	TinyUI   string `json:"tinyui,omitempty"`
	Edit     string `json:"edit,omitempty"`
	Download string `json:"download,omitempty"`
	Base     string `json:"base,omitempty"`
	Context  string `json:"context,omitempty"`
	Next     string `json:"next,omitempty"`
	Prev     string `json:"prev,omitempty"`
}

// ListOptions page through a Confluence list (start/limit).
type ListOptions struct {
	Start int
	Limit int
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.Start > 0 {
		q.Set("start", strconv.Itoa(o.Start))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	return q
}

// Page is the paging envelope of a Confluence list.
type Page struct {
	Start int   `json:"start"`
	Limit int   `json:"limit"`
	Size  int   `json:"size"`
	Links Links `json:"_links"`
}

// Next reports the start of the following page. Data Center may cap a page
// below the limit asked for and return a wrong start in _links.next, so the
// next start is this start plus what was received.
func (p Page) Next() (start int, ok bool) {
	if p.Links.Next == "" || p.Size == 0 {
		return 0, false
	}
	return p.Start + p.Size, true
}

// Space is a Confluence space.
type Space struct {
	ID          ID     `json:"id"`
	Key         string `json:"key"`
	Name        string `json:"name"`
	Type        string `json:"type"` // global or personal
	Status      string `json:"status,omitempty"`
	Description *struct {
		Plain *BodyValue `json:"plain,omitempty"`
	} `json:"description,omitempty"`
	Links Links `json:"_links"`
}

// SpacePage is one page of spaces.
type SpacePage struct {
	Page
	Results []Space `json:"results"`
}

// SpaceService reads spaces.
type SpaceService service

// SpaceListOptions select spaces to list.
type SpaceListOptions struct {
	ListOptions
	Keys []string // only these space keys
	Type string   // global or personal
}

// List returns one page of the spaces the user can see.
func (s *SpaceService) List(ctx context.Context, opts *SpaceListOptions) (*SpacePage, *Response, error) {
	if opts == nil {
		opts = &SpaceListOptions{}
	}
	q := opts.values()
	for _, k := range opts.Keys {
		q.Add("spaceKey", k)
	}
	if opts.Type != "" {
		q.Set("type", opts.Type)
	}
	return getJSON[SpacePage](ctx, (*service)(s), "rest/api/space", q)
}

// All returns every space the user can see (or only those of keys).
func (s *SpaceService) All(ctx context.Context, keys ...string) ([]Space, error) {
	var all []Space
	opts := &SpaceListOptions{ListOptions: ListOptions{Limit: 100}, Keys: keys}
	for {
		p, _, err := s.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Results...)
		next, ok := p.Next()
		if !ok {
			return all, nil
		}
		opts.Start = next
	}
}

// Get returns one space.
func (s *SpaceService) Get(ctx context.Context, key string) (*Space, *Response, error) {
	return getJSON[Space](ctx, (*service)(s), "rest/api/space/"+url.PathEscape(key), url.Values{"expand": {"description.plain"}})
}

// User is a Confluence user as embedded in content.
type User struct {
	Type        string `json:"type,omitempty"` // known, anonymous
	Username    string `json:"username,omitempty"`
	UserKey     string `json:"userKey,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// Name returns the best human name of the user.
func (u *User) Name() string {
	if u == nil {
		return ""
	}
	return cmp.Or(u.DisplayName, u.Username, u.UserKey)
}

// ConfluenceUserService reads users.
type ConfluenceUserService service

// Current returns the authenticated user (an auth check).
func (s *ConfluenceUserService) Current(ctx context.Context) (*User, *Response, error) {
	return getJSON[User](ctx, (*service)(s), "rest/api/user/current", nil)
}

// Content is a page, blog post, comment or attachment.
type Content struct {
	ID         ID          `json:"id"`
	Type       string      `json:"type"`
	Status     string      `json:"status,omitempty"`
	Title      string      `json:"title"`
	Space      *Space      `json:"space,omitempty"`
	History    *History    `json:"history,omitempty"`
	Version    *Version    `json:"version,omitempty"`
	Ancestors  []Content   `json:"ancestors,omitempty"`
	Container  *Container  `json:"container,omitempty"`
	Body       *Body       `json:"body,omitempty"`
	Metadata   *Metadata   `json:"metadata,omitempty"`
	Extensions *Extensions `json:"extensions,omitempty"`
	Links      Links       `json:"_links"`
}

// Container is what content lives in: a space for a page, a page for a
// comment or attachment.
type Container struct {
	ID    ID     `json:"id"`
	Key   string `json:"key,omitempty"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
	Name  string `json:"name,omitempty"`
	Links Links  `json:"_links"`
}

// History is a content's creation record.
type History struct {
	Latest      bool  `json:"latest"`
	CreatedBy   *User `json:"createdBy,omitempty"`
	CreatedDate Time  `json:"createdDate"`
}

// Version is one version of a content.
type Version struct {
	By        *User  `json:"by,omitempty"`
	When      Time   `json:"when"`
	Number    int    `json:"number"`
	Message   string `json:"message,omitempty"`
	MinorEdit bool   `json:"minorEdit"`
}

// Body holds the representations of a content's body that were expanded.
type Body struct {
	Storage *BodyValue `json:"storage,omitempty"`
	View    *BodyValue `json:"view,omitempty"`
}

// BodyValue is one representation of a body.
type BodyValue struct {
	Value          string `json:"value"`
	Representation string `json:"representation"`
}

// Metadata holds labels and, for attachments, the media type.
type Metadata struct {
	Labels    *LabelPage `json:"labels,omitempty"`
	MediaType string     `json:"mediaType,omitempty"`
	Comment   string     `json:"comment,omitempty"`
}

// Extensions carry type-specific details (attachment size, comment place).
type Extensions struct {
	MediaType string `json:"mediaType,omitempty"`
	FileSize  int64  `json:"fileSize,omitempty"`
	Comment   string `json:"comment,omitempty"`
	Location  string `json:"location,omitempty"`
}

// Label is a content label.
type Label struct {
	Prefix string `json:"prefix"`
	Name   string `json:"name"`
	ID     ID     `json:"id,omitempty"`
}

// LabelPage is one page of labels.
type LabelPage struct {
	Page
	Results []Label `json:"results"`
}

// Storage returns the storage-format body, or "" when it was not expanded.
func (c *Content) Storage() string {
	if c.Body == nil || c.Body.Storage == nil {
		return ""
	}
	return c.Body.Storage.Value
}

// LabelNames returns the names of the expanded labels.
func (c *Content) LabelNames() []string {
	if c.Metadata == nil || c.Metadata.Labels == nil {
		return nil
	}
	names := make([]string, 0, len(c.Metadata.Labels.Results))
	for _, l := range c.Metadata.Labels.Results {
		names = append(names, l.Name)
	}
	return names
}

// SpaceKey returns the key of the content's space, from space or container.
func (c *Content) SpaceKey() string {
	if c.Space != nil && c.Space.Key != "" {
		return c.Space.Key
	}
	if c.Container != nil {
		return c.Container.Key
	}
	return ""
}

// ContentPage is one page of content.
type ContentPage struct {
	Page
	Results []Content `json:"results"`
	// TotalSize is sent by newer Data Center versions only (0 otherwise).
	TotalSize int    `json:"totalSize,omitempty"`
	CQLQuery  string `json:"cqlQuery,omitempty"`
}

// ContentService reads and writes pages, blog posts, comments, labels and
// attachments.
type ContentService service

// Expansions commonly asked for.
var (
	// ExpandPage is what a reader of one page needs.
	ExpandPage = []string{"body.storage", "version", "space", "ancestors", "metadata.labels"}
)

func expandValues(expand []string) url.Values {
	q := url.Values{}
	if len(expand) > 0 {
		q.Set("expand", strings.Join(expand, ","))
	}
	return q
}

// contentPath builds rest/api/content/{id}/suffix with the id escaped.
func contentPath(id, suffix string) string {
	p := "rest/api/content/" + url.PathEscape(id)
	if suffix != "" {
		p += "/" + suffix
	}
	return p
}

// Get returns one content by id with the given expansions.
func (s *ContentService) Get(ctx context.Context, id string, expand ...string) (*Content, *Response, error) {
	return getJSON[Content](ctx, (*service)(s), contentPath(id, ""), expandValues(expand))
}

// FindByTitle returns the page of a space with this exact title. It is an
// *Error matching ErrNotFound when there is none.
func (s *ContentService) FindByTitle(ctx context.Context, spaceKey, title string, expand ...string) (*Content, *Response, error) {
	q := expandValues(expand)
	q.Set("spaceKey", spaceKey)
	q.Set("title", title)
	q.Set("type", "page")
	var p ContentPage
	resp, err := (*service)(s).get(ctx, "rest/api/content", q, &p)
	if err != nil {
		return nil, nil, err
	}
	if len(p.Results) == 0 {
		return nil, resp, &Error{Product: "confluence", Method: http.MethodGet, Path: "/rest/api/content", StatusCode: http.StatusNotFound,
			Messages: []string{fmt.Sprintf("no page titled %q in space %s", title, spaceKey)}}
	}
	return &p.Results[0], resp, nil
}

// SearchOptions page a CQL search and choose expansions.
type SearchOptions struct {
	ListOptions
	Expand []string
}

// Search runs CQL through /rest/api/content/search and returns content.
// Confluence caps a page at 50 results when bodies are expanded: crawl ids
// first, fetch bodies separately.
func (s *ContentService) Search(ctx context.Context, cql string, opts *SearchOptions) (*ContentPage, *Response, error) {
	if opts == nil {
		opts = &SearchOptions{}
	}
	q := opts.values()
	q.Set("cql", cql)
	if len(opts.Expand) > 0 {
		q.Set("expand", strings.Join(opts.Expand, ","))
	}
	return getJSON[ContentPage](ctx, (*service)(s), "rest/api/content/search", q)
}

// SearchResult is one hit of the site search (/rest/api/search).
type SearchResult struct {
	Content               *Content `json:"content,omitempty"`
	Title                 string   `json:"title"`
	Excerpt               string   `json:"excerpt"`
	URL                   string   `json:"url"`
	ResultGlobalContainer *struct {
		Title      string `json:"title"`
		DisplayURL string `json:"displayUrl"`
	} `json:"resultGlobalContainer,omitempty"`
	EntityType           string `json:"entityType"`
	LastModified         Time   `json:"lastModified"`
	FriendlyLastModified string `json:"friendlyLastModified,omitempty"`
}

// SearchPage is one page of site-search results.
type SearchPage struct {
	Page
	Results        []SearchResult `json:"results"`
	TotalSize      int            `json:"totalSize"`
	CQLQuery       string         `json:"cqlQuery"`
	SearchDuration int            `json:"searchDuration"`
}

// SiteSearch runs CQL through /rest/api/search, which also returns
// excerpts and the total number of hits.
func (s *ContentService) SiteSearch(ctx context.Context, cql string, opts *SearchOptions) (*SearchPage, *Response, error) {
	if opts == nil {
		opts = &SearchOptions{}
	}
	q := opts.values()
	q.Set("cql", cql)
	q.Set("excerpt", "highlight")
	if len(opts.Expand) > 0 {
		q.Set("expand", strings.Join(opts.Expand, ","))
	}
	return getJSON[SearchPage](ctx, (*service)(s), "rest/api/search", q)
}

// Children returns one page of the child pages of a page.
func (s *ContentService) Children(ctx context.Context, id string, opts *SearchOptions) (*ContentPage, *Response, error) {
	return s.list(ctx, contentPath(id, "child/page"), opts, nil)
}

// Ancestors returns the ancestors of a page, root first.
func (s *ContentService) Ancestors(ctx context.Context, id string) ([]Content, *Response, error) {
	c, resp, err := s.Get(ctx, id, "ancestors")
	if err != nil {
		return nil, nil, err
	}
	return c.Ancestors, resp, nil
}

// Comments returns one page of the comments of a content, all depths,
// with their storage bodies and versions.
func (s *ContentService) Comments(ctx context.Context, id string, opts *SearchOptions) (*ContentPage, *Response, error) {
	if opts == nil {
		opts = &SearchOptions{}
	}
	if len(opts.Expand) == 0 {
		opts.Expand = []string{"body.storage", "version", "history"}
	}
	return s.list(ctx, contentPath(id, "child/comment"), opts, url.Values{"depth": {"all"}})
}

// Attachments returns one page of the attachments of a content.
func (s *ContentService) Attachments(ctx context.Context, id string, opts *SearchOptions) (*ContentPage, *Response, error) {
	if opts == nil {
		opts = &SearchOptions{}
	}
	if len(opts.Expand) == 0 {
		opts.Expand = []string{"version", "metadata"}
	}
	return s.list(ctx, contentPath(id, "child/attachment"), opts, nil)
}

func (s *ContentService) list(ctx context.Context, path string, opts *SearchOptions, extra url.Values) (*ContentPage, *Response, error) {
	if opts == nil {
		opts = &SearchOptions{}
	}
	q := opts.values()
	if len(opts.Expand) > 0 {
		q.Set("expand", strings.Join(opts.Expand, ","))
	}
	for k, vs := range extra {
		q[k] = vs
	}
	return getJSON[ContentPage](ctx, (*service)(s), path, q)
}

// Labels returns the labels of a content.
func (s *ContentService) Labels(ctx context.Context, id string) ([]Label, *Response, error) {
	var p LabelPage
	resp, err := (*service)(s).get(ctx, contentPath(id, "label"), url.Values{"limit": {"200"}}, &p)
	if err != nil {
		return nil, nil, err
	}
	return p.Results, resp, nil
}

// AddLabels adds global labels to a content and returns all its labels.
func (s *ContentService) AddLabels(ctx context.Context, id string, names ...string) ([]Label, *Response, error) {
	body := make([]Label, 0, len(names))
	for _, n := range names {
		body = append(body, Label{Prefix: "global", Name: n})
	}
	var p LabelPage
	resp, err := (*service)(s).send(ctx, http.MethodPost, contentPath(id, "label"), nil, body, &p)
	if err != nil {
		return nil, nil, err
	}
	return p.Results, resp, nil
}

// NewPage describes a page or blog post to create.
type NewPage struct {
	SpaceKey string
	Title    string
	Storage  string // body in storage format
	ParentID string // optional
	Type     string // page (default) or blogpost
}

type contentWrite struct {
	ID     string `json:"id,omitempty"`
	Type   string `json:"type"`
	Title  string `json:"title,omitempty"`
	Status string `json:"status,omitempty"`
	Space  *struct {
		Key string `json:"key"`
	} `json:"space,omitempty"`
	Ancestors []struct {
		ID string `json:"id"`
	} `json:"ancestors,omitempty"`
	Container *struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"container,omitempty"`
	Body    *Body `json:"body,omitempty"`
	Version *struct {
		Number  int    `json:"number"`
		Message string `json:"message,omitempty"`
	} `json:"version,omitempty"`
}

func storageBody(v string) *Body {
	return &Body{Storage: &BodyValue{Value: v, Representation: "storage"}}
}

// Create creates a page or blog post.
func (s *ContentService) Create(ctx context.Context, p NewPage) (*Content, *Response, error) {
	typ := p.Type
	if typ == "" {
		typ = "page"
	}
	w := contentWrite{Type: typ, Title: p.Title, Space: &struct {
		Key string `json:"key"`
	}{p.SpaceKey}, Body: storageBody(p.Storage)}
	if p.ParentID != "" {
		w.Ancestors = []struct {
			ID string `json:"id"`
		}{{p.ParentID}}
	}
	var c Content
	resp, err := (*service)(s).send(ctx, http.MethodPost, "rest/api/content", url.Values{"expand": {"version,space"}}, w, &c)
	if err != nil {
		return nil, nil, err
	}
	return &c, resp, nil
}

// PageUpdate is a new version of a page.
type PageUpdate struct {
	Title   string // the page's title (required by the API, even unchanged)
	Storage string
	// Version is the version the update replaces; the new one is Version+1.
	// Confluence answers 409 (ErrConflict) when someone saved in between.
	Version  int
	Type     string // page (default) or blogpost
	ParentID string // move under this parent (optional)
	SpaceKey string // move to this space (optional; top level there unless ParentID)
	Message  string // version comment
}

// Update saves a new version of a page.
func (s *ContentService) Update(ctx context.Context, id string, u PageUpdate) (*Content, *Response, error) {
	typ := u.Type
	if typ == "" {
		typ = "page"
	}
	w := contentWrite{ID: id, Type: typ, Title: u.Title, Body: storageBody(u.Storage), Version: &struct {
		Number  int    `json:"number"`
		Message string `json:"message,omitempty"`
	}{u.Version + 1, u.Message}}
	if u.ParentID != "" {
		w.Ancestors = []struct {
			ID string `json:"id"`
		}{{u.ParentID}}
	}
	if u.SpaceKey != "" {
		w.Space = &struct {
			Key string `json:"key"`
		}{u.SpaceKey}
	}
	var c Content
	resp, err := (*service)(s).send(ctx, http.MethodPut, contentPath(id, ""), url.Values{"expand": {"version,space"}}, w, &c)
	if err != nil {
		return nil, nil, err
	}
	return &c, resp, nil
}

// AddComment adds a comment (storage format) to a page or blog post.
func (s *ContentService) AddComment(ctx context.Context, pageID, storage string) (*Content, *Response, error) {
	w := contentWrite{Type: "comment", Container: &struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}{pageID, "page"}, Body: storageBody(storage)}
	var c Content
	resp, err := (*service)(s).send(ctx, http.MethodPost, "rest/api/content", url.Values{"expand": {"version,body.storage"}}, w, &c)
	if err != nil {
		return nil, nil, err
	}
	return &c, resp, nil
}

// Delete moves a content to the trash.
func (s *ContentService) Delete(ctx context.Context, id string) (*Response, error) {
	return (*service)(s).send(ctx, http.MethodDelete, contentPath(id, ""), nil, nil, nil)
}
