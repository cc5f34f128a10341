package search

import (
	"context"
	"testing"
)

// TestReadersStoredAndMigrated: readers travel with Upsert, change in
// place with SetReaders, go with Delete; an index of schema 1 opens for a
// reader with every document's readers unknown, and a writer migrates it.
func TestReadersStoredAndMigrated(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := newHashEmbedder()
	x := openWriter(t, dir, emb)
	docs := sampleDocs()
	hr := &Readers{Levels: []ReadLevel{{Users: []string{"bob"}, Groups: []string{"hr"}}}}
	docs[0].Readers = hr
	docs[1].Readers = &Readers{}
	if _, err := x.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	got, err := x.Readers(ctx, []string{"confluence:100", "confluence:200", "confluence:300"})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := got["confluence:100"]; !ok || !r.Equal(*hr) {
		t.Errorf("readers of 100: %+v (known %v), want %+v", r, ok, *hr)
	}
	if r, ok := got["confluence:200"]; !ok || r.Restricted() {
		t.Errorf("readers of 200: %+v (known %v), want known and open", r, ok)
	}
	if _, ok := got["confluence:300"]; ok {
		t.Error("readers of 300 are known though none were given")
	}

	// A restriction added without a new version: written in place.
	if err := x.SetReaders(ctx, map[string]*Readers{"confluence:200": {Levels: []ReadLevel{{Users: []string{"admin"}}}}, "confluence:999": {}}); err != nil {
		t.Fatal(err)
	}
	got, _ = x.Readers(ctx, []string{"confluence:200", "confluence:999"})
	if !got["confluence:200"].Restricted() {
		t.Errorf("SetReaders did not restrict 200: %+v", got)
	}
	if _, ok := got["confluence:999"]; ok {
		t.Error("SetReaders stored readers of a document the index does not hold")
	}
	if err := x.Delete(ctx, []string{"confluence:100"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := x.Readers(ctx, []string{"confluence:100"}); len(got) > 0 {
		t.Errorf("readers outlive their document: %+v", got)
	}

	// Make it an index of schema 1, as an older build left it.
	for _, q := range []string{`DROP TABLE readers`, `UPDATE meta SET value = '1' WHERE key = 'atlasbridge.schema'`} {
		if _, err := x.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	x.Close()
	r := openReader(t, dir, emb)
	if got, err := r.Readers(ctx, []string{"confluence:200"}); err != nil || len(got) > 0 {
		t.Errorf("schema 1 for a reader: readers %+v, %v; want none known", got, err)
	}
	r.Close()
	x = openWriter(t, dir, emb)
	if v, _, _ := getMeta(ctx, x.db, metaSchema); string(v) != schemaVersion {
		t.Errorf("a writer left the schema at %q, want %q", v, schemaVersion)
	}
	if got, err := x.Readers(ctx, []string{"confluence:200"}); err != nil || len(got) > 0 {
		t.Errorf("after migration: readers %+v, %v; want none known until a sync", got, err)
	}
	if err := x.SetReaders(ctx, map[string]*Readers{"confluence:200": {}}); err != nil {
		t.Fatalf("SetReaders after migration: %v", err)
	}
}

// TestReadersDenies: a reader must pass every level; a level admits its
// users and its groups' members; unknown groups and security levels never
// deny.
func TestReadersDenies(t *testing.T) {
	tests := []struct {
		name        string
		r           Readers
		user        string
		groups      []string
		groupsKnown bool
		want        bool
	}{
		{"open", Readers{}, "alice", nil, true, false},
		{"named user", Readers{Levels: []ReadLevel{{Users: []string{"Alice"}}}}, "alice", nil, true, false},
		{"other user", Readers{Levels: []ReadLevel{{Users: []string{"bob"}}}}, "alice", nil, false, true},
		{"group member", Readers{Levels: []ReadLevel{{Groups: []string{"hr"}}}}, "alice", []string{"HR"}, true, false},
		{"not in group", Readers{Levels: []ReadLevel{{Groups: []string{"hr"}}}}, "alice", []string{"dev"}, true, true},
		{"groups unknown", Readers{Levels: []ReadLevel{{Groups: []string{"hr"}}}}, "alice", nil, false, false},
		{"passes one level of two", Readers{Levels: []ReadLevel{{Users: []string{"alice"}}, {Groups: []string{"hr"}}}}, "alice", []string{"dev"}, true, true},
		{"passes both levels", Readers{Levels: []ReadLevel{{Users: []string{"alice"}}, {Groups: []string{"hr"}}}}, "alice", []string{"hr"}, true, false},
		{"security level", Readers{SecurityID: "10000", SecurityName: "Staff"}, "alice", nil, true, false},
	}
	for _, tc := range tests {
		if got := tc.r.Denies(tc.user, tc.groups, tc.groupsKnown); got != tc.want {
			t.Errorf("%s: Denies = %v, want %v", tc.name, got, tc.want)
		}
	}
}
