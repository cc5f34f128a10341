package sim

import (
	"net/url"
	"strings"
	"testing"
)

// Generated issues carry an environment and custom fields shaped like the
// recorded samples; text ~ finds their text, as Jira's does.
func TestCustomFieldsAndEnvironment(t *testing.T) {
	srv, _ := testServer(t, Options{JiraIssues: 40, Seed: 3})
	jb := srv.JiraURL() + "/rest/api/2/"

	// /field: a custom field entry has the keys of the recorded one.
	sample := loadSample(t, "jira/field_list.linkedin_server.json").([]any)
	var sampleCustom, ours any
	for _, f := range sample {
		if dig(t, f, "custom") == true {
			sampleCustom = f
		}
	}
	for _, f := range do(t, call{url: jb + "field", auth: "admin"}).list(t) {
		if dig(t, f, "id") == "customfield_10200" {
			ours = f
		}
	}
	if ours == nil {
		t.Fatal("/field lists no customfield_10200")
	}
	checkShape(t, sampleCustom, ours, shapeCheck{exact: true})
	checkShape(t, sampleCustom, ours, shapeCheck{path: []any{"schema"}, exact: true})
	if got := dig(t, ours, "schema", "custom"); got != customTypePrefix+"textarea" {
		t.Errorf("schema.custom = %v", got)
	}

	// Issues: text values are strings (as customfield_10000 of the Jira 7
	// sample), a select's value is an option object; renderedFields render
	// the text area and the environment.
	with := func(has func(Issue) bool) map[string]any {
		t.Helper()
		for _, k := range srv.IssueKeys("") {
			if is, _ := srv.GetIssue(k); has(is) {
				return do(t, call{url: jb + "issue/" + k + "?expand=renderedFields", auth: "admin"}).obj(t)
			}
		}
		t.Fatal("no generated issue has the field")
		return nil
	}
	o := with(func(is Issue) bool { return is.Custom["Customer"] != "" })
	if _, ok := dig(t, o, "fields", "customfield_10201").(string); !ok {
		t.Errorf("customfield_10201 = %v, want a string", dig(t, o, "fields", "customfield_10201"))
	}
	o = with(func(is Issue) bool { return is.Environment != "" })
	if r, _ := dig(t, o, "renderedFields", "environment").(string); !strings.Contains(r, "<p>") {
		t.Errorf("rendered environment = %q", r)
	}
	o = with(func(is Issue) bool { return is.Custom["Steps to Reproduce"] != "" })
	if r, _ := dig(t, o, "renderedFields", "customfield_10200").(string); !strings.Contains(r, "<ol>") {
		t.Errorf("rendered steps = %q, want a numbered list", r)
	}
	for _, k := range srv.IssueKeys("") {
		is, _ := srv.GetIssue(k)
		if is.Custom["Risk_Factor"] != "" {
			o := do(t, call{url: jb + "issue/" + k + "?fields=customfield_10202", auth: "admin"}).obj(t)
			if v := dig(t, o, "fields", "customfield_10202", "value"); v != is.Custom["Risk_Factor"] {
				t.Errorf("%s: option value %v, want %s", k, v, is.Custom["Risk_Factor"])
			}
			break
		}
	}

	for _, jql := range []string{`text ~ "Northwind OR Contoso OR Fabrikam"`, `environment ~ "Production OR Staging OR PostgreSQL"`} {
		r := do(t, call{url: jb + "search?fields=summary&jql=" + url.QueryEscape(jql), auth: "admin"}).obj(t)
		if n := dig(t, r, "total").(float64); n == 0 {
			t.Errorf("%s found nothing", jql)
		}
	}

	if _, err := srv.AddIssue(Issue{Project: "OPS", Summary: "x", Custom: map[string]string{"Nope": "y"}}); err == nil {
		t.Error("unknown custom field accepted")
	}
	if _, err := srv.AddIssue(Issue{Project: "OPS", Summary: "x", Custom: map[string]string{"Risk_Factor": "Extreme"}}); err == nil {
		t.Error("unknown option accepted")
	}
}
