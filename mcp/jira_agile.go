package mcp

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// The agile tools read boards and sprints of Jira Software (/rest/agile/1.0). The reads are in
// the default list ("what is in the current sprint"); changing sprints is the jira_agile toolset.

// --- jira_get_boards

type getBoardsArgs struct {
	ProjectKey string `json:"project_key,omitempty" jsonschema_description:"Only the boards of this project, e.g. OPS."`
	Name       string `json:"name,omitempty" jsonschema_description:"Only boards whose name contains this."`
	MaxResults int    `json:"max_results,omitempty" jsonschema_description:"Boards per page, 1-100 (default 50)."`
	StartAt    int    `json:"start_at,omitempty" jsonschema_description:"Index of the first board, from next_start_at."`
}

func (s *Server) jiraGetBoards() tool {
	return readTool("jira", "jira_get_boards", "List Jira agile boards",
		"List Jira Software boards: columns id, name, type (scrum or kanban), project. A scrum board's id goes to jira_get_sprints.",
		func(ctx context.Context, a getBoardsArgs) (*mcpgo.CallToolResult, error) {
			max, err := window("max_results", a.MaxResults, 50, 100, "start_at", a.StartAt)
			if err != nil {
				return nil, err
			}
			opts := atlassian.BoardOptions{Name: strings.TrimSpace(a.Name), StartAt: a.StartAt, MaxResults: max}
			if a.ProjectKey != "" {
				if opts.Project, err = s.projectKey(a.ProjectKey); err != nil {
					return nil, err
				}
			}
			p, _, err := s.jira.Agile.Boards(ctx, opts)
			if err != nil {
				return nil, serverError(err, "the board list", "check project_key with jira_get_projects")
			}
			out := struct {
				Columns     []string   `json:"columns"`
				Boards      [][]string `json:"boards"`
				NextStartAt int        `json:"next_start_at,omitempty"`
			}{Columns: []string{"id", "name", "type", "project"}, Boards: [][]string{}}
			for _, b := range p.Values {
				project := ""
				if b.Location != nil {
					project = b.Location.ProjectKey
				}
				if project != "" && !s.projects.allows(project) {
					continue
				}
				out.Boards = append(out.Boards, []string{strconv.FormatInt(b.ID, 10), text(b.Name), b.Type, project})
			}
			if !p.IsLast && len(p.Values) > 0 {
				out.NextStartAt = a.StartAt + len(p.Values)
			}
			return jsonResult(out)
		})
}

// --- jira_get_sprints

type getSprintsArgs struct {
	BoardID    int64  `json:"board_id" jsonschema_description:"Scrum board id, from jira_get_boards."`
	State      string `json:"state,omitempty" jsonschema_description:"active, future or closed, or a comma list (default all)."`
	MaxResults int    `json:"max_results,omitempty" jsonschema_description:"Sprints per page, 1-100 (default 50)."`
	StartAt    int    `json:"start_at,omitempty" jsonschema_description:"Index of the first sprint, from next_start_at."`
}

var sprintStates = []string{"active", "future", "closed"}

func (s *Server) jiraGetSprints() tool {
	return readTool("jira", "jira_get_sprints", "List the sprints of a board",
		"List a scrum board's sprints: columns id, name, state, start, end, goal. The current sprint is state active; its issues: jira_get_sprint_issues, or JQL sprint in openSprints().",
		func(ctx context.Context, a getSprintsArgs) (*mcpgo.CallToolResult, error) {
			if a.BoardID <= 0 {
				return nil, argError("board_id must be a board id such as 12: see jira_get_boards")
			}
			max, err := window("max_results", a.MaxResults, 50, 100, "start_at", a.StartAt)
			if err != nil {
				return nil, err
			}
			var states []string
			for _, st := range strings.Split(a.State, ",") {
				st = strings.ToLower(strings.TrimSpace(st))
				switch {
				case st == "":
				case slices.Contains(sprintStates, st):
					states = append(states, st)
				default:
					return nil, argError("state %q is not a sprint state: use active, future or closed", quoteInput(st))
				}
			}
			if err := s.checkBoard(ctx, a.BoardID); err != nil {
				return nil, err
			}
			p, _, err := s.jira.Agile.Sprints(ctx, a.BoardID, states, a.StartAt, max)
			if err != nil {
				return nil, serverError(err, "board "+strconv.FormatInt(a.BoardID, 10), "only scrum boards have sprints: see jira_get_boards")
			}
			out := struct {
				Columns     []string   `json:"columns"`
				Sprints     [][]string `json:"sprints"`
				NextStartAt int        `json:"next_start_at,omitempty"`
			}{Columns: []string{"id", "name", "state", "start", "end", "goal"}, Sprints: [][]string{}}
			for _, sp := range p.Values {
				out.Sprints = append(out.Sprints, []string{strconv.FormatInt(sp.ID, 10), text(sp.Name), sp.State,
					stamp(sp.StartDate), stamp(sp.EndDate), oneLine(sp.Goal, 200)})
			}
			if !p.IsLast && len(p.Values) > 0 {
				out.NextStartAt = a.StartAt + len(p.Values)
			}
			return jsonResult(out)
		})
}

// --- jira_get_sprint_issues

type getSprintIssuesArgs struct {
	SprintID   int64    `json:"sprint_id" jsonschema_description:"Sprint id, from jira_get_sprints."`
	JQL        string   `json:"jql,omitempty" jsonschema_description:"JQL to narrow the issues, e.g. assignee = currentUser()."`
	Fields     []string `json:"fields,omitempty" jsonschema_description:"Columns to add, as in jira_search_issues."`
	MaxResults int      `json:"max_results,omitempty" jsonschema_description:"Issues per page, 1-100 (default 20)."`
	StartAt    int      `json:"start_at,omitempty" jsonschema_description:"Index of the first issue, from next_start_at."`
}

func (s *Server) jiraGetSprintIssues() tool {
	return readTool("jira", "jira_get_sprint_issues", "List the issues of a sprint",
		"List the issues of a sprint, with the columns of jira_search_issues.",
		func(ctx context.Context, a getSprintIssuesArgs) (*mcpgo.CallToolResult, error) {
			if a.SprintID <= 0 {
				return nil, argError("sprint_id must be a sprint id such as 7: see jira_get_sprints")
			}
			max, err := window("max_results", a.MaxResults, 20, 100, "start_at", a.StartAt)
			if err != nil {
				return nil, err
			}
			jql := strings.TrimSpace(a.JQL)
			if jql != "" || !s.projects.all() {
				if jql, err = s.projects.scope(jql, "project"); err != nil {
					return nil, argError("%v", err)
				}
			}
			id := strconv.FormatInt(a.SprintID, 10)
			out, err := s.issueTable(ctx, a.Fields, a.StartAt, func(fields []string) (*atlassian.IssuePage, error) {
				p, _, err := s.jira.Agile.SprintIssues(ctx, a.SprintID, jql, fields, a.StartAt, max)
				if err != nil {
					return nil, serverError(err, "sprint "+id, queryHint("JQL", jql))
				}
				return p, nil
			})
			if err != nil {
				return nil, err
			}
			return jsonResult(out)
		})
}

// --- jira_move_to_sprint

type moveToSprintArgs struct {
	SprintID  int64    `json:"sprint_id,omitempty" jsonschema_description:"Sprint id to move the issues to (future or active); omit with backlog true."`
	Backlog   bool     `json:"backlog,omitempty" jsonschema_description:"Move the issues out of their sprint, to the backlog."`
	IssueKeys []string `json:"issue_keys" jsonschema_description:"Issue keys, 1-50, e.g. [\"OPS-1\", \"OPS-2\"]."`
}

func (s *Server) jiraMoveToSprint() tool {
	return writeTool("jira", "jira_move_to_sprint", "Move Jira issues to a sprint",
		"Move issues to a future or active sprint, or to the backlog (backlog true).",
		false, true,
		func(ctx context.Context, a moveToSprintArgs) (*mcpgo.CallToolResult, error) {
			switch {
			case a.Backlog && a.SprintID != 0:
				return nil, argError("give sprint_id or backlog true, not both")
			case !a.Backlog && a.SprintID <= 0:
				return nil, argError("sprint_id is missing: give a sprint id (see jira_get_sprints), or backlog true")
			case len(a.IssueKeys) == 0 || len(a.IssueKeys) > 50:
				return nil, argError("issue_keys: give 1 to 50 keys, got %d", len(a.IssueKeys))
			}
			keys := make([]string, 0, len(a.IssueKeys))
			for _, k := range a.IssueKeys {
				key, err := s.checkIssue(ctx, k)
				if err != nil {
					return nil, err
				}
				keys = append(keys, key)
			}
			subject := "sprint " + strconv.FormatInt(a.SprintID, 10)
			if a.Backlog {
				subject = "the backlog"
			}
			if _, err := s.jira.Agile.MoveToSprint(ctx, a.SprintID, keys); err != nil {
				return nil, serverError(err, subject, "a closed sprint takes no issues; check the keys with jira_get_issue")
			}
			return jsonResult(struct {
				Moved []string `json:"moved"`
				To    string   `json:"to"`
			}{keys, subject})
		})
}

// --- jira_create_sprint, jira_update_sprint

// sprintDate reads a date argument: YYYY-MM-DD (midnight UTC) or ISO 8601 with an offset.
func sprintDate(name, v string) (*string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		out := d.Format("2006-01-02T15:04:05.000Z07:00")
		return &out, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, argError("%s %q is not a date: use YYYY-MM-DD or 2026-05-01T09:00:00+02:00", name, quoteInput(v))
	}
	out := t.Format("2006-01-02T15:04:05.000Z07:00")
	return &out, nil
}

func optional(v string) *string {
	if v = strings.TrimSpace(v); v == "" {
		return nil
	}
	return &v
}

type sprintOut struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	State string `json:"state"`
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
	Goal  string `json:"goal,omitempty"`
}

func newSprintOut(sp *atlassian.Sprint) sprintOut {
	return sprintOut{ID: sp.ID, Name: text(sp.Name), State: sp.State, Start: stamp(sp.StartDate), End: stamp(sp.EndDate), Goal: oneLine(sp.Goal, 200)}
}

type createSprintArgs struct {
	BoardID   int64  `json:"board_id" jsonschema_description:"Scrum board id, from jira_get_boards."`
	Name      string `json:"name" jsonschema_description:"Sprint name, at most 30 characters."`
	StartDate string `json:"start_date,omitempty" jsonschema_description:"Planned start, YYYY-MM-DD or ISO 8601."`
	EndDate   string `json:"end_date,omitempty" jsonschema_description:"Planned end, YYYY-MM-DD or ISO 8601."`
	Goal      string `json:"goal,omitempty" jsonschema_description:"Sprint goal."`
}

func (s *Server) jiraCreateSprint() tool {
	return writeTool("jira", "jira_create_sprint", "Create a sprint",
		"Create a future sprint on a scrum board. Returns its id; start it with jira_update_sprint.",
		false, false,
		func(ctx context.Context, a createSprintArgs) (*mcpgo.CallToolResult, error) {
			if a.BoardID <= 0 {
				return nil, argError("board_id must be a board id such as 12: see jira_get_boards")
			}
			in := atlassian.SprintInput{Name: optional(a.Name), Goal: optional(a.Goal), OriginBoardID: a.BoardID}
			if in.Name == nil {
				return nil, argError("name is empty: give the sprint's name, e.g. OPS Sprint 14")
			}
			var err error
			if in.StartDate, err = sprintDate("start_date", a.StartDate); err != nil {
				return nil, err
			}
			if in.EndDate, err = sprintDate("end_date", a.EndDate); err != nil {
				return nil, err
			}
			sp, _, err := s.jira.Agile.CreateSprint(ctx, in)
			if err != nil {
				return nil, serverError(err, "board "+strconv.FormatInt(a.BoardID, 10), "only scrum boards have sprints: see jira_get_boards")
			}
			return jsonResult(newSprintOut(sp))
		})
}

type updateSprintArgs struct {
	SprintID  int64  `json:"sprint_id" jsonschema_description:"Sprint id, from jira_get_sprints."`
	Name      string `json:"name,omitempty" jsonschema_description:"New name."`
	StartDate string `json:"start_date,omitempty" jsonschema_description:"New start, YYYY-MM-DD or ISO 8601."`
	EndDate   string `json:"end_date,omitempty" jsonschema_description:"New end, YYYY-MM-DD or ISO 8601."`
	Goal      string `json:"goal,omitempty" jsonschema_description:"New goal."`
	Action    string `json:"action,omitempty" jsonschema_description:"start (a future sprint; needs start and end dates) or complete (the active sprint)."`
}

func (s *Server) jiraUpdateSprint() tool {
	return writeTool("jira", "jira_update_sprint", "Change, start or complete a sprint",
		"Rename a sprint, change its dates or goal, start it or complete it. Only the given fields change.",
		false, false,
		func(ctx context.Context, a updateSprintArgs) (*mcpgo.CallToolResult, error) {
			if a.SprintID <= 0 {
				return nil, argError("sprint_id must be a sprint id such as 7: see jira_get_sprints")
			}
			in := atlassian.SprintInput{Name: optional(a.Name), Goal: optional(a.Goal)}
			var err error
			if in.StartDate, err = sprintDate("start_date", a.StartDate); err != nil {
				return nil, err
			}
			if in.EndDate, err = sprintDate("end_date", a.EndDate); err != nil {
				return nil, err
			}
			switch strings.ToLower(strings.TrimSpace(a.Action)) {
			case "":
			case "start":
				in.State = optional("active")
			case "complete":
				in.State = optional("closed")
			default:
				return nil, argError("action %q is unknown: use start or complete", quoteInput(a.Action))
			}
			if in == (atlassian.SprintInput{}) {
				return nil, argError("nothing to change: give name, start_date, end_date, goal or action")
			}
			sp, _, err := s.jira.Agile.UpdateSprint(ctx, a.SprintID, in)
			if err != nil {
				return nil, serverError(err, "sprint "+strconv.FormatInt(a.SprintID, 10),
					"a sprint starts with start and end dates while no other is active on its board; a closed sprint cannot change")
			}
			return jsonResult(newSprintOut(sp))
		})
}

// checkBoard refuses, under JIRA_PROJECTS, a board whose project is not
// allowed, or not known (a board over a filter of several projects): its
// sprints' names and goals belong to that project.
func (s *Server) checkBoard(ctx context.Context, id int64) error {
	if s.projects.all() {
		return nil
	}
	b, _, err := s.jira.Agile.Board(ctx, id)
	if err != nil {
		return serverError(err, "board "+strconv.FormatInt(id, 10), "see jira_get_boards")
	}
	if b.Location == nil || !s.projects.allows(b.Location.ProjectKey) {
		return s.projects.refuse("board " + strconv.FormatInt(id, 10))
	}
	return nil
}
