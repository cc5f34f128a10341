package mcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	// Toolsets adds groups of rarely used tools (see Toolsets), or all of
	// them with "all".
	Toolsets []string

	// Searcher is the local index and the live fallback behind
	// semantic_search, find_similar_issues and index_status (optional:
	// without it those tools are not listed). Its Live allow-lists must
	// be Spaces and Projects.
	Searcher *retrieve.Searcher

	// RequireCallerCredentials refuses every tool call whose request
	// brings no credentials of its caller (atlassian.WithCaller; over HTTP
	// the X-Atlassian-* headers): the configured account then only syncs.
	RequireCallerCredentials bool

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

	requireCaller bool
	names         callerNames // who each caller's token belongs to, for the audit log

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
	// toolset, when set, names the group of rarely used tools the tool is
	// in: served only when --toolsets adds the group (or --tools names
	// the tool), so that every model does not pay for it on every turn.
	toolset string
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

		requireCaller: opts.RequireCallerCredentials,
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
		inToolset("confluence_users", s.confluenceSearchUsers()),
		inToolset("confluence_history", s.confluenceGetPageHistory()),
		s.confluenceGetAttachment(),
		s.confluenceCreatePage(),
		s.confluenceUpdatePage(),
		s.confluenceAddComment(),
		s.confluenceAddLabel(),
		inToolset("confluence_admin", s.confluenceMovePage()),
		inToolset("confluence_admin", s.confluenceDeletePage()),
		inToolset("confluence_attachments", s.confluenceAddAttachment()),
		s.jiraGetIssue(),
		s.jiraSearchIssues(),
		s.jiraGetComments(),
		s.jiraGetTransitions(),
		s.jiraGetProjects(),
		s.jiraSearchUsers(),
		s.jiraGetVersions(),
		inToolset("jira_admin", s.jiraGetComponents()),
		s.jiraSearchFields(),
		s.jiraGetBoards(),
		s.jiraGetSprints(),
		s.jiraGetSprintIssues(),
		inToolset("jira_links", s.jiraGetLinkTypes()),
		inToolset("jira_links", s.jiraGetRemoteLinks()),
		s.jiraGetCreateFields(),
		s.jiraGetWorklogs(),
		s.jiraCreateIssue(),
		s.jiraUpdateIssue(),
		s.jiraAddComment(),
		s.jiraEditComment(),
		s.jiraTransitionIssue(),
		s.jiraAddWorklog(),
		s.jiraGetAttachment(),
		inToolset("jira_attachments", s.jiraAddAttachment()),
		inToolset("jira_agile", s.jiraMoveToSprint()),
		inToolset("jira_agile", s.jiraCreateSprint()),
		inToolset("jira_agile", s.jiraUpdateSprint()),
		inToolset("jira_links", s.jiraLinkIssues()),
		inToolset("jira_links", s.jiraRemoveLink()),
		inToolset("jira_links", s.jiraAddRemoteLink()),
		inToolset("jira_admin", s.jiraDeleteIssue()),
		inToolset("jira_admin", s.jiraCreateVersion()),
		s.semanticSearch(),
		s.findSimilarIssues(),
		s.indexStatus(),
	}
}

// inToolset puts t in the group of rarely used tools named set.
func inToolset(set string, t tool) tool {
	t.toolset = set
	return t
}

// Toolsets names the groups of rarely used tools that Options.Toolsets
// (serve --toolsets) can add, in catalogue order.
func Toolsets() []string {
	var out []string
	for _, t := range (&Server{}).catalog() {
		if t.toolset != "" && !slices.Contains(out, t.toolset) {
			out = append(out, t.toolset)
		}
	}
	return out
}

// checkToolsets refuses an unknown toolset name, suggesting the near one.
func checkToolsets(sets []string) (map[string]bool, error) {
	known := Toolsets()
	on := map[string]bool{}
	for _, set := range sets {
		set = strings.ToLower(strings.TrimSpace(set))
		switch {
		case set == "":
		case set == "all":
			for _, k := range known {
				on[k] = true
			}
		case slices.Contains(known, set):
			on[set] = true
		default:
			if near := nearestName(set, known); near != "" {
				return nil, fmt.Errorf("mcp: --toolsets: unknown toolset %q; did you mean %s?", quoteInput(set), near)
			}
			return nil, fmt.Errorf("mcp: --toolsets: unknown toolset %q; valid: all, %s", quoteInput(set), strings.Join(known, ", "))
		}
	}
	return on, nil
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
				if near := nearestName(sel, append(slices.Clip(products), names...)); near != "" {
					return nil, fmt.Errorf("mcp: %s: unknown tool %q; did you mean %s?", flag, quoteInput(sel), near)
				}
				return nil, fmt.Errorf("mcp: %s: unknown tool %q; valid: %s, %s", flag, quoteInput(sel), strings.Join(products, ", "), strings.Join(names, ", "))
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
	sets, err := checkToolsets(opts.Toolsets)
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
		case t.toolset != "" && !sets[t.toolset] && !slices.Contains(only, t.def.Name):
			why = fmt.Sprintf("it is in the %s toolset, which the server was not started with: serve --toolsets %s adds it", t.toolset, t.toolset)
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

// logCalls refuses a call without the caller's credentials when they are
// required, and logs each call (who, tool, time, outcome) as the audit
// trail; never its arguments or result, which may hold secrets or page
// content.
func (s *Server) logCalls(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		start := time.Now()
		_, isCaller := atlassian.CallerFrom(ctx)
		var (
			res *mcpgo.CallToolResult
			err error
		)
		if s.requireCaller && !isCaller {
			res = mcpgo.NewToolResultError("this server serves each user with their own Atlassian credentials, and the request brought none: " +
				"configure the MCP client to send X-Atlassian-Confluence-Personal-Token and X-Atlassian-Jira-Personal-Token")
		} else {
			res, err = next(ctx, req)
		}
		name := req.Params.Name
		if name == unavailableTool {
			name = requestedTool(req)
		}
		outcome := "ok"
		switch {
		case err != nil:
			outcome = "failed"
		case res != nil && res.IsError:
			outcome = "refused"
		}
		attrs := []any{"user", s.names.of(ctx, s.conf, s.jira), "tool", name, "took", time.Since(start).Round(time.Microsecond), "outcome", outcome}
		if err != nil {
			s.log.Error("tool call", append(attrs, "err", err)...)
		} else {
			s.log.Info("tool call", attrs...)
		}
		return res, err
	}
}

// MCPServer returns the underlying mcp-go server (for tests and custom
// transports).
func (s *Server) MCPServer() *server.MCPServer { return s.mcp }

// Catalog returns the definition of every tool the package knows, in
// listing order, whatever is configured: what --tools may name.
func Catalog() []mcpgo.Tool {
	all := (&Server{}).catalog()
	out := make([]mcpgo.Tool, len(all))
	for i, t := range all {
		out[i] = t.def
	}
	return out
}

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
