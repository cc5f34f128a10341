package mcp

import (
	"context"
	"fmt"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// handlerFunc is a tool handler with typed, already-bound arguments.
type handlerFunc[T any] func(ctx context.Context, args T) (*mcpgo.CallToolResult, error)

// readTool defines a tool that only reads: read-only, idempotent.
func readTool[T any](product, name, title, description string, h handlerFunc[T]) tool {
	return newTool(product, name, title, description, false, false, true, h)
}

// writeTool defines a tool that changes Confluence or Jira. destructive
// says whether it can overwrite or remove what exists; idempotent whether
// repeating the same call changes nothing more.
func writeTool[T any](product, name, title, description string, destructive, idempotent bool, h handlerFunc[T]) tool {
	return newTool(product, name, title, description, true, destructive, idempotent, h)
}

func newTool[T any](product, name, title, description string, write, destructive, idempotent bool, h handlerFunc[T]) tool {
	def := mcpgo.NewTool(name,
		mcpgo.WithDescription(description),
		mcpgo.WithInputSchema[T](),
		mcpgo.WithTitleAnnotation(title),
		mcpgo.WithReadOnlyHintAnnotation(!write),
		mcpgo.WithDestructiveHintAnnotation(destructive),
		mcpgo.WithIdempotentHintAnnotation(idempotent),
		mcpgo.WithOpenWorldHintAnnotation(true),
	)
	spec, err := specOf(def.RawInputSchema)
	if err != nil {
		err = fmt.Errorf("mcp: %s: input schema: %w", name, err)
	}
	return tool{
		def:     def,
		product: product,
		write:   write,
		err:     err,
		handler: func(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
			args, problem := spec.normalize(req.Params.Arguments)
			if problem != "" {
				return mcpgo.NewToolResultError(problem), nil
			}
			req.Params.Arguments, req.Params.RawArguments = args, nil
			var a T
			if err := req.BindArguments(&a); err != nil {
				return userError("arguments: %v", err)
			}
			return h(ctx, a)
		},
	}
}

// bounded checks an optional count argument: 0 means def, and the value
// must lie in 1..max.
func bounded(name string, v, def, max int) (int, *mcpgo.CallToolResult) {
	if v == 0 {
		return def, nil
	}
	if v < 0 || v > max {
		r, _ := userError("%s must be between 1 and %d, got %d", name, max, v)
		return 0, r
	}
	return v, nil
}

// offsetArg checks an optional start/offset argument.
func offsetArg(name string, v int) *mcpgo.CallToolResult {
	if v < 0 {
		r, _ := userError("%s must be 0 or more, got %d", name, v)
		return r
	}
	return nil
}

// Limits of the list and body arguments.
const (
	defaultMaxChars = 20000
	maxMaxChars     = 200000
)
