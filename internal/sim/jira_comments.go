package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// jiraCommentRoutes serves the read of one comment and its edit: only its
// author may edit, as a user without "Edit All Comments".
func (s *Sim) jiraCommentRoutes(m *http.ServeMux, api string) {
	// issue/{key}/comment/{id} would clash with the more specific
	// issue/createmeta/{project}/issuetypes in ServeMux; this wider pattern
	// yields to it and serves the comment.
	m.HandleFunc("GET "+api+"issue/{key}/{sub}/{id}", s.withUser(func(w http.ResponseWriter, r *http.Request, u *User) {
		if r.PathValue("sub") != "comment" {
			jiraError(w, http.StatusNotFound, "null for uri: "+r.URL.String())
			return
		}
		s.onIssue(s.getComment)(w, r, u)
	}))
	m.HandleFunc("PUT "+api+"issue/{key}/comment/{id}", s.withUser(s.updateComment))
}

func (s *Sim) getComment(w http.ResponseWriter, r *http.Request, c *jiraCtx, is *issue) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for _, cm := range is.comments {
		if cm.id == id {
			writeJSON(w, http.StatusOK, c.commentJSON(is, cm, false))
			return
		}
	}
	jiraError(w, http.StatusNotFound, "Can not find a comment for the id: "+r.PathValue("id")+".")
}

func (s *Sim) updateComment(w http.ResponseWriter, r *http.Request, u *User) {
	in, ok := readCommentBody(w, r)
	if !ok {
		return
	}
	is := s.lockIssue(w, r, u)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for _, cm := range is.comments {
		if cm.id != id {
			continue
		}
		if cm.author != u.Name {
			jiraError(w, http.StatusForbidden, "You do not have the permission to edit this comment.")
			return
		}
		is.touch(s.now())
		cm.body, cm.updater, cm.updated = in.Body, u.Name, is.updated
		is.refreshText()
		s.jira.gen++
		writeJSON(w, http.StatusOK, s.jiraCtx(r, u).commentJSON(is, cm, false))
		return
	}
	jiraError(w, http.StatusNotFound, "Can not find a comment for the id: "+r.PathValue("id")+".")
}

// readCommentBody reads the body of a comment write, or answers Jira's
// error for a bad or empty one.
func readCommentBody(w http.ResponseWriter, r *http.Request) (commentIn, bool) {
	var in commentIn
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&in); err != nil {
		jiraError(w, http.StatusBadRequest, "Unrecognized request body: "+err.Error())
		return in, false
	}
	if strings.TrimSpace(in.Body) == "" {
		jiraFieldErrors(w, map[string]string{"comment": "Comment body can not be empty!"})
		return in, false
	}
	return in, true
}

// commentIn is the body of a comment write: its text and, optionally, who
// may see it (a group or a project role).
type commentIn struct {
	Body       string `json:"body"`
	Visibility *struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"visibility"`
}
