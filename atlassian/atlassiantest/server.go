package atlassiantest

import (
	"net/http/httptest"
	"testing"

	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// Server is a simulator serving both products on a loopback HTTP server: Confluence under
// URL+"/confluence", Jira under URL+"/jira".
type Server struct {
	*sim.Sim
	*httptest.Server
	URL string // base URL, without a trailing slash
}

// ConfluenceURL returns the Confluence base URL (URL + "/confluence").
func (s *Server) ConfluenceURL() string { return s.URL + "/confluence" }

// JiraURL returns the Jira base URL (URL + "/jira").
func (s *Server) JiraURL() string { return s.URL + "/jira" }

// NewServer starts a simulator with opts for a test and closes it when the test ends; it fails
// the test when the options are invalid.
func NewServer(t testing.TB, opts sim.Options) *Server {
	t.Helper()
	s, err := sim.New(opts)
	if err != nil {
		t.Fatalf("atlassiantest: %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &Server{Sim: s, Server: ts, URL: ts.URL}
}
