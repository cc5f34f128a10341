package main

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/eval"
	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/search"
)

// TestEvalOwnIndex: `eval --index` scores what sync indexed, the questions
// naming their pages by title, and counts the out-of-corpus one apart.
func TestEvalOwnIndex(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 20, Seed: 2})
	env := map[string]string{
		"CONFLUENCE_BASE_URL": srv.ConfluenceURL(), "CONFLUENCE_PERSONAL_TOKEN": "admin-token",
		"ATLASBRIDGE_DATA_DIR": t.TempDir(),
	}
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"sync", "--progress", "none"}, envOf(env), nil, &out, &errb); code != 0 {
		t.Fatalf("sync exit %d: %s", code, errb.String())
	}
	set := filepath.Join(t.TempDir(), "mine.tsv")
	questions := "how do I connect to the VPN from home\tVPN Setup\n" +
		"restore the database from last night's backup\tDatabase Backups and Restore\n" +
		"renew an expiring TLS certificate\tTLS Certificate Renewal\n" +
		"roll back a bad release\tDeployment and Rollback\n" +
		"how many vacation days does a new employee get\t-\n"
	if err := os.WriteFile(set, []byte(questions), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run(t.Context(), []string{"eval", "--index", "--set", set, "--json"}, envOf(env), nil, &out, &errb); code != 0 {
		t.Fatalf("eval exit %d: %s", code, errb.String())
	}
	var res evalResult
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		t.Fatalf("decode %q: %v", out.String(), err)
	}
	reps := map[string]eval.Report{}
	for _, r := range res.Sets[set] {
		reps[r.Mode] = r
	}
	for _, mode := range []string{string(search.Keyword), string(search.Vector), string(search.Hybrid), eval.ReferenceMode} {
		r, ok := reps[mode]
		if !ok || r.Queries != 4 {
			t.Fatalf("%s: report %+v (all: %s)", mode, r, out.String())
		}
	}
	if hy := reps[string(search.Hybrid)]; hy.RecallAt5 < 0.75 || hy.OutOfCorpus != 1 || !hy.Judged {
		t.Errorf("hybrid on the sample wiki: %+v", hy)
	}
	if res.Pages == 0 || res.Model == "" {
		t.Errorf("result %+v", res)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--index"}, "no question set"},
		{[]string{"eval", "--index", "--set", set, "--embedder", "builtin"}, "--embedder compares embedders on --html"},
		{[]string{"eval", "--embedder", "psychic", "--set", set}, `--embedder "psychic"`},
	} {
		var out, errb strings.Builder
		if code := run(t.Context(), tc.args, envOf(env), nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

// TestEvalEmbedders: `eval --embedder builtin,ollama` syncs the corpus
// once per embedder and reports both, the remote one a fake Ollama that
// hashes words into vectors.
func TestEvalEmbedders(t *testing.T) {
	var calls int
	ollama := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/embed" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		calls++
		vecs := make([][]float64, len(req.Input))
		for i, text := range req.Input {
			vecs[i] = hashedVector(text, 64)
		}
		json.NewEncoder(w).Encode(map[string]any{"model": req.Model, "embeddings": vecs})
	}))
	defer ollama.Close()

	dir := t.TempDir()
	pages := map[string]string{
		"vacuum.html": "<title>Routine Vacuuming</title><h1>Routine Vacuuming</h1><p>VACUUM reclaims the storage of dead rows so tables do not bloat.</p>",
		"backup.html": "<title>Backup and Restore</title><h1>Backup and Restore</h1><p>pg_dump writes a database to a file and pg_restore reads it back.</p>",
		"fk.html":     "<title>Foreign Keys</title><h1>Foreign Keys</h1><p>A foreign key makes a column refer to a row of another table.</p>",
	}
	for name, body := range pages {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("<html><head>"+body+"</html>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set := filepath.Join(t.TempDir(), "set.tsv")
	if err := os.WriteFile(set, []byte("keep tables from bloating\tvacuum.html\nsave a database to a file\tbackup.html\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ATLASBRIDGE_DATA_DIR": t.TempDir(), "ATLASBRIDGE_EMBEDDER": "ollama",
		"ATLASBRIDGE_EMBED_URL": ollama.URL, "ATLASBRIDGE_EMBED_MODEL": "fake-embed"}
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"eval", "--html", dir, "--set", set, "--embedder", "builtin,ollama", "--json"}, envOf(env), nil, &out, &errb); code != 0 {
		t.Fatalf("eval exit %d: %s", code, errb.String())
	}
	var got struct {
		Runs []evalResult `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("decode %q: %v", out.String(), err)
	}
	if len(got.Runs) != 2 || !strings.HasPrefix(got.Runs[0].Model, "builtin") || !strings.Contains(got.Runs[1].Model, "fake-embed") {
		t.Fatalf("runs %+v", got.Runs)
	}
	for _, r := range got.Runs {
		if len(r.Sets[set]) != 4 || r.Pages < len(pages) { // and the space's home page
			t.Errorf("%s: %d pages, reports %+v", r.Model, r.Pages, r.Sets[set])
		}
	}
	if calls == 0 {
		t.Error("the ollama embedder was never asked")
	}
}

// hashedVector is a unit vector of the words of text hashed into dims.
func hashedVector(text string, dims int) []float64 {
	v := make([]float64, dims)
	for _, w := range strings.Fields(strings.ToLower(text)) {
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%uint32(dims)]++
	}
	var n float64
	for _, x := range v {
		n += x * x
	}
	if n == 0 {
		v[0], n = 1, 1
	}
	for i := range v {
		v[i] /= math.Sqrt(n)
	}
	return v
}
