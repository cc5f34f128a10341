package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/internal/sim"
	"github.com/atlasbridge/atlasbridge/mcp"
)

// TestFaultHostilePages syncs pages that real wikis do hold: one of many
// megabytes, one whose storage format is broken (what old editors and
// migrations leave behind), one nested thousands of levels deep. Each is
// indexed and found by a word near its end, nothing else is lost, and the
// page tool answers a bounded part with the offset to continue from.
func TestFaultHostilePages(t *testing.T) {
	srv := newWatchedSim(t, sim.Options{JiraIssues: 3, Seed: 9}, false)
	var huge strings.Builder
	for i := 0; huge.Len() < 12<<20; i++ {
		fmt.Fprintf(&huge, `<h2>Section %d</h2><p>The deployment of release %d touched the billing, search and login services; `+
			`each service was rolled out to one region first and watched for twenty minutes.</p>`+
			`<table><tbody><tr><th>service</th><th>region</th></tr><tr><td>billing-%d</td><td>eu-west</td></tr></tbody></table>`+
			`<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter><ac:plain-text-body><![CDATA[kubectl rollout status deploy/billing-%d]]></ac:plain-text-body></ac:structured-macro>`,
			i, i, i, i)
	}
	huge.WriteString(`<p>The last section names the zanzibarquokka runbook.</p>`)
	broken := `<p>Unclosed <b>bold <i>and italic <ac:structured-macro ac:name="info"><ac:rich-text-body><p>panel without end ` +
		`&bogus; &amp &#xZZ; <table><tr><td>cell <ri:page ri:content-title="Nowhere"/> </tbody></p></div></span>` +
		`<ac:link><ri:page ri:content-title=Unquoted/></ac:link> the quixoticpelican procedure <![CDATA[ never closed`
	deep := strings.Repeat("<ul><li>level ", 2000) + "the brontosaurusfig checklist" + strings.Repeat("</li></ul>", 2000)
	pages := map[string]string{"zanzibarquokka": "Huge release log", "quixoticpelican": "Broken storage", "brontosaurusfig": "Deep nesting"}
	ids := map[string]string{}
	for word, body := range map[string]string{"zanzibarquokka": huge.String(), "quixoticpelican": broken, "brontosaurusfig": deep} {
		p, err := srv.AddPage(sim.Page{Space: "ENG", Title: pages[word], Body: body})
		if err != nil {
			t.Fatalf("add %s: %v", pages[word], err)
		}
		ids[word] = p.ID
	}

	cfg := faultConfig(t, faultEnv(t, srv.URL, "admin-token"))
	ctx := context.Background()
	code, out, errs := cliRun(ctx, cfg, "sync", "--progress", "none", "--json")
	if code != 0 {
		t.Fatalf("sync: exit %d\n%.2000s\n%.2000s", code, out, errs)
	}
	var sum struct {
		Errors int `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Errors != 0 {
		t.Errorf("sync --json: %v, %d errors:\n%.2000s", err, sum.Errors, out)
	}
	for word, title := range pages {
		code, out, errs := cliRun(ctx, cfg, "search", "--json", "--live", "never", "--k", "3", word)
		if code != 0 {
			t.Fatalf("search %s: exit %d\n%s", word, code, errs)
		}
		if !strings.Contains(out, `"id":"`+ids[word]+`"`) {
			t.Errorf("search %q does not find %q (%s):\n%.1500s", word, title, ids[word], out)
		}
	}

	cli := mcpFor(t, cfg, mcp.Options{ReadOnly: true})
	text, isErr, err := toolCall(cli, "confluence_get_page", map[string]any{"page_id": ids["zanzibarquokka"]})
	if err != nil || isErr {
		t.Fatalf("confluence_get_page of the huge page: %v %.300s", err, text)
	}
	var page struct {
		Body       string `json:"body"`
		Truncated  bool   `json:"truncated"`
		NextOffset int    `json:"next_offset"`
	}
	if err := json.Unmarshal([]byte(text), &page); err != nil {
		t.Fatalf("%v: %.300s", err, text)
	}
	if !page.Truncated || page.NextOffset <= 0 || len(text) > 64<<10 {
		t.Errorf("huge page: %d bytes of answer, truncated %v, next_offset %d", len(text), page.Truncated, page.NextOffset)
	}
	for _, word := range []string{"quixoticpelican", "brontosaurusfig"} {
		text, isErr, err := toolCall(cli, "confluence_get_page", map[string]any{"page_id": ids[word]})
		if err != nil || isErr || !strings.Contains(text, word) {
			t.Errorf("confluence_get_page %s: %v, isError %v: %.500s", pages[word], err, isErr, text)
		}
	}
}
