package atlassian_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// TestCallerCredentials: under WithCaller every request runs as the
// caller, on the same client; a product the caller brought nothing for is
// refused rather than served with the configured account.
func TestCallerCredentials(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 1})
	page, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Admins only", Body: "<p>secret</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RestrictPageToGroups(page.ID, "confluence-administrators"); err != nil {
		t.Fatal(err)
	}
	conf, jira := clients(t, srv, admin)
	ctx := t.Context()
	if _, _, err := conf.Content.Get(ctx, page.ID); err != nil {
		t.Fatalf("admin cannot read the page: %v", err)
	}
	for _, tc := range []struct {
		name   string
		caller atlassian.Caller
		want   error
	}{
		{"token of alice", atlassian.Caller{Confluence: &atlassian.Credentials{Token: "alice-token"}}, atlassian.ErrNotFound},
		{"password of alice", atlassian.Caller{Confluence: &atlassian.Credentials{Username: "alice", Password: "alice"}}, atlassian.ErrNotFound},
		{"nothing for confluence", atlassian.Caller{Jira: &atlassian.Credentials{Token: "admin-token"}}, atlassian.ErrNoCallerCredentials},
		{"empty credentials", atlassian.Caller{Confluence: &atlassian.Credentials{}}, atlassian.ErrNoCallerCredentials},
		{"admin as caller", atlassian.Caller{Confluence: &atlassian.Credentials{Token: "admin-token"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := conf.Content.Get(atlassian.WithCaller(ctx, tc.caller), page.ID)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	// The Jira client of a caller with only Confluence credentials refuses.
	_, _, err = jira.Projects.List(atlassian.WithCaller(ctx, atlassian.Caller{Confluence: &atlassian.Credentials{Token: "alice-token"}}))
	if !errors.Is(err, atlassian.ErrNoCallerCredentials) {
		t.Errorf("jira without the caller's credentials: %v", err)
	}
}

// TestRedirectToAnotherOriginRefused: a redirect that changes scheme, host
// or port is not followed while the request carries credentials, and the
// error says where it pointed; one on the same origin is followed.
func TestRedirectToAnotherOriginRefused(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 1})
	var target string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/moved/") {
			http.Redirect(w, r, "/"+strings.TrimPrefix(r.URL.Path, "/moved/"), http.StatusFound)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/jira/") {
			http.Redirect(w, r, target+r.URL.Path, http.StatusFound)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(front.Close)
	target = srv.URL // another port: another origin
	for _, tc := range []struct {
		name, base string
		opts       atlassian.Options
		refused    bool
	}{
		{"other port with a token", front.URL + "/jira", atlassian.Options{Token: "admin-token"}, true},
		{"other port with a password", front.URL + "/jira", admin, true},
		{"same origin", front.URL + "/moved/jira", atlassian.Options{Token: "admin-token"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.refused {
				// Same origin: the front moves /moved/jira to /jira, which it
				// redirects to the simulator; only the second hop is refused.
				tc.opts.MaxRetries = -1
			}
			j, err := atlassian.NewJira(tc.base, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = j.Projects.List(t.Context())
			if !errors.Is(err, atlassian.ErrRedirectRefused) {
				t.Fatalf("got %v, want a refused redirect", err)
			}
			if !strings.Contains(err.Error(), srv.URL+"/jira/rest/api/2/project") {
				t.Errorf("the error does not say where it pointed: %v", err)
			}
			if tc.refused && strings.Contains(err.Error(), "/moved/") {
				t.Errorf("%v", err)
			}
		})
	}
}

// TestBaseURLCredentialsNeverEchoed: a base URL with user:password in it
// is refused or used without the password ever showing in an error.
func TestBaseURLCredentialsNeverEchoed(t *testing.T) {
	const secret = "hunter2-Secret"
	for _, u := range []string{
		"https://bob:" + secret + "@wiki.example.com:port/x",
		"ftp://bob:" + secret + "@wiki.example.com",
		"https://bob:" + secret + "@wiki.example.com/%zz",
		"bob:" + secret + "@wiki.example.com",
		"https://bob:" + secret + "@[::1/x",
	} {
		_, err := atlassian.NewConfluence(u, atlassian.Options{})
		if err == nil {
			t.Errorf("%q accepted", u)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the password is echoed: %v", err)
		}
	}
}
