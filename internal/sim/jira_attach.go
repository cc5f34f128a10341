package sim

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"
)

// This file serves Jira attachments: upload as multipart (POST issue/{key}/attachments, which
// Jira refuses without X-Atlassian-Token: no-check), metadata (GET attachment/{id}) and the file
// (GET /secure/attachment/{id}/{name}).

// maxJiraAttachment is Jira's default attachment size limit (10 MB).
const maxJiraAttachment = 10 << 20

type jattachment struct {
	id       int64
	filename string
	mime     string
	author   string
	created  time.Time
	content  []byte
	issue    *issue
}

func (s *Sim) jiraAttachmentRoutes(m *http.ServeMux, api string) {
	m.HandleFunc("POST "+api+"issue/{key}/attachments", s.withUser(s.addJiraAttachments))
	m.HandleFunc("GET "+api+"attachment/{id}", s.withUser(s.getJiraAttachment))
	m.HandleFunc("GET /jira/secure/attachment/{id}/{name}", s.withUser(s.downloadJiraAttachment))
}

func (c *jiraCtx) attachmentJSON(a *jattachment) obj {
	id := strconv.FormatInt(a.id, 10)
	return obj{"self": c.api("attachment/" + id), "id": id, "filename": a.filename, "author": c.userJSON(a.author),
		"created": jiraDate(a.created), "size": len(a.content), "mimeType": a.mime, "properties": obj{},
		"content":   c.base + "/secure/attachment/" + id + "/" + url.PathEscape(a.filename),
		"thumbnail": c.base + "/secure/thumbnail/" + id + "/_thumb_" + id + ".png"}
}

func (s *Sim) addJiraAttachments(w http.ResponseWriter, r *http.Request, u *User) {
	if r.Header.Get("X-Atlassian-Token") != "no-check" {
		jiraError(w, http.StatusForbidden, "XSRF check failed")
		return
	}
	files, msg, code := readUploads(r, maxJiraAttachment)
	if msg != "" {
		jiraError(w, code, msg)
		return
	}
	is := s.lockIssue(w, r, u)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	c := s.jiraCtx(r, u)
	out := []any{}
	for _, f := range files {
		a := &jattachment{id: s.jira.subID(), filename: f.name, mime: f.mime, author: u.Name, created: s.now(), content: f.data, issue: is}
		is.attachments = append(is.attachments, a)
		s.jira.attachments[a.id] = a
		out = append(out, c.attachmentJSON(a))
	}
	is.touch(s.now())
	s.jira.gen++
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) attachmentOf(w http.ResponseWriter, r *http.Request, u *User) *jattachment {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	a := s.jira.attachments[id]
	if a == nil || !s.canSeeIssue(u, a.issue) {
		jiraError(w, http.StatusNotFound, "The attachment with id '"+r.PathValue("id")+"' does not exist")
		return nil
	}
	return a
}

func (s *Sim) getJiraAttachment(w http.ResponseWriter, r *http.Request, u *User) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a := s.attachmentOf(w, r, u); a != nil {
		writeJSON(w, http.StatusOK, s.jiraCtx(r, u).attachmentJSON(a))
	}
}

func (s *Sim) downloadJiraAttachment(w http.ResponseWriter, r *http.Request, u *User) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.attachmentOf(w, r, u)
	if a == nil {
		return
	}
	w.Header().Set("Content-Type", a.mime)
	w.Header().Set("Content-Length", strconv.Itoa(len(a.content)))
	w.WriteHeader(http.StatusOK)
	w.Write(a.content)
}

// upload is one file of a multipart attachment upload.
type upload struct {
	name, mime string
	data       []byte
}

// readUploads reads the "file" parts of a multipart upload, as Jira and Confluence take them,
// refusing a file over max bytes. On failure it returns the message and the status to answer.
func readUploads(r *http.Request, max int64) ([]upload, string, int) {
	r.Body = http.MaxBytesReader(nil, r.Body, max+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "The request is not multipart/form-data: " + err.Error(), http.StatusBadRequest
	}
	var files []upload
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "The multipart request is broken: " + err.Error(), http.StatusBadRequest
		}
		if p.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p, max+1))
		if err != nil {
			return nil, err.Error(), http.StatusBadRequest
		}
		if int64(len(data)) > max {
			return nil, fmt.Sprintf("The file '%s' is larger than the attachment size limit of %d MB.", p.FileName(), max>>20), http.StatusRequestEntityTooLarge
		}
		mt := p.Header.Get("Content-Type")
		if mt == "" || mt == "application/octet-stream" {
			if byExt := mime.TypeByExtension(path.Ext(p.FileName())); byExt != "" {
				mt = byExt
			} else {
				mt = http.DetectContentType(data)
			}
		}
		files = append(files, upload{p.FileName(), mt, data})
	}
	if len(files) == 0 {
		return nil, "No file was sent: the form field must be named 'file'.", http.StatusBadRequest
	}
	return files, "", 0
}
