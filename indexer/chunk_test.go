package indexer

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/search"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func words(n int, word string) string {
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("%s%d", word, i)
	}
	return strings.Join(w, " ") + "."
}

func TestChunkMarkdown(t *testing.T) {
	code := "```go\n" + strings.Repeat("fmt.Println(\"hello world\")\n", 30) + "```"
	table := "| a | b |\n| --- | --- |\n" + strings.Repeat("| cell one | cell two |\n", 30)
	bc := []string{"ENG", "Handbook", "Deploy"}
	tests := []struct {
		name   string
		md     string
		opts   ChunkOptions
		check  func(t *testing.T, cs []search.Chunk)
		chunks int // -1: do not check
	}{
		{
			name:   "empty document still has one chunk with its breadcrumb",
			md:     "",
			chunks: 1,
			check: func(t *testing.T, cs []search.Chunk) {
				if cs[0].Text != "ENG › Handbook › Deploy" {
					t.Errorf("text = %q", cs[0].Text)
				}
			},
		},
		{
			name:   "every chunk starts with breadcrumb and heading path",
			md:     "# Install\n\n## Linux\n\n" + words(400, "lin") + "\n\n## Mac\n\n" + words(400, "mac"),
			chunks: -1,
			check: func(t *testing.T, cs []search.Chunk) {
				for _, c := range cs {
					first, _, _ := strings.Cut(c.Text, "\n")
					if !strings.HasPrefix(first, "ENG › Handbook › Deploy › Install › ") {
						t.Errorf("chunk %d first line = %q", c.Index, first)
					}
					if strings.Contains(c.Text, "lin") && strings.Contains(c.Text, "mac") {
						t.Errorf("chunk %d mixes Linux and Mac", c.Index)
					}
				}
				if cs[0].Heading != "Install › Linux" {
					t.Errorf("heading = %q", cs[0].Heading)
				}
			},
		},
		{
			name:   "large top-level sections are never merged",
			md:     "## A\n\n" + words(100, "alpha") + "\n\n## B\n\n" + words(100, "beta"),
			chunks: 2,
		},
		{
			name:   "tiny top-level sections are merged",
			md:     "## A\n\nshort a.\n\n## B\n\nshort b.\n\n## C\n\nshort c.",
			chunks: 1,
			check: func(t *testing.T, cs []search.Chunk) {
				if !strings.Contains(cs[0].Text, "## B") || !strings.Contains(cs[0].Text, "short c.") {
					t.Errorf("merged chunk lost a section: %q", cs[0].Text)
				}
			},
		},
		{
			name:   "code block is not cut when it fits",
			md:     words(250, "intro") + "\n\n" + code + "\n\n" + words(50, "outro"),
			chunks: -1,
			check: func(t *testing.T, cs []search.Chunk) {
				n := 0
				for _, c := range cs {
					if strings.Contains(c.Text, "```go") {
						n++
						if strings.Count(c.Text, "hello world") != 30 {
							t.Errorf("code block cut: %d lines in chunk %d", strings.Count(c.Text, "hello world"), c.Index)
						}
					}
				}
				if n != 1 {
					t.Errorf("code block in %d chunks", n)
				}
			},
		},
		{
			name:   "huge code block is cut into fenced parts",
			md:     "```\n" + strings.Repeat("SELECT * FROM table_name WHERE id = 1;\n", 200) + "```",
			chunks: -1,
			check: func(t *testing.T, cs []search.Chunk) {
				if len(cs) < 3 {
					t.Fatalf("want the code cut in several chunks, got %d", len(cs))
				}
				total := 0
				for _, c := range cs {
					if strings.Count(c.Text, "```") != 2 {
						t.Errorf("chunk %d is not a fenced block: %q", c.Index, c.Text[:80])
					}
					total += strings.Count(c.Text, "SELECT")
				}
				if total != 200 {
					t.Errorf("lines kept = %d, want 200", total)
				}
			},
		},
		{
			name:   "huge table parts keep the header",
			md:     strings.Replace(table, "| cell one", "| "+strings.Repeat("wide ", 100)+"cell one", -1),
			opts:   ChunkOptions{Target: 200},
			chunks: -1,
			check: func(t *testing.T, cs []search.Chunk) {
				if len(cs) < 2 {
					t.Fatalf("want several chunks, got %d", len(cs))
				}
				for _, c := range cs {
					if !strings.Contains(c.Text, "| a | b |\n| --- | --- |") {
						t.Errorf("chunk %d lost the table header", c.Index)
					}
				}
			},
		},
		{
			name:   "long section overlaps the previous chunk's end",
			md:     "## Long\n\n" + words(200, "p") + "\n\n" + words(200, "q") + "\n\n" + words(200, "r"),
			chunks: -1,
			check: func(t *testing.T, cs []search.Chunk) {
				if len(cs) < 2 {
					t.Fatalf("want several chunks, got %d", len(cs))
				}
				if !strings.Contains(cs[1].Text, "…") || !strings.Contains(cs[1].Text, "p199.") {
					t.Errorf("second chunk does not start with the end of the first: %.200q", cs[1].Text)
				}
			},
		},
		{
			name:   "one endless paragraph is cut at words within max",
			md:     strings.Repeat("word ", 3000),
			chunks: -1,
			check: func(t *testing.T, cs []search.Chunk) {
				for _, c := range cs {
					if tokens(c.Text) > 2*300+100 {
						t.Errorf("chunk %d has %d tokens", c.Index, tokens(c.Text))
					}
					if strings.Contains(c.Text, "wor\n") {
						t.Errorf("chunk %d cut inside a word", c.Index)
					}
				}
			},
		},
		{
			name:   "hash sign in code is not a heading",
			md:     "```sh\n# not a heading\necho hi\n```\n\n#hashtag is text",
			chunks: 1,
			check: func(t *testing.T, cs []search.Chunk) {
				if cs[0].Heading != "" {
					t.Errorf("heading = %q", cs[0].Heading)
				}
			},
		},
		{
			name:   "unclosed fence and invalid utf-8 do not panic",
			md:     "```\ncode without end \xff\xfe",
			chunks: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := ChunkMarkdown(tc.md, bc, tc.opts)
			if tc.chunks >= 0 && len(cs) != tc.chunks {
				for _, c := range cs {
					t.Logf("chunk %d (%d tokens): %.120q", c.Index, tokens(c.Text), c.Text)
				}
				t.Fatalf("got %d chunks, want %d", len(cs), tc.chunks)
			}
			for i, c := range cs {
				if c.Index != i {
					t.Errorf("chunk %d has index %d", i, c.Index)
				}
				if sum := sha256.Sum256([]byte(c.Text)); c.Hash != hex.EncodeToString(sum[:]) {
					t.Errorf("chunk %d hash %q is not the SHA-256 of its text", i, c.Hash)
				}
				if !strings.HasPrefix(c.Text, "ENG › Handbook › Deploy") {
					t.Errorf("chunk %d lacks the breadcrumb: %.60q", i, c.Text)
				}
			}
			if tc.check != nil {
				tc.check(t, cs)
			}
		})
	}
}

func TestChunkMarkdownNothingToEmbed(t *testing.T) {
	if cs := ChunkMarkdown(" \n\n ", nil, ChunkOptions{}); len(cs) != 0 {
		t.Errorf("blank document without breadcrumb: %d chunks, want none", len(cs))
	}
}

func TestChunkMarkdownStableHashes(t *testing.T) {
	md := "# A\n\n" + words(300, "a") + "\n\n# B\n\n" + words(300, "b")
	one := ChunkMarkdown(md, []string{"S", "T"}, ChunkOptions{})
	two := ChunkMarkdown(md+"\n\n# C\n\n"+words(300, "c"), []string{"S", "T"}, ChunkOptions{})
	for i := range one {
		if one[i].Hash != two[i].Hash {
			t.Errorf("chunk %d changed hash when only a later section was added", i)
		}
	}
	moved := ChunkMarkdown(md, []string{"S", "Other", "T"}, ChunkOptions{})
	if moved[0].Hash == one[0].Hash {
		t.Error("a new breadcrumb must change the hash (the embedded text changed)")
	}
}

func TestChunkMarkdownGolden(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "runbook.md"))
	if err != nil {
		t.Fatal(err)
	}
	cs := ChunkMarkdown(string(in), []string{"ENG", "Operations", "Database runbook"}, ChunkOptions{Target: 120})
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "=== chunk %d · heading %q · %d tokens\n%s\n", c.Index, c.Heading, tokens(c.Text), c.Text)
	}
	golden := filepath.Join("testdata", "runbook.chunks.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("chunks differ from %s (rerun with -update after checking the diff):\n%s", golden, b.String())
	}
}

func BenchmarkChunkMarkdown(b *testing.B) {
	md := strings.Repeat("## Section\n\n"+words(150, "w")+"\n\n```\ncode line\ncode line\n```\n\n", 20)
	b.SetBytes(int64(len(md)))
	for b.Loop() {
		ChunkMarkdown(md, []string{"S", "T"}, ChunkOptions{})
	}
}
