package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestDemo(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" }, "")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	began := time.Now()
	if err := runDemo(context.Background(), []string{"--issues", "40"}, cfg, nil, &out, io.Discard); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	took := time.Since(began)
	text := out.String()
	for _, want := range []string{
		"Simulated Confluence at http://127.0.0.1:",
		"sync finished", "0 errors",
		`search: "` + demoQueries[0] + `"`, `search: "` + demoQueries[1] + `"`,
		"1. [", "/confluence/display/ENG/",
		`"mcpServers"`, `"command": "atlasbridge"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(text, "(no results)") {
		t.Errorf("a demo search found nothing:\n%s", text)
	}
	// The README promises well under 20 s on a fresh machine; a shared
	// test machine is no place to assert it.
	t.Logf("demo took %s", took)
}

func TestDemoFlags(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" }, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--issues", "-3"}, {"what", "is", "this"}, {"--query", " "}} {
		err := runDemo(context.Background(), args, cfg, nil, io.Discard, io.Discard)
		if syncExitCode(err) != 2 {
			t.Errorf("demo %q: %v, want exit code 2", args, err)
		}
	}
	var out bytes.Buffer
	if err := runDemo(context.Background(), []string{"--issues", "0", "--query", "database backup restore"}, cfg, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `search: "database backup restore"`) || strings.Contains(out.String(), demoQueries[0]) {
		t.Errorf("--query did not replace the example searches:\n%s", out.String())
	}
}
