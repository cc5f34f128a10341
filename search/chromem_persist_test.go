package search

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	chromem "github.com/philippgille/chromem-go"
)

// TestChromemPersistence measures chromem-go's two persistence modes at the
// size of a real index, to ground the choice of SQLite as the system of
// record (see the package comment). It is a measurement, not a unit test:
//
//	ATLASBRIDGE_CHROMEM_N=100000 go test ./search -run ChromemPersistence -v -timeout 30m
func TestChromemPersistence(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ATLASBRIDGE_CHROMEM_N"))
	if n <= 0 {
		t.Skip("set ATLASBRIDGE_CHROMEM_N (e.g. 100000) to measure chromem-go persistence")
	}
	const dims = 640
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	docs := make([]chromem.Document, n)
	for i := range docs {
		v := make([]float32, dims)
		for j := range v {
			v[j] = rng.Float32() - 0.5
		}
		normalizeInPlace(v)
		docs[i] = chromem.Document{ID: fmt.Sprintf("confluence:%d#%d", 100000+i/8, i%8), Embedding: v}
	}

	// Mode 1: one file per document (NewPersistentDB).
	dir := t.TempDir()
	db, err := chromem.NewPersistentDB(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateCollection("ENG", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if err := c.AddDocuments(ctx, docs, 4); err != nil {
		t.Fatal(err)
	}
	write := time.Since(t0)
	files, bytes := countFiles(t, dir)
	t0 = time.Now()
	db2, err := chromem.NewPersistentDB(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	reopen := time.Since(t0)
	after := db2.GetCollection("ENG", nil).Count()
	t.Logf("per-document files: %d docs → %d files, %.0f MB, write %s, reopen %s, Count after reopen %d (lost %d to file-name collisions)",
		n, files, float64(bytes)/1e6, write.Round(time.Millisecond), reopen.Round(time.Millisecond), after, n-after)

	// Mode 2: one snapshot file (Export/Import) of an in-memory DB.
	mem := chromem.NewDB()
	mc, _ := mem.CreateCollection("ENG", nil, nil)
	if err := mc.AddDocuments(ctx, docs, 4); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "index.gob")
	t0 = time.Now()
	if err := mem.ExportToFile(snap, false, ""); err != nil {
		t.Fatal(err)
	}
	export := time.Since(t0)
	st, _ := os.Stat(snap)
	imp := chromem.NewDB()
	t0 = time.Now()
	if err := imp.ImportFromFile(snap, ""); err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot: %.0f MB, export %s (rewritten whole at every sync), import %s, Count %d",
		float64(st.Size())/1e6, export.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond), imp.GetCollection("ENG", nil).Count())
}

func normalizeInPlace(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

func countFiles(t *testing.T, dir string) (n int, bytes int64) {
	t.Helper()
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n++
			bytes += info.Size()
		}
		return nil
	})
	return n, bytes
}
