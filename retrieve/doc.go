// Package retrieve answers a question the way the CLI's search and the MCP
// semantic tools do: from the local index (package search) when it can, and
// from the servers' own CQL/JQL search when the index is missing, empty,
// out of date, does not cover the spaces or projects asked for, or has only
// a weak match. Hits of both are fused, and with Query.Verify the top index
// hits are read again on their server: deleted ones dropped, changed ones
// marked Stale. For a caller with their own credentials (atlassian.WithCaller,
// or Options.Account on a shared index) index hits are trimmed to what the
// caller may open: see Searcher.Trim.
//
//	s := retrieve.New(retrieve.Options{Open: openIndex, Live: &retrieve.Live{Confluence: c, Jira: j}})
//	defer s.Close()
//	ans, err := s.Search(ctx, retrieve.Query{Query: search.Query{Text: "rotate the pager"}, Verify: true})
//
// A Searcher owns its index. Without one it calls Options.Open again, at
// most once every ReopenEvery, so that a server started before the first
// sync picks the index up; Index says why there is none (ErrNoIndex when
// no sync made one yet).
package retrieve
