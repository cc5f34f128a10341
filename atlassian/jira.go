package atlassian

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Jira is a client for the REST API (/rest/api/2) of Jira Server and Data
// Center.
type Jira struct {
	*Client

	Issues   *IssueService
	Projects *ProjectService
	Meta     *MetaService
	Agile    *AgileService
}

// NewJira returns a Jira client for baseURL, which may carry a context path
// ("https://jira.example.com/jira").
func NewJira(baseURL string, opts Options) (*Jira, error) {
	c, err := newClient("jira", baseURL, opts)
	if err != nil {
		return nil, err
	}
	s := service{c}
	return &Jira{Client: c, Issues: (*IssueService)(&s), Projects: (*ProjectService)(&s), Meta: &MetaService{service: s}, Agile: (*AgileService)(&s)}, nil
}

// JiraUser is a Jira Server user.
type JiraUser struct {
	Name         string `json:"name,omitempty"`
	Key          string `json:"key,omitempty"`
	DisplayName  string `json:"displayName,omitempty"`
	EmailAddress string `json:"emailAddress,omitempty"`
	Active       bool   `json:"active"`
	TimeZone     string `json:"timeZone,omitempty"`
}

// Label returns the best human name of the user.
func (u *JiraUser) Label() string {
	if u == nil {
		return ""
	}
	return cmp.Or(u.DisplayName, u.Name, u.Key)
}

// Named is a Jira entity with an id and a name (resolution, component,
// priority, issue type, version).
type Named struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// IssueType is an issue type.
type IssueType struct {
	Named
	Subtask bool `json:"subtask"`
}

// StatusCategory groups statuses (new, indeterminate, done).
type StatusCategory struct {
	ID        ID     `json:"id,omitempty"`
	Key       string `json:"key"`
	Name      string `json:"name"`
	ColorName string `json:"colorName,omitempty"`
}

// Status is an issue status.
type Status struct {
	Named
	StatusCategory *StatusCategory `json:"statusCategory,omitempty"`
}

// FixVersion is a project version.
type FixVersion struct {
	Named
	Released    bool   `json:"released"`
	ReleaseDate string `json:"releaseDate,omitempty"`
}

// Project is a Jira project.
type Project struct {
	ID             string      `json:"id"`
	Key            string      `json:"key"`
	Name           string      `json:"name"`
	Description    string      `json:"description,omitempty"`
	Lead           *JiraUser   `json:"lead,omitempty"`
	IssueTypes     []IssueType `json:"issueTypes,omitempty"`
	ProjectTypeKey string      `json:"projectTypeKey,omitempty"`
}

// LinkedIssue is the other end of an issue link.
type LinkedIssue struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Summary   string     `json:"summary"`
		Status    *Status    `json:"status,omitempty"`
		IssueType *IssueType `json:"issuetype,omitempty"`
		Priority  *Named     `json:"priority,omitempty"`
	} `json:"fields"`
}

// IssueLink links two issues.
type IssueLink struct {
	ID   string `json:"id"`
	Type struct {
		Name    string `json:"name"`
		Inward  string `json:"inward"`
		Outward string `json:"outward"`
	} `json:"type"`
	InwardIssue  *LinkedIssue `json:"inwardIssue,omitempty"`
	OutwardIssue *LinkedIssue `json:"outwardIssue,omitempty"`
}

// Comment is an issue comment. Body is wiki markup, or HTML in
// renderedFields.
type Comment struct {
	ID           string    `json:"id"`
	Author       *JiraUser `json:"author,omitempty"`
	Body         string    `json:"body"`
	UpdateAuthor *JiraUser `json:"updateAuthor,omitempty"`
	Created      Time      `json:"created"`
	Updated      Time      `json:"updated"`
	// Visibility limits who may read the comment to a group or project
	// role; nil for everyone who may see the issue.
	Visibility *Visibility `json:"visibility,omitempty"`
}

// Visibility is a comment's restriction: Type "group" or "role", Value its
// name.
type Visibility struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// CommentPage is one page of comments.
type CommentPage struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	Comments   []Comment `json:"comments"`
}

// Worklog is time logged on an issue.
type Worklog struct {
	ID               string    `json:"id"`
	Author           *JiraUser `json:"author,omitempty"`
	Comment          string    `json:"comment,omitempty"`
	Started          Time      `json:"started"`
	TimeSpent        string    `json:"timeSpent"`
	TimeSpentSeconds int       `json:"timeSpentSeconds"`
	Created          Time      `json:"created"`
	Updated          Time      `json:"updated"`
}

// WorklogPage is one page of worklogs.
type WorklogPage struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	Worklogs   []Worklog `json:"worklogs"`
}

// IssueFields are the fields of an issue. The system fields have types;
// every other field (custom fields) is kept raw in Custom.
type IssueFields struct {
	Summary        string        `json:"summary"`
	Description    string        `json:"description"`
	Environment    string        `json:"environment"`
	Status         *Status       `json:"status,omitempty"`
	IssueType      *IssueType    `json:"issuetype,omitempty"`
	Priority       *Named        `json:"priority,omitempty"`
	Resolution     *Named        `json:"resolution,omitempty"`
	Assignee       *JiraUser     `json:"assignee,omitempty"`
	Reporter       *JiraUser     `json:"reporter,omitempty"`
	Creator        *JiraUser     `json:"creator,omitempty"`
	Project        *Project      `json:"project,omitempty"`
	Labels         []string      `json:"labels,omitempty"`
	Components     []Named       `json:"components,omitempty"`
	FixVersions    []FixVersion  `json:"fixVersions,omitempty"`
	Versions       []FixVersion  `json:"versions,omitempty"`
	IssueLinks     []IssueLink   `json:"issuelinks,omitempty"`
	Subtasks       []LinkedIssue `json:"subtasks,omitempty"`
	Parent         *LinkedIssue  `json:"parent,omitempty"`
	Created        Time          `json:"created"`
	Updated        Time          `json:"updated"`
	ResolutionDate Time          `json:"resolutiondate"`
	DueDate        Time          `json:"duedate"`
	Comment        *CommentPage  `json:"comment,omitempty"`
	Worklog        *WorklogPage  `json:"worklog,omitempty"`

	// Custom holds every field without a type above, keyed by field id.
	Custom map[string]json.RawMessage `json:"-"`
}

// systemFields are the JSON names IssueFields decodes itself.
var systemFields = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeFor[IssueFields]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
})

// UnmarshalJSON decodes the system fields and keeps the others raw.
func (f *IssueFields) UnmarshalJSON(b []byte) error {
	type plain IssueFields
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	sys := systemFields()
	for k, v := range all {
		if sys[k] || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			continue
		}
		if p.Custom == nil {
			p.Custom = map[string]json.RawMessage{}
		}
		p.Custom[k] = v
	}
	*f = IssueFields(p)
	return nil
}

// RenderedFields are fields rendered to HTML by Jira (expand=renderedFields).
// Jira renders dates too, for display ("25/Nov/26 8:48 AM", "2 days ago"),
// so they stay text here: read times from the issue's fields.
type RenderedFields struct {
	Description string `json:"description"`
	Environment string `json:"environment"`
	Comment     *struct {
		Comments []RenderedComment `json:"comments"`
	} `json:"comment,omitempty"`
}

// RenderedComment is a comment whose body Jira rendered to HTML.
type RenderedComment struct {
	ID      string    `json:"id"`
	Author  *JiraUser `json:"author,omitempty"`
	Body    string    `json:"body"`
	Created string    `json:"created"` // display text, not a timestamp
	Updated string    `json:"updated"`
}

// Transition moves an issue to another status.
type Transition struct {
	ID   string  `json:"id"`
	Name string  `json:"name"`
	To   *Status `json:"to,omitempty"`
}

// Issue is a Jira issue.
type Issue struct {
	ID             string            `json:"id"`
	Key            string            `json:"key"`
	Self           string            `json:"self,omitempty"`
	Fields         IssueFields       `json:"fields"`
	RenderedFields *RenderedFields   `json:"renderedFields,omitempty"`
	Names          map[string]string `json:"names,omitempty"`
	Transitions    []Transition      `json:"transitions,omitempty"`
}

// IssuePage is one page of JQL search results.
type IssuePage struct {
	StartAt    int               `json:"startAt"`
	MaxResults int               `json:"maxResults"`
	Total      int               `json:"total"`
	Issues     []Issue           `json:"issues"`
	Names      map[string]string `json:"names,omitempty"`
}

// Next reports the startAt of the following page. Jira may lower
// maxResults, so the next start is this start plus what was received.
func (p *IssuePage) Next() (startAt int, ok bool) {
	next := p.StartAt + len(p.Issues)
	if len(p.Issues) == 0 || next >= p.Total {
		return 0, false
	}
	return next, true
}

// IssueService reads and writes issues.
type IssueService service

func issuePath(key, suffix string) string {
	p := "rest/api/2/issue/" + url.PathEscape(key)
	if suffix != "" {
		p += "/" + suffix
	}
	return p
}

// GetIssueOptions choose fields and expansions of one issue.
type GetIssueOptions struct {
	Fields []string // e.g. "summary", "*all", "-comment"
	Expand []string // e.g. "renderedFields", "names", "transitions"
}

// Get returns one issue by key or id.
func (s *IssueService) Get(ctx context.Context, key string, opts *GetIssueOptions) (*Issue, *Response, error) {
	q := url.Values{}
	if opts != nil {
		if len(opts.Fields) > 0 {
			q.Set("fields", strings.Join(opts.Fields, ","))
		}
		if len(opts.Expand) > 0 {
			q.Set("expand", strings.Join(opts.Expand, ","))
		}
	}
	return getJSON[Issue](ctx, (*service)(s), issuePath(key, ""), q)
}

// SearchIssuesOptions page a JQL search and choose fields.
type SearchIssuesOptions struct {
	StartAt    int
	MaxResults int
	Fields     []string
	Expand     []string
	// ValidateQuery "strict" (default on the server), "warn" or "none".
	ValidateQuery string
}

// Search runs JQL. It POSTs, so long queries fit, and is retried like a
// read.
func (s *IssueService) Search(ctx context.Context, jql string, opts *SearchIssuesOptions) (*IssuePage, *Response, error) {
	if opts == nil {
		opts = &SearchIssuesOptions{}
	}
	body := struct {
		JQL           string   `json:"jql"`
		StartAt       int      `json:"startAt"`
		MaxResults    int      `json:"maxResults,omitempty"`
		Fields        []string `json:"fields,omitempty"`
		Expand        []string `json:"expand,omitempty"`
		ValidateQuery string   `json:"validateQuery,omitempty"`
	}{jql, opts.StartAt, opts.MaxResults, opts.Fields, opts.Expand, opts.ValidateQuery}
	req, err := s.client.NewRequest(ctx, http.MethodPost, "rest/api/2/search", nil, body)
	if err != nil {
		return nil, nil, err
	}
	var p IssuePage
	resp, err := s.client.Do(markIdempotent(req), &p)
	if err != nil {
		return nil, nil, err
	}
	return &p, resp, nil
}

// IssueInput is the body of an issue create or edit: fields to set and,
// for edits, update operations ({"labels":[{"add":"x"}]}).
type IssueInput struct {
	Fields map[string]any              `json:"fields,omitempty"`
	Update map[string][]map[string]any `json:"update,omitempty"`
}

// CreatedIssue is the answer to a create.
type CreatedIssue struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Self string `json:"self"`
}

// Create creates an issue. A missing required field is an *Error whose
// Fields name it.
func (s *IssueService) Create(ctx context.Context, in IssueInput) (*CreatedIssue, *Response, error) {
	var ci CreatedIssue
	resp, err := (*service)(s).send(ctx, http.MethodPost, "rest/api/2/issue", nil, in, &ci)
	if err != nil {
		return nil, nil, err
	}
	return &ci, resp, nil
}

// Update edits an issue's fields.
func (s *IssueService) Update(ctx context.Context, key string, in IssueInput) (*Response, error) {
	return (*service)(s).send(ctx, http.MethodPut, issuePath(key, ""), nil, in, nil)
}

// Delete deletes an issue.
func (s *IssueService) Delete(ctx context.Context, key string) (*Response, error) {
	return (*service)(s).send(ctx, http.MethodDelete, issuePath(key, ""), nil, nil, nil)
}

// Comments returns one page of an issue's comments, oldest first. With
// rendered, bodies are HTML instead of wiki markup.
func (s *IssueService) Comments(ctx context.Context, key string, startAt, maxResults int, rendered bool) (*CommentPage, *Response, error) {
	q := url.Values{}
	q.Set("startAt", strconv.Itoa(startAt))
	if maxResults > 0 {
		q.Set("maxResults", strconv.Itoa(maxResults))
	}
	if rendered {
		q.Set("expand", "renderedBody")
	}
	var p struct {
		CommentPage
		Comments []struct {
			Comment
			RenderedBody string `json:"renderedBody"`
		} `json:"comments"`
	}
	resp, err := (*service)(s).get(ctx, issuePath(key, "comment"), q, &p)
	if err != nil {
		return nil, nil, err
	}
	out := p.CommentPage
	out.Comments = make([]Comment, 0, len(p.Comments))
	for _, c := range p.Comments {
		if rendered && c.RenderedBody != "" {
			c.Body = c.RenderedBody
		}
		out.Comments = append(out.Comments, c.Comment)
	}
	return &out, resp, nil
}

// AddComment adds a comment in wiki markup.
func (s *IssueService) AddComment(ctx context.Context, key, body string) (*Comment, *Response, error) {
	var c Comment
	resp, err := (*service)(s).send(ctx, http.MethodPost, issuePath(key, "comment"), nil, map[string]string{"body": body}, &c)
	if err != nil {
		return nil, nil, err
	}
	return &c, resp, nil
}

// Transitions lists the transitions possible from the issue's status.
func (s *IssueService) Transitions(ctx context.Context, key string) ([]Transition, *Response, error) {
	var p struct {
		Transitions []Transition `json:"transitions"`
	}
	resp, err := (*service)(s).get(ctx, issuePath(key, "transitions"), nil, &p)
	if err != nil {
		return nil, nil, err
	}
	return p.Transitions, resp, nil
}

// DoTransition moves an issue through a transition, optionally setting
// fields (e.g. resolution) and adding a comment.
func (s *IssueService) DoTransition(ctx context.Context, key, transitionID string, fields map[string]any, comment string) (*Response, error) {
	body := map[string]any{"transition": map[string]string{"id": transitionID}}
	if len(fields) > 0 {
		body["fields"] = fields
	}
	if comment != "" {
		body["update"] = map[string]any{"comment": []map[string]any{{"add": map[string]string{"body": comment}}}}
	}
	return (*service)(s).send(ctx, http.MethodPost, issuePath(key, "transitions"), nil, body, nil)
}

// Worklogs returns the worklogs of an issue.
func (s *IssueService) Worklogs(ctx context.Context, key string) (*WorklogPage, *Response, error) {
	return getJSON[WorklogPage](ctx, (*service)(s), issuePath(key, "worklog"), nil)
}

// NewWorklog is time to log.
type NewWorklog struct {
	TimeSpent string `json:"timeSpent"`         // "1h 30m"
	Comment   string `json:"comment,omitempty"` // wiki markup
	Started   string `json:"started,omitempty"` // "2024-01-31T09:00:00.000+0000"
}

// AddWorklog logs time on an issue.
func (s *IssueService) AddWorklog(ctx context.Context, key string, w NewWorklog) (*Worklog, *Response, error) {
	var out Worklog
	resp, err := (*service)(s).send(ctx, http.MethodPost, issuePath(key, "worklog"), nil, w, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, resp, nil
}

// ProjectService reads projects.
type ProjectService service

// List returns every project the user can see.
func (s *ProjectService) List(ctx context.Context) ([]Project, *Response, error) {
	var ps []Project
	resp, err := (*service)(s).get(ctx, "rest/api/2/project", nil, &ps)
	if err != nil {
		return nil, nil, err
	}
	return ps, resp, nil
}

// Get returns one project, with its issue types.
func (s *ProjectService) Get(ctx context.Context, key string) (*Project, *Response, error) {
	return getJSON[Project](ctx, (*service)(s), "rest/api/2/project/"+url.PathEscape(key), nil)
}

// MetaService reads server information, the current user, fields and
// what is needed to create an issue.
type MetaService struct{ service }

// ServerInfo describes a Jira server.
type ServerInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	VersionNumbers []int  `json:"versionNumbers"`
	DeploymentType string `json:"deploymentType"`
	BuildNumber    int    `json:"buildNumber"`
	ServerTitle    string `json:"serverTitle"`
}

// ServerInfo returns the server's version and deployment type.
func (s *MetaService) ServerInfo(ctx context.Context) (*ServerInfo, *Response, error) {
	return getJSON[ServerInfo](ctx, &s.service, "rest/api/2/serverInfo", nil)
}

// Myself returns the authenticated user (an auth check).
func (s *MetaService) Myself(ctx context.Context) (*JiraUser, *Response, error) {
	return getJSON[JiraUser](ctx, &s.service, "rest/api/2/myself", nil)
}

// Field describes a system or custom field.
type Field struct {
	ID          string       `json:"id"`
	Key         string       `json:"key,omitempty"`
	Name        string       `json:"name"`
	Custom      bool         `json:"custom"`
	Navigable   bool         `json:"navigable"`
	Searchable  bool         `json:"searchable"`
	ClauseNames []string     `json:"clauseNames,omitempty"`
	Schema      *FieldSchema `json:"schema,omitempty"`
}

// FieldSchema is the type of a field.
type FieldSchema struct {
	Type   string `json:"type"`
	Items  string `json:"items,omitempty"`
	System string `json:"system,omitempty"`
	Custom string `json:"custom,omitempty"`
}

// Fields lists every field.
func (s *MetaService) Fields(ctx context.Context) ([]Field, *Response, error) {
	var fs []Field
	resp, err := s.get(ctx, "rest/api/2/field", nil, &fs)
	if err != nil {
		return nil, nil, err
	}
	return fs, resp, nil
}

// FieldMeta is a field that can be set when creating an issue.
type FieldMeta struct {
	FieldID       string            `json:"fieldId"`
	Name          string            `json:"name"`
	Required      bool              `json:"required"`
	HasDefault    bool              `json:"hasDefaultValue"`
	Schema        *FieldSchema      `json:"schema,omitempty"`
	AllowedValues []json.RawMessage `json:"allowedValues,omitempty"`
	Operations    []string          `json:"operations,omitempty"`
}

// createMetaPage is the Jira 9+ paged envelope.
type createMetaPage[T any] struct {
	StartAt    int  `json:"startAt"`
	MaxResults int  `json:"maxResults"`
	Total      int  `json:"total"`
	IsLast     bool `json:"isLast"`
	Values     []T  `json:"values"`
}

// legacyCreateMeta is the answer of the pre-9 /issue/createmeta.
type legacyCreateMeta struct {
	Projects []struct {
		Key        string `json:"key"`
		IssueTypes []struct {
			IssueType
			Fields map[string]FieldMeta `json:"fields"`
		} `json:"issuetypes"`
	} `json:"projects"`
}

// IssueTypes lists the issue types that can be created in a project. It
// uses the Jira 9+ endpoint and falls back to the one Jira 8 has.
func (s *MetaService) IssueTypes(ctx context.Context, projectKey string) ([]IssueType, error) {
	var all []IssueType
	for start := 0; ; {
		var p createMetaPage[IssueType]
		_, err := s.get(ctx, "rest/api/2/issue/createmeta/"+url.PathEscape(projectKey)+"/issuetypes", url.Values{"startAt": {strconv.Itoa(start)}}, &p)
		if errors.Is(err, ErrNotFound) && start == 0 {
			return s.legacyIssueTypes(ctx, projectKey)
		}
		if err != nil {
			return nil, err
		}
		all = append(all, p.Values...)
		start += len(p.Values)
		if p.IsLast || len(p.Values) == 0 || (p.Total > 0 && start >= p.Total) {
			return all, nil
		}
	}
}

// CreateFields lists the fields of an issue type (by id or name) in a
// project, with required flags and allowed values.
func (s *MetaService) CreateFields(ctx context.Context, projectKey, issueType string) ([]FieldMeta, error) {
	types, err := s.IssueTypes(ctx, projectKey)
	if err != nil {
		return nil, err
	}
	var id string
	for _, t := range types {
		if t.ID == issueType || strings.EqualFold(t.Name, issueType) {
			id = t.ID
		}
	}
	if id == "" {
		names := make([]string, 0, len(types))
		for _, t := range types {
			names = append(names, t.Name)
		}
		return nil, &Error{Product: "jira", Method: http.MethodGet, Path: "/rest/api/2/issue/createmeta", StatusCode: http.StatusNotFound,
			Messages: []string{"issue type " + strconv.Quote(issueType) + " does not exist in project " + projectKey + "; valid types: " + strings.Join(names, ", ")}}
	}
	var all []FieldMeta
	for start := 0; ; {
		var p createMetaPage[FieldMeta]
		_, err := s.get(ctx, "rest/api/2/issue/createmeta/"+url.PathEscape(projectKey)+"/issuetypes/"+url.PathEscape(id), url.Values{"startAt": {strconv.Itoa(start)}}, &p)
		if errors.Is(err, ErrNotFound) && start == 0 {
			return s.legacyFields(ctx, projectKey, id)
		}
		if err != nil {
			return nil, err
		}
		all = append(all, p.Values...)
		start += len(p.Values)
		if p.IsLast || len(p.Values) == 0 || (p.Total > 0 && start >= p.Total) {
			return all, nil
		}
	}
}

func (s *MetaService) legacy(ctx context.Context, projectKey string) (*legacyCreateMeta, error) {
	var m legacyCreateMeta
	q := url.Values{"projectKeys": {projectKey}, "expand": {"projects.issuetypes.fields"}}
	if _, err := s.get(ctx, "rest/api/2/issue/createmeta", q, &m); err != nil {
		return nil, err
	}
	if len(m.Projects) == 0 {
		return nil, &Error{Product: "jira", Method: http.MethodGet, Path: "/rest/api/2/issue/createmeta", StatusCode: http.StatusNotFound,
			Messages: []string{"project " + projectKey + " does not exist or you cannot create issues in it"}}
	}
	return &m, nil
}

func (s *MetaService) legacyIssueTypes(ctx context.Context, projectKey string) ([]IssueType, error) {
	m, err := s.legacy(ctx, projectKey)
	if err != nil {
		return nil, err
	}
	var out []IssueType
	for _, it := range m.Projects[0].IssueTypes {
		out = append(out, it.IssueType)
	}
	return out, nil
}

func (s *MetaService) legacyFields(ctx context.Context, projectKey, typeID string) ([]FieldMeta, error) {
	m, err := s.legacy(ctx, projectKey)
	if err != nil {
		return nil, err
	}
	for _, it := range m.Projects[0].IssueTypes {
		if it.ID != typeID {
			continue
		}
		out := make([]FieldMeta, 0, len(it.Fields))
		for id, f := range it.Fields {
			if f.FieldID == "" {
				f.FieldID = id
			}
			out = append(out, f)
		}
		sortFieldMeta(out)
		return out, nil
	}
	return nil, nil
}

func sortFieldMeta(fs []FieldMeta) {
	// Required first, then by name: the order a person fills a form in.
	slices.SortFunc(fs, func(a, b FieldMeta) int {
		if a.Required != b.Required {
			if a.Required {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
}
