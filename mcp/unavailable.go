package mcp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// A call to a tool that is not listed (a typo, or a tool left out by
// --read-only, --tools, --exclude-tools or a product that is not
// configured) gets a tool result with isError set that says what to do,
// rather than mcp-go's JSON-RPC "tool not found", which models tend to
// read as a broken server.
//
// mcp-go v1.2.1 resolves the name in handleToolCall (server/server.go)
// before any middleware runs, and answers an unknown name with a request
// error. Its before-call-tool hook, though, receives the request by
// pointer just before that lookup (server/request_handler.go, case
// MethodToolsCall): redirectUnavailable renames such a call to one hidden
// tool, whose handler answers with the refusal. hideUnavailable keeps that
// tool out of tools/list; the library passes a tool filter only the
// requested tool at call time and the whole candidate list when listing
// (its WithToolFilter documentation), so the hidden tool stays callable.

// unavailableTool is the name of the hidden tool; it cannot collide with a
// tool of the catalog, whose names are product_verb_noun.
const unavailableTool = "_atlasbridge_unavailable"

// requestedArg is the argument of the hidden tool that carries the name
// the model asked for.
const requestedArg = "tool"

// redirectUnavailable is the before-call-tool hook: a call to a name that
// is not registered (or to the hidden tool itself) goes to the hidden
// tool, with that name as its argument.
func (s *Server) redirectUnavailable(_ context.Context, _ any, req *mcpgo.CallToolRequest) {
	if req == nil || req.Params.Name != unavailableTool && s.mcp.GetTool(req.Params.Name) != nil {
		return
	}
	req.Params.Arguments = map[string]any{requestedArg: req.Params.Name}
	req.Params.RawArguments = nil
	req.Params.Name = unavailableTool
}

// hideUnavailable is the tool filter that keeps the hidden tool out of
// every listing. A filter that gets the hidden tool alone is checking a
// call (tools/call passes only the requested tool), which it lets through.
func hideUnavailable(_ context.Context, tools []mcpgo.Tool) []mcpgo.Tool {
	if len(tools) == 1 {
		return tools
	}
	return slices.DeleteFunc(tools, func(t mcpgo.Tool) bool { return t.Name == unavailableTool })
}

// requestedTool is the name a redirected call asked for, cut to a length
// fit for a message or a log line.
func requestedTool(req mcpgo.CallToolRequest) string {
	name, _ := req.GetArguments()[requestedArg].(string)
	return oneLine(name, 64)
}

// refuseUnavailable answers a call to a tool that is not listed.
func (s *Server) refuseUnavailable(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	return mcpgo.NewToolResultError(s.unavailableMessage(requestedTool(req))), nil
}

// unavailableMessage says why the tool name cannot be called and what to
// call instead.
func (s *Server) unavailableMessage(name string) string {
	if why, ok := s.refusals[name]; ok {
		return fmt.Sprintf("tool %s is not available: %s", name, why)
	}
	if name == "" {
		return "no tool name given; " + s.availableHint("")
	}
	msg := fmt.Sprintf("unknown tool %q", name)
	if near := s.nearestTool(name); near != "" {
		msg += fmt.Sprintf("; did you mean %s?", near)
	}
	return msg + "; " + s.availableHint(name)
}

// availableHint lists the tools that can be called: those of the product
// the name seems to be about when it names one, or all of them.
func (s *Server) availableHint(name string) string {
	prefix, _, _ := strings.Cut(strings.ToLower(name), "_")
	var same, all []string
	for _, t := range s.tools {
		all = append(all, t.def.Name)
		if strings.HasPrefix(t.def.Name, prefix+"_") {
			same = append(same, t.def.Name)
		}
	}
	if prefix != "" && len(same) > 0 {
		return fmt.Sprintf("%s tools available: %s", prefix, strings.Join(same, ", "))
	}
	return "available: " + strings.Join(all, ", ")
}

// nearestTool is the listed tool whose name is closest to name, when one
// is close enough to be the one meant (a typo, a wrong case, a missing
// product prefix).
func (s *Server) nearestTool(name string) string {
	names := make([]string, len(s.tools))
	for i, t := range s.tools {
		names[i] = t.def.Name
	}
	return nearestName(name, names)
}

// nearestName is the name of names closest to name, when one is close
// enough to be the one meant, or "".
func nearestName(name string, names []string) string {
	lower := strings.ToLower(name)
	best, bestDist := "", max(2, len(name)/5)+1
	for _, n := range names {
		if n == lower || strings.HasSuffix(n, "_"+lower) {
			return n
		}
		if d := editDistance(lower, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes: tool
// names are ASCII), bounded in work by the length of tool names.
func editDistance(a, b string) int {
	if len(a) > 128 || len(b) > 128 {
		return max(len(a), len(b))
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
