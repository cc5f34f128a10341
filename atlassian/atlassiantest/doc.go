// Package atlassiantest is an in-memory simulator of Jira Server/DC and Confluence Server/DC.
//
// It speaks the real REST contract (/confluence/rest/api/..., /jira/rest/api/2/...) with JSON
// shaped after payloads recorded from real servers (testdata/atlassian-samples), so every test,
// benchmark and demo of atlasbridge can run against "Jira" and "Confluence" without a network.
// It emits JSON from its own structs and maps and never imports the atlassian client, so the
// client's tests prove that it decodes real-shaped responses.
//
// The world is mutable from Go (AddPage, UpdatePage, AddIssue, ...) and through the REST API;
// faults (latency, 503s, 429 rate limiting) and a controllable clock are set in Options.
package atlassiantest
