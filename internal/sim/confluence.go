package sim

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"html"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Page is a Confluence content item (page, blog post or comment) as the Go API sees it.
type Page struct {
	ID         string   // assigned by AddPage when empty
	Type       string   // "page" (default), "blogpost" or "comment"
	Space      string   // space key; a comment inherits its container's
	Title      string   // unique per space for pages; comments get "Re: <container title>"
	Body       string   // storage-format XHTML
	ParentID   string   // parent page, or the container of a comment
	Labels     []string // global labels
	Author     string   // user name of the creator; defaults to "admin"
	Restricted []string // when this or RestrictedGroups is non-empty, only these users can view the page
	// RestrictedGroups are the groups (User.Groups) whose members may view the page when it is
	// restricted; a user passes by name or by one group.
	RestrictedGroups []string
	SourceFile       string    // the imported file name, kept as content property "sourcefile"
	Created          time.Time // defaults to the clock's now
	Updated          time.Time // defaults to Created
	Version          int       // read-only: current version number
}

// ErrNotFound reports a page or issue that does not exist (or was deleted).
var ErrNotFound = errors.New("not found")

// ErrConflict reports a write that clashes with the current state (duplicate title, stale version).
var ErrConflict = errors.New("conflict")

type space struct {
	id       int64
	key      string
	name     string
	typ      string
	desc     string
	homepage *content
	archived bool       // listed only when asked for with status=archived
	pages    []*content // all current content of the space, in id order (kept on write)
	// restricted counts content of the space ever given view restrictions; at zero, visibility
	// checks are skipped (restrictions are inherited only within a space).
	restricted int
	keyVals    []string // {key}, shared read-only by its pages' Values("space")
}

// typeVals holds read-only Values("type") answers, so matching does not allocate.
var typeVals = map[string][]string{"page": {"page"}, "blogpost": {"blogpost"}, "comment": {"comment"}, "attachment": {"attachment"}}

type content struct {
	// Hot fields first, in one cache line: a search scans them for every record.
	space      *space
	updated    time.Time
	created    time.Time
	typ        string // page, blogpost, comment, attachment
	id         int64
	status     string // current, trashed
	parent     *content
	title      string
	body       string
	plain      string     // text of body, for ~ searches and excerpts
	children   []*content // child pages
	comments   []*content
	attachs    []*content
	version    int
	creator    string
	updater    string
	contribs   []string
	labels     []string
	restricted []string // users who may view, when it or restrictedGroups is set
	rgroups    []string // groups whose members may view
	editors    []string // users who may edit, when it or egroups is set
	egroups    []string // groups whose members may edit
	props      map[string]string
	mediaType  string // attachments
	data       []byte // an uploaded attachment's bytes (nil for AddAttachment's metadata-only ones)
	fileSize   int64
	position   int
	texts      textCache
	message    string        // of the current version
	olds       []pageVersion // the versions before the current one, oldest first
}

// pageVersion is a saved version of a page, kept when an update replaces it.
type pageVersion struct {
	number      int
	by, message string
	when        time.Time
	title, body string
}

type confluence struct {
	spaces    map[string]*space
	spaceList []*space // sorted by key
	byID      map[int64]*content
	byTitle   map[string]*content // space key + "\x00" + lower(title), pages only
	nextID    int64
	nextSpace int64
	gen       uint64 // bumped on every write; keys the search cache

	orders  orderedLists
	cacheMu sync.Mutex
	cache   map[string]cachedSearch
	views   map[int64]cachedView
}

type cachedSearch struct {
	gen     uint64
	results []*content
}

type cachedView struct {
	version int
	html    string
}

func newConfluence() *confluence {
	return &confluence{
		spaces:    map[string]*space{},
		byID:      map[int64]*content{},
		byTitle:   map[string]*content{},
		nextID:    300000000,
		nextSpace: 98305,
		cache:     map[string]cachedSearch{},
		views:     map[int64]cachedView{},
	}
}

func titleKey(spaceKey, title string) string { return spaceKey + "\x00" + strings.ToLower(title) }

// PageID returns the stable id an imported file gets: derived from the space key and file name, so
// it is the same on every run (unless two files collide, when the later one in sorted order moves
// to the next free id).
func PageID(spaceKey, fileName string) string {
	return strconv.FormatInt(stableID(spaceKey, fileName), 10)
}

func stableID(spaceKey, fileName string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(spaceKey + "/" + fileName))
	return 10000000 + int64(h.Sum32()%190000000)
}

func (c *confluence) allocID(want int64) int64 {
	if want == 0 {
		want = c.nextID
	}
	for c.byID[want] != nil {
		want++
	}
	if want >= c.nextID {
		c.nextID = want + 1
	}
	return want
}

// addSpace creates a space (or returns the existing one); withHome adds a generated home page.
func (c *confluence) addSpace(key, name string, now time.Time, author string, withHome bool) (*space, error) {
	if !validSpaceKey(key) {
		return nil, fmt.Errorf("space key %q: want letters and digits only", key)
	}
	if sp := c.spaces[key]; sp != nil {
		return sp, nil
	}
	if name == "" {
		name = key
	}
	sp := &space{id: c.nextSpace, key: key, name: name, typ: "global", desc: name + " space", keyVals: []string{key}}
	c.nextSpace += 65536
	c.spaces[key] = sp
	c.spaceList = append(c.spaceList, sp)
	slices.SortFunc(c.spaceList, func(a, b *space) int { return strings.Compare(a.key, b.key) })
	if !withHome {
		return sp, nil
	}
	home, err := c.add(Page{Space: key, Title: name + " Home", Author: author, Created: now,
		Body: "<p>Welcome to the " + html.EscapeString(name) + " space.</p>"}, now)
	if err != nil {
		return nil, err
	}
	sp.homepage = home
	return sp, nil
}

func validSpaceKey(k string) bool {
	if k == "" || len(k) > 255 {
		return false
	}
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '~') {
			return false
		}
	}
	return true
}

// add stores a new content item; the caller holds the write lock.
func (c *confluence) add(p Page, now time.Time) (*content, error) {
	typ := p.Type
	if typ == "" {
		typ = "page"
	}
	if typ != "page" && typ != "blogpost" && typ != "comment" {
		return nil, fmt.Errorf("content type %q: want page, blogpost or comment", typ)
	}
	var parent *content
	if p.ParentID != "" {
		id, err := strconv.ParseInt(p.ParentID, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parent %q: %w", p.ParentID, ErrNotFound)
		}
		parent = c.byID[id]
		if parent == nil || parent.status != "current" {
			return nil, fmt.Errorf("parent %s: %w", p.ParentID, ErrNotFound)
		}
	}
	var sp *space
	if typ == "comment" {
		if parent == nil {
			return nil, fmt.Errorf("comment: needs a container page")
		}
		sp = parent.space
		if p.Title == "" {
			p.Title = "Re: " + parent.title
		}
	} else {
		sp = c.spaces[p.Space]
		if sp == nil {
			return nil, fmt.Errorf("space %q: %w", p.Space, ErrNotFound)
		}
		if parent != nil && parent.space != sp {
			return nil, fmt.Errorf("parent %s is in space %s, not %s: %w", p.ParentID, parent.space.key, sp.key, ErrConflict)
		}
		if strings.TrimSpace(p.Title) == "" {
			return nil, fmt.Errorf("title: must not be empty")
		}
		if c.byTitle[titleKey(sp.key, p.Title)] != nil {
			return nil, fmt.Errorf("title %q in space %s: %w", p.Title, sp.key, ErrConflict)
		}
		if parent == nil && typ == "page" && sp.homepage != nil {
			parent = sp.homepage
		}
	}
	var want int64
	if p.ID != "" {
		id, err := strconv.ParseInt(p.ID, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("id %q: want a positive number", p.ID)
		}
		if c.byID[id] != nil {
			return nil, fmt.Errorf("id %s: %w", p.ID, ErrConflict)
		}
		want = id
	}
	created := p.Created
	if created.IsZero() {
		created = now
	}
	updated := p.Updated
	if updated.IsZero() {
		updated = created
	}
	author := p.Author
	if author == "" {
		author = "admin"
	}
	ct := &content{
		id: c.allocID(want), typ: typ, status: "current", space: sp, title: p.Title,
		version: 1, created: created, updated: updated, creator: author, updater: author,
		contribs: []string{author}, labels: normLabels(p.Labels), restricted: slices.Clone(p.Restricted),
		rgroups: slices.Clone(p.RestrictedGroups),
	}
	ct.setBody(p.Body)
	if p.SourceFile != "" {
		ct.props = map[string]string{"sourcefile": p.SourceFile}
	}
	if ct.isRestricted() {
		sp.restricted++
	}
	c.byID[ct.id] = ct
	switch {
	case typ == "comment":
		ct.parent = parent
		parent.comments = append(parent.comments, ct)
	case typ == "page" && parent != nil:
		ct.parent = parent
		ct.position = len(parent.children)
		parent.children = append(parent.children, ct)
	}
	if typ != "comment" {
		c.byTitle[titleKey(sp.key, ct.title)] = ct
	}
	sp.insert(ct)
	c.gen++
	return ct, nil
}

func normLabels(in []string) []string {
	var out []string
	for _, l := range in {
		l = strings.ToLower(strings.TrimSpace(l))
		if l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func (ct *content) setBody(b string) {
	ct.body = b
	ct.plain = storageText(b)
	ct.texts.reset()
}

// storageText extracts the readable text of storage XHTML (CDATA bodies included), one space
// between words.
func storageText(b string) string {
	var out strings.Builder
	out.Grow(len(b) / 2)
	text := func(t string) {
		if strings.IndexByte(t, '&') >= 0 {
			t = html.UnescapeString(t)
		}
		for _, w := range strings.Fields(t) {
			if out.Len() > 0 {
				out.WriteByte(' ')
			}
			out.WriteString(w)
		}
	}
	for len(b) > 0 {
		i := strings.IndexByte(b, '<')
		if i < 0 {
			text(b)
			break
		}
		text(b[:i])
		b = b[i:]
		if strings.HasPrefix(b, "<![CDATA[") {
			end := strings.Index(b, "]]>")
			if end < 0 {
				text(b[9:])
				break
			}
			// CDATA text is literal: no entity decoding.
			for _, w := range strings.Fields(b[9:end]) {
				if out.Len() > 0 {
					out.WriteByte(' ')
				}
				out.WriteString(w)
			}
			b = b[end+3:]
			continue
		}
		end := strings.IndexByte(b, '>')
		if end < 0 {
			break
		}
		b = b[end+1:]
	}
	return out.String()
}

func (ct *content) idStr() string { return strconv.FormatInt(ct.id, 10) }

// visibleTo reports whether user may see the content: restrictions apply to the page and are
// inherited by its descendants, comments and attachments. A restricted page is visible to the
// users it names and to the members of the groups it names.
func (ct *content) visibleTo(u *User) bool {
	if u.anonymous {
		return false
	}
	for p := ct; p != nil; p = p.parent {
		if !p.isRestricted() || slices.Contains(p.restricted, u.Name) {
			continue
		}
		if !slices.ContainsFunc(u.Groups, func(g string) bool { return slices.Contains(p.rgroups, g) }) {
			return false
		}
	}
	return true
}

// isRestricted reports whether the content itself carries a view restriction.
func (ct *content) isRestricted() bool { return len(ct.restricted) > 0 || len(ct.rgroups) > 0 }

func (ct *content) ancestors() []*content {
	if ct.typ == "comment" || ct.typ == "attachment" {
		return nil
	}
	var out []*content
	for p := ct.parent; p != nil; p = p.parent {
		out = append(out, p)
	}
	slices.Reverse(out)
	return out
}

// Values implements the query record contract for CQL.
func (ct *content) Values(field string) []string {
	switch field {
	case "space", "space.key":
		return ct.space.keyVals
	case "type":
		if v, ok := typeVals[ct.typ]; ok {
			return v
		}
		return []string{ct.typ}
	case "label", "labels":
		return ct.labels
	case "id", "content":
		return []string{ct.idStr()}
	case "title":
		return []string{ct.title}
	case "ancestor":
		var ids []string
		for _, a := range ct.ancestors() {
			ids = append(ids, a.idStr())
		}
		return ids
	case "parent", "container":
		if ct.parent != nil {
			return []string{ct.parent.idStr()}
		}
	case "creator":
		return []string{ct.creator}
	case "contributor":
		return ct.contribs
	}
	return nil
}

// Time implements the query record contract for CQL.
func (ct *content) Time(field string) (time.Time, bool) {
	switch field {
	case "lastmodified", "lastmodifieddate":
		return ct.updated, true
	case "created":
		return ct.created, true
	}
	return time.Time{}, false
}

// Text implements the query record contract for CQL.
func (ct *content) Text(field string) string {
	switch field {
	case "title":
		return ct.title
	case "text":
		return ct.title + " " + ct.plain
	}
	return ""
}

func (ct *content) toPage() Page {
	p := Page{ID: ct.idStr(), Type: ct.typ, Space: ct.space.key, Title: ct.title, Body: ct.body,
		Labels: slices.Clone(ct.labels), Author: ct.creator, Restricted: slices.Clone(ct.restricted),
		RestrictedGroups: slices.Clone(ct.rgroups), Created: ct.created, Updated: ct.updated, Version: ct.version}
	if ct.parent != nil {
		p.ParentID = ct.parent.idStr()
	}
	if ct.props != nil {
		p.SourceFile = ct.props["sourcefile"]
	}
	return p
}

func (c *confluence) get(id string) *content {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	ct := c.byID[n]
	if ct == nil || ct.status != "current" {
		return nil
	}
	return ct
}

func (c *confluence) trash(ct *content) {
	ct.status = "trashed"
	delete(c.byTitle, titleKey(ct.space.key, ct.title))
	c.unlink(ct)
	ct.space.pages = slices.DeleteFunc(ct.space.pages, func(x *content) bool { return x == ct })
	for _, ch := range append(slices.Clone(ct.children), ct.comments...) {
		if ch.typ == "comment" {
			c.trash(ch)
			continue
		}
		// Like Confluence, children of a deleted page move up to its parent.
		ch.parent = ct.parent
		if ct.parent != nil {
			ct.parent.children = append(ct.parent.children, ch)
		}
	}
	ct.children = nil
	for _, a := range ct.attachs {
		a.status = "trashed"
	}
	c.gen++
}

func (c *confluence) unlink(ct *content) {
	if ct.parent == nil {
		return
	}
	ct.parent.children = slices.DeleteFunc(ct.parent.children, func(x *content) bool { return x == ct })
	ct.parent.comments = slices.DeleteFunc(ct.parent.comments, func(x *content) bool { return x == ct })
}

// insert adds content keeping pages in id order; the caller holds the write lock. New ids are
// usually the largest, so this is an append.
func (sp *space) insert(ct *content) {
	n := len(sp.pages)
	if n == 0 || sp.pages[n-1].id < ct.id {
		sp.pages = append(sp.pages, ct)
		return
	}
	i, _ := slices.BinarySearchFunc(sp.pages, ct.id, func(x *content, id int64) int { return cmp.Compare(x.id, id) })
	sp.pages = slices.Insert(sp.pages, i, ct)
}

// sortedPages returns the space's content in id order; read-only for the caller.
func (sp *space) sortedPages() []*content { return sp.pages }

// AddPage stores a new page, blog post or comment and returns it with its id and version.
func (s *Sim) AddPage(p Page) (Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, err := s.conf.add(p, s.now())
	if err != nil {
		return Page{}, fmt.Errorf("sim: add page: %w", err)
	}
	return ct.toPage(), nil
}

// GetPage returns a page by id regardless of restrictions.
func (s *Sim) GetPage(id string) (Page, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ct := s.conf.get(id)
	if ct == nil {
		return Page{}, fmt.Errorf("sim: get page %s: %w", id, ErrNotFound)
	}
	return ct.toPage(), nil
}

// UpdatePage changes the title, body and labels of page p.ID (empty fields are kept) and moves its
// version and last-modified date forward.
func (s *Sim) UpdatePage(p Page) (Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct := s.conf.get(p.ID)
	if ct == nil {
		return Page{}, fmt.Errorf("sim: update page %s: %w", p.ID, ErrNotFound)
	}
	author := p.Author
	if author == "" {
		author = "admin"
	}
	if err := s.conf.update(ct, p.Title, &p.Body, author, s.now()); err != nil {
		return Page{}, fmt.Errorf("sim: update page %s: %w", p.ID, err)
	}
	if p.Labels != nil {
		ct.labels = normLabels(p.Labels)
	}
	return ct.toPage(), nil
}

// update applies a new title/body; body nil or empty keeps the old one.
// The version it replaces is kept for the version history.
func (c *confluence) update(ct *content, title string, body *string, author string, now time.Time) error {
	old := pageVersion{number: ct.version, by: ct.updater, message: ct.message, when: ct.updated, title: ct.title, body: ct.body}
	if title != "" && title != ct.title && ct.typ != "comment" {
		if other := c.byTitle[titleKey(ct.space.key, title)]; other != nil && other != ct {
			return fmt.Errorf("title %q: %w", title, ErrConflict)
		}
		delete(c.byTitle, titleKey(ct.space.key, ct.title))
		ct.title = title
		ct.texts.reset()
		c.byTitle[titleKey(ct.space.key, title)] = ct
	}
	ct.olds = append(ct.olds, old)
	ct.message = ""
	if body != nil && *body != "" {
		ct.setBody(*body)
	}
	ct.version++
	if !now.After(ct.updated) {
		now = ct.updated.Add(time.Millisecond)
	}
	ct.updated = now
	ct.updater = author
	if !slices.Contains(ct.contribs, author) {
		ct.contribs = append(ct.contribs, author)
	}
	c.gen++
	return nil
}

// DeletePage moves a page to the trash: later reads answer 404.
func (s *Sim) DeletePage(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct := s.conf.get(id)
	if ct == nil {
		return fmt.Errorf("sim: delete page %s: %w", id, ErrNotFound)
	}
	s.conf.trash(ct)
	return nil
}

// MovePage moves a page (and its subtree) to another space, under that space's home page.
func (s *Sim) MovePage(id, spaceKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct := s.conf.get(id)
	if ct == nil {
		return fmt.Errorf("sim: move page %s: %w", id, ErrNotFound)
	}
	sp := s.conf.spaces[spaceKey]
	if sp == nil {
		return fmt.Errorf("sim: move page %s: space %s: %w", id, spaceKey, ErrNotFound)
	}
	if err := s.conf.move(ct, sp, sp.homepage, s.now()); err != nil {
		return fmt.Errorf("sim: move page %s: %w", id, err)
	}
	return nil
}

func (c *confluence) move(ct *content, sp *space, parent *content, now time.Time) error {
	if ct.typ == "comment" {
		return fmt.Errorf("comments cannot move")
	}
	for p := parent; p != nil; p = p.parent {
		if p == ct {
			return fmt.Errorf("page cannot be its own ancestor: %w", ErrConflict)
		}
	}
	var subtree []*content
	var walk func(*content)
	walk = func(x *content) {
		subtree = append(subtree, x)
		for _, ch := range x.children {
			walk(ch)
		}
		subtree = append(subtree, x.comments...)
	}
	walk(ct)
	if sp != ct.space {
		for _, x := range subtree {
			if x.typ != "comment" && c.byTitle[titleKey(sp.key, x.title)] != nil {
				return fmt.Errorf("title %q exists in space %s: %w", x.title, sp.key, ErrConflict)
			}
		}
	}
	c.unlink(ct)
	for _, x := range subtree {
		old := x.space
		if old == sp {
			continue
		}
		for _, a := range x.attachs {
			a.space = sp
		}
		old.pages = slices.DeleteFunc(old.pages, func(y *content) bool { return y == x })
		if x.typ != "comment" {
			delete(c.byTitle, titleKey(old.key, x.title))
			c.byTitle[titleKey(sp.key, x.title)] = x
		}
		x.space = sp
		if x.isRestricted() {
			sp.restricted++
		}
		sp.insert(x)
	}
	ct.parent = parent
	if parent != nil {
		ct.position = len(parent.children)
		parent.children = append(parent.children, ct)
	}
	if now.After(ct.updated) {
		ct.updated = now
	}
	c.gen++
	return nil
}

// RestrictPage limits viewing of a page (and its descendants) to the given users; no users lifts
// the restriction of users (a group restriction stays).
func (s *Sim) RestrictPage(id string, users ...string) error {
	return s.restrict(id, func(ct *content) { ct.restricted = slices.Clone(users) })
}

// RestrictPageToGroups limits viewing of a page (and its descendants) to the members of the given
// groups (see User.Groups), besides the users RestrictPage named; no groups lifts the group
// restriction.
func (s *Sim) RestrictPageToGroups(id string, groups ...string) error {
	return s.restrict(id, func(ct *content) { ct.rgroups = slices.Clone(groups) })
}

func (s *Sim) restrict(id string, set func(*content)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct := s.conf.get(id)
	if ct == nil {
		return fmt.Errorf("sim: restrict page %s: %w", id, ErrNotFound)
	}
	set(ct)
	ct.space.restricted++ // never decremented: a stale count only costs the fast path
	s.conf.gen++
	return nil
}

// AddAttachment attaches a file (metadata only) to a page.
func (s *Sim) AddAttachment(pageID, fileName, mediaType string, size int64) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct := s.conf.get(pageID)
	if ct == nil {
		return "", fmt.Errorf("sim: add attachment to %s: %w", pageID, ErrNotFound)
	}
	now := s.now()
	at := &content{id: s.conf.allocID(0), typ: "attachment", status: "current", space: ct.space,
		title: fileName, parent: ct, version: 1, created: now, updated: now, creator: "admin",
		updater: "admin", contribs: []string{"admin"}, mediaType: mediaType, fileSize: size}
	s.conf.byID[at.id] = at
	ct.attachs = append(ct.attachs, at)
	s.conf.gen++
	return at.idStr(), nil
}

// PageCount returns the number of current pages and blog posts in a space.
func (s *Sim) PageCount(spaceKey string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sp := s.conf.spaces[spaceKey]
	if sp == nil {
		return 0
	}
	n := 0
	for _, p := range sp.pages {
		if p.typ == "page" || p.typ == "blogpost" {
			n++
		}
	}
	return n
}

// SourceFile returns the file an imported page came from.
func (s *Sim) SourceFile(pageID string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ct := s.conf.get(pageID)
	if ct == nil || ct.props == nil {
		return "", false
	}
	f, ok := ct.props["sourcefile"]
	return f, ok
}

// AddSpace creates an empty global space with a generated home page; it fails when the key is
// taken or not made of letters and digits.
func (s *Sim) AddSpace(key, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conf.spaces[key] != nil {
		return fmt.Errorf("sim: add space %s: %w", key, ErrConflict)
	}
	if _, err := s.conf.addSpace(key, name, s.now(), "admin", true); err != nil {
		return fmt.Errorf("sim: add space: %w", err)
	}
	return nil
}

// ArchiveSpace archives a space: the space list leaves it out unless asked for status=archived.
func (s *Sim) ArchiveSpace(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.conf.spaces[key]
	if sp == nil {
		return fmt.Errorf("sim: archive space %s: %w", key, ErrNotFound)
	}
	sp.archived = true
	s.conf.gen++
	return nil
}
