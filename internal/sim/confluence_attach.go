package sim

import (
	"bytes"
	"net/http"
	"strconv"
)

// This file serves Confluence attachment upload (POST content/{id}/child/attachment, multipart,
// refused without X-Atlassian-Token: no-check) and download (/download/attachments/{page}/{name}).

// maxConfluenceAttachment is Confluence's default attachment size limit (100 MB).
const maxConfluenceAttachment = 100 << 20

func (s *Sim) confluenceAttachmentRoutes(m *http.ServeMux, api string) {
	m.HandleFunc("POST "+api+"content/{id}/child/attachment", s.withUser(s.addConfluenceAttachments))
	m.HandleFunc("GET /confluence/download/attachments/{page}/{name}", s.withUser(s.downloadConfluenceAttachment))
}

func (s *Sim) addConfluenceAttachments(w http.ResponseWriter, r *http.Request, u *User) {
	if r.Header.Get("X-Atlassian-Token") != "no-check" {
		confError(w, http.StatusForbidden, "XSRF check failed")
		return
	}
	files, msg, code := readUploads(r, maxConfluenceAttachment)
	if msg != "" {
		confError(w, code, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	ct := s.visible(id, u)
	if ct == nil || ct.typ != "page" && ct.typ != "blogpost" {
		notFoundContent(w, id)
		return
	}
	for _, f := range files {
		for _, at := range ct.attachs {
			if at.title == f.name {
				confError(w, http.StatusBadRequest, "Cannot add a new attachment with same file name as an existing attachment: "+f.name)
				return
			}
		}
	}
	c := s.confCtx(r, u)
	out := []any{}
	now := s.now()
	for _, f := range files {
		at := &content{id: s.conf.allocID(0), typ: "attachment", status: "current", space: ct.space,
			title: f.name, parent: ct, version: 1, created: now, updated: now, creator: u.Name,
			updater: u.Name, contribs: []string{u.Name}, mediaType: f.mime, fileSize: int64(len(f.data)), data: f.data}
		s.conf.byID[at.id] = at
		ct.attachs = append(ct.attachs, at)
		out = append(out, c.contentJSON(at, parseExpand("version,container"), false))
	}
	s.conf.gen++
	writeJSON(w, http.StatusOK, obj{"results": out, "size": len(out), "_links": obj{"base": c.base, "context": c.context}})
}

func (s *Sim) downloadConfluenceAttachment(w http.ResponseWriter, r *http.Request, u *User) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	page := s.visible(r.PathValue("page"), u)
	if page == nil {
		http.NotFound(w, r)
		return
	}
	for _, at := range page.attachs {
		if at.title != r.PathValue("name") || at.status != "current" {
			continue
		}
		data := at.data
		if data == nil {
			// A metadata-only attachment (AddAttachment) downloads as filler of its size.
			data = bytes.Repeat([]byte("x"), int(min(at.fileSize, 1<<20)))
		}
		w.Header().Set("Content-Type", at.mediaType)
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data)
		return
	}
	http.NotFound(w, r)
}
