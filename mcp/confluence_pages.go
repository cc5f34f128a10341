package mcp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/markup"
)

// --- confluence_get_page_history

type pageHistoryArgs struct {
	PageID   string `json:"page_id" jsonschema_description:"Numeric page id."`
	Limit    int    `json:"limit,omitempty" jsonschema_description:"Versions per page, newest first, 1-100 (default 25)."`
	Start    int    `json:"start,omitempty" jsonschema_description:"Index of the first version, from next_start of a previous call."`
	DiffFrom int    `json:"diff_from,omitempty" jsonschema_description:"With diff_to: also return what changed from this version to diff_to, as a unified diff of the markdown."`
	DiffTo   int    `json:"diff_to,omitempty" jsonschema_description:"The newer version of the diff (0: the current one)."`
	MaxChars int    `json:"max_chars,omitempty" jsonschema_description:"Most characters of diff to return (default 20000)."`
}

func (s *Server) confluenceGetPageHistory() tool {
	return readTool("confluence", "confluence_get_page_history", "Read a page's version history",
		"List the versions of a Confluence page, newest first: columns version, by, when, message. With diff_from (and diff_to, default the current version) also returns diff: what changed between the two, as a unified diff of the page's markdown.",
		func(ctx context.Context, a pageHistoryArgs) (*mcpgo.CallToolResult, error) {
			limit, err := window("limit", a.Limit, 25, 100, "start", a.Start)
			if err != nil {
				return nil, err
			}
			maxChars, err := bounded("max_chars", a.MaxChars, defaultMaxChars, maxMaxChars)
			if err != nil {
				return nil, err
			}
			if a.DiffFrom < 0 || a.DiffTo < 0 || a.DiffTo > 0 && a.DiffFrom == 0 {
				return nil, argError("diff_from and diff_to are version numbers (1 or more): give diff_from, and diff_to if not the current version")
			}
			if err := s.checkPageScope(ctx, a.PageID); err != nil {
				return nil, err
			}
			p, _, err := s.conf.Content.Versions(ctx, a.PageID, &atlassian.ListOptions{Start: a.Start, Limit: limit})
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "")
			}
			out := struct {
				PageID string `json:"page_id"`
				listHead
				Columns  []string   `json:"columns"`
				Versions [][]string `json:"versions"`
				Diff     *body      `json:"diff,omitempty"`
			}{PageID: a.PageID, listHead: listHeadOf(p.Page, 0, a.Start), Columns: []string{"version", "by", "when", "message"}, Versions: [][]string{}}
			for _, v := range p.Results {
				out.Versions = append(out.Versions, []string{strconv.Itoa(v.Number), text(v.By.Name()), stamp(v.When), oneLine(v.Message, 200)})
			}
			if a.DiffFrom > 0 {
				d, err := s.pageDiff(ctx, a.PageID, a.DiffFrom, a.DiffTo)
				if err != nil {
					return nil, err
				}
				b, err := cut(d, maxChars, 0)
				if err != nil {
					return nil, err
				}
				out.Diff = &b
			}
			return jsonResult(out)
		})
}

// pageDiff is the unified diff of the editable markdown of two versions of
// a page; to 0 is the current version.
func (s *Server) pageDiff(ctx context.Context, id string, from, to int) (string, error) {
	read := func(n int) (*atlassian.Content, error) {
		var (
			c   *atlassian.Content
			err error
		)
		if n == 0 {
			c, _, err = s.conf.Content.Get(ctx, id, "body.storage", "space")
		} else {
			c, _, err = s.conf.Content.GetVersion(ctx, id, n, "body.storage", "space")
		}
		if errors.Is(err, atlassian.ErrNotFound) && n > 0 {
			return nil, argError("page %s has no version %d: see the versions listed by confluence_get_page_history", id, n)
		}
		if err != nil {
			return nil, serverError(err, "page "+id, "")
		}
		return c, nil
	}
	older, err := read(from)
	if err != nil {
		return "", err
	}
	newer, err := read(to)
	if err != nil {
		return "", err
	}
	d, err := markup.Diff(older.Storage(), newer.Storage(), s.markupOptions(newer.SpaceKey(), id))
	if err != nil {
		return "", &toolError{msg: fmt.Sprintf("cannot compare the versions of page %s: %v", id, err), err: err}
	}
	if d == "" {
		d = "(no change)"
	}
	return d, nil
}

// --- confluence_move_page

type movePageArgs struct {
	PageID   string `json:"page_id" jsonschema_description:"Numeric id of the page to move (its children move with it)."`
	ParentID string `json:"parent_id,omitempty" jsonschema_description:"Numeric id of the new parent page."`
	SpaceKey string `json:"space_key,omitempty" jsonschema_description:"Key of the space to move to (top level there, unless parent_id)."`
}

func (s *Server) confluenceMovePage() tool {
	return writeTool("confluence", "confluence_move_page", "Move a Confluence page",
		"Move a Confluence page (with its children) under another parent page, or to another space. Give parent_id, space_key or both. Returns the page with its new version.",
		false, true,
		func(ctx context.Context, a movePageArgs) (*mcpgo.CallToolResult, error) {
			if err := checkPageID(a.PageID); err != nil {
				return nil, err
			}
			if a.ParentID == "" && strings.TrimSpace(a.SpaceKey) == "" {
				return nil, argError("give parent_id (the new parent page), space_key (the space to move to), or both")
			}
			if a.ParentID == a.PageID {
				return nil, argError("a page cannot be its own parent")
			}
			cur, _, err := s.conf.Content.Get(ctx, a.PageID, "body.storage", "version", "space")
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "")
			}
			if !s.spaces.allows(cur.SpaceKey()) {
				return nil, s.spaces.refuse(fmt.Sprintf("page %s (space %s)", a.PageID, cur.SpaceKey()))
			}
			target := cur.SpaceKey()
			if a.SpaceKey != "" {
				target = a.SpaceKey
			}
			if !s.spaces.allows(target) {
				return nil, s.spaces.refuse("space " + target)
			}
			if a.ParentID != "" {
				if err := s.checkPageScope(ctx, a.ParentID); err != nil {
					return nil, err
				}
			}
			if cur.Version == nil {
				return nil, &toolError{msg: fmt.Sprintf("page %s: the server sent no version; cannot move it", a.PageID)}
			}
			c, _, err := s.conf.Content.Update(ctx, a.PageID, atlassian.PageUpdate{Title: cur.Title, Storage: cur.Storage(), Version: cur.Version.Number,
				Type: cur.Type, ParentID: a.ParentID, SpaceKey: a.SpaceKey, Message: "moved"})
			if errors.Is(err, atlassian.ErrConflict) {
				return nil, conflict(a.PageID, cur.Version.Number, 0)
			}
			if errors.Is(err, atlassian.ErrNotFound) && a.SpaceKey != "" {
				// Confluence answers 404 for a missing space as for a missing page.
				if _, _, serr := s.conf.Spaces.Get(ctx, a.SpaceKey); errors.Is(serr, atlassian.ErrNotFound) {
					return nil, serverError(serr, "space "+a.SpaceKey, "")
				}
			}
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "check parent_id and space_key; the title must be unique in the target space")
			}
			return jsonResult(s.written(c, target))
		})
}

// --- confluence_delete_page

func (s *Server) confluenceDeletePage() tool {
	return writeTool("confluence", "confluence_delete_page", "Delete a Confluence page",
		"Move a Confluence page to the space's trash (a space admin can restore it from there). Its children move up to its parent.",
		true, true,
		func(ctx context.Context, a pageArgs) (*mcpgo.CallToolResult, error) {
			if err := s.checkPageScope(ctx, a.PageID); err != nil {
				return nil, err
			}
			if _, err := s.conf.Content.Delete(ctx, a.PageID); err != nil {
				return nil, serverError(err, "page "+a.PageID, "")
			}
			return jsonResult(struct {
				Trashed string `json:"trashed"`
			}{a.PageID})
		})
}
