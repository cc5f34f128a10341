package sim

import (
	"net/http"
	"slices"
)

// memberOf answers GET /rest/api/user/memberof?username=: the groups a user
// is in, as a page of group objects (Confluence Server and Data Center,
// "User" resource). An anonymous caller is refused, as on a real server.
func (s *Sim) memberOf(w http.ResponseWriter, r *http.Request, u *User) {
	if u.anonymous {
		confError(w, http.StatusUnauthorized, "This resource requires authentication")
		return
	}
	name := r.URL.Query().Get("username")
	if name == "" {
		confError(w, http.StatusBadRequest, "A username is required")
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	member := s.users[name]
	if member == nil {
		confError(w, http.StatusNotFound, "No user found with username : "+name)
		return
	}
	c := s.confCtx(r, u)
	groups := slices.Sorted(slices.Values(member.Groups))
	results := make([]any, 0, len(groups))
	for _, g := range groups {
		results = append(results, obj{"type": "group", "name": g, "_links": obj{"self": c.base + "/rest/api/group/" + g}})
	}
	writeJSON(w, http.StatusOK, c.page(r, results, 0, max(200, len(results)), false))
}
