// Package atlassian holds REST clients for self-hosted Confluence and Jira
// (Server and Data Center): one HTTP core with auth, TLS, rate limiting and
// retries, and one typed service per area of each product's API.
//
// The package imports nothing of ours. Its types follow the JSON the servers
// send (see testdata/atlassian-samples); the simulator in internal/sim speaks
// the same contract (its doc says how to add an endpoint to it), and tests
// start it with atlassiantest.NewServer.
package atlassian
