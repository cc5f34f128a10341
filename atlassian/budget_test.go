package atlassian_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// Several workers of one client share the budget the server announces:
// none of their requests finds the bucket empty.
func TestWorkersShareTheAnnouncedBudget(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 1, RateLimit: 10})
	opts := admin
	opts.MaxConcurrent = 4
	c, _ := clients(t, srv, opts)
	var retried atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 8 {
				_, resp, err := c.Spaces.List(t.Context(), nil)
				if err != nil {
					t.Error(err)
					return
				}
				if resp.Attempts > 1 {
					retried.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := retried.Load(); n > 0 {
		t.Errorf("%d requests met an empty bucket (429) and were retried", n)
	}
	p := c.Pace()
	if !p.Announced || p.Limit != 10 || p.PerSecond != 10 || p.Waited <= 0 {
		t.Errorf("pace %+v: want the announced 10 per second and some waiting", p)
	}
}
