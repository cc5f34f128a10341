package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/atlasbridge/atlasbridge/internal/sim/ql"
)

// defaultRoles are the project roles of a default simulator, by the groups whose members hold
// them in every project.
var defaultRoles = map[string][]string{
	"Administrators": {"jira-administrators"},
	"Developers":     {"jira-software-users"},
	"Users":          {"jira-software-users"},
}

func inAnyGroup(u *User, groups []string) bool {
	return !u.anonymous && slices.ContainsFunc(u.Groups, func(g string) bool { return slices.Contains(groups, g) })
}

// canSeeIssue reports whether u may see is: an issue at a security level is hidden from
// everyone outside the level's groups, in every read and search.
func (s *Sim) canSeeIssue(u *User, is *issue) bool {
	if u.anonymous {
		return false
	}
	return is.security == "" || inAnyGroup(u, s.opts.SecurityLevels[is.security])
}

// canSeeComment reports whether u may see a comment restricted to a group or project role.
func (s *Sim) canSeeComment(u *User, cm *jcomment) bool {
	switch cm.visType {
	case "group":
		return inAnyGroup(u, []string{cm.visValue})
	case "role":
		return inAnyGroup(u, s.roles()[cm.visValue])
	}
	return true
}

func (s *Sim) roles() map[string][]string {
	if s.opts.ProjectRoles != nil {
		return s.opts.ProjectRoles
	}
	return defaultRoles
}

// checkVisibility validates a comment's visibility as Jira does: the group or role must exist.
func (s *Sim) checkVisibility(typ, value string) error {
	switch typ {
	case "":
		return nil
	case "role":
		if _, ok := s.roles()[value]; !ok {
			return fmt.Errorf("Invalid role level specified.")
		}
		return nil
	case "group":
		for _, u := range s.users {
			if slices.Contains(u.Groups, value) {
				return nil
			}
		}
		return fmt.Errorf("Group: %s does not exist.", value)
	}
	return fmt.Errorf("Visibility type %q: want group or role", typ)
}

// SetIssueSecurity puts an issue at a security level of Options.SecurityLevels ("" for none).
// Like an edit in Jira it moves the issue's updated time.
func (s *Sim) SetIssueSecurity(key, level string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.jira.lookup(key)
	if is == nil {
		return fmt.Errorf("sim: issue %s: %w", key, ErrNotFound)
	}
	if _, ok := s.opts.SecurityLevels[level]; level != "" && !ok {
		return fmt.Errorf("sim: security level %q: not in Options.SecurityLevels", level)
	}
	is.security = level
	is.touch(s.now())
	s.jira.gen++
	return nil
}

// issueSeenBy is an issue as searched by a user who may not see some of
// its comments: comment ~ and text ~ read only the comments they may see,
// as Jira's index does.
type issueSeenBy struct {
	*issue
	comments, full string
}

func (v *issueSeenBy) Text(field string) string {
	switch field {
	case "comment":
		return v.comments
	case "text":
		return v.full
	}
	return v.issue.Text(field)
}

func (v *issueSeenBy) TextIndex(field string) *ql.TextIndex {
	if field == "comment" || field == "text" {
		return ql.IndexText(v.Text(field))
	}
	return v.issue.TextIndex(field)
}

// searchedBy is is as u searches it: the issue itself when u may see
// every comment (the common case, with its cached text analysis).
func (s *Sim) searchedBy(u *User, is *issue) ql.Record {
	hidden := false
	for _, c := range is.comments {
		if c.visType != "" && !s.canSeeComment(u, c) {
			hidden = true
			break
		}
	}
	if !hidden {
		return is
	}
	var b strings.Builder
	for _, c := range is.comments {
		if s.canSeeComment(u, c) {
			b.WriteString(c.body)
			b.WriteByte('\n')
		}
	}
	return &issueSeenBy{issue: is, comments: b.String(), full: is.fieldText + b.String()}
}
