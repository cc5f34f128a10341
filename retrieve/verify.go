package retrieve

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/search"
)

// verify re-reads hits on their server: a deleted or hidden one is dropped
// with a note, a changed one is marked Stale.
func (l *Live) verify(ctx context.Context, hits []Hit, notes []string) ([]Hit, []string) {
	type outcome struct {
		gone  bool
		stale bool
		err   error
	}
	res := make([]outcome, len(hits))
	var wg sync.WaitGroup
	for i, h := range hits {
		if h.Origin != OriginIndex {
			continue
		}
		wg.Go(func() {
			var updated time.Time
			var err error
			switch {
			case h.Source == search.SourceConfluence && l.Confluence != nil:
				var c *atlassian.Content
				c, _, err = l.Confluence.Content.Get(ctx, h.Key, "version")
				if err == nil && c.Version != nil {
					updated = c.Version.When.Time
				}
			case h.Source == search.SourceJira && l.Jira != nil:
				var is *atlassian.Issue
				is, _, err = l.Jira.Issues.Get(ctx, h.Key, &atlassian.GetIssueOptions{Fields: []string{"updated"}})
				if err == nil {
					updated = is.Fields.Updated.Time
				}
			default:
				return
			}
			switch {
			case errors.Is(err, atlassian.ErrNotFound) || errors.Is(err, atlassian.ErrForbidden):
				res[i].gone = true
			case err != nil:
				res[i].err = err
			case updated.Truncate(time.Millisecond).After(h.Updated.Truncate(time.Millisecond)):
				res[i].stale = true
			}
		})
	}
	wg.Wait()
	kept := hits[:0:0]
	failed, gone := 0, 0
	_, caller := atlassian.CallerFrom(ctx)
	for i, h := range hits {
		switch {
		case res[i].gone && caller:
			// A caller may have lost the right to open it: nothing of it
			// may show, only how many.
			gone++
			continue
		case res[i].gone:
			notes = append(notes, fmt.Sprintf("%s %q was deleted or hidden since the last sync: dropped", h.Key, h.Title))
			continue
		case res[i].err != nil:
			failed++
		case res[i].stale:
			h.Stale = true
		}
		kept = append(kept, h)
	}
	if gone > 0 {
		notes = append(notes, fmt.Sprintf("%d hits were deleted or hidden since the last sync: dropped", gone))
	}
	if failed > 0 {
		notes = append(notes, fmt.Sprintf("%d hits could not be verified (server unreachable?)", failed))
	}
	return kept, notes
}
