package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Sim) jiraRoutes(m *http.ServeMux) {
	const api = "/jira/rest/api/2/"
	m.HandleFunc("GET "+api+"serverInfo", s.serverInfo)
	m.HandleFunc("GET "+api+"myself", s.withUser(s.myself))
	m.HandleFunc("GET "+api+"project", s.withUser(s.listProjects))
	m.HandleFunc("GET "+api+"project/{key}", s.withUser(s.onProject(s.getProject)))
	m.HandleFunc("GET "+api+"field", s.withUser(s.listFields))
	m.HandleFunc("GET "+api+"issueLinkType", s.withUser(s.listLinkTypes))
	m.HandleFunc("GET "+api+"user", s.withUser(s.getJiraUser))
	s.jiraPeopleRoutes(m, api)
	s.jiraLinkRoutes(m, api)
	s.jiraVersionRoutes(m, api)
	s.jiraAgileRoutes(m)
	s.jiraCommentRoutes(m, api)
	s.jiraRemoteLinkRoutes(m, api)
	s.jiraAttachmentRoutes(m, api)
	m.HandleFunc("GET "+api+"status", s.withUser(s.listStatuses))
	m.HandleFunc("GET "+api+"priority", s.withUser(s.listNamed("priority", priorities)))
	m.HandleFunc("GET "+api+"issuetype", s.withUser(s.listNamed("issuetype", issueTypes)))
	m.HandleFunc("GET "+api+"resolution", s.withUser(s.listNamed("resolution", resolutions)))
	m.HandleFunc("GET "+api+"search", s.withUser(s.searchIssues))
	m.HandleFunc("POST "+api+"search", s.withUser(s.searchIssues))
	m.HandleFunc("POST "+api+"issue", s.withUser(s.createIssue))
	m.HandleFunc("GET "+api+"issue/createmeta", s.withUser(s.createMetaOld))
	m.HandleFunc("GET "+api+"issue/createmeta/{project}/issuetypes", s.withUser(s.onCreateMeta(s.createMetaTypes)))
	m.HandleFunc("GET "+api+"issue/createmeta/{project}/issuetypes/{type}", s.withUser(s.onCreateMeta(s.createMetaFields)))
	m.HandleFunc("GET "+api+"issue/{key}", s.withUser(s.onIssue(s.getIssue)))
	m.HandleFunc("PUT "+api+"issue/{key}", s.withUser(s.editIssue))
	m.HandleFunc("DELETE "+api+"issue/{key}", s.withUser(s.deleteIssue))
	m.HandleFunc("GET "+api+"issue/{key}/comment", s.withUser(s.onIssue(s.listComments)))
	m.HandleFunc("POST "+api+"issue/{key}/comment", s.withUser(s.addComment))
	m.HandleFunc("GET "+api+"issue/{key}/transitions", s.withUser(s.onIssue(s.listTransitions)))
	m.HandleFunc("POST "+api+"issue/{key}/transitions", s.withUser(s.doTransition))
	m.HandleFunc("GET "+api+"issue/{key}/worklog", s.withUser(s.onIssue(s.listWorklogs)))
	m.HandleFunc("GET "+api+"issue/{key}/votes", s.withUser(s.onIssue(s.getVotes)))
	m.HandleFunc("POST "+api+"issue/{key}/worklog", s.withUser(s.addWorklog))
	m.HandleFunc("/jira/", s.withUser(func(w http.ResponseWriter, r *http.Request, _ *User) {
		jiraError(w, http.StatusNotFound, "null for uri: "+r.URL.String())
	}))
}

func (s *Sim) serverInfo(w http.ResponseWriter, r *http.Request) {
	c := s.jiraCtx(r, nil)
	dep := "Server"
	if s.opts.DataCenter {
		dep = "DataCenter"
	}
	v := s.jira.version
	writeJSON(w, http.StatusOK, obj{
		"baseUrl":        c.base,
		"version":        s.jira.versionStr,
		"versionNumbers": v,
		"deploymentType": dep,
		"buildNumber":    v[0]*100000 + v[1]*1000 + v[2],
		"buildDate":      "2024-01-10T00:00:00.000+0000",
		"serverTime":     jiraDate(s.now()),
		"scmInfo":        "atlasbridge-simulator",
		"serverTitle":    "Jira (atlasbridge simulator)",
	})
}

func (s *Sim) myself(w http.ResponseWriter, r *http.Request, u *User) {
	if u.anonymous {
		jiraError(w, http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.jiraCtx(r, u)
	o := c.userJSON(u.Name).(obj)
	groups := []any{}
	for _, g := range u.Groups {
		groups = append(groups, obj{"name": g, "self": c.api("group?groupname=" + g)})
	}
	o["locale"] = "en_US"
	o["groups"] = obj{"size": len(groups), "items": groups}
	o["applicationRoles"] = obj{"size": 1, "items": []any{}}
	o["expand"] = "groups,applicationRoles"
	writeJSON(w, http.StatusOK, o)
}

func (s *Sim) listProjects(w http.ResponseWriter, r *http.Request, u *User) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.jiraCtx(r, u)
	out := []any{}
	for _, p := range s.jira.projList {
		if u.anonymous {
			break
		}
		o := c.projectRef(p)
		o["expand"] = "description,lead,url,projectKeys"
		o["projectCategory"] = obj{"self": c.api("projectCategory/10000"), "id": "10000",
			"description": "Engineering projects", "name": "Engineering"}
		out = append(out, o)
	}
	writeJSON(w, http.StatusOK, out)
}

// onIssue adapts h, a read of one issue: under the read lock it finds issue
// {key} and answers Jira's 404 when there is none.
func (s *Sim) onIssue(h func(w http.ResponseWriter, r *http.Request, c *jiraCtx, is *issue)) func(http.ResponseWriter, *http.Request, *User) {
	return func(w http.ResponseWriter, r *http.Request, u *User) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		is := s.jira.lookup(r.PathValue("key"))
		if is == nil || !s.canSeeIssue(u, is) {
			issueNotFound(w)
			return
		}
		h(w, r, s.jiraCtx(r, u), is)
	}
}

// lockIssue takes the write lock and returns issue {key}, which the caller
// changes and then unlocks; when there is no such issue, or u may not see
// it (Jira answers a write to an issue one cannot browse as it answers a
// missing one), it answers Jira's 404, releases the lock and returns nil.
func (s *Sim) lockIssue(w http.ResponseWriter, r *http.Request, u *User) *issue {
	s.mu.Lock()
	is := s.jira.lookup(r.PathValue("key"))
	if is == nil || !s.canSeeIssue(u, is) {
		s.mu.Unlock()
		issueNotFound(w)
		return nil
	}
	return is
}

// onCreateMeta adapts h, one of the paged create-meta endpoints of Jira 9+
// (a 404 on older versions): under the read lock it reads the paging and
// finds project {project}.
func (s *Sim) onCreateMeta(h func(w http.ResponseWriter, r *http.Request, c *jiraCtx, p *project, start, max int)) func(http.ResponseWriter, *http.Request, *User) {
	return func(w http.ResponseWriter, r *http.Request, u *User) {
		if s.jira.majorVersion() < 9 {
			jiraError(w, http.StatusNotFound, "null for uri: "+r.URL.String())
			return
		}
		start, max, err := jiraPaging(r, 50)
		if err != nil {
			jiraError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		p := s.projectByKeyOrID(r.PathValue("project"))
		if p == nil {
			jiraError(w, http.StatusNotFound, "No project could be found with key '"+r.PathValue("project")+"'.")
			return
		}
		h(w, r, s.jiraCtx(r, u), p, start, max)
	}
}

func (s *Sim) projectByKeyOrID(k string) *project {
	if p := s.jira.projects[strings.ToUpper(k)]; p != nil {
		return p
	}
	for _, p := range s.jira.projList {
		if strconv.FormatInt(p.id, 10) == k {
			return p
		}
	}
	return nil
}

func (s *Sim) getProject(w http.ResponseWriter, r *http.Request, c *jiraCtx, p *project) {
	o := c.projectRef(p)
	o["expand"] = "description,lead,url,projectKeys"
	o["description"] = p.desc
	o["lead"] = c.userJSON(p.lead)
	comps := []any{}
	for _, cp := range p.components {
		comps = append(comps, obj{"self": c.api("component/" + cp.id), "id": cp.id, "name": cp.name, "isAssigneeTypeValid": false})
	}
	o["components"] = comps
	types := []any{}
	for _, it := range issueTypes {
		types = append(types, c.nameIDJSON("issuetype", it))
	}
	o["issueTypes"] = types
	vers := []any{}
	for _, v := range p.versions {
		vers = append(vers, c.versionJSON(p, v))
	}
	o["versions"] = vers
	o["assigneeType"] = "UNASSIGNED"
	o["roles"] = obj{"Developers": c.api("project/" + strconv.FormatInt(p.id, 10) + "/role/10001")}
	o["projectKeys"] = []string{p.key}
	o["archived"] = false
	o["url"] = ""
	writeJSON(w, http.StatusOK, o)
}

func (s *Sim) listFields(w http.ResponseWriter, r *http.Request, u *User) {
	out := []any{}
	for _, f := range fieldDefs {
		out = append(out, f.json())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) listLinkTypes(w http.ResponseWriter, r *http.Request, u *User) {
	c := s.jiraCtx(r, u)
	out := []any{}
	for _, lt := range linkTypes {
		out = append(out, obj{"id": lt.id, "name": lt.name, "inward": lt.inward, "outward": lt.outward,
			"self": c.api("issueLinkType/" + lt.id)})
	}
	writeJSON(w, http.StatusOK, obj{"issueLinkTypes": out})
}

func (s *Sim) getJiraUser(w http.ResponseWriter, r *http.Request, u *User) {
	q := r.URL.Query()
	name := q.Get("username")
	if name == "" {
		name = q.Get("key")
	}
	if name == "" {
		jiraError(w, http.StatusBadRequest, "The username query parameter was not provided")
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.jira.people[name]; !ok {
		jiraError(w, http.StatusNotFound, "The user named '"+name+"' does not exist")
		return
	}
	c := s.jiraCtx(r, u)
	o := c.userJSON(name).(obj)
	o["locale"] = "en_US"
	// Groups are listed on ?expand=groups only; their count always.
	groups := 0
	if gu := s.users[name]; gu != nil {
		groups = len(gu.Groups)
	}
	o["groups"] = obj{"size": groups, "items": []any{}}
	o["expand"] = "groups"
	writeJSON(w, http.StatusOK, o)
}

func (s *Sim) listStatuses(w http.ResponseWriter, r *http.Request, u *User) {
	c := s.jiraCtx(r, u)
	out := []any{}
	for _, st := range statuses {
		out = append(out, c.statusJSON(st))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) listNamed(kind string, list []nameID) func(http.ResponseWriter, *http.Request, *User) {
	return func(w http.ResponseWriter, r *http.Request, u *User) {
		c := s.jiraCtx(r, u)
		out := []any{}
		for _, n := range list {
			o := c.nameIDJSON(kind, n)
			if kind == "priority" {
				o["description"] = n.desc
				o["statusColor"] = map[string]string{"1": "#d04437", "2": "#f15C75", "3": "#f79232", "4": "#707070", "5": "#afafaf"}[n.id]
			}
			out = append(out, o)
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func issueNotFound(w http.ResponseWriter) {
	jiraError(w, http.StatusNotFound, "Issue Does Not Exist")
}

// searchReq is the body of POST /search (GET uses the same names as query parameters).
type searchReq struct {
	JQL           string   `json:"jql"`
	StartAt       *int     `json:"startAt"`
	MaxResults    *int     `json:"maxResults"`
	Fields        []string `json:"fields"`
	Expand        any      `json:"expand"` // a list or a comma-separated string
	ValidateQuery any      `json:"validateQuery"`
	FieldsByKeys  bool     `json:"fieldsByKeys"`
	Properties    []string `json:"properties"`
}

var unknownFieldRE = regexp.MustCompile(`json: unknown field "([^"]*)"`)

// decodeBean reads a JSON body strictly, as Jira's Jackson does: an unknown field is a 400 whose
// only message names the field and the bean class.
func decodeBean(r *http.Request, v any, bean string) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 8<<20))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	if m := unknownFieldRE.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("Unrecognized field \"%s\" (Class com.atlassian.jira.rest.v2.%s), not marked as ignorable\n at [Source: org.apache.catalina.connector.CoyoteInputStream@4264a42e; line: 1, column: 2]", m[1], bean)
	}
	return fmt.Errorf("Can not deserialize instance of com.atlassian.jira.rest.v2.%s out of request body: %v", bean, err)
}

// jiraMessagesOnly writes Jackson's 400 envelope, which has no "errors" key.
func jiraMessagesOnly(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, obj{"errorMessages": []string{msg}})
}

func (s *Sim) searchIssues(w http.ResponseWriter, r *http.Request, u *User) {
	var req searchReq
	if r.Method == http.MethodPost {
		if err := decodeBean(r, &req, "search.SearchRequestBean"); err != nil {
			jiraMessagesOnly(w, err.Error())
			return
		}
	} else {
		q := r.URL.Query()
		req.JQL = q.Get("jql")
		for _, p := range []struct {
			name string
			dst  **int
		}{{"startAt", &req.StartAt}, {"maxResults", &req.MaxResults}} {
			if v := q.Get(p.name); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					jiraError(w, http.StatusBadRequest, "The value '"+v+"' is not a valid value for parameter '"+p.name+"'.")
					return
				}
				*p.dst = &n
			}
		}
		if v := q["fields"]; len(v) > 0 {
			req.Fields = strings.Split(strings.Join(v, ","), ",")
		}
		req.Expand = q.Get("expand")
	}
	start, max := 0, 50
	if req.StartAt != nil {
		start = max0(*req.StartAt)
	}
	if req.MaxResults != nil {
		max = *req.MaxResults
		if max < 0 {
			max = 50
		}
		if max > 1000 {
			max = 1000
		}
	}
	var expand string
	switch e := req.Expand.(type) {
	case string:
		expand = e
	case []any:
		for _, x := range e {
			if xs, ok := x.(string); ok {
				expand += xs + ","
			}
		}
	}
	e := parseExpand(expand)
	fs := parseFields(strings.Join(req.Fields, ","), "*navigable")

	s.mu.RLock()
	defer s.mu.RUnlock()
	hits, err := s.runJQL(req.JQL, u)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, obj{"errorMessages": []string{queryMessage(err)}, "errors": obj{}})
		return
	}
	c := s.jiraCtx(r, u)
	issues := []any{}
	for i := start; i < len(hits) && len(issues) < max; i++ {
		issues = append(issues, c.issueJSON(hits[i], fs, expansion{"renderedFields": e["renderedFields"],
			"transitions": e["transitions"], "changelog": e["changelog"]}))
	}
	out := obj{"expand": "schema,names", "startAt": start, "maxResults": max, "total": len(hits), "issues": issues}
	if e["names"] {
		out["names"] = namesJSON(fs)
	}
	if e["schema"] {
		out["schema"] = schemaJSON(fs)
	}
	writeJSON(w, http.StatusOK, out)
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

var projectEqRE = regexp.MustCompile(`(?i)^\s*\(?\s*project\s*=\s*"?([A-Za-z][A-Za-z0-9_]*)"?`)

// runJQL evaluates a JQL query, caching the ordered hits until the next write. Without ORDER BY,
// Jira orders by key descending (newest first); ties fall back to id.
func (s *Sim) runJQL(jql string, u *User) ([]*issue, error) {
	j := s.jira
	env := queryEnv{Now: s.now(), Location: u.TimeZone, CurrentUser: u.Name, Known: j.known, Functions: s.functions}
	q, err := parseQuery(dialectJQL, jql, env)
	if err != nil {
		return nil, err
	}
	key := u.Name + "\x00" + jql
	j.cacheMu.Lock()
	hit, ok := j.cache[key]
	j.cacheMu.Unlock()
	if ok && hit.gen == j.gen && !mentionsNow(jql) {
		return hit.issues, nil
	}
	var out []*issue
	idOf := func(is *issue) int64 { return is.id }
	scan := func(list []*issue) {
		for _, is := range list {
			if s.canSeeIssue(u, is) && q.match(s.searchedBy(u, is), env) {
				out = append(out, is)
			}
		}
	}
	scope := j.projList
	if m := projectEqRE.FindStringSubmatch(jql); m != nil && !orNotRE.MatchString(jql) {
		scope = nil
		if p := j.projects[strings.ToUpper(m[1])]; p != nil {
			scope = []*project{p}
		}
	}
	terms := q.orderBy()
	// Within one project id order is key order (until an issue moves in), so
	// "updated ASC, key ASC" is one date term.
	oneDate := len(terms) == 1 || len(terms) == 2 && len(scope) == 1 && !scope[0].movedIn && terms[1].Field == "key" && !terms[1].Desc
	if len(terms) > 0 && oneDate && isDateField(terms[0].Field) {
		list := byDate(&j.orders, j.gen, jql, terms[0], "updated", u.TimeZone, scope,
			func(p *project) string { return p.key }, func(p *project) []*issue { return p.issues }, idOf)
		scan(list)
	} else {
		for _, p := range scope {
			scan(p.issues)
		}
		sortRecords(out, terms, idOf, true)
	}
	j.cacheMu.Lock()
	if len(j.cache) > 256 {
		clear(j.cache)
	}
	j.cache[key] = cachedIssues{gen: j.gen, issues: out}
	j.cacheMu.Unlock()
	return out, nil
}

// known reports whether a value exists for a JQL field, for the "does not exist" errors.
func (j *jira) known(field, value string) bool {
	switch strings.ToLower(field) {
	case "project":
		return j.projects[strings.ToUpper(value)] != nil || slices.ContainsFunc(j.projList, func(p *project) bool {
			return strings.EqualFold(p.name, value) || strconv.FormatInt(p.id, 10) == value
		})
	case "status":
		return statusByName(value) != nil
	case "statuscategory":
		for _, c := range statusCats {
			if strings.EqualFold(c[0], value) || strings.EqualFold(c[2], value) {
				return true
			}
		}
		return false
	case "issuetype", "type":
		_, ok := findNameID(issueTypes, value)
		return ok
	case "priority":
		_, ok := findNameID(priorities, value)
		return ok
	case "resolution":
		_, ok := findNameID(resolutions, value)
		return ok || strings.EqualFold(value, "Unresolved")
	case "assignee", "reporter", "creator":
		_, ok := j.people[value]
		return ok
	case "component":
		return slices.ContainsFunc(j.projList, func(p *project) bool { return p.hasComponent(value) })
	case "fixversion":
		return slices.ContainsFunc(j.projList, func(p *project) bool { return p.hasVersion(value) })
	}
	return true
}

func (s *Sim) getIssue(w http.ResponseWriter, r *http.Request, c *jiraCtx, is *issue) {
	q := r.URL.Query()
	fs := parseFields(strings.Join(q["fields"], ","), "*all")
	writeJSON(w, http.StatusOK, c.issueJSON(is, fs, parseExpand(q.Get("expand"))))
}

// issueIn is the body of POST/PUT issue.
type issueIn struct {
	Fields map[string]json.RawMessage              `json:"fields"`
	Update map[string][]map[string]json.RawMessage `json:"update"`
}

type namedRef struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

func (n namedRef) ref() string {
	for _, v := range []string{n.Key, n.Name, n.ID} {
		if v != "" {
			return v
		}
	}
	return ""
}

func readIssueIn(r *http.Request) (*issueIn, error) {
	var in issueIn
	if err := decodeBean(r, &in, "issue.IssueUpdateBean"); err != nil {
		return nil, err
	}
	return &in, nil
}

var settableFields = map[string]bool{"project": true, "issuetype": true, "summary": true, "description": true,
	"priority": true, "assignee": true, "reporter": true, "labels": true, "components": true,
	"fixVersions": true, "duedate": true, epicFieldID: true, sprintFieldID: true}

// decodeIssueFields fills an Issue from a "fields" object, collecting Jira-worded errors.
func decodeIssueFields(fields map[string]json.RawMessage, in *Issue, errs map[string]string) {
	str := func(k string, dst *string) {
		if raw, ok := fields[k]; ok {
			if string(raw) == "null" {
				*dst = ""
				return
			}
			if err := json.Unmarshal(raw, dst); err != nil {
				errs[k] = "Operation value must be a string"
			}
		}
	}
	ref := func(k string, dst *string) {
		if raw, ok := fields[k]; ok {
			if string(raw) == "null" {
				*dst = ""
				return
			}
			var n namedRef
			if err := json.Unmarshal(raw, &n); err != nil {
				errs[k] = "Could not find valid 'id' or 'key' in " + k + " object."
				return
			}
			*dst = n.ref()
		}
	}
	refs := func(k string, dst *[]string) {
		if raw, ok := fields[k]; ok {
			var ns []namedRef
			if err := json.Unmarshal(raw, &ns); err != nil {
				errs[k] = "Operation value must be an array of objects"
				return
			}
			*dst = []string{}
			for _, n := range ns {
				*dst = append(*dst, n.ref())
			}
		}
	}
	for k := range fields {
		if !settableFields[k] {
			errs[k] = "Field '" + k + "' cannot be set. It is not on the appropriate screen, or unknown."
		}
	}
	ref("project", &in.Project)
	ref("issuetype", &in.Type)
	str("summary", &in.Summary)
	str("description", &in.Description)
	ref("priority", &in.Priority)
	ref("assignee", &in.Assignee)
	ref("reporter", &in.Reporter)
	str("duedate", &in.Due)
	str(epicFieldID, &in.Epic)
	refs("components", &in.Components)
	refs("fixVersions", &in.FixVersions)
	if raw, ok := fields["labels"]; ok {
		if err := json.Unmarshal(raw, &in.Labels); err != nil {
			errs["labels"] = "Operation value must be an array of strings"
		}
	}
}

func (s *Sim) createIssue(w http.ResponseWriter, r *http.Request, u *User) {
	in, err := readIssueIn(r)
	if err != nil {
		jiraMessagesOnly(w, err.Error())
		return
	}
	var iss Issue
	errs := map[string]string{}
	decodeIssueFields(in.Fields, &iss, errs)
	if _, ok := in.Fields["issuetype"]; !ok {
		errs["issuetype"] = "issue type is required"
	}
	if iss.Reporter == "" {
		iss.Reporter = u.Name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.projectByKeyOrID(iss.Project); p != nil {
		iss.Project = p.key
	}
	if len(errs) > 0 {
		// Report every missing field at once, as Jira does.
		for k, v := range s.jira.validate(iss) {
			if _, ok := errs[k]; !ok {
				errs[k] = v
			}
		}
	} else {
		var is *issue
		is, errs = s.jira.add(iss, s.now())
		if errs == nil {
			c := s.jiraCtx(r, u)
			id := strconv.FormatInt(is.id, 10)
			writeJSON(w, http.StatusCreated, obj{"id": id, "key": is.key, "self": c.api("issue/" + id)})
			return
		}
	}
	jiraFieldErrors(w, errs)
}

func (s *Sim) editIssue(w http.ResponseWriter, r *http.Request, u *User) {
	in, err := readIssueIn(r)
	if err != nil {
		jiraMessagesOnly(w, err.Error())
		return
	}
	is := s.lockIssue(w, r, u)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	cur := is.toIssue()
	next := cur
	errs := map[string]string{}
	decodeIssueFields(in.Fields, &next, errs)
	if _, ok := in.Fields["project"]; ok && next.Project != cur.Project {
		errs["project"] = "Field 'project' cannot be set. It is not on the appropriate screen, or unknown."
	}
	if _, ok := in.Fields["issuetype"]; ok {
		if _, found := findNameID(issueTypes, next.Type); !found {
			errs["issuetype"] = "valid issue type is required"
		}
	}
	if _, ok := in.Fields["summary"]; ok && strings.TrimSpace(next.Summary) == "" {
		errs["summary"] = "You must specify a summary of the issue."
	}
	if _, ok := in.Fields["priority"]; ok {
		if _, found := findNameID(priorities, next.Priority); !found {
			errs["priority"] = "Priority name '" + next.Priority + "' is not valid"
		}
	}
	for _, f := range []struct{ k, v string }{{"assignee", next.Assignee}, {"reporter", next.Reporter}} {
		if _, ok := s.jira.people[f.v]; f.v != "" && !ok {
			errs[f.k] = "User '" + f.v + "' does not exist."
		}
	}
	if msg := s.jira.checkEpic(next.Epic); msg != "" && next.Epic != cur.Epic {
		errs[epicFieldID] = msg
	}
	var toSprint *sprint
	if raw, ok := in.Fields[sprintFieldID]; ok && string(raw) != "null" {
		var id int64
		if json.Unmarshal(raw, &id) != nil {
			errs[sprintFieldID] = "Number value expected as the Sprint id."
		} else if toSprint = s.jira.sprintByID(id); toSprint == nil || toSprint.state == "closed" {
			errs[sprintFieldID] = "Sprint with id " + strconv.FormatInt(id, 10) + " does not exist or is closed."
		}
	}
	for _, c := range next.Components {
		if !is.proj.hasComponent(c) {
			errs["components"] = "Component name '" + c + "' is not valid"
		}
	}
	for _, v := range next.FixVersions {
		if !is.proj.hasVersion(v) {
			errs["fixVersions"] = "Version name '" + v + "' is not valid"
		}
	}
	var newComments []string
	labels := next.Labels
	for field, ops := range in.Update {
		for _, op := range ops {
			for verb, raw := range op {
				switch {
				case field == "labels" && (verb == "add" || verb == "remove" || verb == "set"):
					var vals []string
					var one string
					if json.Unmarshal(raw, &one) == nil {
						vals = []string{one}
					} else if err := json.Unmarshal(raw, &vals); err != nil {
						errs["labels"] = "Operation value must be a string"
						continue
					}
					switch verb {
					case "add":
						labels = append(labels, vals...)
					case "remove":
						labels = slices.DeleteFunc(labels, func(l string) bool { return slices.Contains(vals, l) })
					default:
						labels = vals
					}
				case field == "comment" && verb == "add":
					var b struct {
						Body string `json:"body"`
					}
					if err := json.Unmarshal(raw, &b); err != nil || strings.TrimSpace(b.Body) == "" {
						errs["comment"] = "Comment body can not be empty!"
						continue
					}
					newComments = append(newComments, b.Body)
				case field == "summary" && verb == "set" || field == "description" && verb == "set":
					var v string
					if err := json.Unmarshal(raw, &v); err != nil {
						errs[field] = "Operation value must be a string"
						continue
					}
					if field == "summary" {
						next.Summary = v
					} else {
						next.Description = v
					}
				default:
					errs[field] = "Field '" + field + "' cannot be set. It is not on the appropriate screen, or unknown."
				}
			}
		}
	}
	if len(errs) > 0 {
		jiraFieldErrors(w, errs)
		return
	}
	now := s.now()
	var items []change
	set := func(field string, old, nw *string) {
		if *old != *nw {
			items = append(items, change{field: field, fieldtype: "jira", fromString: *old, toString: *nw})
			*old = *nw
		}
	}
	set("summary", &is.summary, &next.Summary)
	set("description", &is.description, &next.Description)
	if p, _ := findNameID(priorities, next.Priority); p.name != "" {
		set("priority", &is.priority, &p.name)
	}
	if t, _ := findNameID(issueTypes, next.Type); t.name != "" {
		set("issuetype", &is.typ, &t.name)
	}
	set("assignee", &is.assignee, &next.Assignee)
	set("reporter", &is.reporter, &next.Reporter)
	set("duedate", &is.due, &next.Due)
	set("Epic Link", &is.epic, &next.Epic)
	nl := normJiraLabels(labels)
	if !slices.Equal(nl, is.labels) {
		items = append(items, change{field: "labels", fieldtype: "jira", fromString: strings.Join(is.labels, " "), toString: strings.Join(nl, " ")})
		is.labels = nl
	}
	if !slices.Equal(next.Components, is.components) {
		is.components = next.Components
		items = append(items, change{field: "Component", fieldtype: "jira", toString: strings.Join(next.Components, ", ")})
	}
	if !slices.Equal(next.FixVersions, is.fixVers) {
		is.fixVers = next.FixVersions
		items = append(items, change{field: "Fix Version", fieldtype: "jira", toString: strings.Join(next.FixVersions, ", ")})
	}
	is.touch(now)
	for _, b := range newComments {
		is.comments = append(is.comments, &jcomment{id: s.jira.subID(), author: u.Name, updater: u.Name, body: b,
			created: is.updated, updated: is.updated})
	}
	is.refreshText()
	s.jira.record(is, u.Name, is.updated, items...)
	if _, ok := in.Fields[sprintFieldID]; ok {
		s.jira.moveToSprint(is, toSprint, u.Name, now)
	}
	s.jira.gen++
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) deleteIssue(w http.ResponseWriter, r *http.Request, u *User) {
	is := s.lockIssue(w, r, u)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	s.jira.remove(is)
	w.WriteHeader(http.StatusNoContent)
}

func jiraPaging(r *http.Request, def int) (int, int, error) {
	q := r.URL.Query()
	start, max := 0, def
	for _, p := range []struct {
		name string
		dst  *int
	}{{"startAt", &start}, {"maxResults", &max}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0, 0, fmt.Errorf("The value '%s' is not a valid value for parameter '%s'.", v, p.name)
			}
			*p.dst = n
		}
	}
	return start, max, nil
}

func (s *Sim) listComments(w http.ResponseWriter, r *http.Request, c *jiraCtx, is *issue) {
	start, max, err := jiraPaging(r, 5000)
	if err != nil {
		jiraError(w, http.StatusBadRequest, err.Error())
		return
	}
	render := strings.Contains(r.URL.Query().Get("expand"), "renderedBody")
	o := c.commentsPage(is, start, max, false)
	if render {
		for i, cm := range o["comments"].([]any) {
			cm.(obj)["renderedBody"] = s.jira.wiki(is.comments[start+i].body)
		}
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Sim) addComment(w http.ResponseWriter, r *http.Request, u *User) {
	in, ok := readCommentBody(w, r)
	if !ok {
		return
	}
	var visType, visValue string
	if in.Visibility != nil {
		visType, visValue = in.Visibility.Type, in.Visibility.Value
	}
	if err := s.checkVisibility(visType, visValue); err != nil {
		jiraFieldErrors(w, map[string]string{"commentLevel": err.Error()})
		return
	}
	is := s.lockIssue(w, r, u)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	is.touch(s.now())
	cm := &jcomment{id: s.jira.subID(), author: u.Name, updater: u.Name, body: in.Body, created: is.updated, updated: is.updated,
		visType: visType, visValue: visValue}
	is.comments = append(is.comments, cm)
	is.refreshText()
	s.jira.gen++
	writeJSON(w, http.StatusCreated, s.jiraCtx(r, u).commentJSON(is, cm, false))
}

func (s *Sim) listTransitions(w http.ResponseWriter, r *http.Request, c *jiraCtx, is *issue) {
	writeJSON(w, http.StatusOK, obj{"expand": "transitions", "transitions": c.transitionsJSON(is)})
}

func (s *Sim) doTransition(w http.ResponseWriter, r *http.Request, u *User) {
	var in struct {
		Transition struct {
			ID json.Number `json:"id"`
		} `json:"transition"`
		Fields map[string]json.RawMessage              `json:"fields"`
		Update map[string][]map[string]json.RawMessage `json:"update"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 8<<20))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		jiraError(w, http.StatusBadRequest, "Unrecognized request body: "+err.Error())
		return
	}
	is := s.lockIssue(w, r, u)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	id := in.Transition.ID.String()
	if id == "" {
		jiraFieldErrors(w, map[string]string{"transition": "Missing 'transition' identifier"})
		return
	}
	var t *transition
	for _, x := range workflow[is.status.name] {
		if x.id == id {
			t = &x
		}
	}
	if t == nil {
		name := ""
		for _, ts := range workflow {
			for _, x := range ts {
				if x.id == id {
					name = x.name
				}
			}
		}
		if name == "" {
			jiraError(w, http.StatusBadRequest, "Transition id '"+id+"' is not valid for this issue.")
			return
		}
		jiraError(w, http.StatusBadRequest, "It seems that you have tried to perform a workflow operation ("+name+
			") that is not valid for the current state of this issue ("+is.key+"). The likely cause is that somebody "+
			"has changed the issue recently, please look at the issue history for details.")
		return
	}
	resolution := ""
	if raw, ok := in.Fields["resolution"]; ok {
		var n namedRef
		if err := json.Unmarshal(raw, &n); err != nil {
			jiraFieldErrors(w, map[string]string{"resolution": "Could not find valid 'id' or 'name' in resolution object."})
			return
		}
		res, ok := findNameID(resolutions, n.ref())
		if !ok {
			jiraFieldErrors(w, map[string]string{"resolution": "Resolution '" + n.ref() + "' does not exist."})
			return
		}
		resolution = res.name
	}
	s.jira.transitionTo(is, *t, resolution, u.Name, s.now())
	for _, op := range in.Update["comment"] {
		if raw, ok := op["add"]; ok {
			var b struct {
				Body string `json:"body"`
			}
			if json.Unmarshal(raw, &b) == nil && b.Body != "" {
				is.comments = append(is.comments, &jcomment{id: s.jira.subID(), author: u.Name, updater: u.Name,
					body: b.Body, created: is.updated, updated: is.updated})
			}
		}
	}
	is.refreshText()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) listWorklogs(w http.ResponseWriter, r *http.Request, c *jiraCtx, is *issue) {
	start, max, err := jiraPaging(r, 5000)
	if err != nil {
		jiraError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, c.worklogsPage(is, start, max, false))
}

func (s *Sim) addWorklog(w http.ResponseWriter, r *http.Request, u *User) {
	var in struct {
		TimeSpent        string `json:"timeSpent"`
		TimeSpentSeconds int64  `json:"timeSpentSeconds"`
		Started          string `json:"started"`
		Comment          string `json:"comment"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		jiraError(w, http.StatusBadRequest, "Unrecognized request body: "+err.Error())
		return
	}
	secs := in.TimeSpentSeconds
	if in.TimeSpent != "" {
		n, ok := parseJiraDuration(in.TimeSpent)
		if !ok {
			jiraFieldErrors(w, map[string]string{"timeLogged": "Invalid time duration entered."})
			return
		}
		secs = n
	}
	if secs <= 0 {
		jiraFieldErrors(w, map[string]string{"timeLogged": "You must indicate the time spent working."})
		return
	}
	now := s.now()
	started := now
	if in.Started != "" {
		t, err := time.Parse(jiraDateLayout, in.Started)
		if err != nil {
			jiraFieldErrors(w, map[string]string{"started": "Invalid date format. Please enter the date in the format \"yyyy-MM-dd'T'HH:mm:ss.SSSZ\"."})
			return
		}
		started = t
	}
	is := s.lockIssue(w, r, u)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	is.touch(now)
	wl := &worklog{id: s.jira.subID(), author: u.Name, comment: in.Comment, started: started,
		created: is.updated, updated: is.updated, seconds: secs}
	is.worklogs = append(is.worklogs, wl)
	s.jira.gen++
	writeJSON(w, http.StatusCreated, s.jiraCtx(r, u).worklogJSON(is, wl, false))
}

// createMetaField describes one field of the create screen.
func (c *jiraCtx) createMetaField(p *project, f fieldDef) obj {
	required := f.id == "summary" || f.id == "issuetype" || f.id == "project" || f.id == "reporter"
	o := obj{"required": required, "schema": f.schema(), "name": f.name, "fieldId": f.id,
		"hasDefaultValue": f.id == "priority", "operations": []string{"set"}}
	var allowed []any
	switch f.id {
	case "issuetype":
		for _, it := range issueTypes {
			allowed = append(allowed, c.nameIDJSON("issuetype", it))
		}
	case "priority":
		for _, pr := range priorities {
			allowed = append(allowed, c.nameIDJSON("priority", pr))
		}
		o["defaultValue"] = c.nameIDJSON("priority", priorities[2])
	case "project":
		allowed = append(allowed, c.projectRef(p))
	case "components":
		for _, cp := range p.components {
			allowed = append(allowed, obj{"self": c.api("component/" + cp.id), "id": cp.id, "name": cp.name})
		}
		o["operations"] = []string{"add", "set", "remove"}
	case "fixVersions":
		for _, v := range p.versions {
			allowed = append(allowed, c.versionJSON(p, v))
		}
		o["operations"] = []string{"set", "add", "remove"}
	case "labels":
		o["autoCompleteUrl"] = c.base + "/rest/api/1.0/labels/suggest?query="
		o["operations"] = []string{"add", "set", "remove"}
	case "assignee", "reporter":
		o["autoCompleteUrl"] = c.api("user/assignable/search?project=" + p.key + "&username=")
	}
	if allowed != nil {
		o["allowedValues"] = allowed
	}
	return o
}

var createFields = []string{"summary", "issuetype", "project", "reporter", "assignee", "priority",
	"description", "labels", "components", "fixVersions", "duedate"}

func (s *Sim) createMetaTypes(w http.ResponseWriter, r *http.Request, c *jiraCtx, p *project, start, max int) {
	vals := []any{}
	for i := start; i < len(issueTypes) && len(vals) < max; i++ {
		vals = append(vals, c.nameIDJSON("issuetype", issueTypes[i]))
	}
	writeJSON(w, http.StatusOK, obj{"maxResults": max, "startAt": start, "total": len(issueTypes),
		"isLast": start+len(vals) >= len(issueTypes), "values": vals})
}

func (s *Sim) createMetaFields(w http.ResponseWriter, r *http.Request, c *jiraCtx, p *project, start, max int) {
	if _, ok := findNameID(issueTypes, r.PathValue("type")); !ok {
		jiraError(w, http.StatusNotFound, "Issue type with id '"+r.PathValue("type")+"' does not exist.")
		return
	}
	vals := []any{}
	for i := start; i < len(createFields) && len(vals) < max; i++ {
		f, _ := fieldDefByID(createFields[i])
		vals = append(vals, c.createMetaField(p, f))
	}
	writeJSON(w, http.StatusOK, obj{"maxResults": max, "startAt": start, "total": len(createFields),
		"isLast": start+len(vals) >= len(createFields), "values": vals})
}

// createMetaOld is the Jira 8 endpoint, removed in Jira 9.
func (s *Sim) createMetaOld(w http.ResponseWriter, r *http.Request, u *User) {
	if s.jira.majorVersion() >= 9 {
		jiraError(w, http.StatusNotFound, "null for uri: "+r.URL.String())
		return
	}
	q := r.URL.Query()
	keys := strings.Split(strings.Join(q["projectKeys"], ","), ",")
	withFields := strings.Contains(q.Get("expand"), "projects.issuetypes.fields")
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.jiraCtx(r, u)
	projects := []any{}
	for _, p := range s.jira.projList {
		if q.Get("projectKeys") != "" && !slices.Contains(keys, p.key) {
			continue
		}
		types := []any{}
		for _, it := range issueTypes {
			t := c.nameIDJSON("issuetype", it)
			t["expand"] = "fields"
			if withFields {
				fields := obj{}
				for _, id := range createFields {
					f, _ := fieldDefByID(id)
					fields[id] = c.createMetaField(p, f)
				}
				t["fields"] = fields
			}
			types = append(types, t)
		}
		pj := c.projectRef(p)
		delete(pj, "projectTypeKey")
		pj["issuetypes"] = types
		projects = append(projects, pj)
	}
	writeJSON(w, http.StatusOK, obj{"expand": "projects", "projects": projects})
}

func (s *Sim) getVotes(w http.ResponseWriter, r *http.Request, c *jiraCtx, is *issue) {
	writeJSON(w, http.StatusOK, obj{"self": c.api("issue/" + is.key + "/votes"), "votes": 0, "hasVoted": false, "voters": []any{}})
}
