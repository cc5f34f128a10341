package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file serves Jira Software's agile REST (/rest/agile/1.0): boards, sprints in every state
// and the issues in them, and the Sprint and Epic Link custom fields of the platform REST.

// The custom field ids of Jira Software's Sprint and Epic Link fields on a typical DC install.
const (
	sprintFieldID = "customfield_10104"
	epicFieldID   = "customfield_10101"
)

type board struct {
	id        int64
	name, typ string // typ: "scrum" or "kanban"
	proj      *project
}

type sprint struct {
	id                    int64
	name, state, goal     string // state: "future", "active" or "closed"
	board                 *board
	start, end, completed time.Time
}

// seedAgile gives each project a scrum board with a closed, an active and a future sprint, and
// OPS a kanban board too, as a Jira Software site has.
func (j *jira) seedAgile(now time.Time) {
	for _, p := range j.projList {
		b := &board{id: int64(len(j.boards) + 1), name: p.key + " board", typ: "scrum", proj: p}
		j.boards = append(j.boards, b)
		day := 24 * time.Hour
		j.addSprint(&sprint{name: p.key + " Sprint 1", state: "closed", board: b,
			start: now.Add(-28 * day), end: now.Add(-14 * day), completed: now.Add(-14 * day)})
		j.addSprint(&sprint{name: p.key + " Sprint 2", state: "active", board: b, goal: "Ship what is planned",
			start: now.Add(-7 * day), end: now.Add(7 * day)})
		j.addSprint(&sprint{name: p.key + " Sprint 3", state: "future", board: b})
		if p.key == "OPS" {
			j.boards = append(j.boards, &board{id: int64(len(j.boards) + 1), name: "OPS kanban", typ: "kanban", proj: p})
		}
	}
}

func (j *jira) addSprint(sp *sprint) *sprint {
	sp.id = int64(len(j.sprints) + 1)
	j.sprints = append(j.sprints, sp)
	j.gen++
	return sp
}

// placeInSprints puts generated issues in their project's sprints: done work in the closed one,
// open work in the active one, some in the future one, the rest in the backlog.
func (j *jira) placeInSprints() {
	for _, sp := range j.sprints {
		for i, is := range sp.board.proj.issues {
			switch {
			case sp.state == "closed" && is.status.cat == 3 && i%2 == 0,
				sp.state == "active" && is.status.cat != 3 && i%3 == 0,
				sp.state == "future" && is.status.cat != 3 && i%3 == 1:
				is.sprints = append(is.sprints, sp)
			}
		}
	}
	j.gen++
}

func (j *jira) sprintByID(id int64) *sprint {
	if id <= 0 || id > int64(len(j.sprints)) {
		return nil
	}
	return j.sprints[id-1]
}

// moveToSprint puts is in sp (nil: the backlog), leaving the closed sprints it was in.
func (j *jira) moveToSprint(is *issue, sp *sprint, author string, now time.Time) {
	old := sprintNames(is.sprints)
	is.sprints = slices.DeleteFunc(is.sprints, func(x *sprint) bool { return x.state != "closed" })
	if sp != nil {
		is.sprints = append(is.sprints, sp)
	}
	is.touch(now)
	j.record(is, author, is.updated, change{field: "Sprint", fieldtype: "custom", fromString: old, toString: sprintNames(is.sprints)})
	j.gen++
}

func sprintNames(list []*sprint) string {
	names := make([]string, len(list))
	for i, sp := range list {
		names[i] = sp.name
	}
	return strings.Join(names, ", ")
}

// sprintValues are an issue's JQL values for sprint: ids and names.
func (is *issue) sprintValues() []string {
	var out []string
	for _, sp := range is.sprints {
		out = append(out, strconv.FormatInt(sp.id, 10), sp.name)
	}
	return out
}

// sprintFieldJSON is the Sprint custom field as Jira Server's platform REST serialises it.
func sprintFieldJSON(is *issue) any {
	if len(is.sprints) == 0 {
		return nil
	}
	out := []any{}
	for i, sp := range is.sprints {
		date := func(t time.Time) string {
			if t.IsZero() {
				return "<null>"
			}
			return t.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		goal := sp.goal
		if goal == "" {
			goal = "<null>"
		}
		out = append(out, fmt.Sprintf("com.atlassian.greenhopper.service.sprint.Sprint@%x[id=%d,rapidViewId=%d,state=%s,name=%s,startDate=%s,endDate=%s,completeDate=%s,sequence=%d,goal=%s]",
			0x5a000+i, sp.id, sp.board.id, strings.ToUpper(sp.state), sp.name, date(sp.start), date(sp.end), date(sp.completed), sp.id, goal))
	}
	return out
}

// jqlFunctions answers the JQL functions whose values are the simulator's data (ql.Functions).
// Callers hold the simulator's lock.
type jqlFunctions struct{ s *Sim }

func (f *jqlFunctions) Call(name string, args []string) ([]string, error) {
	j := f.s.jira
	var out []string
	switch name {
	case "opensprints", "closedsprints", "futuresprints":
		state := map[string]string{"opensprints": "active", "closedsprints": "closed", "futuresprints": "future"}[name]
		for _, sp := range j.sprints {
			if sp.state == state {
				out = append(out, strconv.FormatInt(sp.id, 10))
			}
		}
	case "releasedversions", "unreleasedversions":
		projs := j.projList
		if len(args) == 1 {
			p := j.projects[strings.ToUpper(args[0])]
			if p == nil {
				return nil, fmt.Errorf("Could not resolve the project '%s' provided to function '%s'.", args[0], fnSpelling[name])
			}
			projs = []*project{p}
		}
		for _, p := range projs {
			for _, v := range p.versions {
				if v.released == (name == "releasedversions") {
					out = append(out, v.name)
				}
			}
		}
	case "membersof":
		group := args[0]
		found := false
		for _, u := range f.s.users {
			if slices.ContainsFunc(u.Groups, func(g string) bool { return strings.EqualFold(g, group) }) {
				found = true
				out = append(out, u.Name)
			}
		}
		if !found {
			return nil, fmt.Errorf("Function 'membersOf' can not generate a list of usernames for group '%s'; the group does not exist.", group)
		}
	case "linkedissues":
		is := j.lookup(args[0])
		if is == nil {
			return nil, fmt.Errorf("Issue '%s' could not be found in function 'linkedIssues'.", args[0])
		}
		// Any number of link descriptions, each a filter ORed with the others.
		descs := args[1:]
		for _, desc := range descs {
			if !slices.ContainsFunc(linkTypes, func(lt linkType) bool {
				return strings.EqualFold(lt.inward, desc) || strings.EqualFold(lt.outward, desc)
			}) {
				return nil, fmt.Errorf("Issue link type '%s' could not be found in function 'linkedIssues'.", desc)
			}
		}
		for _, l := range is.links {
			other, how := l.to, l.typ.outward
			if l.to == is {
				other, how = l.from, l.typ.inward
			}
			if len(descs) == 0 || slices.ContainsFunc(descs, func(d string) bool { return strings.EqualFold(d, how) }) {
				out = append(out, other.key)
			}
		}
	default:
		return nil, errors.New("Unable to find JQL function '" + name + "()'.")
	}
	return out, nil
}

var fnSpelling = map[string]string{"releasedversions": "releasedVersions", "unreleasedversions": "unreleasedVersions"}

// --- HTTP

func (s *Sim) jiraAgileRoutes(m *http.ServeMux) {
	const api = "/jira/rest/agile/1.0/"
	m.HandleFunc("GET "+api+"board", s.withUser(s.listBoards))
	m.HandleFunc("GET "+api+"board/{id}", s.withUser(s.getBoard))
	m.HandleFunc("GET "+api+"board/{id}/sprint", s.withUser(s.listSprints))
	m.HandleFunc("POST "+api+"sprint", s.withUser(s.createSprint))
	m.HandleFunc("GET "+api+"sprint/{id}", s.withUser(s.getSprint))
	m.HandleFunc("POST "+api+"sprint/{id}", s.withUser(s.updateSprint))
	m.HandleFunc("PUT "+api+"sprint/{id}", s.withUser(s.updateSprint))
	m.HandleFunc("GET "+api+"sprint/{id}/issue", s.withUser(s.sprintIssues))
	m.HandleFunc("POST "+api+"sprint/{id}/issue", s.withUser(s.moveIssues))
	m.HandleFunc("POST "+api+"backlog/issue", s.withUser(s.moveIssues))
}

func (c *jiraCtx) agile(path string) string { return c.base + "/rest/agile/1.0/" + path }

// agileDate is the agile REST's time format: milliseconds and an offset with a colon, in the
// user's zone (jira/board_sprints.server2016_anon.json).
func (c *jiraCtx) agileDate(t time.Time) string {
	if c.user != nil && c.user.TimeZone != nil {
		t = t.In(c.user.TimeZone)
	}
	return t.Format("2006-01-02T15:04:05.000-07:00")
}

func (c *jiraCtx) boardJSON(b *board) obj {
	return obj{"id": b.id, "self": c.agile("board/" + strconv.FormatInt(b.id, 10)), "name": b.name, "type": b.typ,
		"location": obj{"projectId": b.proj.id, "projectKey": b.proj.key, "projectName": b.proj.name,
			"displayName": b.proj.name + " (" + b.proj.key + ")", "projectTypeKey": "software", "name": b.proj.name + " (" + b.proj.key + ")"}}
}

func (c *jiraCtx) sprintJSON(sp *sprint) obj {
	o := obj{"id": sp.id, "self": c.agile("sprint/" + strconv.FormatInt(sp.id, 10)), "state": sp.state, "name": sp.name,
		"originBoardId": sp.board.id}
	if !sp.start.IsZero() {
		o["startDate"] = c.agileDate(sp.start)
	}
	if !sp.end.IsZero() {
		o["endDate"] = c.agileDate(sp.end)
	}
	if !sp.completed.IsZero() {
		o["completeDate"] = c.agileDate(sp.completed)
	}
	if sp.goal != "" {
		o["goal"] = sp.goal
	}
	return o
}

// writeAgilePage answers a page of a list as the agile REST does: startAt, maxResults (50 by
// default), isLast, values; boards also give total, sprints do not.
func writeAgilePage(w http.ResponseWriter, r *http.Request, n int, withTotal bool, item func(i int) any) {
	start, max, err := jiraPaging(r, 50)
	if err != nil {
		jiraError(w, http.StatusBadRequest, err.Error())
		return
	}
	vals := []any{}
	for i := start; i < n && len(vals) < max; i++ {
		vals = append(vals, item(i))
	}
	o := obj{"maxResults": max, "startAt": start, "isLast": start+len(vals) >= n, "values": vals}
	if withTotal {
		o["total"] = n
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Sim) listBoards(w http.ResponseWriter, r *http.Request, u *User) {
	q := r.URL.Query()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var list []*board
	proj, name, typ := q.Get("projectKeyOrId"), strings.ToLower(q.Get("name")), q.Get("type")
	if proj != "" && s.projectByKeyOrID(proj) == nil {
		jiraError(w, http.StatusBadRequest, "No project could be found with key or id '"+proj+"'.")
		return
	}
	for _, b := range s.jira.boards {
		p := s.projectByKeyOrID(proj)
		if (p == nil || b.proj == p) && strings.Contains(strings.ToLower(b.name), name) && (typ == "" || b.typ == typ) {
			list = append(list, b)
		}
	}
	c := s.jiraCtx(r, u)
	writeAgilePage(w, r, len(list), true, func(i int) any { return c.boardJSON(list[i]) })
}

func (s *Sim) boardOf(w http.ResponseWriter, r *http.Request) *board {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for _, b := range s.jira.boards {
		if b.id == id {
			return b
		}
	}
	jiraError(w, http.StatusNotFound, "Board does not exist or you do not have permission to see it.")
	return nil
}

func (s *Sim) getBoard(w http.ResponseWriter, r *http.Request, u *User) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if b := s.boardOf(w, r); b != nil {
		writeJSON(w, http.StatusOK, s.jiraCtx(r, u).boardJSON(b))
	}
}

func (s *Sim) listSprints(w http.ResponseWriter, r *http.Request, u *User) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.boardOf(w, r)
	if b == nil {
		return
	}
	if b.typ != "scrum" {
		jiraError(w, http.StatusBadRequest, "The board does not support sprints")
		return
	}
	var states []string
	for _, st := range strings.Split(r.URL.Query().Get("state"), ",") {
		if st = strings.ToLower(strings.TrimSpace(st)); st == "" {
			continue
		}
		if st != "future" && st != "active" && st != "closed" {
			jiraError(w, http.StatusBadRequest, "The value '"+st+"' is not valid for the parameter 'state'. Valid values are: future, active, closed.")
			return
		}
		states = append(states, st)
	}
	var list []*sprint
	for _, sp := range s.jira.sprints {
		if sp.board == b && (len(states) == 0 || slices.Contains(states, sp.state)) {
			list = append(list, sp)
		}
	}
	c := s.jiraCtx(r, u)
	writeAgilePage(w, r, len(list), false, func(i int) any { return c.sprintJSON(list[i]) })
}

func (s *Sim) sprintOf(w http.ResponseWriter, r *http.Request) *sprint {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	sp := s.jira.sprintByID(id)
	if sp == nil {
		jiraError(w, http.StatusNotFound, "Sprint does not exist or you do not have permission to see it.")
	}
	return sp
}

func (s *Sim) getSprint(w http.ResponseWriter, r *http.Request, u *User) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if sp := s.sprintOf(w, r); sp != nil {
		writeJSON(w, http.StatusOK, s.jiraCtx(r, u).sprintJSON(sp))
	}
}

type sprintIn struct {
	Name          *string `json:"name"`
	State         *string `json:"state"`
	StartDate     *string `json:"startDate"`
	EndDate       *string `json:"endDate"`
	Goal          *string `json:"goal"`
	OriginBoardID int64   `json:"originBoardId"`
}

func parseAgileDate(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05.000-07:00", time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// applySprint sets the fields of in on sp, checking state changes as Jira Software does.
func (s *Sim) applySprint(sp *sprint, in sprintIn) map[string]string {
	errs := map[string]string{}
	if in.Name != nil {
		if n := strings.TrimSpace(*in.Name); n == "" {
			errs["name"] = "The sprint name cannot be empty."
		} else if len(n) > 30 {
			errs["name"] = "The sprint name is too long, the maximum length is 30 characters."
		} else {
			sp.name = n
		}
	}
	for _, d := range []struct {
		k   string
		v   *string
		dst *time.Time
	}{{"startDate", in.StartDate, &sp.start}, {"endDate", in.EndDate, &sp.end}} {
		if d.v == nil {
			continue
		}
		t, ok := parseAgileDate(*d.v)
		if !ok {
			errs[d.k] = "Invalid date format. Please use ISO 8601, e.g. 2024-05-01T09:00:00.000+02:00."
			continue
		}
		*d.dst = t
	}
	if in.Goal != nil {
		sp.goal = *in.Goal
	}
	if in.State != nil && *in.State != sp.state {
		switch to := strings.ToLower(*in.State); {
		case sp.state == "future" && to == "active":
			if sp.start.IsZero() || sp.end.IsZero() {
				errs["startDate"] = "A sprint needs a start and an end date to be started."
			}
			for _, o := range s.jira.sprints {
				if o.board == sp.board && o.state == "active" {
					errs["state"] = "The board already has an active sprint: " + o.name + "."
				}
			}
			sp.state = to
		case sp.state == "active" && to == "closed":
			sp.state, sp.completed = to, s.now()
			// Open work leaves a completed sprint for the backlog, as the board's Complete does.
			for _, is := range s.jira.byID {
				if slices.Contains(is.sprints, sp) && is.status.cat != 3 {
					is.sprints = slices.DeleteFunc(is.sprints, func(x *sprint) bool { return x == sp })
				}
			}
		default:
			errs["state"] = "A sprint in state '" + sp.state + "' cannot go to '" + *in.State + "': future sprints are started (active), active ones completed (closed)."
		}
	}
	if !sp.start.IsZero() && !sp.end.IsZero() && sp.end.Before(sp.start) {
		errs["endDate"] = "The end date of a sprint must be after its start date."
	}
	return errs
}

func (s *Sim) createSprint(w http.ResponseWriter, r *http.Request, u *User) {
	var in sprintIn
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jiraError(w, http.StatusBadRequest, "Unrecognized request body: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var b *board
	for _, x := range s.jira.boards {
		if x.id == in.OriginBoardID {
			b = x
		}
	}
	if b == nil || b.typ != "scrum" {
		jiraFieldErrors(w, map[string]string{"originBoardId": "Board with id '" + strconv.FormatInt(in.OriginBoardID, 10) + "' does not exist or is not a scrum board."})
		return
	}
	if in.Name == nil {
		in.Name = new(string)
	}
	sp := &sprint{state: "future", board: b}
	if errs := s.applySprint(sp, sprintIn{Name: in.Name, StartDate: in.StartDate, EndDate: in.EndDate, Goal: in.Goal}); len(errs) > 0 {
		jiraFieldErrors(w, errs)
		return
	}
	s.jira.addSprint(sp)
	writeJSON(w, http.StatusCreated, s.jiraCtx(r, u).sprintJSON(sp))
}

func (s *Sim) updateSprint(w http.ResponseWriter, r *http.Request, u *User) {
	var in sprintIn
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jiraError(w, http.StatusBadRequest, "Unrecognized request body: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.sprintOf(w, r)
	if sp == nil {
		return
	}
	if sp.state == "closed" {
		jiraError(w, http.StatusBadRequest, "A closed sprint cannot be changed.")
		return
	}
	next := *sp
	if errs := s.applySprint(&next, in); len(errs) > 0 {
		jiraFieldErrors(w, errs)
		return
	}
	*sp = next
	s.jira.gen++
	writeJSON(w, http.StatusOK, s.jiraCtx(r, u).sprintJSON(sp))
}

func (s *Sim) sprintIssues(w http.ResponseWriter, r *http.Request, u *User) {
	s.mu.RLock()
	sp := s.sprintOf(w, r)
	if sp == nil {
		s.mu.RUnlock()
		return
	}
	id := strconv.FormatInt(sp.id, 10)
	s.mu.RUnlock()
	// The agile answer is the platform search's, restricted to the sprint.
	q := r.URL.Query()
	jql := "sprint = " + id
	if extra := strings.TrimSpace(q.Get("jql")); extra != "" {
		jql += " AND (" + extra + ")"
	}
	q.Set("jql", jql)
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	s.searchIssues(w, r2, u)
}

func (s *Sim) moveIssues(w http.ResponseWriter, r *http.Request, u *User) {
	var in struct {
		Issues []string `json:"issues"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Issues) == 0 {
		jiraError(w, http.StatusBadRequest, "The request must list the issues to move: {\"issues\": [\"KEY-1\"]}.")
		return
	}
	if len(in.Issues) > 50 {
		jiraError(w, http.StatusBadRequest, "At most 50 issues can be moved at once.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var sp *sprint
	if r.PathValue("id") != "" {
		if sp = s.sprintOf(w, r); sp == nil {
			return
		}
		if sp.state == "closed" {
			jiraError(w, http.StatusBadRequest, "Issues cannot be moved to a closed sprint.")
			return
		}
	}
	var list []*issue
	for _, k := range in.Issues {
		is := s.jira.lookup(k)
		if is == nil || !s.canSeeIssue(u, is) {
			jiraError(w, http.StatusBadRequest, "Issue '"+k+"' does not exist or you do not have permission to see it.")
			return
		}
		list = append(list, is)
	}
	for _, is := range list {
		s.jira.moveToSprint(is, sp, u.Name, s.now())
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkEpic says what is wrong with key as an Epic Link value ("" when it is fine or empty).
func (j *jira) checkEpic(key string) string {
	if key == "" {
		return ""
	}
	e := j.lookup(key)
	if e == nil {
		return "Issue '" + key + "' does not exist."
	}
	if e.typ != "Epic" {
		return "Issue '" + key + "' is not an Epic: the Epic Link must point to an issue of type Epic."
	}
	return ""
}
