// Package atlassian holds REST clients for self-hosted Confluence and Jira
// (Server and Data Center): one HTTP core with auth, TLS, rate limiting and
// retries, and one typed service per area of each product's API.
//
// Every request goes through Client.NewRequest and Client.Do. Do retries
// with internal/httpretry, the only package of ours imported here: a POST
// only when it cannot have reached the server, unless markIdempotent says
// it only reads (JQL search). A non-2xx answer is an *Error that matches
// ErrNotFound, ErrForbidden and the other sentinels.
//
// To add an endpoint:
//
//  1. Types: one struct per JSON object, fields named and typed as a
//     recorded answer has them (Time for dates, ID for ids that come as
//     numbers or strings).
//  2. Method: on the service of its area (Content, Spaces, Issues, Meta…),
//     context first, through getJSON, get or send; path segments taken
//     from input are escaped with url.PathEscape.
//  3. Sample: a real answer of a Server/DC instance in
//     testdata/atlassian-samples, its origin and licence in SOURCES.md
//     (MIT, BSD or Apache only); samples_test.go decodes it into the types
//     and checks the values a person reads in it.
//  4. Simulator: the route in internal/sim (tests start it with
//     atlassiantest.NewServer), answering in the sample's shape;
//     its TestSampleShapes compares the two. When they disagree, the sample
//     wins.
//  5. Test: the method against the simulator over HTTP (sim_test.go), with
//     the errors a real server gives (404, 403, 400 with its message).
package atlassian
