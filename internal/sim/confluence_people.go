package sim

import (
	"net/http"
	"slices"
)

// groupMembers serves GET /rest/api/group/{name}/member: a page of user
// objects (default and most 200 a page), as Confluence Server/DC lists a
// group. Accounts are members of the groups in User.Groups; the people
// without an account (authors of generated issues and pages) are in
// confluence-users, the group every Confluence user is added to.
func (s *Sim) groupMembers(w http.ResponseWriter, r *http.Request, u *User) {
	group := r.PathValue("name")
	start, limit, err := paging(r, 200, 200)
	if err != nil {
		confError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	known := group == "confluence-users"
	var names []string
	for name := range s.jira.people {
		acct := s.users[name]
		if acct == nil {
			if group == "confluence-users" {
				names = append(names, name)
			}
			continue
		}
		if slices.Contains(acct.Groups, group) {
			names = append(names, name)
		}
	}
	for _, a := range s.users {
		known = known || slices.Contains(a.Groups, group)
	}
	if !known {
		confError(w, http.StatusNotFound, "No group found with name : "+group)
		return
	}
	slices.Sort(names)
	c := s.confCtx(r, u)
	res := []any{}
	for i := start; i < len(names) && len(res) < limit; i++ {
		o := c.userJSON(names[i])
		o["displayName"] = s.jira.people[names[i]]
		res = append(res, o)
	}
	writeJSON(w, http.StatusOK, c.page(r, res, start, limit, start+len(res) < len(names) && limit > 0))
}

// confPeopleRoutes serves the user lists of Confluence.
func (s *Sim) confPeopleRoutes(m *http.ServeMux, api string) {
	m.HandleFunc("GET "+api+"group/{name}/member", s.withUser(s.groupMembers))
}
