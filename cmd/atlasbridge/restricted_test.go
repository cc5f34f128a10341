package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// TestRestrictedPages: pages restricted to users or to a group are indexed
// for those who may read them, flagged as restricted, and invisible to a
// user outside the restriction.
func TestRestrictedPages(t *testing.T) {
	srv := newWatchedSim(t, sim.Options{JiraIssues: -1, Seed: 4}, false)
	byGroup, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Payroll export procedure",
		Body: "<p>The payroll export runs through the quarantined finance bridge.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	// admin is in confluence-administrators, alice in confluence-users.
	if err := srv.RestrictPageToGroups(byGroup.ID, "confluence-administrators"); err != nil {
		t.Fatal(err)
	}
	open, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Finance bridge overview",
		Body: "<p>The finance bridge connects payroll to the ledger.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	find := func(t *testing.T, token string) map[string]searchResultJSON {
		t.Helper()
		cfg := faultConfig(t, faultEnv(t, srv.URL, token))
		if code, out, errs := cliRun(ctx, cfg, "sync", "--progress", "none"); code != 0 {
			t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
		}
		code, out, errs := cliRun(ctx, cfg, "search", "--json", "--live", "never", "--k", "10", "payroll finance bridge")
		if code != 0 {
			t.Fatalf("search: exit %d\n%s", code, errs)
		}
		var res struct{ Results []searchResultJSON }
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		hits := map[string]searchResultJSON{}
		for _, r := range res.Results {
			hits[r.ID] = r
		}
		return hits
	}

	admin := find(t, "admin-token")
	if h, ok := admin[byGroup.ID]; !ok || !h.Restricted {
		t.Errorf("admin (in the group): the group-restricted page is %v / restricted %v", ok, h.Restricted)
	}
	if h, ok := admin[open.ID]; !ok || h.Restricted {
		t.Errorf("admin: the open page is %v / restricted %v", ok, h.Restricted)
	}
	alice := find(t, "alice-token")
	if _, ok := alice[byGroup.ID]; ok {
		t.Errorf("alice (not in the group) finds the group-restricted page in her index")
	}
	if _, ok := alice[open.ID]; !ok {
		t.Errorf("alice does not find the open page")
	}
}
