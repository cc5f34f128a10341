package search

import (
	"context"
	"slices"
	"testing"

	"github.com/atlasbridge/atlasbridge/search/internal/keyword"
)

// TestSearchRewardsProximity runs the re-ranking through Index.Search: the
// chunk texts come from the store.
func TestSearchRewardsProximity(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	docs := []Document{
		{ID: "confluence:1", Source: SourceConfluence, Container: "PG", Key: "1", Title: "Index types", URL: "u1", Updated: testTime, Type: "page",
			Chunks: []Chunk{{Index: 0, Text: "index alpha bravo charlie delta check echo foxtrot golf hotel actually india juliet " +
				"kilo lima whether mike november oscar papa used quebec romeo sierra tango index " +
				"uniform victor whiskey xray yankee zulu alpha bravo charlie delta echo"}}},
		{ID: "confluence:2", Source: SourceConfluence, Container: "PG", Key: "2", Title: "Examining usage", URL: "u2", Updated: testTime, Type: "page",
			Chunks: []Chunk{{Index: 0, Text: "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike " +
				"november oscar papa check which indexes are actually used quebec romeo sierra " +
				"tango uniform victor whiskey xray yankee zulu alpha bravo charlie delta echo"}}},
		{ID: "confluence:3", Source: SourceConfluence, Container: "PG", Key: "3", Title: "Vacuum", URL: "u3", Updated: testTime, Type: "page",
			Chunks: []Chunk{{Index: 0, Text: "Vacuum reclaims storage occupied by dead tuples."}}},
		{ID: "confluence:4", Source: SourceConfluence, Container: "PG", Key: "4", Title: "Replication", URL: "u4", Updated: testTime, Type: "page",
			Chunks: []Chunk{{Index: 0, Text: "Replication streams WAL to a standby server."}}},
	}
	if _, err := x.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	q := Query{Text: "check whether my indexes are actually used", Mode: Keyword}
	off := defaultFusion
	off.proximity = keyword.Proximity{}
	for _, tc := range []struct {
		name string
		fu   fusion
		want string
	}{{"BM25 alone", off, "confluence:1"}, {"with proximity", defaultFusion, "confluence:2"}} {
		rs, err := x.search(ctx, q, tc.fu)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 || rs[0].DocID != tc.want {
			t.Errorf("%s: first result %v, want %s", tc.name, rs, tc.want)
		}
	}
}

func TestChunkTexts(t *testing.T) {
	ctx := context.Background()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	if _, err := x.Upsert(ctx, sampleDocs()); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Search(ctx, Query{Text: "certificate"}); err != nil { // loads the memory index
		t.Fatal(err)
	}
	x.memMu.RLock()
	defer x.memMu.RUnlock()
	m := x.mem
	want := map[int32]string{}
	var ords []int32
	for _, d := range sampleDocs() {
		rec := m.docs[d.ID]
		if rec == nil || len(rec.ords) != len(d.Chunks) {
			t.Fatalf("document %s not in memory with its %d chunks", d.ID, len(d.Chunks))
		}
		for _, o := range rec.ords {
			want[o] = d.Chunks[m.chunks[o].idx].Text
			ords = append(ords, o)
		}
	}
	slices.Reverse(ords) // any order
	got := x.chunkTexts(ctx, m, ords)
	for i, o := range ords {
		if got[i] != want[o] {
			t.Errorf("chunk %d: text %q, want %q", o, got[i], want[o])
		}
	}
	if got := x.chunkTexts(ctx, m, nil); len(got) != 0 {
		t.Errorf("no chunks: %v", got)
	}
}
