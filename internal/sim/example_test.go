package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// A simulator with the sample space and a few issues, queried with CQL like a real Confluence.
func Example() {
	clock := func() time.Time { return time.Date(2024, 6, 3, 9, 30, 0, 0, time.UTC) }
	s, err := sim.New(sim.Options{JiraIssues: 10, Seed: 1, Clock: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+`/confluence/rest/api/content/search?cql=label%3Dvpn`, nil)
	req.SetBasicAuth("admin", "admin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var page struct {
		Results []struct{ ID, Title string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range page.Results {
		file, _ := s.SourceFile(r.ID)
		fmt.Println(r.Title, "from", file)
	}
	// Output: VPN Setup from vpn-setup.html
}
