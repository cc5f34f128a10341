package retrieve

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/atlasbridge/atlasbridge/search"
)

func TestJiraWikiSnippet(t *testing.T) {
	desc := "h3. Summary\nRollback of billing-cron failed.\n\nSee the handbook page [Deployment and Rollback|https://wiki.example.com/display/ENG/Deployment] for the agreed procedure.\n\n" +
		"h3. Steps to reproduce\n# Deploy the current *order-service* build\n# Watch the dashboard for errors\n\n" +
		"h3. Observed\n{noformat}\n2024-05-07 ERROR request_id=ca47f8a3 upstream timed out\n{noformat}\n\n" +
		"h3. Proposal\n||Option||Effort||\n|Keep as is|none|\n\n_Owner:_ [~alice]. {{billing}} is affected.\n{code:bash}./x.sh --dry-run\n{code}"
	want := "Summary: Rollback of billing-cron failed. See the handbook page Deployment and Rollback for the agreed procedure. " +
		"Steps to reproduce: Deploy the current order-service build · Watch the dashboard for errors · " +
		"Observed: 2024-05-07 ERROR request_id=ca47f8a3 upstream timed out · Proposal: Option: Effort · Keep as is: none · " +
		"Owner: alice. billing is affected. ./x.sh --dry-run"
	if got := search.MarkdownSnippet(jiraWikiMarkdown(desc), "", 1<<20); got != want {
		t.Errorf("plain text of the description\n got %q\nwant %q", got, want)
	}
	got := search.MarkdownSnippet(jiraWikiMarkdown(desc), "dashboard errors", 120)
	if len(got) > 120 || !utf8.ValidString(got) {
		t.Errorf("snippet of %d bytes: %q", len(got), got)
	}
	if !strings.Contains(got, "Watch the dashboard for errors") {
		t.Errorf("snippet %q", got)
	}
}
