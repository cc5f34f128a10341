// Package atlassian holds REST clients for self-hosted Confluence and Jira
// (Server and Data Center): one HTTP core with auth, TLS, rate limiting and
// retries, and one typed service per area of each product's API.
//
// Of ours it imports only internal/httpretry, the retry loop it shares with
// package embed. Its types follow the JSON the servers send (see
// testdata/atlassian-samples); the simulator in atlassiantest speaks the same
// contract.
package atlassian
