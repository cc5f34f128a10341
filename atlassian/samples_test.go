package atlassian

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The real payloads recorded from Server/DC instances (testdata/atlassian-samples,
// sources in its SOURCES.md) must decode into our types with the values a
// person reads in them.

func sample[T any](t *testing.T, name string) T {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "atlassian-samples", name))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return v
}

func TestSamplesConfluence(t *testing.T) {
	t.Run("spaces", func(t *testing.T) {
		p := sample[SpacePage](t, "confluence/space_list.server7.json")
		if len(p.Results) != 2 || p.Results[0].Key != "ds" || p.Results[0].ID != "98305" || p.Results[1].Type != "personal" {
			t.Fatalf("spaces = %+v", p.Results)
		}
		if p.Links.Base != "http://my_confluence:1990/confluence" || p.Links.Context != "/confluence" {
			t.Errorf("links = %+v", p.Links)
		}
		if _, ok := p.Next(); ok {
			t.Error("Next on a last page")
		}
	})
	t.Run("content with body.storage", func(t *testing.T) {
		c := sample[Content](t, "confluence/content_create.post_response.server.json")
		if c.ID != "388386403" || c.Type != "page" || c.Title != "A new page title" {
			t.Fatalf("content = %s %s %q", c.ID, c.Type, c.Title)
		}
		if c.Storage() != "<h2>This is a test</h2>" || c.Body.Storage.Representation != "storage" {
			t.Errorf("storage = %q", c.Storage())
		}
		if c.SpaceKey() != "SPACE" || c.Space.ID != "119963668" {
			t.Errorf("space = %+v", c.Space)
		}
		if c.Version.Number != 1 || c.Version.By.Username != "SPACE-auto" || c.Version.By.Name() != "SPACE-auto" {
			t.Errorf("version = %+v", c.Version)
		}
		want := time.Date(2020, 10, 30, 15, 48, 59, 311e6, time.UTC)
		if !c.Version.When.Equal(want) || !c.History.CreatedDate.Equal(want) {
			t.Errorf("when = %v, created = %v", c.Version.When, c.History.CreatedDate)
		}
		if len(c.Ancestors) == 0 || c.Ancestors[0].Title != "Space Home" {
			t.Errorf("ancestors = %+v", c.Ancestors)
		}
		if c.Container == nil || c.Container.Key != "SPACE" || c.Container.ID != "119963668" {
			t.Errorf("container = %+v", c.Container)
		}
		if c.Links.WebUI != "/display/SPACE/A+new+page+title" || c.Links.Base != "https://testcontext/wiki/cf" {
			t.Errorf("links = %+v", c.Links)
		}
	})
	t.Run("content get server 7", func(t *testing.T) {
		c := sample[Content](t, "confluence/content_get.expand_body_editor_version.server7.json")
		if c.ID != "130913238" || c.Version.Number != 9 || c.SpaceKey() != "EN" {
			t.Fatalf("content = %s v%d in %s", c.ID, c.Version.Number, c.SpaceKey())
		}
		if !c.Version.When.Equal(time.Date(2021, 5, 5, 7, 53, 12, 183e6, time.UTC)) {
			t.Errorf("when = %v", c.Version.When)
		}
	})
	t.Run("update response", func(t *testing.T) {
		c := sample[Content](t, "confluence/content_update.put_response.server.json")
		if c.ID == "" || c.Version == nil || c.Version.Number < 2 {
			t.Fatalf("update = %+v", c)
		}
	})
	t.Run("list by title with ancestors", func(t *testing.T) {
		p := sample[ContentPage](t, "confluence/content_list_by_title.expand_ancestors.server.json")
		var titles []string
		for _, a := range p.Results[0].Ancestors {
			titles = append(titles, a.Title)
		}
		if got := strings.Join(titles, " › "); got != "Space Home › Project SPACE › Forthic › Forthic Framework › A parent title" {
			t.Fatalf("breadcrumb = %s", got)
		}
	})
	t.Run("list by title, version", func(t *testing.T) {
		p := sample[ContentPage](t, "confluence/content_list_by_title.expand_version.server.json")
		if len(p.Results) != 1 || p.Results[0].Version == nil || p.Results[0].Version.Number == 0 {
			t.Fatalf("results = %+v", p.Results)
		}
	})
	t.Run("empty list", func(t *testing.T) {
		p := sample[ContentPage](t, "confluence/content_list_by_title.empty.server.json")
		if len(p.Results) != 0 || p.Size != 0 {
			t.Fatalf("page = %+v", p)
		}
	})
	t.Run("attachments", func(t *testing.T) {
		p := sample[ContentPage](t, "confluence/child_attachment_list.server_trimmed.json")
		a := p.Results[0]
		if a.Type != "attachment" || a.Title != "file.txt" || a.Links.Download != "/download/attachments/65613/file.txt" {
			t.Fatalf("attachment = %+v", a)
		}
	})
}

func TestSamplesJira(t *testing.T) {
	t.Run("issue", func(t *testing.T) {
		is := sample[Issue](t, "jira/issue_get.server5_sdk.json")
		f := is.Fields
		if is.Key != "SAMPLEPROJECT-1" || f.Summary != "Sample Issue" || f.Status.Name != "Open" || f.IssueType.Name != "Task" {
			t.Fatalf("issue = %s %q %v", is.Key, f.Summary, f.Status)
		}
		if f.Priority.Name != "Major" || f.Reporter.Name != "admin" || f.Project.Key != "SAMPLEPROJECT" {
			t.Errorf("priority %v reporter %v project %v", f.Priority, f.Reporter, f.Project)
		}
		if want := time.Date(2011, 12, 13, 21, 26, 6, 30e6, time.UTC); !f.Created.Equal(want) {
			t.Errorf("created = %v, want %v", f.Created, want)
		}
		if _, ok := f.Custom["timetracking"]; !ok {
			t.Errorf("custom fields = %v, want the unknown ones kept", keys(f.Custom))
		}
		if _, ok := f.Custom["summary"]; ok {
			t.Error("a system field leaked into Custom")
		}
	})
	t.Run("issue with changelog", func(t *testing.T) {
		is := sample[Issue](t, "jira/issue_get.expand_changelog.linkedin_server.json")
		if is.Key == "" || is.Fields.Created.IsZero() {
			t.Fatalf("issue = %+v", is)
		}
	})
	for _, name := range []string{"jira/search.server_sdk.json", "jira/search.apache_jira8.json", "jira/search.linkedin_server.json"} {
		t.Run(name, func(t *testing.T) {
			p := sample[IssuePage](t, name)
			if len(p.Issues) == 0 || p.Total < len(p.Issues) || p.Issues[0].Key == "" || p.Issues[0].Fields.Summary == "" {
				t.Fatalf("page = total %d, %d issues", p.Total, len(p.Issues))
			}
		})
	}
	t.Run("search sdk", func(t *testing.T) {
		p := sample[IssuePage](t, "jira/search.server_sdk.json")
		if p.Total != 11 || len(p.Issues) != 11 || p.Issues[0].Key != "SAMPLEPROJECT-13" {
			t.Fatalf("total %d, first %s", p.Total, p.Issues[0].Key)
		}
		if _, ok := p.Next(); ok {
			t.Error("Next on the last page")
		}
	})
	t.Run("search apache resolved", func(t *testing.T) {
		p := sample[IssuePage](t, "jira/search.apache_jira8.json")
		if p.Issues[0].Key != "SLING-8707" || p.Issues[0].Fields.Status.Name != "Resolved" || p.Issues[0].Fields.Resolution.Name != "Fixed" {
			t.Fatalf("first = %+v", p.Issues[0])
		}
	})
	t.Run("search linkedin assignee", func(t *testing.T) {
		p := sample[IssuePage](t, "jira/search.linkedin_server.json")
		a := p.Issues[0].Fields.Assignee
		if p.Issues[0].Key != "SAMPLE-1234" || a == nil || a.Name != "testuser" || a.Label() != "Test User" {
			t.Fatalf("first = %s %+v", p.Issues[0].Key, a)
		}
	})
	t.Run("comments", func(t *testing.T) {
		p := sample[CommentPage](t, "jira/comments_list.server5_sdk.json")
		if p.Total != 2 || len(p.Comments) != 2 || p.Comments[1].Body != "new comment" || p.Comments[0].Author.Name != "admin" {
			t.Fatalf("comments = %+v", p)
		}
		if p.Comments[0].Created.IsZero() {
			t.Error("created not decoded")
		}
	})
	t.Run("comment create", func(t *testing.T) {
		c := sample[Comment](t, "jira/comment_create.post_response.server5_sdk.json")
		if c.ID == "" || c.Body == "" || c.Author == nil {
			t.Fatalf("comment = %+v", c)
		}
	})
	t.Run("issue create", func(t *testing.T) {
		c := sample[CreatedIssue](t, "jira/issue_create.post_response.server5_sdk.json")
		if c.ID == "" || c.Key == "" {
			t.Fatalf("created = %+v", c)
		}
	})
	t.Run("transitions", func(t *testing.T) {
		v := sample[struct {
			Transitions []Transition `json:"transitions"`
		}](t, "jira/transitions.apache_jira8.json")
		tr := v.Transitions
		if len(tr) != 2 || tr[0].ID != "701" || tr[0].Name != "Close Issue" || tr[0].To.Name != "Closed" || tr[0].To.StatusCategory.Key != "done" {
			t.Fatalf("transitions = %+v", tr)
		}
	})
	t.Run("projects", func(t *testing.T) {
		ps := sample[[]Project](t, "jira/project_list.apache.trimmed.json")
		if len(ps) != 150 || ps[0].Key != "AGILA" {
			t.Fatalf("projects = %d, first %+v", len(ps), ps[0])
		}
		p := sample[Project](t, "jira/project_get.apache.json")
		if p.Key == "" || len(p.IssueTypes) == 0 || p.Lead == nil {
			t.Fatalf("project = %+v", p)
		}
	})
	t.Run("fields", func(t *testing.T) {
		fs := sample[[]Field](t, "jira/field_list.linkedin_server.json")
		if len(fs) != 8 || fs[0].ID != "issuekey" || len(fs[0].ClauseNames) != 4 {
			t.Fatalf("fields = %+v", fs)
		}
	})
}

// The recorded error bodies must surface the server's words through Do.
func TestSamplesErrors(t *testing.T) {
	tests := []struct {
		file   string
		status int
		want   string
	}{
		{"jira/error_400_invalid_field.server5_sdk.json", 400, "invalid: Field 'invalid' is not valid for this operation."},
		{"jira/error_400_unrecognized_field.server5_sdk.json", 400, "Unrecognized field"},
		{"jira/error_404_not_found.json", 404, "Permission scheme 101001 does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("..", "testdata", "atlassian-samples", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				w.Write(body)
			}))
			defer srv.Close()
			j, err := NewJira(srv.URL+"/jira", Options{MaxRetries: -1})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = j.Issues.Get(t.Context(), "ABC-1", nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
