// Package atlassiantest provides Jira and Confluence Server/DC for tests, the way net/http/httptest
// provides HTTP servers: a thin shim over the simulator in internal/sim.
//
// NewServer runs the simulator in the test's process on a loopback port and closes it when the
// test ends; the returned Server embeds the simulator, so a test changes the world from Go
// (AddPage, AddIssue, RestrictPage, Stats) and reaches it over HTTP at ConfluenceURL and JiraURL:
//
//	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 20, Seed: 1})
//	page, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Runbook", Body: "<p>…</p>"})
//	conf, err := atlassian.NewConfluence(srv.ConfluenceURL(), atlassian.Options{…})
//
// StartProcess builds cmd/atlassim and runs it as a process of its own, for tests that measure
// the memory or CPU of atlasbridge without counting the simulator's.
//
// The simulator's options, world types and faults are those of package sim; programs (the demo,
// eval, cmd/atlassim) use sim directly, so nothing outside tests links this package.
package atlassiantest
