package atlassian

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// AgileService reads and changes Jira Software's boards and sprints (/rest/agile/1.0).
type AgileService service

// Board is a scrum or kanban board.
type Board struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"` // scrum or kanban
	Location *struct {
		ProjectKey  string `json:"projectKey"`
		ProjectName string `json:"projectName"`
	} `json:"location,omitempty"`
}

// Sprint is a sprint of a board; a date not set is the zero Time.
type Sprint struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	State         string `json:"state"` // future, active or closed
	StartDate     Time   `json:"startDate"`
	EndDate       Time   `json:"endDate"`
	CompleteDate  Time   `json:"completeDate"`
	Goal          string `json:"goal,omitempty"`
	OriginBoardID int64  `json:"originBoardId,omitempty"`
}

// AgilePage is a page of the agile REST. Total is absent from sprint lists.
type AgilePage[T any] struct {
	StartAt    int  `json:"startAt"`
	MaxResults int  `json:"maxResults"`
	Total      *int `json:"total,omitempty"`
	IsLast     bool `json:"isLast"`
	Values     []T  `json:"values"`
}

// BoardOptions filter and page GET board.
type BoardOptions struct {
	Project    string // key or id
	Name       string // part of the name
	StartAt    int
	MaxResults int
}

func pageQuery(start, max int) url.Values {
	q := url.Values{}
	if start > 0 {
		q.Set("startAt", strconv.Itoa(start))
	}
	if max > 0 {
		q.Set("maxResults", strconv.Itoa(max))
	}
	return q
}

// Boards lists boards (GET /rest/agile/1.0/board).
func (s *AgileService) Boards(ctx context.Context, opts BoardOptions) (*AgilePage[Board], *Response, error) {
	q := pageQuery(opts.StartAt, opts.MaxResults)
	if opts.Project != "" {
		q.Set("projectKeyOrId", opts.Project)
	}
	if opts.Name != "" {
		q.Set("name", opts.Name)
	}
	return getJSON[AgilePage[Board]](ctx, (*service)(s), "rest/agile/1.0/board", q)
}

// Sprints lists a board's sprints, in the given states (future, active, closed; all when none).
func (s *AgileService) Sprints(ctx context.Context, boardID int64, states []string, startAt, maxResults int) (*AgilePage[Sprint], *Response, error) {
	q := pageQuery(startAt, maxResults)
	if len(states) > 0 {
		q.Set("state", strings.Join(states, ","))
	}
	return getJSON[AgilePage[Sprint]](ctx, (*service)(s), "rest/agile/1.0/board/"+strconv.FormatInt(boardID, 10)+"/sprint", q)
}

// Board reads one board.
func (s *AgileService) Board(ctx context.Context, id int64) (*Board, *Response, error) {
	return getJSON[Board](ctx, (*service)(s), "rest/agile/1.0/board/"+strconv.FormatInt(id, 10), nil)
}

// Sprint reads one sprint.
func (s *AgileService) Sprint(ctx context.Context, id int64) (*Sprint, *Response, error) {
	return getJSON[Sprint](ctx, (*service)(s), "rest/agile/1.0/sprint/"+strconv.FormatInt(id, 10), nil)
}

// SprintIssues lists a sprint's issues, optionally narrowed by jql, with the given fields.
func (s *AgileService) SprintIssues(ctx context.Context, id int64, jql string, fields []string, startAt, maxResults int) (*IssuePage, *Response, error) {
	q := pageQuery(startAt, maxResults)
	if jql != "" {
		q.Set("jql", jql)
	}
	if len(fields) > 0 {
		q.Set("fields", strings.Join(fields, ","))
	}
	return getJSON[IssuePage](ctx, (*service)(s), "rest/agile/1.0/sprint/"+strconv.FormatInt(id, 10)+"/issue", q)
}

// SprintInput creates or changes a sprint; nil fields are left as they are. Dates are ISO 8601
// ("2024-05-01T09:00:00.000+02:00"). State "active" starts a future sprint, "closed" completes
// an active one.
type SprintInput struct {
	Name          *string `json:"name,omitempty"`
	StartDate     *string `json:"startDate,omitempty"`
	EndDate       *string `json:"endDate,omitempty"`
	Goal          *string `json:"goal,omitempty"`
	State         *string `json:"state,omitempty"`
	OriginBoardID int64   `json:"originBoardId,omitempty"`
}

// CreateSprint creates a future sprint on in.OriginBoardID (POST /rest/agile/1.0/sprint).
func (s *AgileService) CreateSprint(ctx context.Context, in SprintInput) (*Sprint, *Response, error) {
	var sp Sprint
	resp, err := (*service)(s).send(ctx, http.MethodPost, "rest/agile/1.0/sprint", nil, in, &sp)
	if err != nil {
		return nil, nil, err
	}
	return &sp, resp, nil
}

// UpdateSprint changes the fields of in that are set (POST /rest/agile/1.0/sprint/{id}, a
// partial update).
func (s *AgileService) UpdateSprint(ctx context.Context, id int64, in SprintInput) (*Sprint, *Response, error) {
	var sp Sprint
	resp, err := (*service)(s).send(ctx, http.MethodPost, "rest/agile/1.0/sprint/"+strconv.FormatInt(id, 10), nil, in, &sp)
	if err != nil {
		return nil, nil, err
	}
	return &sp, resp, nil
}

// MoveToSprint moves issues (keys) to a sprint, or to the backlog when sprintID is 0.
func (s *AgileService) MoveToSprint(ctx context.Context, sprintID int64, keys []string) (*Response, error) {
	path := "rest/agile/1.0/backlog/issue"
	if sprintID != 0 {
		path = "rest/agile/1.0/sprint/" + strconv.FormatInt(sprintID, 10) + "/issue"
	}
	return (*service)(s).send(ctx, http.MethodPost, path, nil, map[string]any{"issues": keys}, nil)
}
