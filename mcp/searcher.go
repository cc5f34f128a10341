package mcp

import (
	"context"
	"time"
)

// Searcher is the local semantic index, as the MCP tools need it. It is
// optional (Options.Searcher): the semantic_search, find_similar_issues
// and index_status tools are added on top of it by the search work, without
// changing the rest of this package.
type Searcher interface {
	// Search returns the chunks closest in meaning to q.Text, best first.
	Search(ctx context.Context, q SemanticQuery) ([]SemanticHit, error)
	// Similar returns documents close to the indexed issue or page id.
	Similar(ctx context.Context, id string, limit int) ([]SemanticHit, error)
	// Status describes what the index holds.
	Status(ctx context.Context) (IndexStatus, error)
}

// SemanticQuery is one semantic search.
type SemanticQuery struct {
	Text   string
	Limit  int
	Source string   // "confluence", "jira" or "" for both
	Scope  []string // space or project keys; empty: every allowed one
}

// SemanticHit is one document found by a Searcher.
type SemanticHit struct {
	ID, Source, Container, Key, Title, URL string
	Updated                                time.Time
	Snippet                                string
	Score                                  float64
}

// IndexStatus summarises the local index.
type IndexStatus struct {
	Documents, Chunks int
	LastSync          time.Time
	Containers        []string
}
