// Package sim is an in-memory simulator of Confluence Server/DC and Jira Server/DC, used by the
// demo, eval, cmd/atlassim and (through atlassian/atlassiantest) every test and benchmark.
//
// It speaks the real REST contract (/confluence/rest/api/…, /jira/rest/api/2/…) with JSON
// shaped after payloads recorded from real servers, emitted from its own structs and maps: it
// never imports the atlassian client, so the client's tests prove it decodes real-shaped answers.
// CQL and JQL are evaluated by package ql; the default world is the sample space of package space
// plus generated issues. It imports no test code.
//
//	s, err := sim.New(sim.Options{JiraIssues: 200, Seed: 1}) // admin/admin, alice/alice
//	go http.Serve(ln, s.Handler())                            // Confluence: /confluence, Jira: /jira
//	page, err := s.AddPage(sim.Page{Space: "ENG", Title: "Runbook", Body: "<p>…</p>"})
//
// The world changes from Go (AddPage, RestrictPage, AddIssue…) and through the REST API; faults
// (latency, 503s, 429 with Retry-After), the clock and the server's zone are set in Options, and
// GET /__sim/stats counts requests per route.
//
// To add an endpoint:
//  1. Register the route in confluenceRoutes (confluence_http.go) or jiraRoutes (jira_http.go),
//     wrapped in withUser (and onContent for a read of one page) so auth and 404s behave alike.
//  2. Build the body in confluence_json.go or jira_json.go; write errors with confError or
//     jiraError, in the product's own envelope and words.
//  3. Check the shape against a recorded response: add a case to TestSampleShapes
//     (samples_test.go) for a sample in testdata/atlassian-samples (listed in its SOURCES.md), or
//     read one from ../shared/atlassian-samples in place when its licence keeps it there (skip
//     with a message when absent). When a sample and the simulator disagree, the sample wins.
package sim
