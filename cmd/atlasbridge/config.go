package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // CONFLUENCE_TIMEZONE works without the system's zone database

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/embed"
)

// config is everything read from the environment (and .env), once.
type config struct {
	Confluence product
	Jira       product

	// Spaces and Projects are allow-lists: when set, tools and the index
	// touch nothing else.
	Spaces   []string
	Projects []string

	// ConfluenceZone is the Confluence account's profile time zone
	// (CONFLUENCE_TIMEZONE), in which Confluence reads CQL dates; nil when
	// not set (the crawl then allows for any zone).
	ConfluenceZone *time.Location

	DataDir  string
	ReadOnly bool
	Embed    embed.Config

	// HTTPToken is the bearer token HTTP MCP clients must send (optional).
	HTTPToken string
	LogLevel  slog.Level
}

// product is the connection settings of Confluence or Jira.
type product struct {
	Name    string // "confluence" or "jira", for messages
	Prefix  string // "CONFLUENCE" or "JIRA", for messages naming variables
	BaseURL string
	Client  atlassian.Options
}

// Configured reports whether a base URL was given.
func (p product) Configured() bool { return p.BaseURL != "" }

// NotConfigured explains how to configure the product.
func (p product) NotConfigured() error {
	return fmt.Errorf("%s is not configured: set %s_BASE_URL and either %s_PERSONAL_TOKEN or %s_USERNAME and %s_API_TOKEN", p.Name, p.Prefix, p.Prefix, p.Prefix, p.Prefix)
}

// loadConfig reads the configuration from getenv, after filling variables
// that are not set from the dotenv file (if it exists).
func loadConfig(getenv func(string) string, dotenv string) (*config, error) {
	vars, err := readDotenv(dotenv)
	if err != nil {
		return nil, err
	}
	get := func(names ...string) string {
		for _, n := range names {
			if v := strings.TrimSpace(getenv(n)); v != "" {
				return v
			}
		}
		for _, n := range names {
			if v := strings.TrimSpace(vars[n]); v != "" {
				return v
			}
		}
		return ""
	}
	var errs []error
	boolean := func(name string, names ...string) bool {
		v := get(names...)
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want true or false", name, v))
		}
		return b
	}
	number := func(name string) float64 {
		v := get(name)
		if v == "" {
			return 0
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a non-negative number", name, v))
		}
		return f
	}
	cfg := &config{
		Spaces:    list(get("CONFLUENCE_SPACES", "CONFLUENCE_SPACES_FILTER")),
		Projects:  list(get("JIRA_PROJECTS", "JIRA_PROJECTS_FILTER")),
		DataDir:   get("ATLASBRIDGE_DATA_DIR"),
		ReadOnly:  boolean("ATLASBRIDGE_READ_ONLY", "ATLASBRIDGE_READ_ONLY", "READ_ONLY_MODE"),
		HTTPToken: get("ATLASBRIDGE_HTTP_TOKEN"),
		Embed: embed.Config{
			Kind:   get("ATLASBRIDGE_EMBEDDER"),
			Model:  get("ATLASBRIDGE_EMBED_MODEL"),
			URL:    get("ATLASBRIDGE_EMBED_URL"),
			APIKey: get("ATLASBRIDGE_EMBED_API_KEY"),
		},
	}
	if v := get("CONFLUENCE_TIMEZONE"); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CONFLUENCE_TIMEZONE=%q: want an IANA zone name such as Europe/Berlin: %w", v, err))
		}
		cfg.ConfluenceZone = loc
	}
	if cfg.Embed.Kind == "" {
		cfg.Embed.Kind = "builtin"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = defaultDataDir(getenv)
	}
	switch strings.ToLower(get("ATLASBRIDGE_LOG_LEVEL")) {
	case "debug":
		cfg.LogLevel = slog.LevelDebug
	case "warn", "warning":
		cfg.LogLevel = slog.LevelWarn
	case "error":
		cfg.LogLevel = slog.LevelError
	}
	rate := number("ATLASBRIDGE_RATE_LIMIT")
	conc := int(number("ATLASBRIDGE_MAX_CONCURRENT"))
	timeout := time.Duration(number("ATLASBRIDGE_TIMEOUT_SECONDS") * float64(time.Second))
	for _, p := range []struct {
		dst    *product
		name   string
		prefix string
	}{{&cfg.Confluence, "confluence", "CONFLUENCE"}, {&cfg.Jira, "jira", "JIRA"}} {
		pre := p.prefix + "_"
		*p.dst = product{
			Name:    p.name,
			Prefix:  p.prefix,
			BaseURL: get(pre+"BASE_URL", pre+"URL"),
			Client: atlassian.Options{
				Username:      get(pre + "USERNAME"),
				Password:      get(pre+"API_TOKEN", pre+"PASSWORD"),
				Token:         get(pre + "PERSONAL_TOKEN"),
				CAFile:        get(pre+"CA_FILE", "ATLASBRIDGE_CA_FILE"),
				RateLimit:     rate,
				MaxConcurrent: conc,
				Timeout:       timeout,
				UserAgent:     "atlasbridge/" + version,
			},
		}
		if rate == 0 {
			// Without a pace of the user's, keep to a conservative one
			// until the server announces its own (see DefaultAssumedRate).
			p.dst.Client.AssumedRate, p.dst.Client.AssumedBurst = atlassian.DefaultAssumedRate, atlassian.DefaultAssumedBurst
		}
		if v := get(pre + "SSL_VERIFY"); v != "" {
			verify, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%sSSL_VERIFY=%q: want true or false", pre, v))
			}
			p.dst.Client.Insecure = !verify
		}
		if p.dst.Client.Username != "" && p.dst.Client.Password == "" && p.dst.Client.Token == "" {
			errs = append(errs, fmt.Errorf("%sUSERNAME is set but neither %sAPI_TOKEN nor %sPERSONAL_TOKEN is", pre, pre, pre))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return cfg, nil
}

// logger returns the slog logger every command uses: text on w (stderr).
func (c *config) logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: c.LogLevel}))
}

// confluence builds the Confluence client, or returns nil when Confluence
// is not configured.
func (c *config) confluence(log *slog.Logger) (*atlassian.Confluence, error) {
	if !c.Confluence.Configured() {
		return nil, nil
	}
	opts := c.Confluence.Client
	opts.Logger = log
	return atlassian.NewConfluence(c.Confluence.BaseURL, opts)
}

// jira builds the Jira client, or returns nil when Jira is not configured.
func (c *config) jira(log *slog.Logger) (*atlassian.Jira, error) {
	if !c.Jira.Configured() {
		return nil, nil
	}
	opts := c.Jira.Client
	opts.Logger = log
	return atlassian.NewJira(c.Jira.BaseURL, opts)
}

func list(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
}

func defaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "atlasbridge")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "atlasbridge")
	}
	return filepath.Join(os.TempDir(), "atlasbridge")
}

// readDotenv reads KEY=VALUE lines (with optional "export ", quotes and
// comments). A missing file is not an error.
func readDotenv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, fmt.Errorf("%s:%d: want KEY=VALUE", path, n)
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && (val[0] == '"' && val[len(val)-1] == '"' || val[0] == '\'' && val[len(val)-1] == '\'') {
			val = val[1 : len(val)-1]
		} else if i := strings.Index(val, " #"); i >= 0 {
			val = strings.TrimSpace(val[:i])
		}
		vars[key] = val
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return vars, nil
}
