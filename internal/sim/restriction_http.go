package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
)

// restrictionsOf answers GET …/restriction/byOperation/{op}: one operation, users and groups
// expanded.
func (s *Sim) restrictionsOf(w http.ResponseWriter, r *http.Request, c *confCtx, ct *content) {
	op := r.PathValue("op")
	all := c.restrictionsJSON(ct, parseExpand("read.restrictions.user,read.restrictions.group,update.restrictions.user,update.restrictions.group"))
	o, ok := all[op].(obj)
	if !ok {
		confError(w, http.StatusBadRequest, "Operation key not recognized: "+op+" (want read or update)")
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// restrictionIn is one operation of a PUT …/restriction body. Users and groups come inline
// (arrays) or in the paged shape of the GET answer ({"results": [...]}).
type restrictionIn struct {
	Operation    string `json:"operation"`
	Restrictions struct {
		User  subjects `json:"user"`
		Group subjects `json:"group"`
	} `json:"restrictions"`
}

type subject struct {
	Type     string `json:"type"`
	Username string `json:"username"`
	UserKey  string `json:"userKey"`
	Name     string `json:"name"` // a group's
}

// subjects reads an array of users or groups, or a page of them.
type subjects []subject

func (l *subjects) UnmarshalJSON(b []byte) error {
	var list []subject
	if err := json.Unmarshal(b, &list); err == nil {
		*l = list
		return nil
	}
	var page struct {
		Results []subject `json:"results"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		return fmt.Errorf("want an array of users or groups, or {\"results\": [...]}: %w", err)
	}
	*l = page.Results
	return nil
}

// readRestrictions reads the body: an array of operations, or the object keyed by operation that
// GET …/restriction/byOperation answers.
func readRestrictions(r io.Reader) ([]restrictionIn, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, err
	}
	var list []restrictionIn
	if err := json.Unmarshal(b, &list); err == nil {
		return list, nil
	}
	var byOp map[string]json.RawMessage
	if err := json.Unmarshal(b, &byOp); err != nil {
		return nil, fmt.Errorf("want an array of {operation, restrictions} or the byOperation object: %w", err)
	}
	for op, raw := range byOp {
		if op != "read" && op != "update" {
			continue // _links, _expandable
		}
		var in restrictionIn
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		in.Operation = op
		list = append(list, in)
	}
	return list, nil
}

// putRestrictions replaces the content's restrictions with the body (an operation left out loses
// its restrictions), as Confluence DC's PUT …/restriction does. It creates no new version: the
// content's lastmodified stays. Only a user who may edit the content may call it.
func (s *Sim) putRestrictions(w http.ResponseWriter, r *http.Request, u *User) {
	ops, err := readRestrictions(r.Body)
	if err != nil {
		confError(w, http.StatusBadRequest, "Could not parse request body: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	ct := s.visible(id, u)
	if ct == nil {
		notFoundContent(w, id)
		return
	}
	if !ct.editableBy(u) {
		confError(w, http.StatusForbidden, "Not permitted to edit the restrictions of content "+id)
		return
	}
	byKey := map[string]string{}
	for name := range s.users {
		byKey[(&confCtx{s: s}).userKey(name)] = name
	}
	var read, readG, upd, updG []string
	for _, op := range ops {
		var users, groups []string
		for _, x := range op.Restrictions.User {
			name := x.Username
			if name == "" {
				name = byKey[x.UserKey]
			}
			if s.users[name] == nil {
				confError(w, http.StatusBadRequest, fmt.Sprintf("No user found with username %q or key %q", x.Username, x.UserKey))
				return
			}
			users = append(users, name)
		}
		for _, g := range op.Restrictions.Group {
			if g.Name == "" {
				confError(w, http.StatusBadRequest, "A group restriction needs a name")
				return
			}
			groups = append(groups, g.Name)
		}
		switch op.Operation {
		case "read":
			read, readG = users, groups
		case "update":
			upd, updG = users, groups
		default:
			confError(w, http.StatusBadRequest, "Operation key not recognized: "+op.Operation+" (want read or update)")
			return
		}
	}
	ct.restricted, ct.rgroups, ct.editors, ct.egroups = read, readG, upd, updG
	ct.space.restricted++
	s.conf.gen++
	c := s.confCtx(r, u)
	o := c.restrictionsJSON(ct, parseExpand("read.restrictions.user,read.restrictions.group,update.restrictions.user,update.restrictions.group"))
	writeJSON(w, http.StatusOK, o)
}

// editableBy reports whether u may edit ct: it may see it, and no update restriction of it or an
// ancestor leaves u out.
func (ct *content) editableBy(u *User) bool {
	if u.anonymous || !ct.visibleTo(u) {
		return false
	}
	for p := ct; p != nil; p = p.parent {
		if len(p.editors) == 0 && len(p.egroups) == 0 || slices.Contains(p.editors, u.Name) {
			continue
		}
		if !slices.ContainsFunc(u.Groups, func(g string) bool { return slices.Contains(p.egroups, g) }) {
			return false
		}
	}
	return true
}
