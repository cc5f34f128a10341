package sim

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// jiraDateLayout is Jira's date format, e.g. 2011-12-05T13:48:14.000+0000.
const jiraDateLayout = "2006-01-02T15:04:05.000-0700"

func jiraDate(t time.Time) string { return t.Format(jiraDateLayout) }

// jiraRenderedDate is how renderedFields shows dates ("05/Dec/11 1:48 PM").
func jiraRenderedDate(t time.Time) string { return t.Format("02/Jan/06 3:04 PM") }

// fieldDef describes one system field for /field, names, schema and createmeta.
type fieldDef struct {
	id, name             string
	navigable, orderable bool
	clauses              []string
	schemaType, items    string
}

var fieldDefs = []fieldDef{
	{"issuekey", "Key", true, false, []string{"id", "issue", "issuekey", "key"}, "", ""},
	{"summary", "Summary", true, true, []string{"summary"}, "string", ""},
	{"issuetype", "Issue Type", true, true, []string{"issuetype", "type"}, "issuetype", ""},
	{"project", "Project", true, false, []string{"project"}, "project", ""},
	{"status", "Status", true, false, []string{"status"}, "status", ""},
	{"priority", "Priority", true, true, []string{"priority"}, "priority", ""},
	{"resolution", "Resolution", true, true, []string{"resolution"}, "resolution", ""},
	{"resolutiondate", "Resolved", true, false, []string{"resolutiondate", "resolved"}, "datetime", ""},
	{"assignee", "Assignee", true, true, []string{"assignee"}, "user", ""},
	{"reporter", "Reporter", true, true, []string{"reporter"}, "user", ""},
	{"creator", "Creator", true, false, []string{"creator"}, "user", ""},
	{"created", "Created", true, false, []string{"created", "createdDate"}, "datetime", ""},
	{"updated", "Updated", true, false, []string{"updated", "updatedDate"}, "datetime", ""},
	{"duedate", "Due Date", true, true, []string{"due", "duedate"}, "date", ""},
	{"security", "Security Level", true, true, []string{"level"}, "securitylevel", ""},
	{"description", "Description", true, true, []string{"description"}, "string", ""},
	{"labels", "Labels", true, true, []string{"labels"}, "array", "string"},
	{"components", "Component/s", true, true, []string{"component"}, "array", "component"},
	{"fixVersions", "Fix Version/s", true, true, []string{"fixVersion"}, "array", "version"},
	{"issuelinks", "Linked Issues", true, true, []string{"issueLink"}, "array", "issuelinks"},
	{"watches", "Watchers", true, false, []string{"watchers"}, "watches", ""},
	{"environment", "Environment", true, true, []string{"environment"}, "string", ""},
	{"versions", "Affects Version/s", true, true, []string{"affectedVersion"}, "array", "version"},
	{"subtasks", "Sub-Tasks", true, false, []string{"subtasks"}, "array", "issuelinks"},
	{"votes", "Votes", true, false, []string{"votes"}, "votes", ""},
	{"progress", "Progress", true, false, []string{"progress"}, "progress", ""},
	{"aggregateprogress", "Σ Progress", true, false, []string{}, "progress", ""},
	{"workratio", "Work Ratio", true, false, []string{"workratio"}, "number", ""},
	{"timespent", "Time Spent", true, false, []string{"timespent"}, "number", ""},
	{"timeestimate", "Remaining Estimate", true, false, []string{"remainingEstimate", "timeestimate"}, "number", ""},
	{"timeoriginalestimate", "Original Estimate", true, false, []string{"originalEstimate", "timeoriginalestimate"}, "number", ""},
	{"aggregatetimespent", "Σ Time Spent", true, false, []string{}, "number", ""},
	{"aggregatetimeestimate", "Σ Remaining Estimate", true, false, []string{}, "number", ""},
	{"aggregatetimeoriginalestimate", "Σ Original Estimate", true, false, []string{}, "number", ""},
	{"timetracking", "Time tracking", false, true, []string{}, "timetracking", ""},
	{"attachment", "Attachment", false, true, []string{"attachments"}, "array", "attachment"},
	{"comment", "Comment", false, true, []string{"comment"}, "comments-page", ""},
	{"worklog", "Log Work", false, true, []string{"worklogAuthor", "worklogComment", "worklogDate"}, "array", "worklog"},
	// Jira Software's custom fields.
	{sprintFieldID, "Sprint", true, true, []string{"cf[10104]", "Sprint"}, "array", "string"},
	{epicFieldID, "Epic Link", true, true, []string{"cf[10101]", "Epic Link"}, "any", ""},
}

// customTypes are the plugin types of the custom fields, for their schema.
var customTypes = map[string]string{sprintFieldID: "com.pyxis.greenhopper.jira:gh-sprint", epicFieldID: "com.pyxis.greenhopper.jira:gh-epic-link"}

func fieldDefByID(id string) (fieldDef, bool) {
	for _, f := range fieldDefs {
		if f.id == id {
			return f, true
		}
	}
	return fieldDef{}, false
}

func (f fieldDef) schema() obj {
	if f.schemaType == "" {
		return nil
	}
	if cf, ok := customFieldByID(f.id); ok {
		return obj{"type": f.schemaType, "custom": customTypePrefix + cf.kind, "customId": cf.id}
	}
	if ct, ok := customTypes[f.id]; ok {
		id, _ := strconv.Atoi(strings.TrimPrefix(f.id, "customfield_"))
		o := obj{"type": f.schemaType, "custom": ct, "customId": id}
		if f.items != "" {
			o["items"] = f.items
		}
		return o
	}
	o := obj{"type": f.schemaType, "system": f.id}
	if f.items != "" {
		o["items"] = f.items
	}
	return o
}

func (f fieldDef) json() obj {
	_, custom := customFieldByID(f.id)
	if _, ok := customTypes[f.id]; ok {
		custom = true
	}
	o := obj{"id": f.id, "name": f.name, "custom": custom, "orderable": f.orderable,
		"navigable": f.navigable, "searchable": f.id != "issuekey" && f.id != "watches", "clauseNames": f.clauses}
	if sc := f.schema(); sc != nil {
		o["schema"] = sc
	}
	return o
}

// fieldSet is a parsed "fields" parameter.
type fieldSet map[string]bool

func parseFields(v string, def string) fieldSet {
	if strings.TrimSpace(v) == "" {
		v = def
	}
	fs := fieldSet{}
	var minus []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		switch {
		case p == "*all":
			for _, f := range fieldDefs {
				fs[f.id] = true
			}
		case p == "*navigable":
			// Jira Software's custom fields are left out so that default searches keep the shape
			// of the recorded Jira 5 answers (jira/search.server_sdk.json), which had none.
			for _, f := range fieldDefs {
				if _, custom := customTypes[f.id]; f.navigable && !custom {
					fs[f.id] = true
				}
			}
		case strings.HasPrefix(p, "-"):
			minus = append(minus, p[1:])
		case p != "":
			fs[p] = true
		}
	}
	for _, m := range minus {
		delete(fs, m)
	}
	delete(fs, "issuekey")
	return fs
}

type jiraCtx struct {
	s    *Sim
	base string // e.g. http://127.0.0.1:4242/jira
	user *User
}

func (s *Sim) jiraCtx(r *http.Request, u *User) *jiraCtx {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return &jiraCtx{s: s, base: scheme + "://" + r.Host + "/jira", user: u}
}

func (c *jiraCtx) api(path string) string { return c.base + "/rest/api/2/" + path }

func (c *jiraCtx) avatars(kind, id string) obj {
	return obj{
		"48x48": c.base + "/secure/" + kind + "?" + id + "avatarId=10122",
		"24x24": c.base + "/secure/" + kind + "?size=small&" + id + "avatarId=10122",
		"16x16": c.base + "/secure/" + kind + "?size=xsmall&" + id + "avatarId=10122",
		"32x32": c.base + "/secure/" + kind + "?size=medium&" + id + "avatarId=10122",
	}
}

func (c *jiraCtx) userJSON(name string) any {
	if name == "" {
		return nil
	}
	display := c.s.jira.people[name]
	if display == "" {
		display = name
	}
	email := name + "@example.com"
	if u := c.s.users[name]; u != nil {
		email = u.Email
	}
	return obj{
		"self":         c.api("user?username=" + url.QueryEscape(name)),
		"name":         name,
		"key":          name,
		"emailAddress": email,
		"avatarUrls":   c.avatars("useravatar", "ownerId="+url.QueryEscape(name)+"&"),
		"displayName":  display,
		"active":       true,
		"timeZone":     c.s.userZone(name).String(),
	}
}

func (c *jiraCtx) statusJSON(st *status) obj {
	cat := statusCats[st.cat]
	return obj{
		"self":        c.api("status/" + st.id),
		"description": st.desc,
		"iconUrl":     c.base + "/images/icons/statuses/" + st.icon,
		"name":        st.name,
		"id":          st.id,
		"statusCategory": obj{
			"self": c.api("statuscategory/" + strconv.Itoa(st.cat)), "id": st.cat, "key": cat[0],
			"colorName": cat[1], "name": cat[2],
		},
	}
}

func (c *jiraCtx) nameIDJSON(kind string, n nameID) obj {
	o := obj{"self": c.api(kind + "/" + n.id), "id": n.id, "name": n.name}
	if n.desc != "" && kind != "priority" {
		o["description"] = n.desc
	}
	switch kind {
	case "issuetype":
		o["iconUrl"] = c.base + "/images/icons/issuetypes/" + n.icon
		o["subtask"] = false
		if n.name == "Epic" || n.name == "Story" {
			o["avatarId"] = 10300
		}
	case "priority":
		o["iconUrl"] = c.base + "/images/icons/priorities/" + n.icon
	}
	return o
}

func (c *jiraCtx) projectRef(p *project) obj {
	return obj{
		"self":           c.api("project/" + strconv.FormatInt(p.id, 10)),
		"id":             strconv.FormatInt(p.id, 10),
		"key":            p.key,
		"name":           p.name,
		"projectTypeKey": "software",
		"avatarUrls":     c.avatars("projectavatar", "pid="+strconv.FormatInt(p.id, 10)+"&"),
	}
}

func (c *jiraCtx) componentJSON(p *project, name string) obj {
	for _, cp := range p.components {
		if strings.EqualFold(cp.name, name) {
			return obj{"self": c.api("component/" + cp.id), "id": cp.id, "name": cp.name}
		}
	}
	return obj{"name": name}
}

func (c *jiraCtx) versionJSON(p *project, v jversion) obj {
	id := strconv.FormatInt(v.id, 10)
	return obj{"self": c.api("version/" + id), "id": id, "name": v.name, "archived": false,
		"released": v.released, "releaseDate": v.date, "projectId": p.id}
}

func (c *jiraCtx) fixVersionJSON(p *project, name string) obj {
	for _, v := range p.versions {
		if strings.EqualFold(v.name, name) {
			o := c.versionJSON(p, v)
			delete(o, "projectId")
			return o
		}
	}
	return obj{"name": name}
}

func (c *jiraCtx) linkedIssue(is *issue) obj {
	return obj{
		"id":   strconv.FormatInt(is.id, 10),
		"key":  is.key,
		"self": c.api("issue/" + strconv.FormatInt(is.id, 10)),
		"fields": obj{
			"summary":   is.summary,
			"status":    c.statusJSON(is.status),
			"priority":  c.nameIDJSON("priority", mustNameID(priorities, is.priority)),
			"issuetype": c.nameIDJSON("issuetype", mustNameID(issueTypes, is.typ)),
		},
	}
}

func mustNameID(list []nameID, name string) nameID {
	n, ok := findNameID(list, name)
	if !ok {
		return nameID{id: "0", name: name}
	}
	return n
}

func (c *jiraCtx) linkJSON(is *issue, l *issueLink) obj {
	o := obj{
		"id":   strconv.FormatInt(l.id, 10),
		"self": c.api("issueLink/" + strconv.FormatInt(l.id, 10)),
		"type": obj{"id": l.typ.id, "name": l.typ.name, "inward": l.typ.inward, "outward": l.typ.outward,
			"self": c.api("issueLinkType/" + l.typ.id)},
	}
	if l.from == is {
		o["outwardIssue"] = c.linkedIssue(l.to)
	} else {
		o["inwardIssue"] = c.linkedIssue(l.from)
	}
	return o
}

func (c *jiraCtx) commentJSON(is *issue, cm *jcomment, render bool) obj {
	body := cm.body
	if render {
		body = c.s.jira.wiki(cm.body)
	}
	created, updated := jiraDate(cm.created), jiraDate(cm.updated)
	if render {
		created, updated = jiraRenderedDate(cm.created), jiraRenderedDate(cm.updated)
	}
	o := obj{
		"self":         c.api("issue/" + strconv.FormatInt(is.id, 10) + "/comment/" + strconv.FormatInt(cm.id, 10)),
		"id":           strconv.FormatInt(cm.id, 10),
		"author":       c.userJSON(cm.author),
		"body":         body,
		"updateAuthor": c.userJSON(cm.updater),
		"created":      created,
		"updated":      updated,
	}
	if cm.visType != "" {
		o["visibility"] = obj{"type": cm.visType, "value": cm.visValue}
	}
	return o
}

// commentsPage pages through the comments the caller may see: one restricted to a group or
// project role they are not in is left out, as if it did not exist.
func (c *jiraCtx) commentsPage(is *issue, start, max int, render bool) obj {
	var seen []*jcomment
	for _, cm := range is.comments {
		if c.s.canSeeComment(c.user, cm) {
			seen = append(seen, cm)
		}
	}
	res := []any{}
	for i := start; i < len(seen) && len(res) < max; i++ {
		res = append(res, c.commentJSON(is, seen[i], render))
	}
	return obj{"comments": res, "maxResults": max, "total": len(seen), "startAt": start}
}

// securityJSON is an issue security level as fields.security shows it.
func (c *jiraCtx) securityJSON(level string) obj {
	id := strconv.Itoa(10000 + slices.Index(c.s.levelNames, level))
	return obj{"self": c.api("securitylevel/" + id), "id": id, "description": "", "name": level}
}

func (c *jiraCtx) worklogJSON(is *issue, wl *worklog, render bool) obj {
	comment := wl.comment
	if render {
		comment = c.s.jira.wiki(comment)
	}
	id := strconv.FormatInt(wl.id, 10)
	return obj{
		"self":             c.api("issue/" + strconv.FormatInt(is.id, 10) + "/worklog/" + id),
		"author":           c.userJSON(wl.author),
		"updateAuthor":     c.userJSON(wl.author),
		"comment":          comment,
		"created":          jiraDate(wl.created),
		"updated":          jiraDate(wl.updated),
		"started":          jiraDate(wl.started),
		"timeSpent":        formatJiraDuration(wl.seconds),
		"timeSpentSeconds": wl.seconds,
		"id":               id,
		"issueId":          strconv.FormatInt(is.id, 10),
	}
}

func (c *jiraCtx) worklogsPage(is *issue, start, max int, render bool) obj {
	res := []any{}
	for i := start; i < len(is.worklogs) && len(res) < max; i++ {
		res = append(res, c.worklogJSON(is, is.worklogs[i], render))
	}
	return obj{"startAt": start, "maxResults": max, "total": len(is.worklogs), "worklogs": res}
}

// fieldValue renders one field of an issue.
func (c *jiraCtx) fieldValue(is *issue, id string) any {
	if cf, ok := customFieldByID(id); ok {
		return c.customValue(is, cf)
	}
	switch id {
	case "summary":
		return is.summary
	case "description":
		if is.description == "" {
			return nil
		}
		return is.description
	case "issuetype":
		return c.nameIDJSON("issuetype", mustNameID(issueTypes, is.typ))
	case "project":
		return c.projectRef(is.proj)
	case "status":
		return c.statusJSON(is.status)
	case "priority":
		return c.nameIDJSON("priority", mustNameID(priorities, is.priority))
	case "resolution":
		if is.resolution == "" {
			return nil
		}
		return c.nameIDJSON("resolution", mustNameID(resolutions, is.resolution))
	case "resolutiondate":
		if is.resolved.IsZero() {
			return nil
		}
		return jiraDate(is.resolved)
	case "assignee":
		return c.userJSON(is.assignee)
	case "reporter":
		return c.userJSON(is.reporter)
	case "creator":
		return c.userJSON(is.creator)
	case "created":
		return jiraDate(is.created)
	case "updated":
		return jiraDate(is.updated)
	case "duedate":
		if is.due == "" {
			return nil
		}
		return is.due
	case "labels":
		return append([]string{}, is.labels...)
	case "components":
		out := []any{}
		for _, n := range is.components {
			out = append(out, c.componentJSON(is.proj, n))
		}
		return out
	case "fixVersions":
		out := []any{}
		for _, n := range is.fixVers {
			out = append(out, c.fixVersionJSON(is.proj, n))
		}
		return out
	case "issuelinks":
		out := []any{}
		for _, l := range is.links {
			out = append(out, c.linkJSON(is, l))
		}
		return out
	case "watches":
		return obj{"self": c.api("issue/" + is.key + "/watchers"), "watchCount": len(is.watchers),
			"isWatching": slices.Contains(is.watchers, c.user.Name)}
	case "comment":
		return c.commentsPage(is, 0, len(is.comments), false)
	case "security":
		if is.security == "" {
			return nil
		}
		return c.securityJSON(is.security)
	case "worklog":
		return c.worklogsPage(is, 0, len(is.worklogs), false)
	case "environment":
		return nullable(is.environment)
	case "timeestimate", "timeoriginalestimate", "aggregatetimeestimate", "aggregatetimeoriginalestimate":
		return nil
	case sprintFieldID:
		return sprintFieldJSON(is)
	case epicFieldID:
		return nullable(is.epic)
	case "attachment":
		out := []any{}
		for _, a := range is.attachments {
			out = append(out, c.attachmentJSON(a))
		}
		return out
	case "versions", "subtasks":
		return []any{}
	case "votes":
		return obj{"self": c.api("issue/" + is.key + "/votes"), "votes": 0, "hasVoted": false}
	case "workratio":
		return -1
	case "timespent", "aggregatetimespent":
		if sec := is.timeSpent(); sec > 0 {
			return sec
		}
		return nil
	case "progress", "aggregateprogress":
		sec := is.timeSpent()
		o := obj{"progress": sec, "total": sec}
		if sec > 0 {
			o["percent"] = 100
		}
		return o
	case "timetracking":
		sec := is.timeSpent()
		if sec == 0 {
			return obj{}
		}
		return obj{"timeSpent": formatJiraDuration(sec), "timeSpentSeconds": sec}
	}
	return nil
}

func (is *issue) timeSpent() int64 {
	var n int64
	for _, w := range is.worklogs {
		n += w.seconds
	}
	return n
}

func (c *jiraCtx) renderedValue(is *issue, id string) any {
	if cf, ok := customFieldByID(id); ok {
		return c.renderedCustom(is, cf)
	}
	switch id {
	case "environment":
		if is.environment == "" {
			return nil
		}
		return c.s.jira.wiki(is.environment)
	case "description":
		if is.description == "" {
			return nil
		}
		return c.s.jira.wiki(is.description)
	case "comment":
		return c.commentsPage(is, 0, len(is.comments), true)
	case "worklog":
		return c.worklogsPage(is, 0, len(is.worklogs), true)
	case "created":
		return jiraRenderedDate(is.created)
	case "updated":
		return jiraRenderedDate(is.updated)
	case "resolutiondate":
		if is.resolved.IsZero() {
			return nil
		}
		return jiraRenderedDate(is.resolved)
	case "duedate":
		if is.due == "" {
			return nil
		}
		t, err := time.Parse("2006-01-02", is.due)
		if err != nil {
			return nil
		}
		return t.Format("02/Jan/06")
	}
	return nil
}

// issueJSON renders an issue with the selected fields and expansions.
func (c *jiraCtx) issueJSON(is *issue, fs fieldSet, e expansion) obj {
	idStr := strconv.FormatInt(is.id, 10)
	o := obj{
		"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		"id":     idStr,
		"self":   c.api("issue/" + idStr),
		"key":    is.key,
	}
	fields := obj{}
	for _, f := range fieldDefs {
		// Jira shows security only where a level is set (the samples have none).
		if fs[f.id] && (f.id != "security" || is.security != "") {
			fields[f.id] = c.fieldValue(is, f.id)
		}
	}
	o["fields"] = fields
	if e["renderedFields"] {
		rf := obj{}
		for _, f := range fieldDefs {
			if fs[f.id] {
				rf[f.id] = c.renderedValue(is, f.id)
			}
		}
		o["renderedFields"] = rf
	}
	if e["names"] {
		o["names"] = namesJSON(fs)
	}
	if e["schema"] {
		o["schema"] = schemaJSON(fs)
	}
	if e["transitions"] {
		o["transitions"] = c.transitionsJSON(is)
	}
	if e["changelog"] {
		o["changelog"] = c.changelogJSON(is)
	}
	return o
}

func namesJSON(fs fieldSet) obj {
	names := obj{}
	for _, f := range fieldDefs {
		if fs[f.id] {
			names[f.id] = f.name
		}
	}
	return names
}

func schemaJSON(fs fieldSet) obj {
	sc := obj{}
	for _, f := range fieldDefs {
		if fs[f.id] && f.schema() != nil {
			sc[f.id] = f.schema()
		}
	}
	return sc
}

func (c *jiraCtx) transitionsJSON(is *issue) []any {
	out := []any{}
	for _, t := range workflow[is.status.name] {
		out = append(out, obj{"id": t.id, "name": t.name, "to": c.statusJSON(statusByName(t.to)),
			"hasScreen": false, "isGlobal": false, "isInitial": false, "isConditional": false})
	}
	return out
}

func (c *jiraCtx) changelogJSON(is *issue) obj {
	hs := []any{}
	for _, h := range is.history {
		items := []any{}
		for _, it := range h.items {
			items = append(items, obj{"field": it.field, "fieldtype": it.fieldtype, "from": nullable(it.from),
				"fromString": nullable(it.fromString), "to": nullable(it.to), "toString": nullable(it.toString)})
		}
		hs = append(hs, obj{"id": strconv.FormatInt(h.id, 10), "author": c.userJSON(h.author),
			"created": jiraDate(h.created), "items": items})
	}
	return obj{"startAt": 0, "maxResults": len(hs), "total": len(hs), "histories": hs}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// jiraError writes Jira's error envelope with one message.
func jiraError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, obj{"errorMessages": []string{msg}, "errors": obj{}})
}

// jiraFieldErrors writes Jira's 400 envelope with per-field errors.
func jiraFieldErrors(w http.ResponseWriter, errs map[string]string) {
	writeJSON(w, http.StatusBadRequest, obj{"errorMessages": []string{}, "errors": errs})
}

// formatJiraDuration renders seconds the way Jira does ("1h 30m", "2d", "1w 2d") with 8h days
// and 5d weeks.
func formatJiraDuration(sec int64) string {
	units := []struct {
		n      int64
		suffix string
	}{{5 * 8 * 3600, "w"}, {8 * 3600, "d"}, {3600, "h"}, {60, "m"}}
	var parts []string
	for _, u := range units {
		if sec >= u.n {
			parts = append(parts, strconv.FormatInt(sec/u.n, 10)+u.suffix)
			sec %= u.n
		}
	}
	if len(parts) == 0 {
		return "0m"
	}
	return strings.Join(parts, " ")
}

// parseJiraDuration reads "1w 2d 3h 30m" (also "90m", "1.5h") into seconds.
func parseJiraDuration(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	var total float64
	for _, p := range strings.Fields(s) {
		if len(p) < 2 {
			return 0, false
		}
		n, err := strconv.ParseFloat(p[:len(p)-1], 64)
		if err != nil || n < 0 {
			return 0, false
		}
		switch p[len(p)-1] {
		case 'w':
			total += n * 5 * 8 * 3600
		case 'd':
			total += n * 8 * 3600
		case 'h':
			total += n * 3600
		case 'm':
			total += n * 60
		default:
			return 0, false
		}
	}
	return int64(total), total > 0
}
