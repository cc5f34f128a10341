package sim

import (
	"net/url"
	"strconv"
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("zone database lacks %s: %v", name, err)
	}
	return loc
}

// The ECMWF samples show one instance writing "…Z" in winter and "…+01:00" in summer; Jira
// writes the same instant with "+0000" / "+0100".
func TestTimestampsFollowDaylightSaving(t *testing.T) {
	clk := &fakeClock{t: time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)}
	srv := newServer(t, Options{JiraIssues: -1, Clock: clk.Now, TimeZone: mustZone(t, "Europe/London")})
	for _, tc := range []struct {
		name       string
		at         time.Time
		conf, jira string
	}{
		{"winter", time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC), "2024-01-15T12:00:00.000Z", "2024-01-15T12:00:00.000+0000"},
		{"summer", time.Date(2024, 7, 15, 12, 0, 0, 0, time.UTC), "2024-07-15T13:00:00.000+01:00", "2024-07-15T13:00:00.000+0100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk.mu.Lock()
			clk.t = tc.at
			clk.mu.Unlock()
			p, err := srv.AddPage(Page{Space: "ENG", Title: "DST " + tc.name, Body: "<p>x</p>"})
			if err != nil {
				t.Fatal(err)
			}
			m := do(t, call{url: srv.ConfluenceURL() + "/rest/api/content/" + p.ID + "?expand=version", auth: "admin"}).obj(t)
			if got := dig(t, m, "version", "when"); got != tc.conf {
				t.Errorf("confluence version.when = %v, want %s", got, tc.conf)
			}
			is, err := srv.AddIssue(Issue{Project: "OPS", Summary: "dst " + tc.name})
			if err != nil {
				t.Fatal(err)
			}
			f := do(t, call{url: srv.JiraURL() + "/rest/api/2/issue/" + is.Key + "?fields=updated", auth: "admin"}).obj(t)
			if got := dig(t, f, "fields", "updated"); got != tc.jira {
				t.Errorf("jira updated = %v, want %s", got, tc.jira)
			}
		})
	}
}

// Dates in CQL and JQL are read in the caller's profile zone, not the zone the server writes its
// timestamps in; an unquoted JQL number is epoch milliseconds and involves no zone.
func TestQueryDatesReadInTheUsersZone(t *testing.T) {
	// The server writes London time (UTC+1 in June); the account lives in New York (UTC-4).
	clk := newFakeClock() // 2024-06-03 09:30 UTC
	srv := newServer(t, Options{JiraIssues: -1, Clock: clk.Now,
		TimeZone: mustZone(t, "Europe/London"), UserTimeZone: mustZone(t, "America/New_York")})
	p, err := srv.AddPage(Page{Space: "ENG", Title: "Zoned", Body: "<p>z</p>"})
	if err != nil {
		t.Fatal(err)
	}
	is, err := srv.AddIssue(Issue{Project: "OPS", Summary: "zoned"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 6, 3, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, query string
		jira        bool
		want        float64
	}{
		{"cql in the user's zone", `id = ` + p.ID + ` AND lastmodified >= "2024-06-03 05:30"`, false, 1},
		{"cql a minute later", `id = ` + p.ID + ` AND lastmodified >= "2024-06-03 05:31"`, false, 0},
		{"cql server's wall time is read as New York", `id = ` + p.ID + ` AND lastmodified >= "2024-06-03 10:30"`, false, 0},
		{"jql in the user's zone", `key = ` + is.Key + ` AND updated >= "2024/06/03 05:30"`, true, 1},
		{"jql server's wall time is read as New York", `key = ` + is.Key + ` AND updated >= "2024/06/03 10:30"`, true, 0},
		{"jql epoch ms, minute granularity", `key = ` + is.Key + ` AND updated >= ` + ms(at.Add(59*time.Second)), true, 1},
		{"jql epoch ms after", `key = ` + is.Key + ` AND updated >= ` + ms(at.Add(time.Minute)), true, 0},
		{"jql epoch ms ordered", `project = OPS AND updated >= ` + ms(at) + ` ORDER BY updated ASC`, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got any
			if tc.jira {
				m := do(t, call{url: srv.JiraURL() + "/rest/api/2/search?jql=" + url.QueryEscape(tc.query), auth: "admin"}).obj(t)
				got = m["total"]
			} else {
				m := do(t, call{url: srv.ConfluenceURL() + "/rest/api/content/search?cql=" + url.QueryEscape(tc.query), auth: "admin"}).obj(t)
				got = m["size"]
			}
			if got != tc.want {
				t.Errorf("%s: %v hits, want %v", tc.query, got, tc.want)
			}
		})
	}
	me := do(t, call{url: srv.JiraURL() + "/rest/api/2/myself", auth: "admin"}).obj(t)
	if me["timeZone"] != "America/New_York" {
		t.Errorf("myself timeZone = %v, want the profile zone America/New_York", me["timeZone"])
	}
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
