package mcp

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/markup"
)

var issueKeyPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*-[0-9]+$`)

// issueKey normalises and checks an issue key argument.
func issueKey(k string) (string, error) {
	k = strings.TrimSpace(k)
	if !issueKeyPattern.MatchString(k) {
		return "", argError("issue_key must look like PROJ-123 (got %q); find keys with jira_search_issues", quoteInput(k))
	}
	return strings.ToUpper(k), nil
}

// checkIssue validates an issue key and, when JIRA_PROJECTS is set,
// checks the issue's project (one request: issues can move between
// projects, so the key's prefix is not proof).
func (s *Server) checkIssue(ctx context.Context, k string) (string, error) {
	key, err := issueKey(k)
	if err != nil {
		return "", err
	}
	if s.projects.all() {
		return key, nil
	}
	is, _, err := s.jira.Issues.Get(ctx, key, &atlassian.GetIssueOptions{Fields: []string{"project"}})
	if err != nil {
		return "", serverError(err, "issue "+key, "")
	}
	if p := issueProject(is); !s.projects.allows(p) {
		return "", s.projects.refuse(fmt.Sprintf("issue %s (project %s)", key, p))
	}
	return key, nil
}

func issueProject(is *atlassian.Issue) string {
	if is.Fields.Project != nil {
		return is.Fields.Project.Key
	}
	k, _, _ := strings.Cut(is.Key, "-")
	return k
}

func (s *Server) issueURL(key string) string { return s.jira.AbsURL("/browse/" + key) }

// wikiMarkup converts a markdown argument to Jira wiki markup.
func wikiMarkup(md string) string { return markup.MarkdownToWiki(md) }

func named(n *atlassian.Named) string {
	if n == nil {
		return ""
	}
	return text(n.Name)
}

func statusName(st *atlassian.Status) string {
	if st == nil {
		return ""
	}
	return text(st.Name)
}

func typeName(t *atlassian.IssueType) string {
	if t == nil {
		return ""
	}
	return text(t.Name)
}

func userName(u *atlassian.JiraUser) string { return text(u.Label()) }

// --- jira_get_issue

type getIssueArgs struct {
	IssueKey string   `json:"issue_key" jsonschema_description:"Issue key, e.g. OPS-123."`
	Fields   []string `json:"fields,omitempty" jsonschema_description:"Other fields to add, by name or id, e.g. [\"Story Points\", \"environment\", \"timetracking\"]."`
	MaxChars int      `json:"max_chars,omitempty" jsonschema_description:"Most characters of description to return (default 20000)."`
	Offset   int      `json:"offset,omitempty" jsonschema_description:"Byte offset into the description to continue from (next_offset of a previous call)."`
}

type linkOut struct {
	ID       string `json:"id,omitempty"` // of an issue link, for jira_remove_link
	Key      string `json:"key"`
	Relation string `json:"relation,omitempty"`
	Summary  string `json:"summary,omitempty"`
	Status   string `json:"status,omitempty"`
}

type issueOut struct {
	Key         string      `json:"key"`
	Summary     string      `json:"summary"`
	Type        string      `json:"type,omitempty"`
	Status      string      `json:"status,omitempty"`
	Priority    string      `json:"priority,omitempty"`
	Resolution  string      `json:"resolution,omitempty"`
	Assignee    string      `json:"assignee,omitempty"`
	Reporter    string      `json:"reporter,omitempty"`
	Created     string      `json:"created,omitempty"`
	Updated     string      `json:"updated,omitempty"`
	Due         string      `json:"due,omitempty"`
	Labels      []string    `json:"labels,omitempty"`
	Components  []string    `json:"components,omitempty"`
	FixVersions []string    `json:"fix_versions,omitempty"`
	Epic        string      `json:"epic,omitempty"`
	Parent      *linkOut    `json:"parent,omitempty"`
	Subtasks    []linkOut   `json:"subtasks,omitempty"`
	Links       []linkOut   `json:"links,omitempty"`
	Custom      []customOut `json:"fields,omitempty"`
	URL         string      `json:"url"`
	Description string      `json:"description"`
	Truncated   bool        `json:"truncated,omitempty"`
	NextOffset  int         `json:"next_offset,omitempty"`
	Length      int         `json:"length,omitempty"`
}

// issueFields are the fields jira_get_issue reads. Not "comment": Jira
// would inline every comment of the issue (rendered, too); jira_get_comments
// pages through them instead.
var issueFields = []string{"summary", "issuetype", "status", "priority", "resolution", "assignee", "reporter",
	"created", "updated", "duedate", "labels", "components", "fixVersions", "parent", "subtasks", "issuelinks",
	"description", "project"}

func (s *Server) jiraGetIssue() tool {
	return readTool("jira", "jira_get_issue", "Read a Jira issue",
		"Read one Jira issue: key, summary, type, status, priority, resolution, assignee, reporter, dates, labels, components, fix versions, epic, parent, subtasks, links, other fields asked for, URL and the description as markdown (cut at max_chars; continue with offset=next_offset). Comments: jira_get_comments.",
		func(ctx context.Context, a getIssueArgs) (*mcpgo.CallToolResult, error) {
			key, err := issueKey(a.IssueKey)
			if err != nil {
				return nil, err
			}
			maxChars, err := window("max_chars", a.MaxChars, defaultMaxChars, maxMaxChars, "offset", a.Offset)
			if err != nil {
				return nil, err
			}
			custom, err := s.resolveFields(ctx, a.Fields)
			if err != nil {
				return nil, err
			}
			fields := issueFields
			for _, c := range custom {
				fields = append(slices.Clip(fields), c.ID)
			}
			epic := s.epicFieldID(ctx)
			if epic != "" {
				fields = append(slices.Clip(fields), epic)
			}
			is, _, err := s.jira.Issues.Get(ctx, key, &atlassian.GetIssueOptions{Fields: fields})
			if err != nil {
				return nil, serverError(err, "issue "+key, "")
			}
			if p := issueProject(is); !s.projects.allows(p) {
				return nil, s.projects.refuse(fmt.Sprintf("issue %s (project %s)", is.Key, p))
			}
			f := &is.Fields
			out := issueOut{Key: is.Key, Summary: text(f.Summary), Type: typeName(f.IssueType), Status: statusName(f.Status),
				Priority: named(f.Priority), Resolution: named(f.Resolution), Assignee: userName(f.Assignee), Reporter: userName(f.Reporter),
				Created: stamp(f.Created), Updated: stamp(f.Updated), Due: day(f.DueDate), Labels: f.Labels, URL: s.issueURL(is.Key)}
			for _, c := range f.Components {
				out.Components = append(out.Components, text(c.Name))
			}
			for _, v := range f.FixVersions {
				out.FixVersions = append(out.FixVersions, text(v.Name))
			}
			if v, ok := customValue(f.Custom[epic]).(string); ok && epic != "" {
				out.Epic = v
			}
			if f.Parent != nil {
				p := s.linked(f.Parent, "")
				out.Parent = &p
			}
			for i := range f.Subtasks {
				out.Subtasks = append(out.Subtasks, s.linked(&f.Subtasks[i], ""))
			}
			for _, l := range f.IssueLinks {
				switch {
				case l.OutwardIssue != nil:
					out.Links = append(out.Links, s.linked(l.OutwardIssue, l.Type.Outward))
				case l.InwardIssue != nil:
					out.Links = append(out.Links, s.linked(l.InwardIssue, l.Type.Inward))
				default:
					continue
				}
				out.Links[len(out.Links)-1].ID = l.ID
			}
			for _, c := range custom {
				c.Value = fieldValue(f, c.ID)
				out.Custom = append(out.Custom, c)
			}
			// The raw wiki markup in its editable form, not the rendered HTML:
			// jira_update_issue applies an edit of exactly this text.
			b, err := cut(markup.EditableWiki(f.Description), maxChars, a.Offset)
			if err != nil {
				return nil, err
			}
			out.Description, out.Truncated, out.NextOffset, out.Length = b.Body, b.Truncated, b.NextOffset, b.Length
			return jsonResult(out)
		})
}

// customOut is a custom field asked for with jira_get_issue's fields.
type customOut struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// resolveFields maps field names or ids to custom fields, reading Jira's
// field list once per server.
func (s *Server) resolveFields(ctx context.Context, want []string) ([]customOut, error) {
	if len(want) == 0 {
		return nil, nil
	}
	all, err := s.jiraFields.get(ctx, s.jira)
	if err != nil {
		return nil, serverError(err, "the field list", "")
	}
	var out []customOut
	for _, w := range want {
		w = strings.TrimSpace(w)
		i := slices.IndexFunc(all, func(f atlassian.Field) bool { return f.ID == w || strings.EqualFold(f.Name, w) })
		if i < 0 {
			return nil, argError("jira has no field %q: give a field name as shown in Jira (e.g. \"Story Points\") or an id (customfield_10002)", quoteInput(w))
		}
		if !all[i].Custom && slices.Contains(issueFields, all[i].ID) {
			continue // in the answer already
		}
		out = append(out, customOut{ID: all[i].ID, Name: text(all[i].Name)})
	}
	return out, nil
}

// fieldValue is the value of field id of f as a person reads it: the
// system fields IssueFields decodes itself from their types, any other
// from its JSON.
func fieldValue(f *atlassian.IssueFields, id string) any {
	switch id {
	case "environment":
		if f.Environment == "" {
			return nil
		}
		return text(f.Environment)
	case "creator":
		return userName(f.Creator)
	case "resolutiondate":
		return stamp(f.ResolutionDate)
	case "versions":
		names := []string{}
		for _, v := range f.Versions {
			names = append(names, text(v.Name))
		}
		return names
	case "attachment":
		var list []struct {
			ID       string `json:"id"`
			Filename string `json:"filename"`
			Size     int64  `json:"size"`
			MimeType string `json:"mimeType"`
		}
		if json.Unmarshal(f.Custom[id], &list) != nil {
			return nil
		}
		out := []map[string]any{}
		for _, a := range list {
			out = append(out, map[string]any{"id": a.ID, "name": text(a.Filename), "size": a.Size, "type": text(a.MimeType)})
		}
		return out
	}
	return customValue(f.Custom[id])
}

// fieldCache holds Jira's field list, which changes rarely, for the life
// of the server; a failed read is retried on the next call.
type fieldCache struct {
	mu     sync.Mutex
	fields []atlassian.Field
}

func (c *fieldCache) get(ctx context.Context, jira *atlassian.Jira) ([]atlassian.Field, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fields != nil {
		return c.fields, nil
	}
	fs, _, err := jira.Meta.Fields(ctx)
	if err != nil {
		return nil, err
	}
	c.fields = fs
	return fs, nil
}

// sprintName reads the name of a Jira Server sprint serialised as
// "com.atlassian.greenhopper.service.sprint.Sprint@1f[id=1,name=Sprint 7,...]".
var sprintName = regexp.MustCompile(`\bname=([^,\]]*)`)

// customValue reduces a custom field's JSON to what a person reads: an
// option's value, a user's or version's name, a sprint's name, lists of
// those; anything else as compact JSON, cut short.
func customValue(raw json.RawMessage) any {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil || v == nil {
		return nil
	}
	return simplify(v)
}

func simplify(v any) any {
	switch x := v.(type) {
	case string:
		if m := sprintName.FindStringSubmatch(x); m != nil && strings.Contains(x, "sprint.Sprint@") {
			return text(m[1])
		}
		return oneLine(x, 2000)
	case map[string]any:
		for _, k := range []string{"value", "name", "displayName", "key"} {
			if s, ok := x[k].(string); ok && s != "" {
				if child, ok := x["child"].(map[string]any); ok { // cascading select
					return text(s) + " / " + fmt.Sprint(simplify(child))
				}
				return text(s)
			}
		}
		b, _ := json.Marshal(x)
		return oneLine(string(b), 500)
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, simplify(e))
		}
		return out
	}
	return v
}

// linked describes an issue linked to the one read. One in a project
// outside JIRA_PROJECTS shows its key only: its summary and status are
// what the allow-list keeps from the model.
func (s *Server) linked(l *atlassian.LinkedIssue, relation string) linkOut {
	project, _, _ := strings.Cut(l.Key, "-")
	if !s.projects.allows(project) {
		return linkOut{Key: l.Key, Relation: relation}
	}
	return linkOut{Key: l.Key, Relation: relation, Summary: text(l.Fields.Summary), Status: statusName(l.Fields.Status)}
}

// --- jira_search_issues

type searchIssuesArgs struct {
	JQL        string   `json:"jql" jsonschema_description:"JQL query, e.g. project = OPS AND status = \"In Progress\" AND text ~ \"timeout\" ORDER BY updated DESC"`
	MaxResults int      `json:"max_results,omitempty" jsonschema_description:"Issues per page, 1-100 (default 20)."`
	StartAt    int      `json:"start_at,omitempty" jsonschema_description:"Index of the first issue, from next_start_at of a previous call."`
	Fields     []string `json:"fields,omitempty" jsonschema_description:"Columns to add, by field name or id, e.g. [\"labels\", \"Due Date\", \"Fix Version/s\", \"Sprint\"]."`
}

// issueURLTemplate is the web address of an issue by key.
const issueURLTemplate = "/browse/{key}"

// issueList is the answer of jira_search_issues: the hits as a table.
type issueList struct {
	Searched string `json:"searched,omitempty"` // the query run for plain words
	Total    int    `json:"total"`
	StartAt  int    `json:"start_at,omitempty"`
	IssueURL string `json:"issue_url"`
	// Columns every hit shares, given once.
	Type        string     `json:"type,omitempty"`
	Status      string     `json:"status,omitempty"`
	Assignee    string     `json:"assignee,omitempty"`
	Priority    string     `json:"priority,omitempty"`
	Updated     string     `json:"updated,omitempty"`
	Columns     []string   `json:"columns"`
	Issues      [][]string `json:"issues"`
	NextStartAt int        `json:"next_start_at,omitempty"`
}

func (s *Server) jiraSearchIssues() tool {
	return readTool("jira", "jira_search_issues", "Search Jira with JQL",
		"Search Jira issues with JQL (plain words are searched as text). Example: project = OPS AND status != Done AND text ~ \"timeout\" ORDER BY updated DESC. "+
			"Returns total, issue_url (insert a key), then columns and one row per issue: key, summary, type, status, assignee (empty: unassigned), priority, updated (date), then any fields asked for; "+
			"a value all issues share is given once. Read one with jira_get_issue.",
		func(ctx context.Context, a searchIssuesArgs) (*mcpgo.CallToolResult, error) {
			if strings.TrimSpace(a.JQL) == "" {
				return nil, argError("jql is empty: give a JQL query such as project = OPS ORDER BY updated DESC")
			}
			max, err := window("max_results", a.MaxResults, 20, 100, "start_at", a.StartAt)
			if err != nil {
				return nil, err
			}
			query, plain := wordsQuery(a.JQL)
			jql, err := s.projects.scope(query, "project")
			if err != nil {
				return nil, argError("%v", err)
			}
			out, err := s.issueTable(ctx, a.Fields, a.StartAt, func(fields []string) (*atlassian.IssuePage, error) {
				p, _, err := s.jira.Issues.Search(ctx, jql, &atlassian.SearchIssuesOptions{StartAt: a.StartAt, MaxResults: max, Fields: fields})
				if err != nil {
					return nil, serverError(err, "the search", queryHint("JQL", jql))
				}
				return p, nil
			})
			if err != nil {
				return nil, err
			}
			if plain {
				out.Searched = plainWordsNote(query)
			}
			return jsonResult(out)
		})
}

// issueTable reads a page of issues through fetch, with the search columns and the extra
// fields asked for, and lays them out as jira_search_issues answers.
func (s *Server) issueTable(ctx context.Context, extraFields []string, startAt int, fetch func(fields []string) (*atlassian.IssuePage, error)) (*issueList, error) {
	extra, err := s.columnFields(ctx, extraFields)
	if err != nil {
		return nil, err
	}
	fields := []string{"summary", "issuetype", "status", "assignee", "priority", "updated"}
	columns := []string{"key", "summary", "type", "status", "assignee", "priority", "updated"}
	for _, c := range extra {
		fields, columns = append(fields, c.id), append(columns, c.column)
	}
	p, err := fetch(fields)
	if err != nil {
		return nil, err
	}
	t := &table{columns: columns}
	for _, is := range p.Issues {
		if project, _, _ := strings.Cut(is.Key, "-"); !s.projects.allows(project) {
			continue // defence in depth: the scoped query should not return it
		}
		f := &is.Fields
		row := []string{is.Key, text(f.Summary), typeName(f.IssueType), statusName(f.Status), userName(f.Assignee), named(f.Priority), day(f.Updated)}
		for _, c := range extra {
			row = append(row, cellValue(f, c.id))
		}
		t.add(row...)
	}
	shared := t.hoist("type", "status", "assignee", "priority", "updated")
	out := &issueList{Total: p.Total, StartAt: startAt, IssueURL: s.jira.AbsURL(issueURLTemplate),
		Type: shared["type"], Status: shared["status"], Assignee: shared["assignee"], Priority: shared["priority"],
		Updated: shared["updated"], Columns: t.columns, Issues: t.rowList()}
	if next, ok := p.Next(); ok {
		out.NextStartAt = next
	}
	fitHits(out, len(t.rows),
		trim{fields: t.cells("summary"), floor: 48},
		trim{fields: t.cells(append([]string{"summary", "type", "status", "assignee", "priority"}, columns[7:]...)...), floor: 12})
	return out, nil
}

// columnField is a column jira_search_issues adds: a field's id, and its
// name as the column's (the id for system fields: labels, duedate).
type columnField struct{ id, column string }

// maxColumnFields bounds the columns a search adds.
const maxColumnFields = 8

// columnFields resolves jira_search_issues' fields to field ids.
func (s *Server) columnFields(ctx context.Context, want []string) ([]columnField, error) {
	if len(want) == 0 {
		return nil, nil
	}
	if len(want) > maxColumnFields {
		return nil, argError("fields: at most %d columns, got %d", maxColumnFields, len(want))
	}
	all, err := s.jiraFields.get(ctx, s.jira)
	if err != nil {
		return nil, serverError(err, "the field list", "")
	}
	var out []columnField
	for _, w := range want {
		w = strings.TrimSpace(w)
		i := slices.IndexFunc(all, func(f atlassian.Field) bool { return f.ID == w || strings.EqualFold(f.Name, w) })
		if i < 0 {
			return nil, argError("jira has no field %q: find fields with jira_search_fields", quoteInput(w))
		}
		f := all[i]
		if slices.Contains([]string{"summary", "issuetype", "status", "assignee", "priority", "updated"}, f.ID) ||
			slices.ContainsFunc(out, func(c columnField) bool { return c.id == f.ID }) {
			continue // a column already
		}
		c := columnField{id: f.ID, column: f.ID}
		if f.Custom {
			c.column = text(f.Name)
		}
		out = append(out, c)
	}
	return out, nil
}

// cellValue is field id of f as one table cell.
func cellValue(f *atlassian.IssueFields, id string) string {
	switch id {
	case "labels":
		return strings.Join(f.Labels, ", ")
	case "duedate":
		return day(f.DueDate)
	case "created":
		return day(f.Created)
	case "resolution":
		return named(f.Resolution)
	case "reporter":
		return userName(f.Reporter)
	case "components":
		names := make([]string, len(f.Components))
		for i, c := range f.Components {
			names[i] = text(c.Name)
		}
		return strings.Join(names, ", ")
	case "fixVersions":
		names := make([]string, len(f.FixVersions))
		for i, v := range f.FixVersions {
			names[i] = text(v.Name)
		}
		return strings.Join(names, ", ")
	}
	return cellText(fieldValue(f, id))
}

// cellText flattens a field value (customValue's kinds) to one line.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return oneLine(x, 200)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, cellText(e))
		}
		return strings.Join(parts, ", ")
	case []string:
		return strings.Join(x, ", ")
	}
	b, _ := json.Marshal(v)
	return oneLine(string(b), 200)
}

// --- jira_get_comments

type issueCommentsArgs struct {
	IssueKey   string `json:"issue_key" jsonschema_description:"Issue key, e.g. OPS-123."`
	MaxResults int    `json:"max_results,omitempty" jsonschema_description:"Comments per page, 1-100 (default 20)."`
	StartAt    int    `json:"start_at,omitempty" jsonschema_description:"Index of the first comment, from next_start_at of a previous call."`
	MaxChars   int    `json:"max_chars,omitempty" jsonschema_description:"Most characters of each comment body (default 2000)."`
}

func (s *Server) jiraGetComments() tool {
	return readTool("jira", "jira_get_comments", "Read issue comments",
		"Read the comments of a Jira issue, oldest first, as markdown: id, author, created, body (cut at max_chars); total and next_start_at when more remain.",
		func(ctx context.Context, a issueCommentsArgs) (*mcpgo.CallToolResult, error) {
			max, err := window("max_results", a.MaxResults, 20, 100, "start_at", a.StartAt)
			if err != nil {
				return nil, err
			}
			maxChars, err := bounded("max_chars", a.MaxChars, 2000, maxMaxChars)
			if err != nil {
				return nil, err
			}
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			p, _, err := s.jira.Issues.Comments(ctx, key, a.StartAt, max, false)
			if err != nil {
				return nil, serverError(err, "issue "+key, "")
			}
			out := struct {
				Total       int          `json:"total"`
				Comments    []commentOut `json:"comments"`
				NextStartAt int          `json:"next_start_at,omitempty"`
			}{Total: p.Total, Comments: []commentOut{}}
			for _, c := range p.Comments {
				b, _ := cut(markup.EditableWiki(c.Body), maxChars, 0)
				out.Comments = append(out.Comments, commentOut{ID: c.ID, Author: userName(c.Author), Created: stamp(c.Created), Body: strings.TrimSpace(b.Body), Truncated: b.Truncated})
			}
			out.NextStartAt = nextStart(p.StartAt, len(p.Comments), p.Total)
			return jsonResult(out)
		})
}

// --- jira_get_transitions

type issueArgs struct {
	IssueKey string `json:"issue_key" jsonschema_description:"Issue key, e.g. OPS-123."`
}

type transitionOut struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	To   string `json:"to,omitempty"`
}

func (s *Server) jiraGetTransitions() tool {
	return readTool("jira", "jira_get_transitions", "List issue transitions",
		"List the workflow transitions possible now for a Jira issue: id, name and target status. Use one with jira_transition_issue.",
		func(ctx context.Context, a issueArgs) (*mcpgo.CallToolResult, error) {
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			ts, _, err := s.jira.Issues.Transitions(ctx, key)
			if err != nil {
				return nil, serverError(err, "issue "+key, "")
			}
			return jsonResult(struct {
				Key         string          `json:"key"`
				Transitions []transitionOut `json:"transitions"`
			}{key, transitionsOut(ts)})
		})
}

func transitionsOut(ts []atlassian.Transition) []transitionOut {
	out := make([]transitionOut, 0, len(ts))
	for _, t := range ts {
		out = append(out, transitionOut{ID: t.ID, Name: text(t.Name), To: statusName(t.To)})
	}
	return out
}

// --- jira_get_projects

type noArgs struct{}

func (s *Server) jiraGetProjects() tool {
	return readTool("jira", "jira_get_projects", "List Jira projects",
		"List the Jira projects you can see: key, name, type. Use a key in JQL, e.g. project = OPS.",
		func(ctx context.Context, _ noArgs) (*mcpgo.CallToolResult, error) {
			ps, _, err := s.jira.Projects.List(ctx)
			if err != nil {
				return nil, serverError(err, "the project list", "")
			}
			type projectOut struct {
				Key  string `json:"key"`
				Name string `json:"name"`
				Type string `json:"type,omitempty"`
			}
			out := struct {
				Projects []projectOut `json:"projects"`
			}{Projects: []projectOut{}}
			for _, p := range ps {
				if s.projects.allows(p.Key) {
					out.Projects = append(out.Projects, projectOut{p.Key, text(p.Name), p.ProjectTypeKey})
				}
			}
			return jsonResult(out)
		})
}

// --- jira_get_create_fields

type createFieldsArgs struct {
	ProjectKey string `json:"project_key" jsonschema_description:"Project key, e.g. OPS."`
	IssueType  string `json:"issue_type" jsonschema_description:"Issue type name or id, e.g. Bug."`
}

type fieldOut struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Required bool     `json:"required,omitempty"`
	Type     string   `json:"type,omitempty"`
	Allowed  []string `json:"allowed,omitempty"`
	More     int      `json:"more_allowed,omitempty"`
}

// maxAllowed bounds the allowed values listed per field.
const maxAllowed = 25

func (s *Server) jiraGetCreateFields() tool {
	return readTool("jira", "jira_get_create_fields", "Fields to create an issue",
		"List the fields of an issue type in a project before jira_create_issue: id, name, required, type and allowed values. Required fields without a default must be given (extra ones in fields, by id).",
		func(ctx context.Context, a createFieldsArgs) (*mcpgo.CallToolResult, error) {
			if strings.TrimSpace(a.ProjectKey) == "" || strings.TrimSpace(a.IssueType) == "" {
				return nil, argError("project_key and issue_type are required")
			}
			if !s.projects.allows(a.ProjectKey) {
				return nil, s.projects.refuse("project " + a.ProjectKey)
			}
			fs, err := s.jira.Meta.CreateFields(ctx, strings.ToUpper(a.ProjectKey), a.IssueType)
			var ae *atlassian.Error
			if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound && strings.Contains(ae.Message(), "issue type") {
				// The client's own sentence, listing the valid types.
				return nil, argError("%s", ae.Message())
			}
			if err != nil {
				return nil, serverError(err, "project "+a.ProjectKey, "")
			}
			out := struct {
				Project   string     `json:"project"`
				IssueType string     `json:"issue_type"`
				Fields    []fieldOut `json:"fields"`
			}{strings.ToUpper(a.ProjectKey), a.IssueType, []fieldOut{}}
			for _, f := range fs {
				o := fieldOut{ID: f.FieldID, Name: text(f.Name), Required: f.Required && !f.HasDefault}
				if f.Schema != nil {
					o.Type = f.Schema.Type
					if f.Schema.Items != "" {
						o.Type += "<" + f.Schema.Items + ">"
					}
				}
				for i, raw := range f.AllowedValues {
					if i == maxAllowed {
						o.More = len(f.AllowedValues) - maxAllowed
						break
					}
					o.Allowed = append(o.Allowed, allowedValue(raw))
				}
				out.Fields = append(out.Fields, o)
			}
			return jsonResult(out)
		})
}

// allowedValue names one allowed value of a field (its name, value or key).
func allowedValue(raw json.RawMessage) string {
	var v struct {
		Name, Value, Key, ID string
	}
	if json.Unmarshal(raw, &v) != nil {
		return text(strings.Trim(string(raw), `"`))
	}
	for _, s := range []string{v.Name, v.Value, v.Key, v.ID} {
		if s != "" {
			return text(s)
		}
	}
	return ""
}

// --- jira_get_worklogs

func (s *Server) jiraGetWorklogs() tool {
	return readTool("jira", "jira_get_worklogs", "Read issue worklogs",
		"List the time logged on a Jira issue: author, started, time spent, comment; total seconds.",
		func(ctx context.Context, a issueArgs) (*mcpgo.CallToolResult, error) {
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			p, _, err := s.jira.Issues.Worklogs(ctx, key)
			if err != nil {
				return nil, serverError(err, "issue "+key, "")
			}
			type worklogOut struct {
				ID        string `json:"id"`
				Author    string `json:"author,omitempty"`
				Started   string `json:"started,omitempty"`
				TimeSpent string `json:"time_spent"`
				Comment   string `json:"comment,omitempty"`
			}
			out := struct {
				Key          string       `json:"key"`
				Total        int          `json:"total"`
				TotalSeconds int          `json:"total_seconds"`
				Worklogs     []worklogOut `json:"worklogs"`
			}{Key: key, Total: p.Total, Worklogs: []worklogOut{}}
			for _, w := range p.Worklogs {
				out.TotalSeconds += w.TimeSpentSeconds
				out.Worklogs = append(out.Worklogs, worklogOut{w.ID, userName(w.Author), stamp(w.Started), w.TimeSpent, oneLine(w.Comment, 500)})
			}
			if out.Total < len(out.Worklogs) {
				out.Total = len(out.Worklogs)
			}
			return jsonResult(out)
		})
}

// --- jira_create_issue

type createIssueArgs struct {
	ProjectKey  string         `json:"project_key" jsonschema_description:"Project key, e.g. OPS."`
	Summary     string         `json:"summary" jsonschema_description:"One-line summary."`
	IssueType   string         `json:"issue_type" jsonschema_description:"Issue type name, e.g. Bug, Task, Story."`
	Description string         `json:"description,omitempty" jsonschema_description:"Description as markdown."`
	Priority    string         `json:"priority,omitempty" jsonschema_description:"Priority name, e.g. High."`
	Assignee    string         `json:"assignee,omitempty" jsonschema_description:"Username of the assignee."`
	Labels      []string       `json:"labels,omitempty" jsonschema_description:"Labels (no spaces)."`
	ParentKey   string         `json:"parent_key,omitempty" jsonschema_description:"Parent issue key, for a sub-task."`
	EpicKey     string         `json:"epic_key,omitempty" jsonschema_description:"Key of the epic to put the issue in (Epic Link)."`
	Fields      map[string]any `json:"fields,omitempty" jsonschema_description:"Other fields by id, as Jira expects them, e.g. {\"customfield_10010\": \"x\", \"components\": [{\"name\": \"api\"}]}; see jira_get_create_fields."`
}

func (s *Server) jiraCreateIssue() tool {
	return writeTool("jira", "jira_create_issue", "Create a Jira issue",
		"Create a Jira issue; the description is markdown (converted to wiki markup). Check required fields first with jira_get_create_fields. Returns the new key and URL.",
		false, false,
		func(ctx context.Context, a createIssueArgs) (*mcpgo.CallToolResult, error) {
			if strings.TrimSpace(a.ProjectKey) == "" || strings.TrimSpace(a.Summary) == "" || strings.TrimSpace(a.IssueType) == "" {
				return nil, argError("project_key, summary and issue_type are required")
			}
			project := strings.ToUpper(strings.TrimSpace(a.ProjectKey))
			if !s.projects.allows(project) {
				return nil, s.projects.refuse("project " + project)
			}
			fields := map[string]any{}
			for k, v := range a.Fields {
				fields[k] = v
			}
			fields["project"] = map[string]string{"key": project}
			fields["summary"] = a.Summary
			fields["issuetype"] = map[string]string{"name": a.IssueType}
			if a.Description != "" {
				fields["description"] = a.Description // applied below, to the description now
			}
			if a.Priority != "" {
				fields["priority"] = map[string]string{"name": a.Priority}
			}
			if a.Assignee != "" {
				fields["assignee"] = map[string]string{"name": a.Assignee}
			}
			if err := checkJiraLabels(a.Labels); err != nil {
				return nil, err
			}
			if len(a.Labels) > 0 {
				fields["labels"] = a.Labels
			}
			if a.ParentKey != "" {
				parent, err := s.checkIssue(ctx, a.ParentKey)
				if err != nil {
					return nil, err
				}
				fields["parent"] = map[string]string{"key": parent}
			}
			if err := s.setEpic(ctx, fields, a.EpicKey); err != nil {
				return nil, err
			}
			ci, _, err := s.jira.Issues.Create(ctx, atlassian.IssueInput{Fields: fields})
			if err != nil {
				return nil, serverError(err, "project "+project, "see which fields are required and allowed with jira_get_create_fields")
			}
			return jsonResult(struct {
				Key string `json:"key"`
				ID  string `json:"id"`
				URL string `json:"url"`
			}{ci.Key, ci.ID, s.issueURL(ci.Key)})
		})
}

// --- jira_update_issue

type updateIssueArgs struct {
	IssueKey    string         `json:"issue_key" jsonschema_description:"Issue key, e.g. OPS-123."`
	Summary     string         `json:"summary,omitempty" jsonschema_description:"New summary."`
	Description string         `json:"description,omitempty" jsonschema_description:"The description as edited markdown from jira_get_issue; what you left keeps its wiki markup."`
	AllowLoss   bool           `json:"allow_loss,omitempty" jsonschema_description:"Write the description even if placeholders you removed are lost (default false: refused, naming them)."`
	Priority    string         `json:"priority,omitempty" jsonschema_description:"New priority name."`
	Assignee    string         `json:"assignee,omitempty" jsonschema_description:"Username of the new assignee; \"none\" unassigns."`
	Labels      []string       `json:"labels,omitempty" jsonschema_description:"The new labels, no spaces (they replace the old ones)."`
	EpicKey     string         `json:"epic_key,omitempty" jsonschema_description:"Key of the epic to put the issue in; \"none\" takes it out."`
	Fields      map[string]any `json:"fields,omitempty" jsonschema_description:"Other fields to set, by id, as Jira expects them."`
}

func (s *Server) jiraUpdateIssue() tool {
	return writeTool("jira", "jira_update_issue", "Update a Jira issue",
		"Set fields of a Jira issue: summary, description (markdown), priority, assignee, labels, or others by id in fields. Only the given fields change. Status changes go through jira_transition_issue.",
		true, true,
		func(ctx context.Context, a updateIssueArgs) (*mcpgo.CallToolResult, error) {
			fields := map[string]any{}
			for k, v := range a.Fields {
				fields[k] = v
			}
			if a.Summary != "" {
				fields["summary"] = a.Summary
			}
			if a.Description != "" {
				fields["description"] = a.Description // applied below, to the description now
			}
			if a.Priority != "" {
				fields["priority"] = map[string]string{"name": a.Priority}
			}
			switch {
			case strings.EqualFold(a.Assignee, "none"):
				fields["assignee"] = map[string]any{"name": nil} // Jira's way to unassign
			case a.Assignee != "":
				fields["assignee"] = map[string]string{"name": a.Assignee}
			}
			if err := checkJiraLabels(a.Labels); err != nil {
				return nil, err
			}
			if a.Labels != nil {
				fields["labels"] = a.Labels
			}
			if err := s.setEpic(ctx, fields, a.EpicKey); err != nil {
				return nil, err
			}
			if len(fields) == 0 {
				return nil, argError("nothing to update: give at least one of summary, description, priority, assignee, labels, epic_key, fields")
			}
			if _, ok := fields["status"]; ok {
				return nil, argError("status cannot be set directly: use jira_get_transitions and jira_transition_issue")
			}
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			if a.Description != "" {
				is, _, err := s.jira.Issues.Get(ctx, key, &atlassian.GetIssueOptions{Fields: []string{"description"}})
				if err != nil {
					return nil, serverError(err, "issue "+key, "")
				}
				wiki, err := markup.ApplyWiki(is.Fields.Description, a.Description, markup.ApplyOptions{AllowLoss: a.AllowLoss})
				if err != nil {
					return nil, editError(err, "jira_get_issue")
				}
				fields["description"] = wiki
			}
			if _, err := s.jira.Issues.Update(ctx, key, atlassian.IssueInput{Fields: fields}); err != nil {
				return nil, serverError(err, "issue "+key, "check field ids and values with jira_get_create_fields")
			}
			names := make([]string, 0, len(fields))
			for k := range fields {
				names = append(names, k)
			}
			slices.Sort(names)
			return jsonResult(struct {
				Key     string   `json:"key"`
				Updated []string `json:"updated"`
				URL     string   `json:"url"`
			}{key, names, s.issueURL(key)})
		})
}

// --- jira_add_comment

type addIssueCommentArgs struct {
	IssueKey string `json:"issue_key" jsonschema_description:"Issue key, e.g. OPS-123."`
	Comment  string `json:"comment" jsonschema_description:"Comment text as markdown."`
}

func (s *Server) jiraAddComment() tool {
	return writeTool("jira", "jira_add_comment", "Comment on a Jira issue",
		"Add a comment (markdown, converted to wiki markup) to a Jira issue. Returns the comment id.",
		false, false,
		func(ctx context.Context, a addIssueCommentArgs) (*mcpgo.CallToolResult, error) {
			if strings.TrimSpace(a.Comment) == "" {
				return nil, argError("comment is empty")
			}
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			c, _, err := s.jira.Issues.AddComment(ctx, key, wikiMarkup(a.Comment))
			if err != nil {
				return nil, serverError(err, "issue "+key, "")
			}
			return jsonResult(struct {
				ID      string `json:"id"`
				Key     string `json:"key"`
				Created string `json:"created,omitempty"`
				URL     string `json:"url"`
			}{c.ID, key, stamp(c.Created), s.issueURL(key) + "?focusedCommentId=" + c.ID})
		})
}

// --- jira_transition_issue

type transitionArgs struct {
	IssueKey   string `json:"issue_key" jsonschema_description:"Issue key, e.g. OPS-123."`
	Transition string `json:"transition" jsonschema_description:"Transition id or name (e.g. 31 or \"Done\"), or the target status name; see jira_get_transitions."`
	Comment    string `json:"comment,omitempty" jsonschema_description:"Comment to add with the transition, as markdown."`
	Resolution string `json:"resolution,omitempty" jsonschema_description:"Resolution name when the transition asks for one, e.g. Fixed."`
}

func (s *Server) jiraTransitionIssue() tool {
	return writeTool("jira", "jira_transition_issue", "Move a Jira issue",
		"Move a Jira issue through a workflow transition, by transition id or name (or target status), optionally with a comment (markdown) and resolution. Returns the new status.",
		false, false,
		func(ctx context.Context, a transitionArgs) (*mcpgo.CallToolResult, error) {
			want := strings.TrimSpace(a.Transition)
			if want == "" {
				return nil, argError("transition is empty: give a transition id or name from jira_get_transitions")
			}
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			ts, _, err := s.jira.Issues.Transitions(ctx, key)
			if err != nil {
				return nil, serverError(err, "issue "+key, "")
			}
			t := pickTransition(ts, want)
			if t == nil {
				var avail []string
				for _, o := range transitionsOut(ts) {
					avail = append(avail, fmt.Sprintf("%s %q → %s", o.ID, o.Name, o.To))
				}
				if len(avail) == 0 {
					return nil, argError("issue %s has no transition available to you now", key)
				}
				return nil, argError("issue %s has no transition %q now; available: %s", key, quoteInput(want), strings.Join(avail, "; "))
			}
			var fields map[string]any
			if a.Resolution != "" {
				fields = map[string]any{"resolution": map[string]string{"name": a.Resolution}}
			}
			comment := ""
			if strings.TrimSpace(a.Comment) != "" {
				comment = wikiMarkup(a.Comment)
			}
			if _, err := s.jira.Issues.DoTransition(ctx, key, t.ID, fields, comment); err != nil {
				return nil, serverError(err, "issue "+key, "the transition may need fields such as resolution")
			}
			return jsonResult(struct {
				Key        string `json:"key"`
				Transition string `json:"transition"`
				Status     string `json:"status,omitempty"`
				URL        string `json:"url"`
			}{key, text(t.Name), statusName(t.To), s.issueURL(key)})
		})
}

// pickTransition finds a transition by id, then name, then target status.
func pickTransition(ts []atlassian.Transition, want string) *atlassian.Transition {
	for _, match := range []func(t atlassian.Transition) bool{
		func(t atlassian.Transition) bool { return t.ID == want },
		func(t atlassian.Transition) bool { return strings.EqualFold(t.Name, want) },
		func(t atlassian.Transition) bool { return t.To != nil && strings.EqualFold(t.To.Name, want) },
	} {
		for i := range ts {
			if match(ts[i]) {
				return &ts[i]
			}
		}
	}
	return nil
}

// --- jira_add_worklog

type addWorklogArgs struct {
	IssueKey  string `json:"issue_key" jsonschema_description:"Issue key, e.g. OPS-123."`
	TimeSpent string `json:"time_spent" jsonschema_description:"Time in Jira's notation, e.g. \"1h 30m\", \"2d\", \"45m\"."`
	Comment   string `json:"comment,omitempty" jsonschema_description:"What the time was spent on, as markdown."`
	Started   string `json:"started,omitempty" jsonschema_description:"When the work started, e.g. 2024-01-31T09:00:00Z (default: now)."`
}

var timeSpentPattern = regexp.MustCompile(`^\s*([0-9]+(\.[0-9]+)?\s*[wdhm]\s*)+$`)

func (s *Server) jiraAddWorklog() tool {
	return writeTool("jira", "jira_add_worklog", "Log time on a Jira issue",
		"Log time spent on a Jira issue, e.g. time_spent \"1h 30m\", with an optional comment and start time. Returns the worklog id.",
		false, false,
		func(ctx context.Context, a addWorklogArgs) (*mcpgo.CallToolResult, error) {
			if !timeSpentPattern.MatchString(a.TimeSpent) {
				return nil, argError("time_spent %q is not Jira time notation: use numbers with w, d, h or m, e.g. \"1h 30m\"", quoteInput(a.TimeSpent))
			}
			w := atlassian.NewWorklog{TimeSpent: strings.TrimSpace(a.TimeSpent)}
			if a.Started != "" {
				t, err := parseStarted(a.Started)
				if err != nil {
					return nil, argError("started %q: %v", quoteInput(a.Started), err)
				}
				w.Started = t.Format("2006-01-02T15:04:05.000-0700")
			}
			if strings.TrimSpace(a.Comment) != "" {
				w.Comment = wikiMarkup(a.Comment)
			}
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			out, _, err := s.jira.Issues.AddWorklog(ctx, key, w)
			if err != nil {
				return nil, serverError(err, "issue "+key, "time tracking may be off in this project")
			}
			return jsonResult(struct {
				ID        string `json:"id"`
				Key       string `json:"key"`
				TimeSpent string `json:"time_spent"`
				Started   string `json:"started,omitempty"`
			}{out.ID, key, cmp.Or(out.TimeSpent, w.TimeSpent), stamp(out.Started)})
		})
}

// parseStarted reads a start time in the forms a model is likely to write.
func parseStarted(s string) (time.Time, error) {
	for _, l := range []string{time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t, nil
		}
	}
	if t, err := atlassian.ParseTime(s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("want a time such as 2024-01-31T09:00:00Z")
}

// checkJiraLabels refuses a label Jira would: empty, with white space, or
// longer than 255 characters.
func checkJiraLabels(labels []string) error {
	for _, l := range labels {
		switch {
		case strings.TrimSpace(l) == "":
			return argError("labels: a label is empty")
		case strings.ContainsFunc(l, unicode.IsSpace):
			return argError("label %q has a space: a Jira label is one word; use - or _ to join words, e.g. %q",
				quoteInput(l), quoteInput(strings.Join(strings.Fields(l), "-")))
		case utf8.RuneCountInString(l) > 255:
			return argError("label %q is longer than 255 characters", quoteInput(l))
		}
	}
	return nil
}

// epicLinkType is the custom field type of Jira Software's Epic Link (Server and DC; Cloud
// replaced it with parent).
const epicLinkType = "com.pyxis.greenhopper.jira:gh-epic-link"

// epicFieldID is the id of the Epic Link field, "" where there is none or the field list cannot
// be read (jira_get_issue then shows no epic rather than failing).
func (s *Server) epicFieldID(ctx context.Context) string {
	all, err := s.jiraFields.get(ctx, s.jira)
	if err != nil {
		return ""
	}
	for _, f := range all {
		if f.Schema != nil && f.Schema.Custom == epicLinkType {
			return f.ID
		}
	}
	return ""
}

// setEpic puts the Epic Link of epicKey ("none": no epic) in fields.
func (s *Server) setEpic(ctx context.Context, fields map[string]any, epicKey string) error {
	if strings.TrimSpace(epicKey) == "" {
		return nil
	}
	id := s.epicFieldID(ctx)
	if id == "" {
		return argError("this Jira has no Epic Link field (Jira Software is not installed, or the field list cannot be read)")
	}
	if strings.EqualFold(strings.TrimSpace(epicKey), "none") {
		fields[id] = nil
		return nil
	}
	if !issueKeyPattern.MatchString(strings.TrimSpace(epicKey)) {
		return argError("epic_key must be an epic's key such as OPS-12 (got %q), or none", quoteInput(epicKey))
	}
	key, err := s.checkIssue(ctx, epicKey)
	if err != nil {
		return err
	}
	fields[id] = key
	return nil
}
