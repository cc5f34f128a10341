package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// remoteLink is a web link of an issue ("remote issue link").
type remoteLink struct {
	id                  int64
	url, title, summary string
	relationship        string
}

// jiraRemoteLinkRoutes serves an issue's web links: GET (a bare array)
// and POST (201 with the new link's id and self) of
// issue/{key}/remotelink.
func (s *Sim) jiraRemoteLinkRoutes(m *http.ServeMux, api string) {
	m.HandleFunc("GET "+api+"issue/{key}/remotelink", s.withUser(s.onIssue(s.listRemoteLinks)))
	m.HandleFunc("POST "+api+"issue/{key}/remotelink", s.withUser(s.addRemoteLink))
}

func (s *Sim) listRemoteLinks(w http.ResponseWriter, r *http.Request, c *jiraCtx, is *issue) {
	out := []any{}
	for _, l := range is.remote {
		id := strconv.FormatInt(l.id, 10)
		obj1 := obj{"url": l.url, "title": l.title, "icon": obj{}, "status": obj{"icon": obj{}}}
		if l.summary != "" {
			obj1["summary"] = l.summary
		}
		o := obj{"id": l.id, "self": c.api("issue/" + is.key + "/remotelink/" + id), "application": obj{}, "object": obj1}
		if l.relationship != "" {
			o["relationship"] = l.relationship
		}
		out = append(out, o)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) addRemoteLink(w http.ResponseWriter, r *http.Request, u *User) {
	var in struct {
		Relationship string `json:"relationship"`
		Object       struct {
			URL     string `json:"url"`
			Title   string `json:"title"`
			Summary string `json:"summary"`
		} `json:"object"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		jiraError(w, http.StatusBadRequest, "Unrecognized request body: "+err.Error())
		return
	}
	errs := map[string]string{}
	if u, err := url.Parse(in.Object.URL); in.Object.URL == "" || err != nil || u.Scheme == "" {
		errs["url"] = "'url' is required and must be a valid URL."
	}
	if strings.TrimSpace(in.Object.Title) == "" {
		errs["title"] = "'title' is required."
	}
	if len(errs) > 0 {
		jiraFieldErrors(w, errs)
		return
	}
	is := s.lockIssue(w, r, u)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	l := remoteLink{id: s.jira.subID(), url: in.Object.URL, title: in.Object.Title, summary: in.Object.Summary, relationship: in.Relationship}
	is.remote = append(is.remote, l)
	is.touch(s.now())
	s.jira.gen++
	id := strconv.FormatInt(l.id, 10)
	writeJSON(w, http.StatusCreated, obj{"id": l.id, "self": s.jiraCtx(r, u).api("issue/" + is.key + "/remotelink/" + id)})
}
