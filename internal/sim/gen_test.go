package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGeneratedWorldIgnoresTheMinute: two simulators of one seed started
// minutes apart generate the same world, dates included. They used to date
// it from the clock's now, so every start shifted every date, some across
// midnight, and two syncs of "the same" world fitted different models.
func TestGeneratedWorldIgnoresTheMinute(t *testing.T) {
	day := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		a, b   time.Time
		epoch  time.Time
		tz     *time.Location
		differ bool
	}{
		{"minutes apart", day.Add(10 * time.Hour), day.Add(10*time.Hour + 7*time.Minute), time.Time{}, nil, false},
		{"morning and night", day.Add(time.Minute), day.Add(23*time.Hour + 59*time.Minute), time.Time{}, nil, false},
		{"server zone", day.Add(10 * time.Hour), day.Add(11 * time.Hour), time.Time{}, time.FixedZone("UTC-9", -9*3600), false},
		{"another day", day.Add(10 * time.Hour), day.Add(34 * time.Hour), time.Time{}, nil, true},
		{"another day, fixed epoch", day.Add(10 * time.Hour), day.Add(34 * time.Hour), day.Add(-48 * time.Hour), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			world := func(now time.Time) string {
				s, err := New(Options{Seed: 7, JiraIssues: 300, Epoch: tt.epoch, TimeZone: tt.tz,
					Clock: func() time.Time { return now }})
				if err != nil {
					t.Fatal(err)
				}
				if err := s.GeneratePages("GEN", 100, 7); err != nil {
					t.Fatal(err)
				}
				return dumpGenerated(s)
			}
			a, b := world(tt.a), world(tt.b)
			if (a != b) != tt.differ {
				t.Errorf("worlds differ: %v, want %v\n%s", a != b, tt.differ, firstDiff(a, b))
			}
		})
	}
}

// dumpGenerated renders what a sync would see of the generated issues and
// pages, dates included.
func dumpGenerated(s *Sim) string {
	var b strings.Builder
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	keys := make([]string, 0, len(s.jira.projects))
	for k := range s.jira.projects {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, is := range s.jira.projects[k].issues {
			fmt.Fprintf(&b, "%s %s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%q\n", is.key, is.summary, is.status.name,
				is.resolution, is.assignee, is.reporter, ts(is.created), ts(is.updated), ts(is.resolved), is.due,
				strings.Join(is.labels, ","), strings.Join(is.fixVers, ","), is.description)
			for _, c := range is.comments {
				fmt.Fprintf(&b, "  comment %s %s %s %q\n", c.author, ts(c.created), ts(c.updated), c.body)
			}
			for _, w := range is.worklogs {
				fmt.Fprintf(&b, "  worklog %s %s %d\n", w.author, ts(w.started), w.seconds)
			}
			for _, h := range is.history {
				fmt.Fprintf(&b, "  change %s %s %v\n", h.author, ts(h.created), h.items)
			}
			for _, l := range is.links {
				fmt.Fprintf(&b, "  link %s %s %s\n", l.typ.name, l.from.key, l.to.key)
			}
		}
	}
	for _, ct := range s.conf.spaces["GEN"].pages {
		fmt.Fprintf(&b, "%s|%s|%s|%q\n", ct.title, ts(ct.created), ts(ct.updated), ct.body)
	}
	return b.String()
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return la[i] + "\n" + lb[i]
		}
	}
	return "(one is a prefix of the other)"
}
