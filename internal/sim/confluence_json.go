package sim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// obj is a JSON object under construction.
type obj = map[string]any

// confDateLayout is Confluence's date format, e.g. 2021-09-03T10:09:57.427+02:00.
const confDateLayout = "2006-01-02T15:04:05.000Z07:00"

func confDate(t time.Time) string { return t.Format(confDateLayout) }

// confCtx carries what every Confluence response needs: base URL, context path, caller.
type confCtx struct {
	s       *Sim
	base    string // e.g. http://127.0.0.1:4242/confluence
	context string // "/confluence"
	user    *User
}

func (s *Sim) confCtx(r *http.Request, u *User) *confCtx {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return &confCtx{s: s, base: scheme + "://" + r.Host + "/confluence", context: "/confluence", user: u}
}

// expansion is a parsed expand parameter ("body.storage,version,children.page").
type expansion map[string]bool

func parseExpand(v string) expansion {
	e := expansion{}
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		e[p] = true
		for i := strings.IndexByte(p, '.'); i > 0; i = nextDot(p, i) {
			e[p[:i]] = true
		}
	}
	return e
}

func nextDot(p string, i int) int {
	j := strings.IndexByte(p[i+1:], '.')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// sub returns the expansion below a prefix: "children.page.body" under "children.page" is "body".
func (e expansion) sub(prefix string) expansion {
	out := expansion{}
	for k := range e {
		if rest, ok := strings.CutPrefix(k, prefix+"."); ok {
			out[rest] = true
		}
	}
	return out
}

func (c *confCtx) userKey(name string) string {
	// A stable 32-hex-digit key, shaped like Confluence's user keys.
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	hex := fmt.Sprintf("%016x", h)
	return "8a7f808a" + hex[:8] + "018" + hex[3:16]
}

func (c *confCtx) userJSON(name string) obj {
	display := name
	if u := c.s.users[name]; u != nil {
		display = u.DisplayName
	}
	key := c.userKey(name)
	return obj{
		"type":     "known",
		"username": name,
		"userKey":  key,
		"profilePicture": obj{
			"path": c.context + "/images/icons/profilepics/default.svg", "width": 48, "height": 48,
			"isDefault": true,
		},
		"displayName": display,
		"_links":      obj{"self": c.base + "/rest/api/user?key=" + key},
		"_expandable": obj{"status": ""},
	}
}

func (c *confCtx) spaceJSON(sp *space, e expansion) obj {
	o := obj{
		"id":     sp.id,
		"key":    sp.key,
		"name":   sp.name,
		"type":   sp.typ,
		"_links": obj{"webui": "/display/" + sp.key, "self": c.base + "/rest/api/space/" + sp.key},
	}
	exp := obj{"metadata": "", "icon": "", "retentionPolicy": ""}
	if e["description"] || e["description.plain"] {
		o["description"] = obj{"plain": obj{"value": sp.desc, "representation": "plain",
			"embeddedContent": []any{}, "_expandable": obj{"webresource": ""}}, "_expandable": obj{"view": ""}}
	} else {
		exp["description"] = ""
	}
	if sp.homepage != nil {
		if e["homepage"] {
			o["homepage"] = c.contentJSON(sp.homepage, expansion{}, false)
		} else {
			exp["homepage"] = "/rest/api/content/" + sp.homepage.idStr()
		}
	}
	o["_expandable"] = exp
	return o
}

func (c *confCtx) webui(ct *content) string {
	switch ct.typ {
	case "blogpost":
		d := ct.created
		return "/display/" + ct.space.key + "/" + d.Format("2006/01/02") + "/" + url.PathEscape(ct.title)
	case "comment":
		if ct.parent != nil {
			return c.webui(ct.parent) + "?focusedCommentId=" + ct.idStr() + "#comment-" + ct.idStr()
		}
	case "attachment":
		if ct.parent != nil {
			return "/pages/viewpageattachments.action?pageId=" + ct.parent.idStr() + "&preview=%2F" +
				ct.parent.idStr() + "%2F" + ct.idStr() + "%2F" + url.PathEscape(ct.title)
		}
	}
	return "/display/" + ct.space.key + "/" + strings.ReplaceAll(url.QueryEscape(ct.title), "%20", "+")
}

func tinyui(id int64) string {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b []byte
	for n := id; n > 0; n /= 64 {
		b = append(b, digits[n%64])
	}
	return "/x/" + string(b)
}

// contentJSON renders one content item with only the expanded parts filled; top marks the
// top-level object of a response, which also carries base/context/collection links.
func (c *confCtx) contentJSON(ct *content, e expansion, top bool) obj {
	id := ct.idStr()
	self := c.base + "/rest/api/content/" + id
	o := obj{
		"id":     id,
		"type":   ct.typ,
		"status": ct.status,
		"title":  ct.title,
	}
	links := obj{"webui": c.webui(ct), "self": self}
	switch ct.typ {
	case "page", "blogpost":
		links["edit"] = "/pages/resumedraft.action?draftId=" + id
		links["tinyui"] = tinyui(ct.id)
		o["extensions"] = obj{"position": positionOf(ct)}
	case "comment":
		o["extensions"] = obj{"location": "footer", "_expandable": obj{"resolution": ""}}
	case "attachment":
		links["download"] = "/download/attachments/" + ct.parent.idStr() + "/" + url.PathEscape(ct.title) +
			"?version=" + strconv.Itoa(ct.version) + "&modificationDate=" + strconv.FormatInt(ct.updated.UnixMilli(), 10) + "&api=v2"
		o["metadata"] = obj{"mediaType": ct.mediaType, "labels": c.labelsJSON(ct, 0, 200, self+"/label"),
			"_expandable": obj{"currentuser": "", "properties": "", "frontend": "", "editorHtml": ""}}
		o["extensions"] = obj{"mediaType": ct.mediaType, "fileSize": ct.fileSize, "comment": ""}
	}
	if top {
		links["base"] = c.base
		links["context"] = c.context
		links["collection"] = "/rest/api/content"
	}
	o["_links"] = links

	exp := obj{}
	if ct.typ == "page" || ct.typ == "blogpost" {
		exp["operations"] = ""
		if e["restrictions"] {
			o["restrictions"] = c.restrictionsJSON(ct, e.sub("restrictions"))
		} else {
			exp["restrictions"] = "/rest/api/content/" + id + "/restriction/byOperation"
		}
		exp["descendants"] = "/rest/api/content/" + id + "/descendant"
	}
	if e["space"] {
		o["space"] = c.spaceJSON(ct.space, e.sub("space"))
	} else {
		exp["space"] = "/rest/api/space/" + ct.space.key
	}
	if e["container"] {
		if ct.parent != nil && (ct.typ == "comment" || ct.typ == "attachment") {
			o["container"] = c.contentJSON(ct.parent, e.sub("container"), false)
		} else {
			o["container"] = c.spaceJSON(ct.space, expansion{})
		}
	} else if ct.parent != nil && (ct.typ == "comment" || ct.typ == "attachment") {
		exp["container"] = "/rest/api/content/" + ct.parent.idStr()
	} else {
		exp["container"] = "/rest/api/space/" + ct.space.key
	}
	if e["version"] {
		o["version"] = c.versionJSON(ct)
	} else {
		exp["version"] = ""
	}
	if e["history"] {
		o["history"] = c.historyJSON(ct, e.sub("history"))
	} else {
		exp["history"] = "/rest/api/content/" + id + "/history"
	}
	if e["ancestors"] {
		anc := []any{}
		for _, a := range ct.ancestors() {
			// ancestors.restrictions.read.restrictions.user and the like expand in each.
			anc = append(anc, c.contentJSON(a, e.sub("ancestors"), false))
		}
		o["ancestors"] = anc
	} else {
		exp["ancestors"] = ""
	}
	if e["body"] {
		o["body"] = c.bodyJSON(ct, e.sub("body"))
	} else {
		exp["body"] = ""
	}
	if e["metadata"] && ct.typ != "attachment" {
		md := obj{}
		mexp := obj{"currentuser": "", "properties": "", "frontend": "", "editorHtml": ""}
		if e["metadata.labels"] {
			md["labels"] = c.labelsJSON(ct, 0, 200, self+"/label")
		} else {
			mexp["labels"] = ""
		}
		if e["metadata.properties"] {
			props := obj{}
			for k, v := range ct.props {
				props[k] = obj{"key": k, "value": obj{"value": v}}
			}
			md["properties"] = props
			delete(mexp, "properties")
		}
		md["_expandable"] = mexp
		o["metadata"] = md
	} else if ct.typ != "attachment" {
		exp["metadata"] = ""
	}
	if e["children"] {
		o["children"] = c.childrenJSON(ct, e.sub("children"))
	} else {
		exp["children"] = "/rest/api/content/" + id + "/child"
	}
	o["_expandable"] = exp
	return o
}

func positionOf(ct *content) any {
	if ct.parent == nil || ct.typ != "page" {
		return "none"
	}
	return ct.position
}

func (c *confCtx) versionJSON(ct *content) obj {
	return c.versionObj(ct, pageVersion{number: ct.version, by: ct.updater, when: ct.updated, message: ct.message})
}

// versionObj is version v of content ct.
func (c *confCtx) versionObj(ct *content, v pageVersion) obj {
	return obj{
		"by":        c.userJSON(v.by),
		"when":      confDate(v.when),
		"message":   v.message,
		"number":    v.number,
		"minorEdit": false,
		"hidden":    false,
		"_links":    obj{"self": c.base + "/rest/experimental/content/" + ct.idStr() + "/version/" + strconv.Itoa(v.number)},
		"_expandable": obj{
			"content": "/rest/api/content/" + ct.idStr(),
		},
	}
}

// historicalJSON is content ct as it was at version v: its title, storage
// body and version, and history.latest false.
func (c *confCtx) historicalJSON(ct *content, v pageVersion, e expansion) obj {
	o := c.contentJSON(ct, e, true)
	o["title"] = v.title
	if _, ok := o["version"]; ok {
		o["version"] = c.versionObj(ct, v)
	}
	if h, ok := o["history"].(obj); ok {
		h["latest"] = false
	}
	if b, ok := o["body"].(obj); ok {
		// Only the storage of an old version is kept; the sim renders no
		// other representation of it.
		if _, ok := b["storage"]; ok {
			b["storage"] = obj{"value": v.body, "representation": "storage", "_expandable": obj{"content": "/rest/api/content/" + ct.idStr()}}
		}
		delete(b, "view")
	}
	return o
}

func (c *confCtx) historyJSON(ct *content, e expansion) obj {
	o := obj{
		"latest":      true,
		"createdBy":   c.userJSON(ct.creator),
		"createdDate": confDate(ct.created),
		"_links":      obj{"self": c.base + "/rest/api/content/" + ct.idStr() + "/history"},
	}
	exp := obj{"previousVersion": "", "nextVersion": ""}
	if e["lastUpdated"] {
		o["lastUpdated"] = c.versionJSON(ct)
	} else {
		exp["lastUpdated"] = ""
	}
	if e["contributors"] {
		users := []any{}
		for _, u := range ct.contribs {
			users = append(users, c.userJSON(u))
		}
		o["contributors"] = obj{"publishers": obj{"users": users, "userKeys": []any{}}}
	} else {
		exp["contributors"] = ""
	}
	o["_expandable"] = exp
	return o
}

func (c *confCtx) bodyJSON(ct *content, e expansion) obj {
	o := obj{}
	exp := obj{"editor": "", "view": "", "export_view": "", "styled_view": "", "storage": "", "anonymous_export_view": ""}
	if e["storage"] {
		o["storage"] = obj{"value": ct.body, "representation": "storage",
			"_expandable": obj{"content": "/rest/api/content/" + ct.idStr()}}
		delete(exp, "storage")
	}
	for _, rep := range []string{"view", "export_view", "styled_view"} {
		if e[rep] {
			o[rep] = obj{"value": c.s.viewOf(ct, c.context), "representation": rep,
				"_expandable": obj{"webresource": "", "embeddedContent": "", "mediaToken": "",
					"content": "/rest/api/content/" + ct.idStr()}}
			delete(exp, rep)
		}
	}
	o["_expandable"] = exp
	return o
}

func (c *confCtx) labelsJSON(ct *content, start, limit int, self string) obj {
	res := []any{}
	for i, l := range ct.labels {
		if i < start || len(res) >= limit {
			continue
		}
		res = append(res, obj{"prefix": "global", "name": l, "id": labelID(l), "label": l})
	}
	return obj{"results": res, "start": start, "limit": limit, "size": len(res),
		"_links": obj{"self": self}}
}

func labelID(l string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(l); i++ {
		h ^= uint32(l[i])
		h *= 16777619
	}
	return strconv.FormatUint(uint64(h%90000000+1000000), 10)
}

func (c *confCtx) childrenJSON(ct *content, e expansion) obj {
	o := obj{"_links": obj{"self": c.base + "/rest/api/content/" + ct.idStr() + "/child"}}
	exp := obj{"attachment": "/rest/api/content/" + ct.idStr() + "/child/attachment",
		"comment": "/rest/api/content/" + ct.idStr() + "/child/comment",
		"page":    "/rest/api/content/" + ct.idStr() + "/child/page"}
	for _, kind := range []string{"page", "comment", "attachment"} {
		if !e[kind] {
			continue
		}
		delete(exp, kind)
		items := c.visibleChildren(ct, kind)
		res := []any{}
		for _, ch := range items {
			if len(res) >= 25 {
				break
			}
			res = append(res, c.contentJSON(ch, e.sub(kind), false))
		}
		o[kind] = obj{"results": res, "start": 0, "limit": 25, "size": len(res),
			"_links": obj{"self": c.base + "/rest/api/content/" + ct.idStr() + "/child/" + kind}}
	}
	o["_expandable"] = exp
	return o
}

func (c *confCtx) visibleChildren(ct *content, kind string) []*content {
	var src []*content
	switch kind {
	case "page":
		src = ct.children
	case "comment":
		src = ct.comments
	case "attachment":
		src = ct.attachs
	}
	out := make([]*content, 0, len(src))
	for _, ch := range src {
		if ch.status == "current" && ch.visibleTo(c.user) {
			out = append(out, ch)
		}
	}
	return out
}

// confError writes Confluence's error envelope.
func confError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, obj{
		"statusCode": code,
		"data":       obj{"authorized": false, "valid": true, "errors": []any{}, "successful": false},
		"message":    msg,
		"reason":     http.StatusText(code),
	})
}

// restrictionsJSON is the restrictions object of a content, by operation (read: the content's own
// view restriction, not inherited ones, as Confluence lists them; update: none), with the user
// and group lists e expands (e.g. "read.restrictions.user") and the others left expandable.
func (c *confCtx) restrictionsJSON(ct *content, e expansion) obj {
	id := ct.idStr()
	self := c.base + "/rest/api/content/" + id + "/restriction/byOperation"
	op := func(name string, users, groups []string) obj {
		page := func(list []any) obj {
			return obj{"results": list, "start": 0, "limit": 200, "size": len(list)}
		}
		rs, exp := obj{}, obj{}
		if e[name+".restrictions.user"] {
			res := []any{}
			for _, n := range users {
				res = append(res, c.userJSON(n))
			}
			rs["user"] = page(res)
		} else {
			exp["user"] = ""
		}
		if e[name+".restrictions.group"] {
			res := []any{}
			for _, g := range groups {
				res = append(res, obj{"type": "group", "name": g, "_links": obj{"self": c.base + "/rest/api/group/" + url.PathEscape(g)}})
			}
			rs["group"] = page(res)
		} else {
			exp["group"] = ""
		}
		if len(exp) > 0 {
			rs["_expandable"] = exp
		}
		return obj{
			"operation":    name,
			"restrictions": rs,
			"_expandable":  obj{"content": "/rest/api/content/" + id},
			"_links":       obj{"self": self + "/" + name},
		}
	}
	return obj{
		"read":        op("read", ct.restricted, ct.rgroups),
		"update":      op("update", ct.editors, ct.egroups),
		"_expandable": obj{},
		"_links":      obj{"self": self},
	}
}
