package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// jiraVersionRoutes serves a project's versions and components (bare
// arrays, as Jira Server/DC answers) and the creation of a version.
func (s *Sim) jiraVersionRoutes(m *http.ServeMux, api string) {
	m.HandleFunc("GET "+api+"project/{key}/versions", s.withUser(s.onProject(s.listVersions)))
	m.HandleFunc("GET "+api+"project/{key}/components", s.withUser(s.onProject(s.listComponents)))
	m.HandleFunc("POST "+api+"version", s.withUser(s.createVersion))
}

// projectVersionJSON is a version as the project's version list gives it:
// the release date also in the user's format ("20/Mar/15"), both only
// when there is one.
func (c *jiraCtx) projectVersionJSON(p *project, v jversion) obj {
	o := c.versionJSON(p, v)
	if v.date == "" {
		delete(o, "releaseDate")
	} else if d, err := time.Parse("2006-01-02", v.date); err == nil {
		o["userReleaseDate"] = d.Format("02/Jan/06")
	}
	return o
}

func (s *Sim) listVersions(w http.ResponseWriter, r *http.Request, c *jiraCtx, p *project) {
	out := []any{}
	for _, v := range p.versions {
		out = append(out, c.projectVersionJSON(p, v))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) listComponents(w http.ResponseWriter, r *http.Request, c *jiraCtx, p *project) {
	out := []any{}
	for _, cp := range p.components {
		o := c.componentJSON(p, cp.name)
		o["assigneeType"], o["isAssigneeTypeValid"] = "PROJECT_DEFAULT", false
		o["project"], o["projectId"] = p.key, p.id
		out = append(out, o)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) createVersion(w http.ResponseWriter, r *http.Request, u *User) {
	var in struct {
		Name        string      `json:"name"`
		Project     string      `json:"project"`
		ProjectID   json.Number `json:"projectId"`
		Description string      `json:"description"`
		ReleaseDate string      `json:"releaseDate"`
		Released    bool        `json:"released"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		jiraError(w, http.StatusBadRequest, "Unrecognized request body: "+err.Error())
		return
	}
	errs := map[string]string{}
	if strings.TrimSpace(in.Name) == "" {
		errs["name"] = "You must specify a valid version name"
	}
	if in.ReleaseDate != "" {
		if _, err := time.Parse("2006-01-02", in.ReleaseDate); err != nil {
			errs["releaseDate"] = "Please enter the date in the following format: d/MMM/yy"
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projectByKeyOrID(in.Project)
	if p == nil && in.ProjectID != "" {
		p = s.projectByKeyOrID(in.ProjectID.String())
	}
	if p == nil {
		errs["project"] = "Project must be specified to create a version."
	}
	if p != nil && in.Name != "" {
		for _, v := range p.versions {
			if strings.EqualFold(v.name, in.Name) {
				errs["name"] = "A version with this name already exists in this project."
			}
		}
	}
	if len(errs) > 0 {
		jiraFieldErrors(w, errs)
		return
	}
	v := jversion{id: s.jira.subID(), name: in.Name, released: in.Released, date: in.ReleaseDate}
	p.versions = append(p.versions, v)
	s.jira.gen++
	o := s.jiraCtx(r, u).projectVersionJSON(p, v)
	if in.Description != "" {
		o["description"] = in.Description
	}
	o["self"] = s.jiraCtx(r, u).api("version/" + strconv.FormatInt(v.id, 10))
	writeJSON(w, http.StatusCreated, o)
}

// onProject adapts h, a read of project {key} (by key or id): under the
// read lock it finds the project, or answers Jira's 404.
func (s *Sim) onProject(h func(w http.ResponseWriter, r *http.Request, c *jiraCtx, p *project)) func(http.ResponseWriter, *http.Request, *User) {
	return func(w http.ResponseWriter, r *http.Request, u *User) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		p := s.projectByKeyOrID(r.PathValue("key"))
		if p == nil || u.anonymous {
			jiraError(w, http.StatusNotFound, "No project could be found with key '"+r.PathValue("key")+"'.")
			return
		}
		h(w, r, s.jiraCtx(r, u), p)
	}
}
