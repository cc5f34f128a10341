package sim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// jiraPeopleRoutes serves Jira's user search: GET user/search (any user)
// and user/assignable/search (those who may be assigned an issue or in a
// project), both a bare array of user objects, as Jira Server/DC answers.
func (s *Sim) jiraPeopleRoutes(m *http.ServeMux, api string) {
	m.HandleFunc("GET "+api+"user/search", s.withUser(s.searchJiraUsers))
	m.HandleFunc("GET "+api+"user/assignable/search", s.withUser(s.searchJiraUsers))
}

func (s *Sim) searchJiraUsers(w http.ResponseWriter, r *http.Request, u *User) {
	q := r.URL.Query()
	query := strings.ToLower(strings.TrimSpace(q.Get("username")))
	assignable := strings.HasSuffix(r.URL.Path, "/assignable/search")
	if !assignable && query == "" {
		jiraError(w, http.StatusBadRequest, "The username query parameter was not provided")
		return
	}
	start, _ := strconv.Atoi(q.Get("startAt"))
	max, err := strconv.Atoi(q.Get("maxResults"))
	if err != nil || max <= 0 || max > 1000 {
		max = 50
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if assignable {
		switch key, proj := q.Get("issueKey"), q.Get("project"); {
		case key != "":
			if s.jira.byKey[strings.ToUpper(key)] == nil {
				issueNotFound(w)
				return
			}
		case proj != "":
			if s.jira.projects[strings.ToUpper(proj)] == nil {
				jiraError(w, http.StatusNotFound, "No project could be found with key '"+proj+"'.")
				return
			}
		default:
			jiraError(w, http.StatusBadRequest, "You must specify a project or issue key to search for assignable users.")
			return
		}
	}
	names := make([]string, 0, len(s.jira.people))
	for name := range s.jira.people {
		if s.userMatches(name, query) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	c := s.jiraCtx(r, u)
	out := []any{}
	for i := start; i < len(names) && len(out) < max; i++ {
		out = append(out, c.userJSON(names[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

// userMatches is Jira's user search: the query starts the user name, a
// word of the display name, or the e-mail address (case-insensitively).
func (s *Sim) userMatches(name, query string) bool {
	if query == "" {
		return true
	}
	email := name + "@example.com"
	if u := s.users[name]; u != nil && u.Email != "" {
		email = u.Email
	}
	if strings.HasPrefix(strings.ToLower(name), query) || strings.HasPrefix(strings.ToLower(email), query) {
		return true
	}
	display := strings.ToLower(s.jira.people[name])
	if strings.HasPrefix(display, query) {
		return true
	}
	for _, w := range strings.Fields(display) {
		if strings.HasPrefix(w, query) {
			return true
		}
	}
	return false
}
