package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Sim) confluenceRoutes(m *http.ServeMux) {
	const api = "/confluence/rest/api/"
	m.HandleFunc("GET "+api+"space", s.withUser(s.listSpaces))
	m.HandleFunc("GET "+api+"space/{key}", s.withUser(s.getSpace))
	m.HandleFunc("GET "+api+"content", s.withUser(s.listContent))
	m.HandleFunc("POST "+api+"content", s.withUser(s.createContent))
	m.HandleFunc("GET "+api+"content/search", s.withUser(s.contentSearch))
	m.HandleFunc("GET "+api+"search", s.withUser(s.siteSearch))
	m.HandleFunc("GET "+api+"content/{id}", s.withUser(s.onContent(s.getContent)))
	m.HandleFunc("PUT "+api+"content/{id}", s.withUser(s.updateContent))
	m.HandleFunc("DELETE "+api+"content/{id}", s.withUser(s.deleteContent))
	m.HandleFunc("GET "+api+"content/{id}/child/{kind}", s.withUser(s.onContent(s.childContent)))
	s.confluenceAttachmentRoutes(m, api)
	m.HandleFunc("GET "+api+"content/{id}/label", s.withUser(s.onContent(s.getLabels)))
	m.HandleFunc("POST "+api+"content/{id}/label", s.withUser(s.addLabels))
	m.HandleFunc("GET "+api+"content/{id}/property", s.withUser(s.onContent(s.listProperties)))
	m.HandleFunc("GET "+api+"content/{id}/property/{key}", s.withUser(s.onContent(s.getProperty)))
	m.HandleFunc("GET "+api+"user/current", s.withUser(s.currentUser))
	m.HandleFunc("GET "+api+"user", s.withUser(s.getConfUser))
	m.HandleFunc("GET "+api+"user/memberof", s.withUser(s.memberOf))
	s.confPeopleRoutes(m, api)
	m.HandleFunc("GET "+api+"content/{id}/child", s.withUser(s.onContent(s.allChildren)))
	m.HandleFunc("GET "+api+"content/{id}/history", s.withUser(s.onContent(s.contentHistory)))
	m.HandleFunc("GET "+api+"content/{id}/version", s.withUser(s.onContent(s.contentVersions)))
	m.HandleFunc("GET /confluence/rest/experimental/content/{id}/version", s.withUser(s.onContent(s.contentVersions)))
	m.HandleFunc("GET "+api+"content/{id}/restriction/byOperation", s.withUser(s.onContent(s.restrictions)))
	m.HandleFunc("GET "+api+"content/{id}/restriction/byOperation/{op}", s.withUser(s.onContent(s.restrictionsOf)))
	// Confluence 8/9 set restrictions here; older versions under /rest/experimental.
	m.HandleFunc("PUT "+api+"content/{id}/restriction", s.withUser(s.putRestrictions))
	m.HandleFunc("PUT /confluence/rest/experimental/content/{id}/restriction", s.withUser(s.putRestrictions))
	m.HandleFunc("/confluence/", s.withUser(func(w http.ResponseWriter, r *http.Request, _ *User) {
		confError(w, http.StatusNotFound, "null for uri: "+r.URL.String())
	}))
}

// paging reads start/limit with Confluence's defaults (0, 25) and caps limit silently.
func paging(r *http.Request, def, max int) (start, limit int, err error) {
	q := r.URL.Query()
	start, limit = 0, def
	if v := q.Get("start"); v != "" {
		if start, err = strconv.Atoi(v); err != nil || start < 0 {
			return 0, 0, fmt.Errorf("start %q: must be a non-negative integer", v)
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			return 0, 0, fmt.Errorf("limit %q: must be a non-negative integer", v)
		}
	}
	if limit > max {
		limit = max
	}
	return start, limit, nil
}

// nextLink rebuilds the request's path and query (relative to base) with start moved on.
func nextLink(r *http.Request, prefix string, start, limit int) string {
	q := r.URL.Query()
	q.Set("start", strconv.Itoa(start+limit))
	q.Set("limit", strconv.Itoa(limit))
	return strings.TrimPrefix(r.URL.Path, prefix) + "?" + q.Encode()
}

func (c *confCtx) page(r *http.Request, results []any, start, limit int, more bool) obj {
	self := c.base + strings.TrimPrefix(r.URL.Path, "/confluence")
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	links := obj{"self": self, "base": c.base, "context": c.context}
	if more {
		step := limit
		if c.s.opts.QuirkNextStart {
			// DC builds the link from the limit asked for, not the one it applied.
			if asked, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && asked > limit {
				step = asked
			}
		}
		links["next"] = nextLink(r, "/confluence", start, step)
	}
	if start > 0 {
		prev := max(start-limit, 0)
		q := r.URL.Query()
		q.Set("start", strconv.Itoa(prev))
		links["prev"] = strings.TrimPrefix(r.URL.Path, "/confluence") + "?" + q.Encode()
	}
	return obj{"results": results, "start": start, "limit": limit, "size": len(results), "_links": links}
}

func (s *Sim) listSpaces(w http.ResponseWriter, r *http.Request, u *User) {
	start, limit, err := paging(r, 25, 500)
	if err != nil {
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	q := r.URL.Query()
	keys := q["spaceKey"]
	typ := q.Get("type")
	// Archived spaces are left out unless asked for.
	archived := q.Get("status") == "archived"
	e := parseExpand(q.Get("expand"))
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.confCtx(r, u)
	var all []*space
	for _, sp := range s.conf.spaceList {
		if u.anonymous {
			break
		}
		if len(keys) > 0 && !slices.Contains(keys, sp.key) {
			continue
		}
		if typ != "" && typ != sp.typ || sp.archived != archived {
			continue
		}
		all = append(all, sp)
	}
	res := []any{}
	for i := start; i < len(all) && len(res) < limit; i++ {
		res = append(res, c.spaceJSON(all[i], e))
	}
	writeJSON(w, http.StatusOK, c.page(r, res, start, limit, start+len(res) < len(all) && limit > 0))
}

func (s *Sim) getSpace(w http.ResponseWriter, r *http.Request, u *User) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sp := s.conf.spaces[r.PathValue("key")]
	if sp == nil || u.anonymous {
		confError(w, http.StatusNotFound, "No space with key : "+r.PathValue("key"))
		return
	}
	c := s.confCtx(r, u)
	o := c.spaceJSON(sp, parseExpand(r.URL.Query().Get("expand")))
	o["_links"].(obj)["base"] = c.base
	o["_links"].(obj)["context"] = c.context
	writeJSON(w, http.StatusOK, o)
}

func notFoundContent(w http.ResponseWriter, id string) {
	confError(w, http.StatusNotFound, "No content found with id: ContentId{id="+id+"}")
}

// visible returns the content with that id if the user may see it.
// onContent adapts h, a read of one piece of content: under the read lock it
// finds content {id} and answers Confluence's 404 when it does not exist or
// the user cannot see it.
func (s *Sim) onContent(h func(w http.ResponseWriter, r *http.Request, c *confCtx, ct *content)) func(http.ResponseWriter, *http.Request, *User) {
	return func(w http.ResponseWriter, r *http.Request, u *User) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		id := r.PathValue("id")
		ct := s.visible(id, u)
		if ct == nil {
			notFoundContent(w, id)
			return
		}
		h(w, r, s.confCtx(r, u), ct)
	}
}

func (s *Sim) visible(id string, u *User) *content {
	ct := s.conf.get(id)
	if ct == nil || !ct.visibleTo(u) {
		return nil
	}
	return ct
}

func (s *Sim) getContent(w http.ResponseWriter, r *http.Request, c *confCtx, ct *content) {
	id := r.PathValue("id")
	q := r.URL.Query()
	st := q.Get("status")
	e := parseExpand(q.Get("expand"))
	if n, err := strconv.Atoi(q.Get("version")); err == nil && n != ct.version && (strings.Contains(st, "historical") || strings.Contains(st, "any")) {
		// An older version: Confluence answers it as the content with that
		// version's title, body and version, status still "current" and
		// history.latest false (see content_get.historical_* in the samples).
		for _, v := range ct.olds {
			if v.number == n {
				writeJSON(w, http.StatusOK, c.historicalJSON(ct, v, e))
				return
			}
		}
		notFoundContent(w, id)
		return
	}
	if st != "" && !strings.Contains(st, "current") && !strings.Contains(st, "any") && !strings.Contains(st, "historical") {
		notFoundContent(w, id)
		return
	}
	writeJSON(w, http.StatusOK, c.contentJSON(ct, e, true))
}

// contentVersions lists the versions of a content, newest first, shaped as
// GET /rest/experimental/content/{id}/version answers.
func (s *Sim) contentVersions(w http.ResponseWriter, r *http.Request, c *confCtx, ct *content) {
	start, limit, err := paging(r, 200, 200)
	if err != nil {
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	all := []any{c.versionJSON(ct)}
	for i := len(ct.olds) - 1; i >= 0; i-- {
		all = append(all, c.versionObj(ct, ct.olds[i]))
	}
	end := min(start+limit, len(all))
	start = min(start, end)
	o := obj{"results": all[start:end], "start": start, "limit": limit, "size": end - start,
		"_links": obj{"self": c.base + strings.TrimPrefix(r.URL.Path, "/confluence"), "base": c.base, "context": c.context}}
	if end < len(all) {
		o["_links"].(obj)["next"] = nextLink(r, "/confluence", start, limit)
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Sim) listContent(w http.ResponseWriter, r *http.Request, u *User) {
	q := r.URL.Query()
	e := parseExpand(q.Get("expand"))
	start, limit, err := contentPaging(r, e)
	if err != nil {
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	typ := q.Get("type")
	if typ == "" {
		typ = "page"
	}
	if typ != "page" && typ != "blogpost" {
		confError(w, http.StatusBadRequest, "Content type "+typ+" is not supported for this operation. Supported types are page and blogpost")
		return
	}
	key, title := q.Get("spaceKey"), q.Get("title")
	s.mu.RLock()
	defer s.mu.RUnlock()
	var cands []*content
	switch {
	case title != "" && key != "":
		if ct := s.conf.byTitle[titleKey(key, title)]; ct != nil && ct.title == title {
			cands = []*content{ct}
		}
	case key != "":
		if sp := s.conf.spaces[key]; sp != nil {
			cands = sp.sortedPages()
		}
	default:
		for _, sp := range s.conf.spaceList {
			cands = append(cands, sp.sortedPages()...)
		}
	}
	c := s.confCtx(r, u)
	res := []any{}
	skipped, more := 0, false
	for _, ct := range cands {
		if ct.typ != typ || !ct.visibleTo(u) || (title != "" && ct.title != title) {
			continue
		}
		if skipped < start {
			skipped++
			continue
		}
		if len(res) >= limit {
			more = true
			break
		}
		res = append(res, c.contentJSON(ct, e, false))
	}
	writeJSON(w, http.StatusOK, c.page(r, res, start, limit, more))
}

// runCQL evaluates a CQL query for a user, caching the ordered hits until the next write.
func (s *Sim) runCQL(cql string, u *User) ([]*content, *query, error) {
	env := queryEnv{Now: s.now(), Location: u.TimeZone, CurrentUser: u.Name}
	// DC's site search field; package ql does not know it, and it searches what text does.
	q, err := parseQuery(dialectCQL, siteSearchRE.ReplaceAllString(cql, "${1}text${2}"), env)
	if err != nil {
		return nil, nil, err
	}
	c := s.conf
	key := u.Name + "\x00" + cql
	c.cacheMu.Lock()
	hit, ok := c.cache[key]
	c.cacheMu.Unlock()
	if ok && hit.gen == c.gen && !mentionsNow(cql) {
		return hit.results, q, nil
	}
	var out []*content
	idOf := func(c *content) int64 { return c.id }
	scan := func(list []*content) {
		for _, ct := range list {
			if (ct.space.restricted == 0 && !u.anonymous || ct.visibleTo(u)) && q.match(ct, env) {
				out = append(out, ct)
			}
		}
	}
	var scope []*space
	if k := singleSpace(cql); k != "" {
		if sp := c.spaces[k]; sp != nil {
			scope = []*space{sp}
		}
	} else {
		scope = c.spaceList
	}
	terms := q.orderBy()
	if len(terms) == 1 && isDateField(terms[0].Field) {
		list := byDate(&c.orders, c.gen, cql, terms[0], "lastmodified", u.TimeZone, scope,
			func(sp *space) string { return sp.key }, func(sp *space) []*content { return sp.pages }, idOf)
		scan(list)
	} else {
		for _, sp := range scope {
			scan(sp.sortedPages())
		}
		sortRecords(out, terms, idOf, false)
	}
	c.cacheMu.Lock()
	if len(c.cache) > 256 {
		clear(c.cache)
	}
	c.cache[key] = cachedSearch{gen: c.gen, results: out}
	c.cacheMu.Unlock()
	return out, q, nil
}

var (
	siteSearchRE = regexp.MustCompile(`(?i)(^|[\s(])siteSearch(\s*!?~)`)
	spaceEqRE    = regexp.MustCompile(`(?i)^\s*\(?\s*space(?:\.key)?\s*=\s*"?([A-Za-z0-9~]+)"?`)
	orNotRE      = regexp.MustCompile(`(?i)\bor\b|\bnot\b|!=|\|\||!`)
	nowFuncRE    = regexp.MustCompile(`(?i)now\s*\(|startof|endof|currentuser|"-\d|'-\d|[=<>]\s*-\d`)
	textTermRE   = regexp.MustCompile(`(?i)\b(?:text|title|siteSearch)\s*~\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^\s()]+))`)
)

// singleSpace finds "space = KEY" leading a query without OR/NOT, so only that space is scanned.
// The query is still evaluated on every candidate, so this only narrows the scan.
func singleSpace(cql string) string {
	m := spaceEqRE.FindStringSubmatch(cql)
	if m == nil || orNotRE.MatchString(cql) {
		return ""
	}
	return m[1]
}

// mentionsNow reports queries whose result moves with the clock, which must not be cached.
func mentionsNow(q string) bool { return nowFuncRE.MatchString(q) }

func (s *Sim) contentSearch(w http.ResponseWriter, r *http.Request, u *User) {
	q := r.URL.Query()
	cql := q.Get("cql")
	if strings.TrimSpace(cql) == "" {
		confError(w, http.StatusBadRequest, "CQL query parameter is required")
		return
	}
	e := parseExpand(q.Get("expand"))
	start, limit, err := contentPaging(r, e)
	if err != nil {
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	hits, _, err := s.runCQL(cql, u)
	if err != nil {
		confError(w, http.StatusBadRequest, queryMessage(err))
		return
	}
	c := s.confCtx(r, u)
	res := []any{}
	for i := start; i < len(hits) && len(res) < limit; i++ {
		res = append(res, c.contentJSON(hits[i], e, false))
	}
	out := c.page(r, res, start, limit, start+len(res) < len(hits) && limit > 0)
	out["totalSize"] = len(hits)
	out["cqlQuery"] = cql
	out["searchDuration"] = 1
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) siteSearch(w http.ResponseWriter, r *http.Request, u *User) {
	began := time.Now()
	q := r.URL.Query()
	cql := q.Get("cql")
	if strings.TrimSpace(cql) == "" {
		confError(w, http.StatusBadRequest, "CQL query parameter is required")
		return
	}
	start, limit, err := paging(r, 25, 100)
	if err != nil {
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	excerpt := q.Get("excerpt")
	if excerpt == "" {
		excerpt = "highlight"
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	hits, _, err := s.runCQL(cql, u)
	if err != nil {
		confError(w, http.StatusBadRequest, queryMessage(err))
		return
	}
	terms := searchTerms(cql)
	c := s.confCtx(r, u)
	now := s.now()
	res := []any{}
	for i := start; i < len(hits) && len(res) < limit; i++ {
		ct := hits[i]
		cj := c.contentJSON(ct, expansion{}, false)
		cj["restrictions"] = obj{}
		title, ex := ct.title, ""
		switch excerpt {
		case "highlight":
			title = highlight(ct.title, terms)
			ex = highlight(excerptOf(ct.plain, terms), terms)
		case "indexed", "highlight_unescaped":
			ex = excerptOf(ct.plain, terms)
		}
		res = append(res, obj{
			"content":               cj,
			"title":                 title,
			"excerpt":               ex,
			"url":                   c.webui(ct),
			"resultGlobalContainer": obj{"title": ct.space.name, "displayUrl": "/display/" + ct.space.key},
			"breadcrumbs":           []any{},
			"entityType":            "content",
			"iconCssClass":          "aui-icon content-type-" + ct.typ,
			"lastModified":          confDate(ct.updated),
			"friendlyLastModified":  friendlyDate(ct.updated, now),
		})
	}
	out := c.page(r, res, start, limit, start+len(res) < len(hits) && limit > 0)
	out["totalSize"] = len(hits)
	out["cqlQuery"] = cql
	out["searchDuration"] = time.Since(began).Milliseconds()
	writeJSON(w, http.StatusOK, out)
}

// searchTerms lists the lower-case words of the query's ~ clauses, for highlighting.
func searchTerms(cql string) []string {
	var out []string
	for _, m := range textTermRE.FindAllStringSubmatch(cql, -1) {
		for _, w := range strings.FieldsFunc(strings.ToLower(m[1]+" "+m[2]+" "+m[3]), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
		}) {
			if len(w) > 1 && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

const hlStart, hlEnd = "@@@hl@@@", "@@@endhl@@@"

// highlight wraps each word starting with a search term in Confluence's highlight markers.
func highlight(text string, terms []string) string {
	if len(terms) == 0 {
		return text
	}
	var b strings.Builder
	i := 0
	for i < len(text) {
		j := i
		for j < len(text) && isWordByte(text[j]) {
			j++
		}
		if j == i {
			b.WriteByte(text[i])
			i++
			continue
		}
		word := text[i:j]
		lw := strings.ToLower(word)
		hit := false
		for _, t := range terms {
			if strings.HasPrefix(lw, t) {
				hit = true
				break
			}
		}
		if hit {
			b.WriteString(hlStart + word + hlEnd)
		} else {
			b.WriteString(word)
		}
		i = j
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// excerptOf returns about 240 bytes of text around the first search term.
func excerptOf(text string, terms []string) string {
	lt := strings.ToLower(text)
	at := 0
	for _, t := range terms {
		if i := strings.Index(lt, t); i >= 0 && (at == 0 || i < at) {
			at = i
		}
	}
	// Lower-casing can change byte lengths; the index only needs to be near the term.
	at = min(at, len(text))
	from := max(at-80, 0)
	for from > 0 && from < len(text) && text[from] != ' ' {
		from--
	}
	to := min(from+240, len(text))
	for to < len(text) && text[to] != ' ' {
		to++
	}
	ex := strings.TrimSpace(text[from:to])
	if from > 0 {
		ex = "..." + ex
	}
	if to < len(text) {
		ex += "..."
	}
	return ex
}

func friendlyDate(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just a moment ago"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 24*time.Hour && t.Day() == now.Day():
		return "about " + strconv.Itoa(int(d.Hours())) + " hours ago"
	case t.Year() == now.Year():
		return t.Format("Jan 02")
	}
	return t.Format("Jan 02, 2006")
}

func (s *Sim) childContent(w http.ResponseWriter, r *http.Request, c *confCtx, ct *content) {
	kind := r.PathValue("kind")
	if kind != "page" && kind != "comment" && kind != "attachment" {
		confError(w, http.StatusNotFound, "null for uri: "+r.URL.String())
		return
	}
	q := r.URL.Query()
	e := parseExpand(q.Get("expand"))
	start, limit, err := contentPaging(r, e)
	if err != nil {
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	var all []*content
	if kind == "comment" && q.Get("depth") == "all" {
		var walk func(*content)
		walk = func(x *content) {
			for _, cm := range c.visibleChildren(x, "comment") {
				all = append(all, cm)
				walk(cm)
			}
		}
		walk(ct)
	} else {
		all = c.visibleChildren(ct, kind)
	}
	if kind == "attachment" {
		if fn := q.Get("filename"); fn != "" {
			all = slices.DeleteFunc(slices.Clone(all), func(a *content) bool { return a.title != fn })
		}
	}
	res := []any{}
	for i := start; i < len(all) && len(res) < limit; i++ {
		res = append(res, c.contentJSON(all[i], e, false))
	}
	writeJSON(w, http.StatusOK, c.page(r, res, start, limit, start+len(res) < len(all) && limit > 0))
}

func (s *Sim) getLabels(w http.ResponseWriter, r *http.Request, c *confCtx, ct *content) {
	id := r.PathValue("id")
	start, limit, err := paging(r, 200, 200)
	if err != nil {
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	o := c.labelsJSON(ct, start, limit, c.base+"/rest/api/content/"+id+"/label")
	o["_links"].(obj)["base"] = c.base
	o["_links"].(obj)["context"] = c.context
	writeJSON(w, http.StatusOK, o)
}

type labelIn struct {
	Prefix string `json:"prefix"`
	Name   string `json:"name"`
}

func (s *Sim) addLabels(w http.ResponseWriter, r *http.Request, u *User) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		confError(w, http.StatusBadRequest, "could not read request body: "+err.Error())
		return
	}
	var in []labelIn
	if err := json.Unmarshal(raw, &in); err != nil {
		var one labelIn
		if err2 := json.Unmarshal(raw, &one); err2 != nil {
			confError(w, http.StatusBadRequest, "Could not parse labels: want [{\"prefix\":\"global\",\"name\":\"x\"}]: "+err.Error())
			return
		}
		in = []labelIn{one}
	}
	for _, l := range in {
		if l.Name == "" || strings.ContainsAny(l.Name, " :!#&()*,.;<>?@[]^") {
			confError(w, http.StatusBadRequest, "Label name '"+l.Name+"' is not valid")
			return
		}
		if l.Prefix != "" && l.Prefix != "global" && l.Prefix != "my" && l.Prefix != "team" {
			confError(w, http.StatusBadRequest, "Invalid label prefix: "+l.Prefix)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	ct := s.visible(id, u)
	if ct == nil {
		notFoundContent(w, id)
		return
	}
	names := slices.Clone(ct.labels)
	for _, l := range in {
		names = append(names, l.Name)
	}
	ct.labels = normLabels(names)
	s.conf.gen++
	c := s.confCtx(r, u)
	o := c.labelsJSON(ct, 0, 200, c.base+"/rest/api/content/"+id+"/label")
	writeJSON(w, http.StatusOK, o)
}

func (c *confCtx) propertyJSON(ct *content, k, v string) obj {
	return obj{
		"id":    labelID(ct.idStr() + "/" + k),
		"key":   k,
		"value": obj{"value": v},
		"version": obj{"when": confDate(ct.created), "message": "", "number": 1, "minorEdit": false,
			"hidden": true},
		"_links": obj{"self": c.base + "/rest/api/content/" + ct.idStr() + "/property/" + k},
		"_expandable": obj{
			"content": "/rest/api/content/" + ct.idStr(),
		},
	}
}

func (s *Sim) listProperties(w http.ResponseWriter, r *http.Request, c *confCtx, ct *content) {
	keys := make([]string, 0, len(ct.props))
	for k := range ct.props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	res := []any{}
	for _, k := range keys {
		res = append(res, c.propertyJSON(ct, k, ct.props[k]))
	}
	writeJSON(w, http.StatusOK, c.page(r, res, 0, 10, false))
}

func (s *Sim) getProperty(w http.ResponseWriter, r *http.Request, c *confCtx, ct *content) {
	id := r.PathValue("id")
	k := r.PathValue("key")
	v, ok := ct.props[k]
	if !ok {
		confError(w, http.StatusNotFound, "Cannot find property '"+k+"' on content with id: "+id)
		return
	}
	writeJSON(w, http.StatusOK, c.propertyJSON(ct, k, v))
}

func (s *Sim) getConfUser(w http.ResponseWriter, r *http.Request, u *User) {
	c := s.confCtx(r, u)
	q := r.URL.Query()
	name := q.Get("username")
	// People without an account (see groupMembers) are users too.
	if k := q.Get("key"); k != "" {
		for n := range s.jira.people {
			if c.userKey(n) == k {
				name = n
			}
		}
		if name == "" {
			confError(w, http.StatusNotFound, "No user found with key : "+k)
			return
		}
	}
	if name == "" {
		confError(w, http.StatusBadRequest, "A username or key is required")
		return
	}
	display, ok := s.jira.people[name]
	if !ok {
		confError(w, http.StatusNotFound, "No user found with username : "+name)
		return
	}
	o := c.userJSON(name)
	o["displayName"] = display
	writeJSON(w, http.StatusOK, o)
}

func (s *Sim) allChildren(w http.ResponseWriter, r *http.Request, c *confCtx, ct *content) {
	o := c.childrenJSON(ct, parseExpand(r.URL.Query().Get("expand")))
	o["_links"].(obj)["base"] = c.base
	o["_links"].(obj)["context"] = c.context
	writeJSON(w, http.StatusOK, o)
}

func (s *Sim) contentHistory(w http.ResponseWriter, r *http.Request, c *confCtx, ct *content) {
	e := parseExpand(r.URL.Query().Get("expand"))
	writeJSON(w, http.StatusOK, c.historyJSON(ct, e))
}

// restrictions answers /restriction/byOperation: who may read (the page's own restriction; ones
// inherited from ancestors are not listed, as in Confluence) and update.
func (s *Sim) restrictions(w http.ResponseWriter, r *http.Request, c *confCtx, ct *content) {
	o := c.restrictionsJSON(ct, parseExpand("read.restrictions.user,read.restrictions.group,update.restrictions.user,update.restrictions.group"))
	o["_links"] = obj{"self": c.base + "/rest/api/content/" + ct.idStr() + "/restriction/byOperation", "base": c.base, "context": c.context}
	writeJSON(w, http.StatusOK, o)
}

func (s *Sim) currentUser(w http.ResponseWriter, r *http.Request, u *User) {
	c := s.confCtx(r, u)
	o := c.userJSON(u.Name)
	if u.anonymous {
		// Confluence's anonymous user object: no username or key (see the perceval sample).
		o = obj{"type": "anonymous", "displayName": "Anonymous", "profilePicture": obj{
			"path": c.context + "/images/icons/profilepics/anonymous.png", "width": 48, "height": 48, "isDefault": true,
		}, "_links": obj{}}
	}
	o["_links"].(obj)["base"] = c.base
	o["_links"].(obj)["context"] = c.context
	writeJSON(w, http.StatusOK, o)
}

// contentIn is the body of POST/PUT content.
type contentIn struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status string `json:"status"`
	Space  *struct {
		Key string `json:"key"`
	} `json:"space"`
	Container *struct {
		ID   json.Number `json:"id"`
		Type string      `json:"type"`
	} `json:"container"`
	Ancestors []struct {
		ID json.Number `json:"id"`
	} `json:"ancestors"`
	Body *struct {
		Storage *struct {
			Value          string `json:"value"`
			Representation string `json:"representation"`
		} `json:"storage"`
	} `json:"body"`
	Version *struct {
		Number  int    `json:"number"`
		Message string `json:"message"`
	} `json:"version"`
	Metadata *struct {
		Labels []labelIn `json:"labels"`
	} `json:"metadata"`
}

func readContentIn(r *http.Request) (*contentIn, error) {
	dec := json.NewDecoder(io.LimitReader(r.Body, 32<<20))
	dec.UseNumber()
	var in contentIn
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("Could not parse request body: %v", err)
	}
	return &in, nil
}

var writeExpand = parseExpand("body.storage,history,space,container.history,container.version,version,ancestors")

func (s *Sim) createContent(w http.ResponseWriter, r *http.Request, u *User) {
	in, err := readContentIn(r)
	if err != nil {
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	if in.Type == "" {
		in.Type = "page"
	}
	p := Page{Type: in.Type, Title: in.Title, Author: u.Name}
	if in.Space != nil {
		p.Space = in.Space.Key
	}
	if in.Body != nil && in.Body.Storage != nil {
		if rep := in.Body.Storage.Representation; rep != "" && rep != "storage" {
			confError(w, http.StatusBadRequest, "Unsupported representation: "+rep)
			return
		}
		p.Body = in.Body.Storage.Value
	}
	switch in.Type {
	case "comment":
		if in.Container == nil || in.Container.ID == "" {
			confError(w, http.StatusBadRequest, "A comment must have a container")
			return
		}
		p.ParentID = in.Container.ID.String()
	case "page", "blogpost":
		if p.Space == "" {
			confError(w, http.StatusBadRequest, "Could not create content with type "+in.Type+": space is required")
			return
		}
		if strings.TrimSpace(p.Title) == "" {
			confError(w, http.StatusBadRequest, "Cannot create content with an empty title")
			return
		}
		if len(in.Ancestors) > 0 && in.Type == "page" {
			p.ParentID = in.Ancestors[len(in.Ancestors)-1].ID.String()
		}
	default:
		confError(w, http.StatusBadRequest, "Unsupported content type: "+in.Type)
		return
	}
	if in.Metadata != nil {
		for _, l := range in.Metadata.Labels {
			p.Labels = append(p.Labels, l.Name)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ParentID != "" && s.visible(p.ParentID, u) == nil {
		notFoundContent(w, p.ParentID)
		return
	}
	if p.Type != "comment" && s.conf.spaces[p.Space] == nil {
		confError(w, http.StatusNotFound, "No space found with key : "+p.Space)
		return
	}
	ct, err := s.conf.add(p, s.now())
	switch {
	case errors.Is(err, ErrConflict) && p.Type != "comment" && s.conf.byTitle[titleKey(p.Space, p.Title)] != nil:
		confError(w, http.StatusBadRequest, duplicateTitle(p.Title, p.Space))
		return
	case err != nil:
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.confCtx(r, u).contentJSON(ct, writeExpand, true))
}

func (s *Sim) updateContent(w http.ResponseWriter, r *http.Request, u *User) {
	in, err := readContentIn(r)
	if err != nil {
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	ct := s.visible(id, u)
	if ct == nil {
		notFoundContent(w, id)
		return
	}
	// A page the user may read but whose update restrictions (its own or an
	// ancestor's) leave them out is refused, as the server refuses it; a
	// comment's edit is not governed by its page's restrictions.
	if ct.typ != "comment" && !ct.editableBy(u) {
		confError(w, http.StatusForbidden, "User not permitted to edit content with id "+id)
		return
	}
	if in.Version == nil {
		confError(w, http.StatusBadRequest, "Must supply an incremented version when updating Content. No version supplied.")
		return
	}
	if in.Version.Number != ct.version+1 {
		confError(w, http.StatusConflict, "Version must be incremented on update. Current version is: "+strconv.Itoa(ct.version))
		return
	}
	if in.Type != "" && in.Type != ct.typ {
		confError(w, http.StatusBadRequest, "Cannot change content type from "+ct.typ+" to "+in.Type)
		return
	}
	if in.Title == "" && ct.typ != "comment" {
		confError(w, http.StatusBadRequest, "Title is required to update content")
		return
	}
	// Space and parent moves first, so a clash leaves the page untouched.
	target, parent := ct.space, ct.parent
	if in.Space != nil && in.Space.Key != "" && in.Space.Key != ct.space.key {
		target = s.conf.spaces[in.Space.Key]
		if target == nil {
			confError(w, http.StatusNotFound, "No space found with key : "+in.Space.Key)
			return
		}
		parent = target.homepage
	}
	if len(in.Ancestors) > 0 && ct.typ == "page" {
		aid := in.Ancestors[len(in.Ancestors)-1].ID.String()
		parent = s.visible(aid, u)
		if parent == nil {
			notFoundContent(w, aid)
			return
		}
		if parent.space != target {
			confError(w, http.StatusBadRequest, "Ancestor "+aid+" is not in space "+target.key)
			return
		}
	}
	if in.Title != "" && in.Title != ct.title || target != ct.space {
		title := in.Title
		if title == "" {
			title = ct.title
		}
		if other := s.conf.byTitle[titleKey(target.key, title)]; other != nil && other != ct {
			confError(w, http.StatusBadRequest, duplicateTitle(title, target.key))
			return
		}
	}
	if (target != ct.space || parent != ct.parent) && ct.typ != "comment" {
		if err := s.conf.move(ct, target, parent, s.now()); err != nil {
			confError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	var body *string
	if in.Body != nil && in.Body.Storage != nil {
		body = &in.Body.Storage.Value
	}
	if err := s.conf.update(ct, in.Title, body, u.Name, s.now()); err != nil {
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	ct.message = in.Version.Message
	out := s.confCtx(r, u).contentJSON(ct, writeExpand, true)
	if ct.message == "" {
		delete(out["version"].(obj), "message") // an update without a message omits the key
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) deleteContent(w http.ResponseWriter, r *http.Request, u *User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	ct := s.visible(id, u)
	if ct == nil {
		notFoundContent(w, id)
		return
	}
	s.conf.trash(ct)
	w.WriteHeader(http.StatusNoContent)
}

// duplicateTitle is Confluence's message for a title already used in a space.
func duplicateTitle(title, space string) string {
	return "A page with this title already exists: A page already exists with the title " + title + " in the space with key " + space
}

// contentPaging reads start and limit of a content listing, capping limit
// silently as Data Center does: 50 when bodies are expanded, 200 otherwise.
func contentPaging(r *http.Request, e expansion) (start, limit int, err error) {
	maxLimit := 200
	if e["body"] {
		maxLimit = 50
	}
	return paging(r, 25, maxLimit)
}
