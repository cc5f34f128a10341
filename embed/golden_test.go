package embed

import (
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenVectors pins the vectors of a few texts, before and after Fit, so
// that a change to the features shows up here and reminds us to bump the
// version in Builtin.Model: the index must never mix vectors of two
// versions under one name. Values are compared with a tolerance, since
// compilers may fuse multiply-adds differently on other architectures.
type goldenVectors struct {
	Model   string      `json:"model"`
	Vectors [][]float32 `json:"vectors"`
}

func TestBuiltinGolden(t *testing.T) {
	texts := []string{"Routine reindexing of bloated B-tree indexes", "promote the standby when the primary dies", "the"}
	hash := NewBuiltin(BuiltinOptions{Dims: 64})
	fit := NewBuiltin(BuiltinOptions{Dims: 64})
	if err := fit.Fit(context.Background(), slices.Values(topicCorpus(120, 3))); err != nil {
		t.Fatal(err)
	}
	got := map[string]goldenVectors{}
	for name, e := range map[string]*Builtin{"hash": hash, "fitted": fit} {
		vecs, err := e.Embed(context.Background(), texts)
		if err != nil {
			t.Fatal(err)
		}
		model := e.Model()
		if name == "fitted" {
			// The suffix hashes the model's bytes, which may differ in the
			// last bits on another architecture.
			model = model[:strings.LastIndex(model, "-")]
		}
		got[name] = goldenVectors{Model: model, Vectors: vecs}
	}
	const path = "testdata/builtin-vectors.golden.json"
	if *update {
		data, err := json.MarshalIndent(got, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./embed -run BuiltinGolden -update)", err)
	}
	var want map[string]goldenVectors
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	for name, g := range got {
		w := want[name]
		same := len(w.Vectors) == len(g.Vectors)
		for i := 0; same && i < len(g.Vectors); i++ {
			same = len(w.Vectors[i]) == len(g.Vectors[i])
			for j := 0; same && j < len(g.Vectors[i]); j++ {
				same = math.Abs(float64(w.Vectors[i][j]-g.Vectors[i][j])) < 1e-4
			}
		}
		switch {
		case !same && w.Model == g.Model:
			t.Errorf("%s: the vectors changed but Model() is still %q: bump its version, then run with -update", name, g.Model)
		case !same || w.Model != g.Model:
			t.Errorf("%s: model %q and its vectors differ from the golden file (model %q): run with -update if intended", name, g.Model, w.Model)
		}
	}
}
