package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

func TestSearchCommand(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 60, Seed: 2})
	env := map[string]string{
		"CONFLUENCE_BASE_URL": srv.ConfluenceURL(), "CONFLUENCE_PERSONAL_TOKEN": "admin-token",
		"JIRA_BASE_URL": srv.JiraURL(), "JIRA_PERSONAL_TOKEN": "admin-token",
		"ATLASBRIDGE_DATA_DIR": t.TempDir(),
	}
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"sync", "--progress", "none"}, envOf(env), nil, &out, &errb); code != 0 {
		t.Fatalf("sync exit %d: %s", code, errb.String())
	}

	search := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(t.Context(), append([]string{"search"}, args...), envOf(env), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	t.Run("json", func(t *testing.T) {
		code, out, errs := search("--json", "--k", "5", "how do we rotate the on-call pager?")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var got struct {
			Results []searchResultJSON `json:"results"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("decode %q: %v", out, err)
		}
		if len(got.Results) == 0 || len(got.Results) > 5 {
			t.Fatalf("results = %d", len(got.Results))
		}
		top := got.Results[0]
		if !strings.Contains(strings.ToLower(top.Title+top.Snippet), "on-call") && !strings.Contains(strings.ToLower(top.Title+top.Snippet), "pager") {
			t.Errorf("top result %q is not about the pager", top.Title)
		}
		for _, r := range got.Results {
			if r.Title == "" || r.URL == "" || r.Snippet == "" || r.Origin != "index" || (r.Space == "") == (r.Project == "") || (r.ID == "") == (r.Key == "") {
				t.Errorf("incomplete result %+v", r)
			}
		}
	})
	t.Run("confidence", func(t *testing.T) {
		for _, tc := range []struct {
			q    string
			weak bool
		}{
			{"how do we rotate the on-call pager?", false},
			{"how many vacation days does a new employee get", true},
		} {
			code, out, errs := search("--json", "--live", "never", tc.q)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got struct {
				Confidence *float64 `json:"confidence"`
				Weak       *bool    `json:"weak"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil || got.Confidence == nil || got.Weak == nil {
				t.Fatalf("%q: %s (%v)", tc.q, out, err)
			}
			if *got.Weak != tc.weak || *got.Weak != (*got.Confidence < 0.5) {
				t.Errorf("%q: confidence %.2f, weak %v; want weak %v", tc.q, *got.Confidence, *got.Weak, tc.weak)
			}
		}
	})
	t.Run("filters", func(t *testing.T) {
		code, out, errs := search("--json", "--source", "jira", "--k", "20", "database backup")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var got struct{ Results []searchResultJSON }
		json.Unmarshal([]byte(out), &got)
		if len(got.Results) == 0 {
			t.Fatal("no Jira result")
		}
		for _, r := range got.Results {
			if r.Source != "jira" || r.Key == "" {
				t.Errorf("non-Jira result %+v", r)
			}
		}
	})
	t.Run("text output", func(t *testing.T) {
		code, out, _ := search("--k", "3", "roll back a bad deployment")
		if code != 0 || !strings.HasPrefix(out, "1. ") || !strings.Contains(out, "http") {
			t.Fatalf("exit %d, output:\n%s", code, out)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no question", nil, "no question given"},
		{"bad k", []string{"--k", "0", "x"}, "--k 0"},
		{"bad mode", []string{"--mode", "psychic", "x"}, "unknown search mode"},
		{"bad source", []string{"--source", "sharepoint", "x"}, "want confluence or jira"},
		{"bad date", []string{"--updated-after", "yesterday", "x"}, "want a date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := search(tc.args...)
			if code != 2 || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q, want 2 and %q", code, errs, tc.want)
			}
		})
	}
	t.Run("no index", func(t *testing.T) {
		var out, errb strings.Builder
		code := run(t.Context(), []string{"search", "x"}, envOf(map[string]string{"ATLASBRIDGE_DATA_DIR": t.TempDir()}), nil, &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), "sync") {
			t.Fatalf("exit %d, stderr %q", code, errb.String())
		}
	})
}

func TestSearchAllowLists(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 60, Seed: 2})
	dir := t.TempDir()
	env := map[string]string{
		"CONFLUENCE_BASE_URL": srv.ConfluenceURL(), "CONFLUENCE_PERSONAL_TOKEN": "admin-token",
		"JIRA_BASE_URL": srv.JiraURL(), "JIRA_PERSONAL_TOKEN": "admin-token",
		"ATLASBRIDGE_DATA_DIR": dir,
	}
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"sync", "--progress", "none"}, envOf(env), nil, &out, &errb); code != 0 {
		t.Fatalf("sync exit %d: %s", code, errb.String())
	}
	search := func(env map[string]string, args ...string) (int, []searchResultJSON, string) {
		var out, errb strings.Builder
		code := run(t.Context(), append([]string{"search", "--json", "--live", "never", "--k", "30"}, args...), envOf(env), nil, &out, &errb)
		var got struct{ Results []searchResultJSON }
		json.Unmarshal([]byte(out.String()), &got)
		return code, got.Results, errb.String()
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range env {
			m[a] = b
		}
		m[k] = v
		return m
	}
	// Only spaces are limited: Jira issues of every project still come back.
	code, rs, errs := search(with("CONFLUENCE_SPACES", "ENG"), "database backup failed")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var jira int
	for _, r := range rs {
		if r.Source == "jira" {
			jira++
		}
		if r.Source == "confluence" && r.Space != "ENG" {
			t.Errorf("space %s outside the allow-list", r.Space)
		}
	}
	if jira == 0 {
		t.Error("an allow-list of spaces hid every Jira issue")
	}
	// Only OPS is allowed among the projects; every space still is.
	code, rs, _ = search(with("JIRA_PROJECTS", "OPS"), "database backup failed")
	for _, r := range rs {
		if r.Source == "jira" && r.Project != "OPS" {
			t.Errorf("project %s outside JIRA_PROJECTS=OPS", r.Project)
		}
	}
	if code != 0 || len(rs) == 0 {
		t.Fatalf("exit %d, %d results", code, len(rs))
	}
	code, _, errs = search(with("JIRA_PROJECTS", "OPS"), "--project", "WEB", "release")
	if code != 2 || !strings.Contains(errs, "outside JIRA_PROJECTS") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}
