package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// check is one line of the doctor's report.
type check struct {
	name string
	run  func(ctx context.Context) (string, error)
}

// runDoctor checks the configuration, connectivity and credentials of each
// configured product, and the index, and says what to fix.
func runDoctor(ctx context.Context, args []string, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 15*time.Second, "time allowed for each check")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	log := cfg.logger(stderr)
	var checks []check
	if !cfg.Confluence.Configured() && !cfg.Jira.Configured() {
		checks = append(checks, check{"configuration", func(context.Context) (string, error) {
			return "", errors.New("neither Confluence nor Jira is configured: set CONFLUENCE_BASE_URL and/or JIRA_BASE_URL with credentials (see README)")
		}})
	}
	if conf, err := cfg.confluence(log); err != nil {
		checks = append(checks, check{"confluence client", func(context.Context) (string, error) { return "", err }})
	} else if conf != nil {
		checks = append(checks, confluenceChecks(conf, cfg.Confluence)...)
	}
	if jira, err := cfg.jira(log); err != nil {
		checks = append(checks, check{"jira client", func(context.Context) (string, error) { return "", err }})
	} else if jira != nil {
		checks = append(checks, jiraChecks(jira, cfg.Jira)...)
	}
	checks = append(checks, check{"index", func(ctx context.Context) (string, error) { return indexCheck(ctx, cfg) }})

	failed := 0
	for _, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, *timeout)
		detail, err := c.run(cctx)
		cancel()
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "✗ %-18s %s\n", c.name, explain(err))
			continue
		}
		fmt.Fprintf(stdout, "✓ %-18s %s\n", c.name, detail)
	}
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("doctor: %d of %d checks failed", failed, len(checks))}
	}
	return nil
}

func confluenceChecks(c *atlassian.Confluence, p product) []check {
	return []check{
		{"confluence auth", func(ctx context.Context) (string, error) {
			u, _, err := c.Users.Current(ctx)
			if err != nil {
				return "", err
			}
			if u.Type == "anonymous" || u.Username == "" {
				return "", fmt.Errorf("the server treats us as anonymous: set %s_PERSONAL_TOKEN or %s_USERNAME and %s_API_TOKEN", p.Prefix, p.Prefix, p.Prefix)
			}
			return fmt.Sprintf("%s as %s (%s)", c.BaseURL(), u.Username, authKind(p)), nil
		}},
		{"confluence spaces", func(ctx context.Context) (string, error) {
			sp, _, err := c.Spaces.List(ctx, &atlassian.SpaceListOptions{ListOptions: atlassian.ListOptions{Limit: 1}})
			if err != nil {
				return "", err
			}
			if len(sp.Results) == 0 {
				return "", errors.New("no space is visible to this user: check its permissions")
			}
			return "spaces are readable", nil
		}},
	}
}

func jiraChecks(j *atlassian.Jira, p product) []check {
	return []check{
		{"jira server", func(ctx context.Context) (string, error) {
			si, _, err := j.Meta.ServerInfo(ctx)
			if err != nil {
				return "", err
			}
			detail := fmt.Sprintf("%s %s (%s)", j.BaseURL(), si.Version, si.DeploymentType)
			if p.Client.Token != "" && len(si.VersionNumbers) >= 2 && (si.VersionNumbers[0] < 8 || si.VersionNumbers[0] == 8 && si.VersionNumbers[1] < 14) {
				return "", fmt.Errorf("no Personal Access Tokens before Jira 8.14 (this one is %s): use %s_USERNAME and %s_API_TOKEN", si.Version, p.Prefix, p.Prefix)
			}
			return detail, nil
		}},
		{"jira auth", func(ctx context.Context) (string, error) {
			u, _, err := j.Meta.Myself(ctx)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("as %s (%s)", u.Name, authKind(p)), nil
		}},
	}
}

func authKind(p product) string {
	switch {
	case p.Client.Token != "":
		return "personal access token"
	case p.Client.Username != "":
		return "basic auth"
	}
	return "no credentials"
}

// indexCheck opens the index read-only and summarises it.
func indexCheck(ctx context.Context, cfg *config) (string, error) {
	x, err := openReadIndex(ctx, cfg, nil)
	if err != nil {
		return "", err
	}
	defer x.Close()
	st, err := x.Status(ctx)
	if err != nil {
		return "", err
	}
	if st.Documents == 0 {
		return "", fmt.Errorf("the index in %s is empty: run atlasbridge sync", cfg.DataDir)
	}
	var newest time.Time
	for _, c := range st.Containers {
		if c.Watermark.LastSync.After(newest) {
			newest = c.Watermark.LastSync
		}
	}
	detail := fmt.Sprintf("%d documents, %d chunks in %s, model %s", st.Documents, st.Chunks, cfg.DataDir, st.Model)
	if !newest.IsZero() {
		detail += fmt.Sprintf(", last sync %s ago", time.Since(newest).Round(time.Second))
	}
	return detail, nil
}

// explain turns an error into the line a person acts on: the server's own
// words plus what to change.
func explain(err error) string {
	msg := err.Error()
	var ae *atlassian.Error
	if errors.As(err, &ae) {
		switch {
		case errors.Is(err, atlassian.ErrUnauthorized):
			return ae.Product + ": wrong credentials (401): check " + strings.ToUpper(ae.Product) + "_USERNAME/" + strings.ToUpper(ae.Product) + "_API_TOKEN or " + strings.ToUpper(ae.Product) + "_PERSONAL_TOKEN"
		case errors.Is(err, atlassian.ErrForbidden):
			return msg + ": the user lacks permission (or the server wants a CAPTCHA: log in once in a browser)"
		case errors.Is(err, atlassian.ErrNotFound):
			return msg + ": is the base URL right, context path included (e.g. https://host/confluence)?"
		}
	}
	if errors.Is(err, atlassian.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return msg + ": " + timeoutHint
	}
	return msg
}
