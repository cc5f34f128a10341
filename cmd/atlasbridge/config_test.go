package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	dotenv := filepath.Join(dir, ".env")
	if err := os.WriteFile(dotenv, []byte(`# comment
export CONFLUENCE_BASE_URL="https://wiki.example.com/confluence"
CONFLUENCE_PERSONAL_TOKEN='from-file'
JIRA_URL=https://jira.example.com/jira # trailing comment
JIRA_USERNAME=bob
JIRA_API_TOKEN=secret
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(envOf(map[string]string{
		"CONFLUENCE_PERSONAL_TOKEN": "from-env",
		"CONFLUENCE_SPACES":         "ENG, OPS",
		"CONFLUENCE_TIMEZONE":       "America/Los_Angeles",
		"ATLASBRIDGE_READ_ONLY":     "true",
		"HOME":                      "/home/u",
	}), dotenv)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"confluence url", cfg.Confluence.BaseURL, "https://wiki.example.com/confluence"},
		{"env wins over .env", cfg.Confluence.Client.Token, "from-env"},
		{"jira alias", cfg.Jira.BaseURL, "https://jira.example.com/jira"},
		{"jira user", cfg.Jira.Client.Username, "bob"},
		{"jira token", cfg.Jira.Client.Password, "secret"},
		{"spaces", strings.Join(cfg.Spaces, "|"), "ENG|OPS"},
		{"data dir", cfg.DataDir, "/home/u/.local/share/atlasbridge"},
		{"embedder", cfg.Embed.Kind, "builtin"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !cfg.ReadOnly {
		t.Error("ReadOnly not set")
	}
	if cfg.ConfluenceZone == nil || cfg.ConfluenceZone.String() != "America/Los_Angeles" {
		t.Errorf("ConfluenceZone = %v, want America/Los_Angeles", cfg.ConfluenceZone)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad bool", map[string]string{"ATLASBRIDGE_READ_ONLY": "maybe"}, "ATLASBRIDGE_READ_ONLY"},
		{"user without secret", map[string]string{"JIRA_BASE_URL": "https://j", "JIRA_USERNAME": "bob"}, "JIRA_API_TOKEN"},
		{"bad rate", map[string]string{"ATLASBRIDGE_RATE_LIMIT": "-3"}, "ATLASBRIDGE_RATE_LIMIT"},
		{"bad ssl verify", map[string]string{"CONFLUENCE_SSL_VERIFY": "nope"}, "CONFLUENCE_SSL_VERIFY"},
		{"bad time zone", map[string]string{"CONFLUENCE_TIMEZONE": "Mars/Olympus"}, "CONFLUENCE_TIMEZONE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(envOf(tc.env), filepath.Join(t.TempDir(), "missing.env"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to name %s", err, tc.want)
			}
		})
	}
}

func TestDotenvSyntaxError(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(p, []byte("JUSTAWORD\n"), 0o600)
	if _, err := loadConfig(envOf(nil), p); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Fatalf("err = %v, want line number", err)
	}
}

func TestSecretsNotInConfigErrors(t *testing.T) {
	_, err := loadConfig(envOf(map[string]string{"JIRA_API_TOKEN": "s3cr3t-token", "ATLASBRIDGE_READ_ONLY": "x"}), "")
	if err == nil || strings.Contains(err.Error(), "s3cr3t-token") {
		t.Fatalf("err = %v: want an error that does not contain the token", err)
	}
}

func TestRunUsage(t *testing.T) {
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"nope"}, envOf(nil), nil, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), `unknown command "nope"`) {
		t.Fatalf("stderr = %q", errb.String())
	}
}

func TestCredentialHint(t *testing.T) {
	err := fmt.Errorf("sync: %w", &atlassian.Error{Product: "jira", Method: "GET", Path: "/rest/api/2/myself", StatusCode: 401})
	if got := credentialHint(err); !strings.Contains(got, "JIRA_PERSONAL_TOKEN") || !strings.Contains(got, "JIRA_API_TOKEN") {
		t.Fatalf("hint = %q", got)
	}
	if got := credentialHint(fmt.Errorf("x: %w", &atlassian.Error{Product: "jira", StatusCode: 404})); got != "" {
		t.Fatalf("hint for a 404 = %q", got)
	}
}
