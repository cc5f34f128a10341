package search

import (
	"context"
	"testing"
)

// onePageIndex indexes pages of one chunk each, as id, title, text
// triples, with the hash embedder.
func onePageIndex(t *testing.T, pages ...[3]string) *Index {
	t.Helper()
	x := openWriter(t, t.TempDir(), newHashEmbedder())
	var docs []Document
	for _, p := range pages {
		docs = append(docs, Document{ID: "confluence:" + p[0], Source: SourceConfluence, Container: "PG", Key: p[0], Title: p[1],
			URL: "u" + p[0], Updated: testTime, Type: "page", Chunks: []Chunk{{Index: 0, Text: p[2]}}})
	}
	if _, err := x.Upsert(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	return x
}

// TestSearchFindsDerivedWords runs the derivational variants through
// Index.Search: the question says "refer", the page that answers it
// "references" and "referencing"; a page that shares only the question's
// common words wins without them.
func TestSearchFindsDerivedWords(t *testing.T) {
	ctx := context.Background()
	x := onePageIndex(t,
		[3]string{"1", "Foreign keys", "A foreign key says that the values of a column must match those of a row of the referenced table: the column references it."},
		[3]string{"2", "Adding a column", "Add a column to a table: every row of the table gets the new column."},
		[3]string{"3", "Vacuum", "Vacuum reclaims storage occupied by dead tuples."},
		[3]string{"4", "Replication", "Replication streams WAL to a standby server."})
	off := defaultFusion
	off.variants = 0
	q := Query{Text: "make a column refer to a row in another table"}
	for _, tc := range []struct {
		name string
		fu   fusion
		want string
	}{{"without variants", off, "confluence:2"}, {"with variants", defaultFusion, "confluence:1"}} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := x.search(ctx, q, tc.fu)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 || rs[0].DocID != tc.want {
				t.Fatalf("results %v, want %s first", ids(rs), tc.want)
			}
			if tc.fu.variants > 0 && rs[0].Coverage >= 1 {
				t.Errorf("coverage of the page = %v: a variant counted as the question's own term", rs[0].Coverage)
			}
		})
	}
}

// TestSearchFindsPhrasalVerbsAsOneWord: the question says "log in", the page
// that answers it "login": only the compound lets the keyword rankings see
// it.
func TestSearchFindsPhrasalVerbsAsOneWord(t *testing.T) {
	ctx := context.Background()
	x := onePageIndex(t,
		[3]string{"1", "Authentication", "A login asks for a password before the session starts."},
		[3]string{"2", "Server logs", "The server writes its log to a file."},
		[3]string{"3", "Vacuum", "Vacuum reclaims storage occupied by dead tuples."})
	off := defaultFusion
	off.compounds = 0
	for _, tc := range []struct {
		name string
		fu   fusion
		want bool
	}{{"without compounds", off, false}, {"with compounds", defaultFusion, true}} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := x.search(ctx, Query{Text: "how do I log in"}, tc.fu)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if r.DocID == "confluence:1" {
					if r.KeywordHit != tc.want {
						t.Errorf("the login page's KeywordHit = %v, want %v", r.KeywordHit, tc.want)
					}
					return
				}
			}
			t.Fatalf("results %v lack the login page", ids(rs))
		})
	}
}
