package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian/atlassiantest"
	"github.com/atlasbridge/atlasbridge/internal/sim"
)

// perUserClient connects to serve --http at url with the bearer token and,
// when user is not empty, that user's own credentials in the headers
// mcp-atlassian uses (the simulator's tokens are "<user>-token").
func perUserClient(t *testing.T, url, token, user string) *client.Client {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + token}
	if user != "" {
		h["X-Atlassian-Confluence-Personal-Token"] = user + "-token"
		h["X-Atlassian-Jira-Personal-Token"] = user + "-token"
	}
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(h))
	if err != nil {
		t.Fatal(err)
	}
	cli := client.NewClient(tr)
	if err := cli.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	if _, err := cli.Initialize(t.Context(), mcpgo.InitializeRequest{}); err != nil {
		t.Fatal(err)
	}
	return cli
}

func callText(t *testing.T, cli *client.Client, name string, args map[string]any) (string, bool) {
	t.Helper()
	var req mcpgo.CallToolRequest
	req.Params.Name, req.Params.Arguments = name, args
	res, err := cli.CallTool(t.Context(), req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcpgo.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), res.IsError
}

// TestPerUserCallerSeesNothingHidden: a page restricted to admin, one
// restricted to a group alice is not in, one under a restricted parent and
// a Jira issue at a security level, all synced into the index by admin and
// served over HTTP: a caller with alice's own credentials gets not one id,
// title or word of them from any tool, while admin, as a caller, finds
// them in the index.
func TestPerUserCallerSeesNothingHidden(t *testing.T) {
	srv := newWatchedSim(t, sim.Options{JiraIssues: 3, Seed: 5,
		SecurityLevels: map[string][]string{"Staff only": {"jira-administrators"}}}, false)
	hidden, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Zephyrquartz ledger reconciliation",
		Body: "<p>The zephyrquartz reconciliation moves the quarterly ledger between the vaults.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RestrictPage(hidden.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	grouped, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Obsidianwren ledger audit",
		Body: "<p>The obsidianwren audit of the quarterly ledger reconciliation.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RestrictPageToGroups(grouped.ID, "confluence-administrators"); err != nil {
		t.Fatal(err)
	}
	child, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Marigoldfen ledger appendix", ParentID: hidden.ID,
		Body: "<p>The marigoldfen appendix to the quarterly ledger reconciliation.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := srv.AddIssue(sim.Issue{Project: "OPS", Summary: "Cobaltheron ledger reconciliation breach",
		Description: "The cobaltheron breach of the quarterly ledger reconciliation."})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetIssueSecurity(secret.Key, "Staff only"); err != nil {
		t.Fatal(err)
	}
	overview, err := srv.AddPage(sim.Page{Space: "ENG", Title: "Quarterly ledger overview",
		Body: "<p>The quarterly ledger and its reconciliation, for everyone.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := faultConfig(t, faultEnv(t, srv.URL, "admin-token", "ATLASBRIDGE_LOG_LEVEL", "info"))
	if code, out, errs := cliRun(ctx, cfg, "sync", "--progress", "none"); code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
	}
	url, log := runServeHTTP(t, cfg)
	questions := map[string]map[string]any{
		"Zephyrquartz": {"query": "zephyrquartz ledger reconciliation"},
		"Obsidianwren": {"query": "obsidianwren ledger audit"},
		"Marigoldfen":  {"query": "marigoldfen ledger appendix"},
		"Cobaltheron":  {"query": "cobaltheron ledger reconciliation breach"},
	}

	// The index holds them all: the configured account's own search finds
	// them there, so a leak would show below.
	service := perUserClient(t, url, cfg.HTTPToken, "")
	for title, q := range questions {
		if text, _ := callText(t, service, "semantic_search", q); !strings.Contains(text, title) {
			t.Fatalf("the index does not hold %s; the test proves nothing:\n%s", title, text)
		}
	}

	alice := perUserClient(t, url, cfg.HTTPToken, "alice")
	tools, err := alice.ListTools(t.Context(), mcpgo.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	word := regexp.MustCompile(`(?i)zephyrquartz|vaults|obsidianwren|marigoldfen|cobaltheron`)
	ids := []string{hidden.ID, grouped.ID, child.ID, secret.Key}
	for _, given := range []map[string]any{{"page_id": hidden.ID}, {"page_id": grouped.ID}, {"page_id": child.ID}, {"issue_key": secret.Key},
		{"page_id": overview.ID}} { // a visible page, whose similar documents are hidden
		args := map[string]map[string]any{
			"find_similar_issues":           given,
			"confluence_get_page":           given,
			"confluence_get_page_children":  given,
			"confluence_get_page_ancestors": given,
			"confluence_get_comments":       given,
			"confluence_get_labels":         given,
			"confluence_get_attachments":    given,
			"confluence_search_pages":       {"cql": `text ~ "zephyrquartz" OR title ~ "ledger"`},
			"jira_search_issues":            {"jql": `text ~ "cobaltheron" OR text ~ "ledger"`},
			"jira_get_issue":                given,
		}
		for _, tool := range tools.Tools {
			if tool.Annotations.ReadOnlyHint == nil || !*tool.Annotations.ReadOnlyHint {
				continue
			}
			calls := []map[string]any{args[tool.Name]}
			if tool.Name == "semantic_search" {
				calls = calls[:0]
				for _, q := range questions {
					calls = append(calls, q, map[string]any{"query": q["query"], "verify": true})
				}
			}
			for _, a := range calls {
				if a == nil {
					a = map[string]any{}
				}
				text, _ := callText(t, alice, tool.Name, a)
				if word.MatchString(text) {
					t.Errorf("%s %v shows alice a hidden document's words:\n%s", tool.Name, a, text)
				}
				for _, id := range ids {
					// A tool given the id may repeat it; no other call may name it.
					if a["page_id"] == id || a["issue_key"] == id {
						continue
					}
					if regexp.MustCompile(`\b` + id + `\b`).MatchString(text) {
						t.Errorf("%s %v shows alice the hidden id %s:\n%s", tool.Name, a, id, text)
					}
				}
			}
		}
	}

	// Admin, with their own credentials, finds each from the index: the
	// account that synced costs no check.
	admin := perUserClient(t, url, cfg.HTTPToken, "admin")
	for title, q := range questions {
		text, _ := callText(t, admin, "semantic_search", q)
		if !strings.Contains(text, title) {
			t.Errorf("admin as a caller does not find %s:\n%s", title, text)
		}
		if !strings.Contains(text, `"index"`) {
			t.Errorf("admin's answer for %s does not come from the index:\n%s", title, text)
		}
	}
	for _, want := range []string{"user=alice tool=semantic_search", "user=admin tool=semantic_search"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
}

// TestServeHTTPGeneratesToken: without ATLASBRIDGE_HTTP_TOKEN, serve
// --http on loopback makes a token, prints it once on stderr, and
// requires it.
func TestServeHTTPGeneratesToken(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 1})
	cfg := simConfig(t, simEnv(srv))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--http", "127.0.0.1:0"}, cfg, strings.NewReader(""), io.Discard, &stderr)
	}()
	url := stderr.waitFor(t, regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/mcp)`), done, 10*time.Second)
	m := regexp.MustCompile(`Authorization: Bearer (\S+)"`).FindStringSubmatch(stderr.String())
	if m == nil || len(m[1]) < 16 {
		t.Fatalf("no generated token on stderr:\n%s", stderr.String())
	}
	if n := strings.Count(stderr.String(), m[1]); n != 1 {
		t.Errorf("the token is printed %d times, want once", n)
	}
	for _, tc := range []struct {
		token string
		want  int
	}{{"", http.StatusUnauthorized}, {m[1], http.StatusOK}} {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("token %q: status %d, want %d", tc.token, resp.StatusCode, tc.want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve ended with %v", err)
	}
}

// TestServeHTTPTLS: with --tls-cert and --tls-key serve speaks HTTPS.
func TestServeHTTPTLS(t *testing.T) {
	srv := atlassiantest.NewServer(t, sim.Options{JiraIssues: 1})
	certFile, keyFile, pool := selfSigned(t)
	cfg := simConfig(t, simEnv(srv, "ATLASBRIDGE_HTTP_TOKEN", testHTTPToken))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--http", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile}, cfg, strings.NewReader(""), io.Discard, &stderr)
	}()
	url := stderr.waitFor(t, regexp.MustCompile(`url=(https://127\.0\.0\.1:\d+/mcp)`), done, 10*time.Second)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPBasicClient(hc),
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + testHTTPToken}))
	if err != nil {
		t.Fatal(err)
	}
	cli := client.NewClient(tr)
	if err := cli.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Initialize(ctx, mcpgo.InitializeRequest{}); err != nil {
		t.Fatalf("initialize over TLS: %v", err)
	}
	cli.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve ended with %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their files and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "atlasbridge test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
