package sim

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/sim/ql"
)

// Issue is a Jira issue as the Go API sees it.
type Issue struct {
	Key         string    // assigned by AddIssue ("OPS-42")
	ID          string    // assigned by AddIssue
	Project     string    // project key, e.g. "OPS"
	Type        string    // issue type name: Bug, Task, Story, Improvement, Epic (default Task)
	Summary     string    // required
	Description string    // wiki markup
	Priority    string    // Blocker, Critical, Major (default), Minor, Trivial
	Status      string    // Open (default), In Progress, Reopened, Resolved, Closed
	Resolution  string    // set for Resolved/Closed (default "Fixed")
	Assignee    string    // user name; empty is unassigned
	Reporter    string    // user name; defaults to "admin"
	Labels      []string  // labels
	Components  []string  // component names of the project
	FixVersions []string  // version names of the project
	Created     time.Time // defaults to the clock's now
	Updated     time.Time // defaults to Created
	Due         string    // "2006-01-02" or empty
	Environment string    // wiki markup
	// Custom holds custom field values by field name ("Steps to Reproduce"):
	// text for the text fields, an option's value for a select.
	Custom map[string]string
	Epic   string // key of the issue's epic (the Epic Link field), or empty
}

type status struct {
	id, name, desc, icon string
	cat                  int // 2 new, 4 indeterminate, 3 done
}

var statuses = []*status{
	{"1", "Open", "The issue is open and ready for the assignee to start work on it.", "open.png", 2},
	{"3", "In Progress", "This issue is being actively worked on at the moment by the assignee.", "inprogress.png", 4},
	{"4", "Reopened", "This issue was once resolved, but the resolution was deemed incorrect. From here issues are either marked assigned or resolved.", "reopened.png", 2},
	{"5", "Resolved", "A resolution has been taken, and it is awaiting verification by reporter. From here issues are either reopened, or are closed.", "resolved.png", 3},
	{"6", "Closed", "The issue is considered finished, the resolution is correct. Issues which are not closed can be reopened.", "closed.png", 3},
}

var statusCats = map[int][3]string{ // key, colorName, name
	2: {"new", "blue-gray", "To Do"},
	4: {"indeterminate", "yellow", "In Progress"},
	3: {"done", "green", "Done"},
}

func statusByName(n string) *status {
	for _, s := range statuses {
		if strings.EqualFold(s.name, n) {
			return s
		}
	}
	return nil
}

// transition is one step of the classic Jira workflow.
type transition struct {
	id, name string
	to       string // status name
}

var workflow = map[string][]transition{
	"Open":        {{"4", "Start Progress", "In Progress"}, {"5", "Resolve Issue", "Resolved"}, {"2", "Close Issue", "Closed"}},
	"In Progress": {{"301", "Stop Progress", "Open"}, {"5", "Resolve Issue", "Resolved"}, {"2", "Close Issue", "Closed"}},
	"Reopened":    {{"4", "Start Progress", "In Progress"}, {"5", "Resolve Issue", "Resolved"}, {"2", "Close Issue", "Closed"}},
	"Resolved":    {{"701", "Close Issue", "Closed"}, {"3", "Reopen Issue", "Reopened"}},
	"Closed":      {{"3", "Reopen Issue", "Reopened"}},
}

type nameID struct{ id, name, desc, icon string }

var issueTypes = []nameID{
	{"1", "Bug", "A problem which impairs or prevents the functions of the product.", "bug.svg"},
	{"3", "Task", "A task that needs to be done.", "task.svg"},
	{"4", "Improvement", "An improvement or enhancement to an existing feature or task.", "improvement.svg"},
	{"10001", "Story", "A user story. Created by Jira Software - do not edit or delete.", "story.svg"},
	{"10000", "Epic", "A big user story that needs to be broken down. Created by Jira Software - do not edit or delete.", "epic.svg"},
}

var priorities = []nameID{
	{"1", "Blocker", "Blocks development and/or testing work, production could not run.", "blocker.svg"},
	{"2", "Critical", "Crashes, loss of data, severe memory leak.", "critical.svg"},
	{"3", "Major", "Major loss of function.", "major.svg"},
	{"4", "Minor", "Minor loss of function, or other problem where easy workaround is present.", "minor.svg"},
	{"5", "Trivial", "Cosmetic problem like misspelt words or misaligned text.", "trivial.svg"},
}

var resolutions = []nameID{
	{"1", "Fixed", "A fix for this issue is checked into the tree and tested.", ""},
	{"2", "Won't Fix", "The problem described is an issue which will never be fixed.", ""},
	{"3", "Duplicate", "The problem is a duplicate of an existing issue.", ""},
	{"4", "Incomplete", "The problem is not completely described.", ""},
	{"5", "Cannot Reproduce", "All attempts at reproducing this issue failed, or not enough information was available to reproduce the issue.", ""},
	{"10000", "Done", "Work has been completed on this issue.", ""},
}

func findNameID(list []nameID, idOrName string) (nameID, bool) {
	for _, n := range list {
		if n.id == idOrName || strings.EqualFold(n.name, idOrName) {
			return n, true
		}
	}
	return nameID{}, false
}

type linkType struct{ id, name, inward, outward string }

var linkTypes = []linkType{
	{"10000", "Blocks", "is blocked by", "blocks"},
	{"10001", "Cloners", "is cloned by", "clones"},
	{"10002", "Duplicate", "is duplicated by", "duplicates"},
	{"10003", "Relates", "relates to", "relates to"},
}

type jversion struct {
	id       int64
	name     string
	released bool
	date     string
}

type project struct {
	vals       []string // {key, name, id} for Values("project")
	id         int64
	key, name  string
	desc, lead string
	components []nameID
	versions   []jversion
	nextNum    int
	issues     []*issue // in id order
	// movedIn is set once an issue moved here: its id is older than its
	// key, so id order is no longer key order.
	movedIn bool
}

type jcomment struct {
	id                int64
	author, updater   string
	body              string
	created, updated  time.Time
	visType, visValue string // "group" or "role" and its name; "" for everyone
}

type worklog struct {
	id               int64
	author           string
	comment          string
	started          time.Time
	created, updated time.Time
	seconds          int64
}

type change struct {
	field, fieldtype, from, fromString, to, toString string
}

type changeGroup struct {
	id      int64
	author  string
	created time.Time
	items   []change
}

type issueLink struct {
	id       int64
	typ      linkType
	from, to *issue // "from <outward> to", e.g. OPS-1 blocks OPS-2
}

type issue struct {
	// Hot fields first: a search scans them for every record.
	proj                  *project
	status                *status
	updated, created      time.Time
	id                    int64
	key                   string
	summary, description  string
	typ, priority         string
	resolution            string
	security              string // issue security level; "" for none
	environment           string
	custom                map[string]string // custom field id -> value
	assignee, reporter    string
	creator               string
	labels                []string
	components, fixVers   []string
	links                 []*issueLink
	remote                []remoteLink // web links (jira_remote.go)
	comments              []*jcomment
	worklogs              []*worklog
	history               []*changeGroup
	watchers              []string
	sprints               []*sprint // the closed ones it was in, then its current one
	epic                  string    // key of its epic (Epic Link)
	attachments           []*jattachment
	resolved              time.Time
	due                   string
	commentText, fullText string
	fieldText             string // fullText without the comments
	texts                 textCache
	keyVals               []string // {key, earlier keys...}, for Values without allocating
}

// Read-only Values answers shared by all issues (never written after package initialisation),
// so matching does not allocate.
var (
	statusVals = func() map[string][]string {
		m := map[string][]string{}
		for _, st := range statuses {
			m[st.id] = []string{st.name}
		}
		return m
	}()
	statusCatVals = func() map[string][]string {
		m := map[string][]string{}
		for _, st := range statuses {
			c := statusCats[st.cat]
			m[st.id] = []string{c[2], c[0]}
		}
		return m
	}()
	namedVals = func() map[string][]string {
		m := map[string][]string{}
		for _, list := range [][]nameID{issueTypes, priorities, resolutions} {
			for _, n := range list {
				m[n.name] = []string{n.name}
			}
		}
		return m
	}()
)

func nameVals(name string) []string {
	if v, ok := namedVals[name]; ok {
		return v
	}
	return []string{name}
}

type jira struct {
	version     []int
	versionStr  string
	projects    map[string]*project
	projList    []*project
	byID        map[int64]*issue
	byKey       map[string]*issue
	nextID      int64
	nextSub     int64             // comments, worklogs, links, histories
	people      map[string]string // user name -> display name (auth users + generated people)
	gen         uint64
	boards      []*board
	sprints     []*sprint // by id - 1
	attachments map[int64]*jattachment

	orders  orderedLists
	cacheMu sync.Mutex
	cache   map[string]cachedIssues
	html    map[string]string // wiki markup -> rendered HTML
}

type cachedIssues struct {
	gen    uint64
	issues []*issue
}

func newJira(version string) *jira {
	v, _ := parseVersion(version)
	j := &jira{version: v, versionStr: version, projects: map[string]*project{}, byID: map[int64]*issue{},
		byKey: map[string]*issue{}, nextID: 10000, nextSub: 20000, people: map[string]string{},
		cache: map[string]cachedIssues{}, attachments: map[int64]*jattachment{}}
	for i, p := range []struct{ key, name, desc, lead string }{
		{"DATA", "Data Platform", "Databases, backups, pipelines and the warehouse.", "erin.data"},
		{"OPS", "Operations", "On-call, incidents, deployments and infrastructure.", "dave.ops"},
		{"WEB", "Web Platform", "The customer-facing web application and its APIs.", "frank.web"},
	} {
		pr := &project{id: int64(10100 + i), key: p.key, name: p.name, desc: p.desc, lead: p.lead, nextNum: 1,
			vals: []string{p.key, p.name, strconv.Itoa(10100 + i)}}
		for k, c := range projectComponents[p.key] {
			pr.components = append(pr.components, nameID{id: strconv.Itoa(10200 + 10*i + k), name: c})
		}
		for k, v := range []string{"2024.1", "2024.2", "2024.3", "2025.1"} {
			pr.versions = append(pr.versions, jversion{id: int64(10300 + 10*i + k), name: v, released: k < 2,
				date: fmt.Sprintf("2024-%02d-15", 3+4*k)})
		}
		j.projects[p.key] = pr
		j.projList = append(j.projList, pr)
	}
	return j
}

var projectComponents = map[string][]string{
	"OPS":  {"Alerting", "Kubernetes", "Networking", "VPN", "CI/CD"},
	"WEB":  {"Frontend", "API", "Auth", "Checkout"},
	"DATA": {"PostgreSQL", "Backups", "ETL", "Warehouse"},
}

func (j *jira) majorVersion() int { return j.version[0] }

func (j *jira) subID() int64 { j.nextSub++; return j.nextSub }

func (is *issue) refreshText() {
	var b strings.Builder
	for _, c := range is.comments {
		b.WriteString(c.body)
		b.WriteByte('\n')
	}
	is.commentText = b.String()
	// text ~ searches the summary, description, environment, comments and
	// every text custom field.
	b.Reset()
	b.WriteString(is.summary + "\n" + is.description + "\n" + is.environment + "\n")
	for _, f := range customFields {
		if v := is.custom[f.fieldID()]; v != "" && f.kind != "select" {
			b.WriteString(v + "\n")
		}
	}
	is.fieldText = b.String()
	is.fullText = is.fieldText + is.commentText
	is.texts.reset()
}

// Values implements the query record contract for JQL.
func (is *issue) Values(field string) []string {
	switch field {
	case "project":
		return is.proj.vals
	case "key", "issuekey", "issue":
		return is.keyVals
	case "id":
		return []string{strconv.FormatInt(is.id, 10)}
	case "status":
		return statusVals[is.status.id]
	case "statuscategory":
		return statusCatVals[is.status.id]
	case "assignee":
		return nonEmpty(is.assignee)
	case "reporter":
		return nonEmpty(is.reporter)
	case "creator":
		return nonEmpty(is.creator)
	case "priority":
		return nameVals(is.priority)
	case "issuetype", "type":
		return nameVals(is.typ)
	case "labels", "label":
		return is.labels
	case "component":
		return is.components
	case "fixversion":
		return is.fixVers
	case "resolution":
		return nonEmpty(is.resolution)
	case "summary":
		return []string{is.summary}
	case "sprint":
		return is.sprintValues()
	case "epic link":
		return nonEmpty(is.epic)
	}
	return nil
}

// historyFields maps the JQL names WAS and CHANGED search to the field names of the changelog.
var historyFields = map[string]string{"status": "status", "assignee": "assignee", "reporter": "reporter",
	"priority": "priority", "resolution": "resolution"}

// Changes implements ql.HistoryRecord from the issue's changelog.
func (is *issue) Changes(field string) []ql.Change {
	name, ok := historyFields[field]
	if !ok {
		return nil
	}
	var out []ql.Change
	for _, g := range is.history {
		for _, it := range g.items {
			if it.field == name {
				out = append(out, ql.Change{At: g.created, By: g.author, From: it.fromString, To: it.toString})
			}
		}
	}
	return out
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// Time implements the query record contract for JQL.
func (is *issue) Time(field string) (time.Time, bool) {
	switch field {
	case "updated", "updateddate":
		return is.updated, true
	case "created", "createddate":
		return is.created, true
	case "resolved", "resolutiondate":
		return is.resolved, !is.resolved.IsZero()
	case "due", "duedate":
		if is.due == "" {
			return time.Time{}, false
		}
		t, err := time.Parse("2006-01-02", is.due)
		return t, err == nil
	}
	return time.Time{}, false
}

// Text implements the query record contract for JQL.
func (is *issue) Text(field string) string {
	switch field {
	case "summary":
		return is.summary
	case "description":
		return is.description
	case "environment":
		return is.environment
	case "comment":
		return is.commentText
	case "text":
		return is.fullText
	}
	return ""
}

// touch moves updated forward (strictly) to now.
func (is *issue) touch(now time.Time) {
	if !now.After(is.updated) {
		now = is.updated.Add(time.Millisecond)
	}
	is.updated = now
}

func (j *jira) record(is *issue, author string, now time.Time, items ...change) {
	if len(items) == 0 {
		return
	}
	is.history = append(is.history, &changeGroup{id: j.subID(), author: author, created: now, items: items})
}

// validate checks a new issue, returning per-field errors in Jira's wording.
func (j *jira) validate(in Issue) map[string]string {
	errs := map[string]string{}
	pr := j.projects[in.Project]
	if in.Project == "" {
		errs["project"] = "project is required"
	} else if pr == nil {
		errs["project"] = "valid project is required"
	}
	typ := in.Type
	if typ == "" {
		typ = "Task"
	}
	if _, ok := findNameID(issueTypes, typ); !ok {
		errs["issuetype"] = "valid issue type is required"
	}
	if strings.TrimSpace(in.Summary) == "" {
		errs["summary"] = "You must specify a summary of the issue."
	}
	prio := in.Priority
	if prio == "" {
		prio = "Major"
	}
	if _, ok := findNameID(priorities, prio); !ok {
		errs["priority"] = "Priority name '" + prio + "' is not valid"
	}
	if msg := j.checkEpic(in.Epic); msg != "" {
		errs[epicFieldID] = msg
	}
	if in.Status != "" && statusByName(in.Status) == nil {
		errs["status"] = "Status '" + in.Status + "' does not exist"
	}
	for _, u := range []struct{ field, name string }{{"assignee", in.Assignee}, {"reporter", in.Reporter}} {
		if _, known := j.people[u.name]; u.name != "" && !known {
			errs[u.field] = "User '" + u.name + "' does not exist."
		}
	}
	for name, v := range in.Custom {
		switch f, ok := customFieldByName(name); {
		case !ok:
			errs[name] = "Field '" + name + "' cannot be set. It is not on the appropriate screen, or unknown."
		case f.kind == "select" && !slices.Contains(f.options, v):
			errs[f.fieldID()] = "Option value '" + v + "' is not valid"
		}
	}
	if pr != nil {
		for _, c := range in.Components {
			if !pr.hasComponent(c) {
				errs["components"] = "Component name '" + c + "' is not valid"
			}
		}
		for _, v := range in.FixVersions {
			if !pr.hasVersion(v) {
				errs["fixVersions"] = "Version name '" + v + "' is not valid"
			}
		}
	}
	return errs
}

// add validates and stores a new issue; the caller holds the write lock. The returned map holds
// per-field errors in Jira's wording.
func (j *jira) add(in Issue, now time.Time) (*issue, map[string]string) {
	if errs := j.validate(in); len(errs) > 0 {
		return nil, errs
	}
	pr := j.projects[in.Project]
	typ := in.Type
	if typ == "" {
		typ = "Task"
	}
	it, _ := findNameID(issueTypes, typ)
	prio := in.Priority
	if prio == "" {
		prio = "Major"
	}
	pri, _ := findNameID(priorities, prio)
	st := statusByName(in.Status)
	if in.Status == "" {
		st = statuses[0]
	}
	created := in.Created
	if created.IsZero() {
		created = now
	}
	updated := in.Updated
	if updated.IsZero() || updated.Before(created) {
		updated = created
	}
	reporter := in.Reporter
	if reporter == "" {
		reporter = "admin"
	}
	is := &issue{
		id: j.nextID, key: pr.key + "-" + strconv.Itoa(pr.nextNum), proj: pr,
		summary: in.Summary, description: in.Description, typ: it.name, priority: pri.name, status: st,
		assignee: in.Assignee, reporter: reporter, creator: reporter, labels: normJiraLabels(in.Labels),
		components: slices.Clone(in.Components), fixVers: slices.Clone(in.FixVersions),
		created: created, updated: updated, due: in.Due, watchers: []string{reporter}, epic: in.Epic,
		environment: in.Environment,
	}
	for name, v := range in.Custom {
		f, _ := customFieldByName(name)
		if is.custom == nil {
			is.custom = map[string]string{}
		}
		is.custom[f.fieldID()] = v
	}
	if st.cat == 3 {
		is.resolution = in.Resolution
		if is.resolution == "" {
			is.resolution = "Fixed"
		}
		is.resolved = updated
	}
	is.keyVals = []string{is.key}
	j.nextID++
	pr.nextNum++
	is.refreshText()
	j.byID[is.id] = is
	j.byKey[is.key] = is
	pr.issues = append(pr.issues, is)
	j.gen++
	return is, nil
}

func normJiraLabels(in []string) []string {
	var out []string
	for _, l := range in {
		l = strings.TrimSpace(l)
		if l != "" && !strings.ContainsRune(l, ' ') && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func (p *project) hasComponent(name string) bool {
	return slices.ContainsFunc(p.components, func(c nameID) bool { return strings.EqualFold(c.name, name) })
}

func (p *project) hasVersion(name string) bool {
	return slices.ContainsFunc(p.versions, func(v jversion) bool { return strings.EqualFold(v.name, name) })
}

// lookup finds a live issue by key (case-insensitive) or id.
func (j *jira) lookup(keyOrID string) *issue {
	if is := j.byKey[strings.ToUpper(keyOrID)]; is != nil {
		return is
	}
	if n, err := strconv.ParseInt(keyOrID, 10, 64); err == nil {
		return j.byID[n]
	}
	return nil
}

func (j *jira) remove(is *issue) {
	delete(j.byID, is.id)
	for _, k := range is.keyVals {
		delete(j.byKey, k)
	}
	is.proj.issues = slices.DeleteFunc(is.proj.issues, func(x *issue) bool { return x == is })
	for _, l := range is.links {
		other := l.to
		if other == is {
			other = l.from
		}
		other.links = slices.DeleteFunc(other.links, func(x *issueLink) bool { return x == l })
	}
	for _, a := range is.attachments {
		delete(j.attachments, a.id)
	}
	j.gen++
}

func (j *jira) link(typ linkType, from, to *issue) {
	l := &issueLink{id: j.subID(), typ: typ, from: from, to: to}
	from.links = append(from.links, l)
	to.links = append(to.links, l)
	j.gen++
}

// unlink removes link l from both its issues.
func (j *jira) unlink(l *issueLink) {
	for _, is := range []*issue{l.from, l.to} {
		is.links = slices.DeleteFunc(is.links, func(x *issueLink) bool { return x == l })
	}
	j.gen++
}

// transitionTo applies a workflow step, recording the change.
func (j *jira) transitionTo(is *issue, t transition, resolution, author string, now time.Time) {
	old := is.status
	is.status = statusByName(t.to)
	items := []change{{field: "status", fieldtype: "jira", from: old.id, fromString: old.name, to: is.status.id, toString: is.status.name}}
	if is.status.cat == 3 {
		if resolution == "" {
			resolution = "Fixed"
		}
		if is.resolution != resolution {
			items = append(items, change{field: "resolution", fieldtype: "jira", fromString: is.resolution, toString: resolution})
		}
		is.resolution = resolution
		is.resolved = now
	} else if is.resolution != "" {
		items = append(items, change{field: "resolution", fieldtype: "jira", fromString: is.resolution})
		is.resolution = ""
		is.resolved = time.Time{}
	}
	is.touch(now)
	j.record(is, author, is.updated, items...)
	j.gen++
}

// move moves is to project to as Jira's Move does: the issue keeps its id
// and takes the next key of to; its earlier keys stay reserved for it, so
// reading one answers the issue under its new key and JQL key = OLD-1
// finds it. The move is an edit: updated moves and the changelog records
// the Key and project changes. Components and fix versions the new
// project lacks are dropped (the Move wizard asks for new ones); the
// security level stays, as the simulator's levels belong to no project.
func (j *jira) move(is *issue, to *project, author string, now time.Time) {
	from, old := is.proj, is.key
	from.issues = slices.DeleteFunc(from.issues, func(x *issue) bool { return x == is })
	is.proj = to
	is.key = to.key + "-" + strconv.Itoa(to.nextNum)
	to.nextNum++
	at, _ := slices.BinarySearchFunc(to.issues, is.id, func(x *issue, id int64) int { return cmp.Compare(x.id, id) })
	to.issues = slices.Insert(to.issues, at, is)
	to.movedIn = true
	is.keyVals = append([]string{is.key}, is.keyVals...)
	j.byKey[is.key] = is
	is.components = slices.DeleteFunc(is.components, func(c string) bool { return !to.hasComponent(c) })
	is.fixVers = slices.DeleteFunc(is.fixVers, func(v string) bool { return !to.hasVersion(v) })
	is.touch(now)
	j.record(is, author, now,
		change{field: "Key", fieldtype: "jira", fromString: old, toString: is.key},
		change{field: "project", fieldtype: "jira", from: strconv.FormatInt(from.id, 10), fromString: from.name,
			to: strconv.FormatInt(to.id, 10), toString: to.name})
	j.gen++
}

// MoveIssue moves an issue to another project (see move) and returns it
// under its new key. Jira DC has no REST call for this (Move is a wizard
// of the web UI, and an edit cannot change the project), so it is Go API
// only.
func (s *Sim) MoveIssue(keyOrID, projectKey string) (Issue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.jira.lookup(keyOrID)
	if is == nil {
		return Issue{}, fmt.Errorf("sim: move issue %s: %w", keyOrID, ErrNotFound)
	}
	to := s.jira.projects[strings.ToUpper(projectKey)]
	if to == nil {
		return Issue{}, fmt.Errorf("sim: move issue %s to project %s: %w", keyOrID, projectKey, ErrNotFound)
	}
	if to != is.proj {
		s.jira.move(is, to, "admin", s.now())
	}
	return is.toIssue(), nil
}

// AddIssue stores a new issue and returns it with its key and id.
func (s *Sim) AddIssue(in Issue) (Issue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, errs := s.jira.add(in, s.now())
	if errs != nil {
		var parts []string
		for k, v := range errs {
			parts = append(parts, k+": "+v)
		}
		slices.Sort(parts)
		return Issue{}, fmt.Errorf("sim: add issue: %s", strings.Join(parts, "; "))
	}
	return is.toIssue(), nil
}

// GetIssue returns an issue by key or id.
func (s *Sim) GetIssue(keyOrID string) (Issue, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	is := s.jira.lookup(keyOrID)
	if is == nil {
		return Issue{}, fmt.Errorf("sim: get issue %s: %w", keyOrID, ErrNotFound)
	}
	return is.toIssue(), nil
}

// DeleteIssue removes an issue; later reads answer 404.
func (s *Sim) DeleteIssue(keyOrID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.jira.lookup(keyOrID)
	if is == nil {
		return fmt.Errorf("sim: delete issue %s: %w", keyOrID, ErrNotFound)
	}
	s.jira.remove(is)
	return nil
}

// IssueCount returns the number of issues in a project, or in all projects when key is empty.
func (s *Sim) IssueCount(projectKey string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if projectKey == "" {
		return len(s.jira.byID)
	}
	if p := s.jira.projects[projectKey]; p != nil {
		return len(p.issues)
	}
	return 0
}

func (is *issue) toIssue() Issue {
	return Issue{Key: is.key, ID: strconv.FormatInt(is.id, 10), Project: is.proj.key, Type: is.typ,
		Summary: is.summary, Description: is.description, Priority: is.priority, Status: is.status.name,
		Resolution: is.resolution, Assignee: is.assignee, Reporter: is.reporter,
		Labels: slices.Clone(is.labels), Components: slices.Clone(is.components),
		FixVersions: slices.Clone(is.fixVers), Created: is.created, Updated: is.updated, Due: is.due,
		Environment: is.environment, Custom: is.customByName(), Epic: is.epic}
}

// customByName is the issue's custom values keyed by field name, nil when none.
func (is *issue) customByName() map[string]string {
	var out map[string]string
	for _, f := range customFields {
		if v := is.custom[f.fieldID()]; v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[f.name] = v
		}
	}
	return out
}

// IssueKeys returns the keys of a project's issues (all projects when empty), oldest first.
func (s *Sim) IssueKeys(projectKey string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, p := range s.jira.projList {
		if projectKey != "" && p.key != projectKey {
			continue
		}
		for _, is := range p.issues {
			out = append(out, is.key)
		}
	}
	return out
}

// wiki renders wiki markup to HTML, memoised by the markup itself so renderedFields do not
// re-render unchanged text on every request.
func (j *jira) wiki(src string) string {
	if src == "" {
		return ""
	}
	j.cacheMu.Lock()
	h, ok := j.html[src]
	j.cacheMu.Unlock()
	if ok {
		return h
	}
	h = renderWiki(src)
	j.cacheMu.Lock()
	if j.html == nil || len(j.html) > 100000 {
		j.html = map[string]string{}
	}
	j.html[src] = h
	j.cacheMu.Unlock()
	return h
}
