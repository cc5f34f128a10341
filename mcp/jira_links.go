package mcp

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/markup"
)

// --- jira_get_link_types

func (s *Server) jiraGetLinkTypes() tool {
	return readTool("jira", "jira_get_link_types", "List Jira link types",
		"List the kinds of issue link for jira_link_issues: name, outward words (inward issue → outward issue, e.g. blocks) and inward words (e.g. is blocked by).",
		func(ctx context.Context, _ noArgs) (*mcpgo.CallToolResult, error) {
			lts, _, err := s.jira.Meta.LinkTypes(ctx)
			if err != nil {
				return nil, serverError(err, "the link types", "")
			}
			out := struct {
				Columns []string   `json:"columns"`
				Types   [][]string `json:"types"`
			}{Columns: []string{"name", "outward", "inward"}, Types: [][]string{}}
			for _, lt := range lts {
				out.Types = append(out.Types, []string{text(lt.Name), text(lt.Outward), text(lt.Inward)})
			}
			return jsonResult(out)
		})
}

// --- jira_link_issues

type linkIssuesArgs struct {
	LinkType        string `json:"link_type" jsonschema_description:"Link type name, e.g. Blocks, Duplicate, Relates (jira_get_link_types)."`
	InwardIssueKey  string `json:"inward_issue_key" jsonschema_description:"The issue the link reads from: with Blocks, the one that blocks."`
	OutwardIssueKey string `json:"outward_issue_key" jsonschema_description:"The issue the link reads to: with Blocks, the one blocked."`
	Comment         string `json:"comment,omitempty" jsonschema_description:"Comment (markdown) added to the outward issue."`
}

func (s *Server) jiraLinkIssues() tool {
	return writeTool("jira", "jira_link_issues", "Link two Jira issues",
		"Link two Jira issues so that inward_issue_key <outward words> outward_issue_key, e.g. Duplicate: inward duplicates outward. Link ids are in jira_get_issue's links.",
		false, false,
		func(ctx context.Context, a linkIssuesArgs) (*mcpgo.CallToolResult, error) {
			if strings.TrimSpace(a.LinkType) == "" {
				return nil, argError("link_type is empty: give a name such as Blocks (see jira_get_link_types)")
			}
			in, err := s.checkIssue(ctx, a.InwardIssueKey)
			if err != nil {
				return nil, err
			}
			out, err := s.checkIssue(ctx, a.OutwardIssueKey)
			if err != nil {
				return nil, err
			}
			if in == out {
				return nil, argError("an issue cannot be linked to itself (%s)", in)
			}
			comment := ""
			if strings.TrimSpace(a.Comment) != "" {
				comment = wikiMarkup(a.Comment)
			}
			if _, err := s.jira.Issues.Link(ctx, atlassian.LinkInput{Type: strings.TrimSpace(a.LinkType), Inward: in, Outward: out, Comment: comment}); err != nil {
				return nil, serverError(err, "link type "+a.LinkType+" or issue "+in+" or "+out, "check link_type with jira_get_link_types")
			}
			return jsonResult(struct {
				Linked string `json:"linked"`
			}{in + " → " + out + " (" + text(a.LinkType) + ")"})
		})
}

// --- jira_remove_link

type removeLinkArgs struct {
	LinkID string `json:"link_id" jsonschema_description:"Link id, from the links of jira_get_issue."`
}

var linkIDPattern = regexp.MustCompile(`^[0-9]{1,19}$`)

func (s *Server) jiraRemoveLink() tool {
	return writeTool("jira", "jira_remove_link", "Remove a Jira issue link",
		"Remove an issue link by id (the id in jira_get_issue's links). The issues stay.",
		true, true,
		func(ctx context.Context, a removeLinkArgs) (*mcpgo.CallToolResult, error) {
			id := strings.TrimSpace(a.LinkID)
			if !linkIDPattern.MatchString(id) {
				return nil, argError("link_id must be the numeric id of a link (got %q): see the links of jira_get_issue", quoteInput(id))
			}
			if _, err := s.jira.Issues.DeleteLink(ctx, id); err != nil {
				return nil, serverError(err, "link "+id, "")
			}
			return jsonResult(struct {
				Removed string `json:"removed"`
			}{id})
		})
}

// --- jira_delete_issue

type deleteIssueArgs struct {
	IssueKey string `json:"issue_key" jsonschema_description:"Issue key, e.g. OPS-123."`
}

func (s *Server) jiraDeleteIssue() tool {
	return writeTool("jira", "jira_delete_issue", "Delete a Jira issue",
		"Delete a Jira issue for good, with its comments, work logs and links (no undo; Jira refuses one with subtasks). Prefer a transition to a closed status unless asked to delete.",
		true, true,
		func(ctx context.Context, a deleteIssueArgs) (*mcpgo.CallToolResult, error) {
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			if _, err := s.jira.Issues.Delete(ctx, key); err != nil {
				return nil, serverError(err, "issue "+key, "")
			}
			return jsonResult(struct {
				Deleted string `json:"deleted"`
			}{key})
		})
}

// --- jira_edit_comment

type editCommentArgs struct {
	IssueKey  string `json:"issue_key" jsonschema_description:"Issue key, e.g. OPS-123."`
	CommentID string `json:"comment_id" jsonschema_description:"Comment id, from jira_add_comment or jira_get_comments."`
	Comment   string `json:"comment" jsonschema_description:"The comment as edited markdown from jira_get_comments; what you left keeps its wiki markup."`
	AllowLoss bool   `json:"allow_loss,omitempty" jsonschema_description:"Write even if placeholders you removed are lost (default false: refused, naming them)."`
}

var commentIDPattern = regexp.MustCompile(`^[0-9]{1,19}$`)

func (s *Server) jiraEditComment() tool {
	return writeTool("jira", "jira_edit_comment", "Edit a Jira comment",
		"Edit a comment on a Jira issue: send its markdown from jira_get_comments, edited; only what you changed changes in its wiki markup. Jira lets you edit your own comments.",
		true, true,
		func(ctx context.Context, a editCommentArgs) (*mcpgo.CallToolResult, error) {
			if strings.TrimSpace(a.Comment) == "" {
				return nil, argError("comment is empty")
			}
			id := strings.TrimSpace(a.CommentID)
			if !commentIDPattern.MatchString(id) {
				return nil, argError("comment_id must be the numeric id of a comment (got %q): see jira_get_comments", quoteInput(id))
			}
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			cur, _, err := s.jira.Issues.Comment(ctx, key, id)
			if err != nil {
				return nil, serverError(err, "comment "+id+" of issue "+key, "")
			}
			wiki, err := markup.ApplyWiki(cur.Body, a.Comment, markup.ApplyOptions{AllowLoss: a.AllowLoss})
			if err != nil {
				return nil, editError(err, "jira_get_comments")
			}
			c, _, err := s.jira.Issues.UpdateComment(ctx, key, id, wiki)
			if err != nil {
				return nil, serverError(err, "comment "+id+" of issue "+key, "")
			}
			return jsonResult(struct {
				ID      string `json:"id"`
				Key     string `json:"key"`
				Updated string `json:"updated,omitempty"`
			}{c.ID, key, stamp(c.Updated)})
		})
}

// --- jira_get_remote_links, jira_add_remote_link

func (s *Server) jiraGetRemoteLinks() tool {
	return readTool("jira", "jira_get_remote_links", "List an issue's web links",
		"List the web links (remote links) of a Jira issue: columns id, title, URL, relationship.",
		func(ctx context.Context, a issueArgs) (*mcpgo.CallToolResult, error) {
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			ls, _, err := s.jira.Issues.RemoteLinks(ctx, key)
			if err != nil {
				return nil, serverError(err, "issue "+key, "")
			}
			out := struct {
				Columns []string   `json:"columns"`
				Links   [][]string `json:"links"`
			}{Columns: []string{"id", "title", "url", "relationship"}, Links: [][]string{}}
			for _, l := range ls {
				out.Links = append(out.Links, []string{strconv.FormatInt(l.ID, 10), oneLine(l.Object.Title, 200), l.Object.URL, text(l.Relationship)})
			}
			return jsonResult(out)
		})
}

type addRemoteLinkArgs struct {
	IssueKey     string `json:"issue_key" jsonschema_description:"Issue key, e.g. OPS-123."`
	URL          string `json:"url" jsonschema_description:"The web address, http or https."`
	Title        string `json:"title" jsonschema_description:"Link text."`
	Relationship string `json:"relationship,omitempty" jsonschema_description:"How it relates, e.g. mentioned in (default: links to)."`
}

func (s *Server) jiraAddRemoteLink() tool {
	return writeTool("jira", "jira_add_remote_link", "Add a web link to an issue",
		"Add a web link (remote link) to a Jira issue, e.g. a runbook, dashboard or pull request. Returns its id.",
		false, false,
		func(ctx context.Context, a addRemoteLinkArgs) (*mcpgo.CallToolResult, error) {
			u, err := url.Parse(strings.TrimSpace(a.URL))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, argError("url must be an http or https address (got %q)", quoteInput(a.URL))
			}
			if strings.TrimSpace(a.Title) == "" {
				return nil, argError("title is empty: give the link's text")
			}
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			id, _, err := s.jira.Issues.AddRemoteLink(ctx, key, u.String(), a.Title, a.Relationship)
			if err != nil {
				return nil, serverError(err, "issue "+key, "")
			}
			return jsonResult(struct {
				ID  int64  `json:"id"`
				Key string `json:"key"`
			}{id, key})
		})
}
