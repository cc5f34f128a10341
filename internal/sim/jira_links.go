package sim

import (
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// jiraLinkRoutes serves the creation and removal of issue links:
// POST issueLink (201, no body) and DELETE issueLink/{id} (204).
func (s *Sim) jiraLinkRoutes(m *http.ServeMux, api string) {
	m.HandleFunc("POST "+api+"issueLink", s.withUser(s.createLink))
	m.HandleFunc("DELETE "+api+"issueLink/{id}", s.withUser(s.deleteLink))
}

type linkRef struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

func (s *Sim) createLink(w http.ResponseWriter, r *http.Request, u *User) {
	var in struct {
		Type         linkRef `json:"type"`
		InwardIssue  linkRef `json:"inwardIssue"`
		OutwardIssue linkRef `json:"outwardIssue"`
		Comment      *struct {
			Body string `json:"body"`
		} `json:"comment"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&in); err != nil {
		jiraError(w, http.StatusBadRequest, "Unrecognized request body: "+err.Error())
		return
	}
	var typ *linkType
	for i, lt := range linkTypes {
		if lt.id == in.Type.ID || strings.EqualFold(lt.name, in.Type.Name) {
			typ = &linkTypes[i]
		}
	}
	if typ == nil {
		jiraError(w, http.StatusNotFound, "No issue link type with name '"+in.Type.Name+"' found.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	from, to := s.jira.lookup(cmp.Or(in.InwardIssue.Key, in.InwardIssue.ID)), s.jira.lookup(cmp.Or(in.OutwardIssue.Key, in.OutwardIssue.ID))
	if from == nil || to == nil {
		issueNotFound(w)
		return
	}
	if from == to {
		jiraError(w, http.StatusBadRequest, "You cannot link an issue to itself.")
		return
	}
	s.jira.link(*typ, from, to)
	if in.Comment != nil && strings.TrimSpace(in.Comment.Body) != "" {
		to.touch(s.now())
		to.comments = append(to.comments, &jcomment{id: s.jira.subID(), author: u.Name, updater: u.Name, body: in.Comment.Body,
			created: to.updated, updated: to.updated})
		to.refreshText()
	}
	w.WriteHeader(http.StatusCreated)
}

func (s *Sim) deleteLink(w http.ResponseWriter, r *http.Request, u *User) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		for _, is := range s.jira.byID {
			for _, l := range is.links {
				if l.id == id {
					s.jira.unlink(l)
					w.WriteHeader(http.StatusNoContent)
					return
				}
			}
		}
	}
	jiraError(w, http.StatusNotFound, "No issue link with id '"+r.PathValue("id")+"' exists.")
}
