package sim

import "testing"

func TestArchivedSpacesListedOnlyWhenAsked(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: -1})
	if err := srv.AddSpace("OLD", "Old projects"); err != nil {
		t.Fatal(err)
	}
	if err := srv.ArchiveSpace("OLD"); err != nil {
		t.Fatal(err)
	}
	keys := func(query string) map[string]bool {
		m := do(t, call{url: srv.ConfluenceURL() + "/rest/api/space" + query, auth: "admin"}).obj(t)
		out := map[string]bool{}
		for _, r := range m["results"].([]any) {
			out[r.(map[string]any)["key"].(string)] = true
		}
		return out
	}
	if got := keys(""); got["OLD"] || !got["ENG"] {
		t.Errorf("default space list %v: want ENG, not the archived OLD", got)
	}
	if got := keys("?status=archived"); !got["OLD"] || got["ENG"] {
		t.Errorf("status=archived lists %v: want only OLD", got)
	}
	if err := srv.ArchiveSpace("NOPE"); err == nil {
		t.Error("archiving a missing space did not fail")
	}
}
