package search

import (
	"context"
	"errors"
	"hash/fnv"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atlasbridge/atlasbridge/embed"
	"github.com/atlasbridge/atlasbridge/search/internal/keyword"
)

// hashEmbedder is a tiny deterministic embedder for tests: signed feature
// hashing of the keyword terms into dims dimensions.
type hashEmbedder struct {
	model string
	dims  int

	mu     sync.Mutex
	calls  int
	texts  int
	failOn string // Embed fails when a text contains it
}

func newHashEmbedder() *hashEmbedder { return &hashEmbedder{model: "test/hash-64", dims: 64} }

func (e *hashEmbedder) Model() string { return e.model }

func (e *hashEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.calls++
	e.texts += len(texts)
	fail := e.failOn
	e.mu.Unlock()
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if fail != "" && strings.Contains(t, fail) {
			return nil, errors.New("embedder refused the text")
		}
		v := make([]float32, e.dims)
		for _, term := range keyword.Tokenize(t) {
			h := fnv.New64a()
			h.Write([]byte(term))
			s := h.Sum64()
			sign := float32(1)
			if s>>63 == 1 {
				sign = -1
			}
			v[s%uint64(e.dims)] += sign
		}
		var n float64
		for _, f := range v {
			n += float64(f) * float64(f)
		}
		if n == 0 {
			v[0], n = 1, 1
		}
		for j := range v {
			v[j] = float32(float64(v[j]) / math.Sqrt(n))
		}
		out[i] = v
	}
	return out, nil
}

func (e *hashEmbedder) counts() (calls, texts int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls, e.texts
}

var testTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sampleDocs is a small mixed corpus.
func sampleDocs() []Document {
	return []Document{
		{ID: "confluence:100", Source: SourceConfluence, Container: "OPS", Key: "100", Title: "Install the agent",
			URL: "https://wiki.example/pages/100", Updated: testTime, Labels: []string{"install", "linux"}, Type: "page",
			Breadcrumb: []string{"OPS", "Install the agent"}, Version: 3, Chunks: []Chunk{
				{Index: 0, Heading: "Install › Linux", Text: "OPS › Install the agent\nInstall the monitoring agent on Linux with the package manager, then enable the systemd unit."},
				{Index: 1, Heading: "Install › Windows", Text: "OPS › Install the agent\nOn Windows run the MSI installer as administrator and reboot the host."},
			}},
		{ID: "confluence:200", Source: SourceConfluence, Container: "OPS", Key: "200", Title: "Rotate certificates",
			URL: "https://wiki.example/pages/200", Updated: testTime.Add(-48 * time.Hour), Labels: []string{"security"}, Type: "page",
			Chunks: []Chunk{
				{Index: 0, Heading: "Certificates", Text: "Rotate the TLS certificates of the load balancer every ninety days; expired certificates break clients."},
			}},
		{ID: "confluence:300", Source: SourceConfluence, Container: "DEV", Key: "300", Title: "Coding guidelines",
			URL: "https://wiki.example/pages/300", Updated: testTime, Type: "blogpost",
			Chunks: []Chunk{
				{Index: 0, Heading: "Style", Text: "Write small packages, wrap errors with context and keep tests table driven."},
			}},
		{ID: "jira:OPS-1", Source: SourceJira, Container: "OPS", Key: "OPS-1", Title: "Agent crashes on startup",
			URL: "https://jira.example/browse/OPS-1", Updated: testTime, Labels: []string{"linux"}, Type: "Bug", Status: "Open",
			Chunks: []Chunk{
				{Index: 0, Heading: "", Text: "The monitoring agent crashes on startup after the kernel upgrade; systemd restarts it in a loop."},
			}},
		{ID: "jira:WEB-7", Source: SourceJira, Container: "WEB", Key: "WEB-7", Title: "Certificate expired on shop",
			URL: "https://jira.example/browse/WEB-7", Updated: testTime.Add(-24 * time.Hour), Type: "Incident", Status: "Done",
			Chunks: []Chunk{
				{Index: 0, Text: "The shop certificate expired at midnight and customers saw TLS errors."},
			}},
	}
}

func openWriter(t *testing.T, dir string, emb embed.Embedder) *Index {
	t.Helper()
	x, err := Open(context.Background(), dir, Options{Embedder: emb})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func openReader(t *testing.T, dir string, emb embed.Embedder) *Index {
	t.Helper()
	x, err := Open(context.Background(), dir, Options{Embedder: emb, ReadOnly: true})
	if err != nil {
		t.Fatalf("Open(%s, ReadOnly): %v", dir, err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func ids(rs []Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.DocID
	}
	return out
}
