package mcp

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/retrieve"
)

// Options configure a Server. Only the clients that are set get tools.
type Options struct {
	// Confluence and Jira are the clients; a nil client means the product
	// is not configured and none of its tools is listed.
	Confluence *atlassian.Confluence
	Jira       *atlassian.Jira

	// Spaces and Projects are allow-lists (CONFLUENCE_SPACES,
	// JIRA_PROJECTS): when set, tools touch nothing outside them.
	Spaces   []string
	Projects []string

	// ReadOnly drops every write tool.
	ReadOnly bool
	// Tools, when set, keeps only these tools; a product name
	// ("confluence", "jira") stands for all of its tools. ExcludeTools
	// drops tools (or products) from what is left.
	Tools        []string
	ExcludeTools []string

	// Searcher is the local index and the live fallback behind
	// semantic_search, find_similar_issues and index_status (optional:
	// without it those tools are not listed). Its Live allow-lists must
	// be Spaces and Projects.
	Searcher *retrieve.Searcher

	// Version is reported to clients as the server version.
	Version string
	// Logger receives one debug line per tool call; nil discards.
	Logger *slog.Logger
}

// Server is the MCP server: the enabled tools over the configured clients.
type Server struct {
	conf     *atlassian.Confluence
	jira     *atlassian.Jira
	spaces   allowList
	projects allowList
	search   *retrieve.Searcher
	log      *slog.Logger

	jiraFields fieldCache // Jira's field list, read on first need
	tools      []tool
	refusals   map[string]string // why each tool of the catalog that is not listed is not
	mcp        *server.MCPServer
}

// tool is one tool definition with its handler and what it touches.
type tool struct {
	def     mcpgo.Tool
	handler server.ToolHandlerFunc
	product string // "confluence" or "jira"
	write   bool
	err     error // a definition that could not be built (a bug)
}

const instructions = "Tools for a self-hosted Confluence and Jira. Results are compact JSON; " +
	"page and issue bodies are markdown, cut at max_chars (continue with offset=next_offset). " +
	"Lists say total and next_start/next_start_at when more remain; search results are tables (columns, then one row per hit)."

// New builds a server with the tools that the options enable. It fails when
// no product is configured, or when Tools/ExcludeTools name an unknown tool
// or ask for one that cannot be served.
func New(opts Options) (*Server, error) {
	if opts.Confluence == nil && opts.Jira == nil && opts.Searcher == nil {
		return nil, errors.New("mcp: nothing to serve: set CONFLUENCE_BASE_URL or JIRA_BASE_URL")
	}
	s := &Server{
		conf:     opts.Confluence,
		jira:     opts.Jira,
		spaces:   newAllowList(opts.Spaces, "CONFLUENCE_SPACES"),
		projects: newAllowList(opts.Projects, "JIRA_PROJECTS"),
		search:   opts.Searcher,
		log:      opts.Logger,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	all := s.catalog()
	for _, t := range all {
		if t.err != nil {
			return nil, t.err
		}
	}
	tools, refusals, err := s.selectTools(all, opts)
	if err != nil {
		return nil, err
	}
	s.tools, s.refusals = tools, refusals
	hooks := &server.Hooks{}
	hooks.AddBeforeCallTool(s.redirectUnavailable)
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	s.mcp = server.NewMCPServer("atlasbridge", version,
		server.WithToolCapabilities(false),
		server.WithRecovery(),
		server.WithToolHandlerMiddleware(s.logCalls),
		server.WithInstructions(instructions),
		server.WithHooks(hooks),
		server.WithToolFilter(hideUnavailable),
	)
	st := make([]server.ServerTool, 0, len(tools)+1)
	for _, t := range tools {
		st = append(st, server.ServerTool{Tool: t.def, Handler: t.handler})
	}
	st = append(st, server.ServerTool{Tool: mcpgo.NewTool(unavailableTool), Handler: s.refuseUnavailable})
	s.mcp.AddTools(st...)
	return s, nil
}

// catalog returns every tool this package knows, in listing order.
func (s *Server) catalog() []tool {
	return []tool{
		s.confluenceGetSpaces(),
		s.confluenceGetPage(),
		s.confluenceSearchPages(),
		s.confluenceGetPageChildren(),
		s.confluenceGetPageAncestors(),
		s.confluenceGetComments(),
		s.confluenceGetLabels(),
		s.confluenceGetAttachments(),
		s.confluenceCreatePage(),
		s.confluenceUpdatePage(),
		s.confluenceAddComment(),
		s.confluenceAddLabel(),
		s.jiraGetIssue(),
		s.jiraSearchIssues(),
		s.jiraGetComments(),
		s.jiraGetTransitions(),
		s.jiraGetProjects(),
		s.jiraGetCreateFields(),
		s.jiraGetWorklogs(),
		s.jiraCreateIssue(),
		s.jiraUpdateIssue(),
		s.jiraAddComment(),
		s.jiraTransitionIssue(),
		s.jiraAddWorklog(),
		s.semanticSearch(),
		s.findSimilarIssues(),
		s.indexStatus(),
	}
}

// selectTools applies configuration, read-only and the tool lists. It
// returns the tools to serve and, for each of the others, why it is left
// out, as the model should read it when it calls one anyway.
func (s *Server) selectTools(all []tool, opts Options) ([]tool, map[string]string, error) {
	names := make([]string, 0, len(all))
	var products []string
	for _, t := range all {
		names = append(names, t.def.Name)
		if !slices.Contains(products, t.product) {
			products = append(products, t.product)
		}
	}
	matches := func(sel string, t tool) bool { return sel == t.def.Name || sel == t.product }
	check := func(flag string, sels []string) ([]string, error) {
		var out []string
		for _, sel := range sels {
			sel = strings.ToLower(strings.TrimSpace(sel))
			if sel == "" {
				continue
			}
			if !slices.Contains(products, sel) && !slices.Contains(names, sel) {
				return nil, fmt.Errorf("mcp: %s: unknown tool %q; valid: %s, %s", flag, sel, strings.Join(products, ", "), strings.Join(names, ", "))
			}
			out = append(out, sel)
		}
		return out, nil
	}
	only, err := check("--tools", opts.Tools)
	if err != nil {
		return nil, nil, err
	}
	exclude, err := check("--exclude-tools", opts.ExcludeTools)
	if err != nil {
		return nil, nil, err
	}
	// A tool asked for by name must be servable: say why it is not.
	for _, sel := range only {
		for _, t := range all {
			if !matches(sel, t) {
				continue
			}
			if !s.configured(t.product) {
				return nil, nil, fmt.Errorf("mcp: --tools %s: %s", sel, notConfigured(t.product))
			}
			if t.write && opts.ReadOnly && sel == t.def.Name {
				return nil, nil, fmt.Errorf("mcp: --tools %s: it writes, and the server is read-only (--read-only or ATLASBRIDGE_READ_ONLY)", sel)
			}
		}
	}
	var out []tool
	refusals := map[string]string{}
	for _, t := range all {
		var why string
		switch {
		case !s.configured(t.product):
			why = notConfigured(t.product)
		case t.write && opts.ReadOnly:
			why = "the server runs read-only (--read-only or ATLASBRIDGE_READ_ONLY), so no tool can write"
		case len(only) > 0 && !slices.ContainsFunc(only, func(sel string) bool { return matches(sel, t) }):
			why = "the server was started with --tools " + strings.Join(only, ",") + ", which leaves it out"
		case slices.ContainsFunc(exclude, func(sel string) bool { return matches(sel, t) }):
			why = "the server was started with --exclude-tools " + strings.Join(exclude, ",")
		default:
			out = append(out, t)
			continue
		}
		refusals[t.def.Name] = why
	}
	if len(out) == 0 {
		return nil, nil, errors.New("mcp: no tool left to serve: check --tools, --exclude-tools and --read-only")
	}
	return out, refusals, nil
}

// configured reports whether the service a product's tools need is there:
// the Confluence or Jira client, or for "index" (the semantic search tools
// to come) the Searcher.
func (s *Server) configured(product string) bool {
	switch product {
	case "confluence":
		return s.conf != nil
	case "jira":
		return s.jira != nil
	case "index":
		return s.search != nil
	}
	return false
}

func notConfigured(product string) string {
	if product == "index" {
		return "the local index is not available: run atlasbridge sync first"
	}
	return fmt.Sprintf("%s is not configured: set %s_BASE_URL", productName(product), strings.ToUpper(product))
}

// logCalls logs each tool call (name, time, outcome) at debug level; never
// its arguments or result, which may hold page content.
func (s *Server) logCalls(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		start := time.Now()
		res, err := next(ctx, req)
		name := req.Params.Name
		if name == unavailableTool {
			name = requestedTool(req)
		}
		attrs := []any{"tool", name, "took", time.Since(start).Round(time.Microsecond)}
		switch {
		case err != nil:
			s.log.Error("tool call failed", append(attrs, "err", err)...)
		case res != nil && res.IsError:
			s.log.Debug("tool call refused", attrs...)
		default:
			s.log.Debug("tool call", attrs...)
		}
		return res, err
	}
}

// MCPServer returns the underlying mcp-go server (for tests and custom
// transports).
func (s *Server) MCPServer() *server.MCPServer { return s.mcp }

// Tools returns the definitions of the enabled tools, in listing order.
func (s *Server) Tools() []mcpgo.Tool {
	out := make([]mcpgo.Tool, len(s.tools))
	for i, t := range s.tools {
		out[i] = t.def
	}
	return out
}

// ServeStdio serves one client over in and out (newline-delimited
// JSON-RPC) until in ends or ctx is cancelled. Nothing but protocol
// messages is written to out.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	st := server.NewStdioServer(s.mcp)
	st.SetErrorLogger(slog.NewLogLogger(s.log.Handler(), slog.LevelError))
	err := st.Listen(ctx, in, out)
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
		return nil
	}
	return fmt.Errorf("mcp: stdio: %w", err)
}

// HTTPHandler returns the streamable HTTP transport, mounted at /mcp. When
// token is not empty every request must carry "Authorization: Bearer
// token". Both protocol generations are served on the same endpoint:
// initialize (2025-11-25 and earlier) and server/discover (2026-07-28).
func (s *Server) HTTPHandler(token string) http.Handler {
	h := server.NewStreamableHTTPServer(s.mcp,
		server.WithEndpointPath("/mcp"),
		server.WithStreamableHTTPLogger(s.log),
	)
	mux := http.NewServeMux()
	mux.Handle("/mcp", requireToken(token, limitBody(MaxRequestBytes, h)))
	return mux
}

// MaxRequestBytes bounds the body of one HTTP request: tool arguments are
// small, and the library reads a whole body into memory.
const MaxRequestBytes = 4 << 20

// limitBody answers 413 to a request whose body exceeds max bytes, reading
// at most max+1 of it.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			http.Error(w, fmt.Sprintf("request body over %d bytes", max), http.StatusRequestEntityTooLarge)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
			if err != nil {
				http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
				return
			}
			if int64(len(body)) > max {
				http.Error(w, fmt.Sprintf("request body over %d bytes", max), http.StatusRequestEntityTooLarge)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// requireToken refuses requests without the bearer token (when one is set).
func requireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="atlasbridge"`)
			http.Error(w, "missing or wrong bearer token: send Authorization: Bearer <ATLASBRIDGE_HTTP_TOKEN>", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
