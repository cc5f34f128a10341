package atlassian

import (
	"context"
	"errors"
	"net/url"
	"strconv"
)

// VersionPage is one page of a content's versions, newest first.
type VersionPage struct {
	Page
	Results []Version `json:"results"`
}

// Versions lists the versions of a page or blog post, newest first: author,
// date, message. Server 6 and 7 serve the list under /rest/experimental;
// when that path is missing (404) the /rest/api path of later releases is
// tried.
func (s *ContentService) Versions(ctx context.Context, id string, opts *ListOptions) (*VersionPage, *Response, error) {
	var q url.Values
	if opts != nil {
		q = opts.values()
	}
	p, resp, err := getJSON[VersionPage](ctx, (*service)(s), "rest/experimental/content/"+url.PathEscape(id)+"/version", q)
	if errors.Is(err, ErrNotFound) {
		return getJSON[VersionPage](ctx, (*service)(s), contentPath(id, "version"), q)
	}
	return p, resp, err
}

// GetVersion returns a content as it was at version n, with the given
// expansions (status=historical; the current version is served too).
func (s *ContentService) GetVersion(ctx context.Context, id string, n int, expand ...string) (*Content, *Response, error) {
	q := expandValues(expand)
	q.Set("status", "historical")
	q.Set("version", strconv.Itoa(n))
	return getJSON[Content](ctx, (*service)(s), contentPath(id, ""), q)
}
