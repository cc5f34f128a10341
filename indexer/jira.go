package indexer

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/markup"
	"github.com/atlasbridge/atlasbridge/search"
)

// jiraCrawler crawls the issues of projects, with their comments.
type jiraCrawler struct {
	j     *atlassian.Jira
	chunk ChunkOptions
	log   *slog.Logger

	fieldsOnce sync.Once
	texts      []atlassian.Field // text custom fields, learnt once a sync
	fieldsErr  error
}

// textCustomTypes are the custom field types whose values are text worth
// searching: Jira's own text area, text field and read-only text field.
var textCustomTypes = []string{"textarea", "textfield", "readonlyfield"}

// textFields learns the instance's text custom fields, once a sync and
// only when an issue is to be built; the first caller counts the request.
// A failure fails the builds, so the issues are tried again next sync
// rather than stored without their custom fields.
func (jc *jiraCrawler) textFields(ctx context.Context, st *Stages) ([]atlassian.Field, error) {
	jc.fieldsOnce.Do(func() {
		t0 := time.Now()
		fs, _, err := jc.j.Meta.Fields(ctx)
		if st != nil {
			st.Fetch += time.Since(t0)
			st.requests++
		}
		if err != nil {
			jc.fieldsErr = fmt.Errorf("jira: list fields: %w", err)
			return
		}
		for _, f := range fs {
			if !f.Custom || f.Schema == nil {
				continue
			}
			_, kind, _ := strings.Cut(f.Schema.Custom, ":")
			if slices.Contains(textCustomTypes, kind) {
				jc.texts = append(jc.texts, f)
			}
		}
	})
	return jc.texts, jc.fieldsErr
}

// fieldsParam is the fields parameter of an issue read: the system fields
// the crawl reads and the text custom fields.
func (jc *jiraCrawler) fieldsParam(ctx context.Context) (string, error) {
	texts, err := jc.textFields(ctx, nil)
	if err != nil {
		return "", err
	}
	fs := slices.Clone(issueFields)
	for _, f := range texts {
		fs = append(fs, f.ID)
	}
	return strings.Join(fs, ","), nil
}

func (jc *jiraCrawler) source() string { return search.SourceJira }

func (jc *jiraCrawler) restore([]container) {}

func (jc *jiraCrawler) containers(ctx context.Context, allow []string) ([]container, error) {
	ps, _, err := jc.j.Projects.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("jira: list projects: %w", err)
	}
	var out []container
	seen := map[string]bool{}
	for _, p := range ps {
		if len(allow) > 0 && !containsFold(allow, p.Key) {
			continue
		}
		seen[strings.ToUpper(p.Key)] = true
		out = append(out, container{key: p.Key, name: p.Name})
	}
	for _, k := range allow {
		if !seen[strings.ToUpper(k)] {
			jc.log.Warn("project not found or not visible to this user; skipped", "project", k)
		}
	}
	return out, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// issueFields are the fields the crawl reads of an issue.
var issueFields = []string{
	"summary", "description", "status", "issuetype", "priority", "resolution", "assignee", "reporter",
	"labels", "components", "fixVersions", "issuelinks", "parent", "created", "updated", "comment",
	"project", "security", "environment",
}

// issuePage is how many issues one body request fetches.
const issuePage = 50

func (jc *jiraCrawler) list(ctx context.Context, c container, since time.Time) ([]item, int, error) {
	base := "project = " + atlassian.Quote(c.key)
	type entry struct {
		key  string
		when time.Time
	}
	var entries []entry
	reqs := 0
	err := keyset(since, jqlBound, func(lower string, start int) ([]time.Time, bool, int, error) {
		jql := base
		if lower != "" {
			jql += " AND updated >= " + lower
		}
		jql += " ORDER BY updated ASC, id ASC"
		p, _, err := jc.j.Issues.Search(ctx, jql, &atlassian.SearchIssuesOptions{StartAt: start, MaxResults: 1000, Fields: []string{"updated"}})
		reqs++
		if err != nil {
			return nil, false, 0, fmt.Errorf("jira: list project %s: %w", c.key, err)
		}
		times := make([]time.Time, 0, len(p.Issues))
		for _, is := range p.Issues {
			when := is.Fields.Updated.Time
			times = append(times, when)
			entries = append(entries, entry{is.Key, when})
		}
		next, more := p.Next()
		return times, more, next, nil
	})
	items := make([]item, 0, len(entries))
	for _, e := range entries {
		items = append(items, item{id: search.SourceJira + ":" + e.key, ref: e.key, updated: e.when})
	}
	return dedupe(items), reqs, err
}

// prepare gives the items to build their build functions: issues are
// fetched 50 to a request, in the order of todo.
//
// A batch with an item that arrived in the container asks for the
// changelog too: an issue moved from another project lists its earlier
// keys there, and the documents under those keys are replaced.
func (jc *jiraCrawler) prepare(c container, todo []item) {
	var b *batch[*jiraIssue]
	var changelog *bool
	for i := range todo {
		if b == nil || len(b.ids) == issuePage {
			withLog := false
			changelog = &withLog
			b = b.then(&batch[*jiraIssue]{load: func(ctx context.Context, keys []string) (map[string]*jiraIssue, error) {
				return jc.fetchMany(ctx, keys, withLog)
			}})
		}
		b.ids = append(b.ids, todo[i].ref)
		*changelog = *changelog || todo[i].arrived
		key, b, arrived := todo[i].ref, b, todo[i].arrived
		todo[i].build = func(ctx context.Context, st *Stages) (*search.Document, error) {
			if _, err := jc.textFields(ctx, st); err != nil {
				return nil, err
			}
			is, ok, err := b.get(ctx, key, st)
			if err != nil || !ok {
				t0 := time.Now()
				is, err = jc.fetchOne(ctx, key, arrived)
				st.Fetch += time.Since(t0)
				st.requests++
				if err != nil {
					return nil, err
				}
			}
			if is.Fields.Project != nil && !strings.EqualFold(is.Fields.Project.Key, c.key) {
				return nil, nil // moved to another project
			}
			st.replaces = is.earlierKeys()
			return jc.build(ctx, c, is, st)
		}
	}
}

// jiraIssue is an issue as the crawl decodes it. atlassian.RenderedFields
// types the rendered comments' dates as timestamps, but Jira renders them
// for humans ("18/Dec/24 2:47 PM"), which fails to decode; only the
// rendered bodies are needed here.
type jiraIssue struct {
	atlassian.Issue
	RenderedFields *renderedFields `json:"renderedFields,omitempty"`
	Changelog      *struct {
		Histories []struct {
			Items []struct {
				Field      string `json:"field"`
				FromString string `json:"fromString"`
			} `json:"items"`
		} `json:"histories"`
	} `json:"changelog,omitempty"`
}

// earlierKeys returns the document ids of the keys the issue had before it
// moved, from the "Key" items of its changelog (when it was asked for).
func (is *jiraIssue) earlierKeys() []string {
	if is.Changelog == nil {
		return nil
	}
	var out []string
	for _, h := range is.Changelog.Histories {
		for _, it := range h.Items {
			if strings.EqualFold(it.Field, "Key") && it.FromString != "" && !strings.EqualFold(it.FromString, is.Key) {
				out = append(out, search.SourceJira+":"+strings.ToUpper(it.FromString))
			}
		}
	}
	return out
}

type renderedFields struct {
	Description string `json:"description"`
	Environment string `json:"environment"`
	Comment     *struct {
		Comments []struct {
			ID   string `json:"id"`
			Body string `json:"body"`
		} `json:"comments"`
	} `json:"comment"`
	// Custom holds the rendered custom fields that are text, by field id.
	Custom map[string]string `json:"-"`
}

// UnmarshalJSON decodes the known rendered fields and keeps the custom
// ones that rendered to text.
func (r *renderedFields) UnmarshalJSON(b []byte) error {
	type plain renderedFields
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, v := range all {
		var text string
		if strings.HasPrefix(k, "customfield_") && json.Unmarshal(v, &text) == nil && text != "" {
			if p.Custom == nil {
				p.Custom = map[string]string{}
			}
			p.Custom[k] = text
		}
	}
	*r = renderedFields(p)
	return nil
}

// issueExpand is what an issue read expands: rendered fields, and the
// changelog when asked for.
func issueExpand(changelog bool) string {
	if changelog {
		return "renderedFields,changelog"
	}
	return "renderedFields"
}

// fetchMany fetches the issues of keys, with rendered fields, in one search.
// A key deleted since the listing is simply missing from the answer.
func (jc *jiraCrawler) fetchMany(ctx context.Context, keys []string, changelog bool) (map[string]*jiraIssue, error) {
	fields, err := jc.fieldsParam(ctx)
	if err != nil {
		return nil, err
	}
	q := url.Values{
		"jql":           {"key in (" + strings.Join(keys, ",") + ")"},
		"maxResults":    {strconv.Itoa(len(keys))},
		"fields":        {fields},
		"expand":        {issueExpand(changelog)},
		"validateQuery": {"warn"},
	}
	req, err := jc.j.NewRequest(ctx, http.MethodGet, "rest/api/2/search", q, nil)
	if err != nil {
		return nil, err
	}
	var p struct {
		Issues []*jiraIssue `json:"issues"`
	}
	if _, err := jc.j.Do(req, &p); err != nil {
		return nil, fmt.Errorf("jira: fetch %d issues: %w", len(keys), err)
	}
	out := make(map[string]*jiraIssue, len(p.Issues))
	for _, is := range p.Issues {
		out[is.Key] = is
	}
	return out, nil
}

// fetchOne fetches one issue with rendered fields.
func (jc *jiraCrawler) fetchOne(ctx context.Context, key string, changelog bool) (*jiraIssue, error) {
	fields, err := jc.fieldsParam(ctx)
	if err != nil {
		return nil, err
	}
	q := url.Values{"fields": {fields}, "expand": {issueExpand(changelog)}}
	req, err := jc.j.NewRequest(ctx, http.MethodGet, "rest/api/2/issue/"+url.PathEscape(key), q, nil)
	if err != nil {
		return nil, err
	}
	var is jiraIssue
	if _, err := jc.j.Do(req, &is); err != nil {
		return nil, fmt.Errorf("jira: get issue %s: %w", key, err)
	}
	return &is, nil
}

func (jc *jiraCrawler) build(ctx context.Context, c container, is *jiraIssue, st *Stages) (*search.Document, error) {
	f := &is.Fields
	opts := markup.Options{BaseURL: jc.j.BaseURL()}
	doc := &search.Document{
		ID:        search.SourceJira + ":" + is.Key,
		Source:    search.SourceJira,
		Container: c.key,
		Key:       is.Key,
		Title:     markup.Clean(f.Summary),
		URL:       jc.j.AbsURL("browse/" + is.Key),
		Updated:   f.Updated.Time,
		Labels:    f.Labels,
	}
	if f.IssueType != nil {
		doc.Type = f.IssueType.Name
	}
	if f.Status != nil {
		doc.Status = f.Status.Name
	}
	doc.Readers = securityReaders(f.Custom["security"])
	doc.Restricted = doc.Readers.Restricted()
	project := c.name
	if project == "" {
		project = c.key
	}
	doc.Breadcrumb = []string{project, is.Key + ": " + doc.Title}

	// Comments beyond the first page of the search come from the comment API.
	comments, rendered := f.Comment, is.RenderedFields
	var more []atlassian.Comment
	if comments != nil && comments.Total > len(comments.Comments) {
		t0 := time.Now()
		for start := len(comments.Comments); start < comments.Total; {
			p, _, err := jc.j.Issues.Comments(ctx, is.Key, start, 100, true)
			st.requests++
			if err != nil {
				return nil, fmt.Errorf("jira: comments of %s: %w", is.Key, err)
			}
			if len(p.Comments) == 0 {
				break
			}
			more = append(more, p.Comments...)
			start += len(p.Comments)
		}
		st.Fetch += time.Since(t0)
	}
	// A comment limited to a group or role is left out of the document:
	// see restrictedComment.

	t0 := time.Now()
	var b strings.Builder
	meta := func(parts ...string) {
		var kept []string
		for i := 0; i+1 < len(parts); i += 2 {
			if parts[i+1] != "" {
				kept = append(kept, parts[i]+": "+parts[i+1])
			}
		}
		if len(kept) > 0 {
			b.WriteString(strings.Join(kept, " · "))
			b.WriteString("\n")
		}
	}
	meta("Type", doc.Type, "Status", doc.Status, "Priority", name(f.Priority), "Resolution", name(f.Resolution))
	meta("Assignee", f.Assignee.Label(), "Reporter", f.Reporter.Label())
	meta("Labels", strings.Join(f.Labels, ", "), "Components", names(f.Components), "Fix versions", versions(f.FixVersions))
	meta("Created", day(f.Created.Time), "Updated", day(f.Updated.Time))
	if f.Parent != nil {
		meta("Parent", f.Parent.Key+" "+f.Parent.Fields.Summary)
	}
	for _, l := range f.IssueLinks {
		switch {
		case l.OutwardIssue != nil:
			meta("Link", l.Type.Outward+" "+linked(l.OutwardIssue))
		case l.InwardIssue != nil:
			meta("Link", l.Type.Inward+" "+linked(l.InwardIssue))
		}
	}
	desc := f.Description
	if rendered != nil && strings.TrimSpace(rendered.Description) != "" {
		md, err := markup.HTMLToMarkdown(rendered.Description, opts)
		if err != nil {
			return nil, fmt.Errorf("jira: convert description of %s: %w", is.Key, err)
		}
		desc = md
	}
	if strings.TrimSpace(desc) != "" {
		b.WriteString("\n## Description\n\n")
		b.WriteString(markup.Clean(desc))
		b.WriteString("\n")
	}
	// The environment and the text custom fields, each under its name.
	sections := []struct{ name, raw, html string }{{name: "Environment", raw: f.Environment}}
	if rendered != nil {
		sections[0].html = rendered.Environment
	}
	for _, tf := range jc.texts {
		var raw string
		if v, ok := f.Custom[tf.ID]; !ok || json.Unmarshal(v, &raw) != nil {
			continue
		}
		sec := struct{ name, raw, html string }{name: tf.Name, raw: raw}
		if rendered != nil {
			sec.html = rendered.Custom[tf.ID]
		}
		sections = append(sections, sec)
	}
	for _, sec := range sections {
		text := sec.raw
		if strings.TrimSpace(sec.html) != "" {
			md, err := markup.HTMLToMarkdown(sec.html, opts)
			if err != nil {
				return nil, fmt.Errorf("jira: convert %s of %s: %w", sec.name, is.Key, err)
			}
			text = md
		}
		if strings.TrimSpace(text) != "" {
			fmt.Fprintf(&b, "\n## %s\n\n%s\n", markup.Clean(sec.name), markup.Clean(text))
		}
	}
	var all []atlassian.Comment
	if comments != nil {
		all = append(all, comments.Comments...)
	}
	var renderedBodies map[string]string
	if rendered != nil && rendered.Comment != nil {
		renderedBodies = make(map[string]string, len(rendered.Comment.Comments))
		for _, rc := range rendered.Comment.Comments {
			renderedBodies[rc.ID] = rc.Body
		}
	}
	for _, cm := range more {
		// The comment API returned rendered bodies already.
		if renderedBodies == nil {
			renderedBodies = map[string]string{}
		}
		renderedBodies[cm.ID] = cm.Body
		all = append(all, cm)
	}
	all = slices.DeleteFunc(all, restrictedComment)
	if len(all) > 0 {
		b.WriteString("\n## Comments\n")
		for _, cm := range all {
			body := cm.Body
			if h, ok := renderedBodies[cm.ID]; ok && strings.TrimSpace(h) != "" {
				md, err := markup.HTMLToMarkdown(h, opts)
				if err != nil {
					return nil, fmt.Errorf("jira: convert comment %s of %s: %w", cm.ID, is.Key, err)
				}
				body = md
			}
			fmt.Fprintf(&b, "\n### %s, %s\n\n%s\n", cmp.Or(cm.Author.Label(), "someone"), day(cm.Created.Time), markup.Clean(body))
		}
	}
	st.Convert += time.Since(t0)
	t0 = time.Now()
	doc.Chunks = ChunkMarkdown(b.String(), doc.Breadcrumb, jc.chunk)
	st.Chunk += time.Since(t0)
	return doc, nil
}

func (jc *jiraCrawler) exists(ctx context.Context, c container, docID string) (bool, error) {
	key := strings.TrimPrefix(docID, search.SourceJira+":")
	is, _, err := jc.j.Issues.Get(ctx, key, &atlassian.GetIssueOptions{Fields: []string{"project"}})
	if isGone(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("jira: check %s: %w", key, err)
	}
	// A moved issue answers under its new key, in its new project.
	if !strings.EqualFold(is.Key, key) {
		return false, nil
	}
	return is.Fields.Project == nil || strings.EqualFold(is.Fields.Project.Key, c.key), nil
}

func name(n *atlassian.Named) string {
	if n == nil {
		return ""
	}
	return n.Name
}

func names(ns []atlassian.Named) string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, n.Name)
	}
	return strings.Join(out, ", ")
}

func versions(vs []atlassian.FixVersion) string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return strings.Join(out, ", ")
}

// restrictedComment reports whether a comment is limited to a group or
// role. Such comments are not indexed: a hit is a whole document (its
// snippet may come from any chunk, and find_similar_issues reads its whole
// text), so a comment readable by fewer people than its issue would leak
// through the issue's hit to everyone else who may open the issue; and a
// role's members cannot be read without project admin rights, so per-chunk
// readers could not be decided anyway. Whoever may read the comment finds
// it through the servers' own search (JQL text ~ covers the comments the
// caller may see), which semantic_search and atlasbridge search fall back
// to when the index has no match.
func restrictedComment(cm atlassian.Comment) bool { return cm.Visibility != nil }

func linked(li *atlassian.LinkedIssue) string {
	s := li.Key + " " + li.Fields.Summary
	if li.Fields.Status != nil {
		s += " (" + li.Fields.Status.Name + ")"
	}
	return s
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// restricted reads the security levels of keys with one JQL search. The
// permission pass asks only about issues whose readers the index does not
// know (see restrictionsListed): setting a level is an edit that moves an
// issue's updated time, so the listing sees it.
func (jc *jiraCrawler) restricted(ctx context.Context, c container, keys []string) (map[string]*search.Readers, int, error) {
	p, _, err := jc.j.Issues.Search(ctx, "key in ("+strings.Join(keys, ",")+")",
		&atlassian.SearchIssuesOptions{MaxResults: len(keys), Fields: []string{"security"}, ValidateQuery: "warn"})
	if err != nil {
		return nil, 1, fmt.Errorf("jira: security levels of %d issues in %s: %w", len(keys), c.key, err)
	}
	out := make(map[string]*search.Readers, len(p.Issues))
	for _, is := range p.Issues {
		out[is.Key] = securityReaders(is.Fields.Custom["security"])
	}
	return out, 1, nil
}

// securityReaders are the readers of an issue with the security field sec
// (null or absent: none).
func securityReaders(sec json.RawMessage) *search.Readers {
	r := &search.Readers{}
	if len(sec) == 0 || string(sec) == "null" {
		return r
	}
	var level struct {
		ID   json.RawMessage `json:"id"`
		Name string          `json:"name"`
	}
	_ = json.Unmarshal(sec, &level) // an odd shape still restricts
	r.SecurityID = cmp.Or(strings.Trim(string(level.ID), `"`), "?")
	r.SecurityName = cmp.Or(level.Name, "(unknown level)")
	return r
}
