package mcp

import (
	"context"
	"fmt"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// handlerFunc is a tool handler with typed, already-bound arguments. An
// error meant for the model is returned as a *toolError (argError,
// serverError, allowList.refuse): newTool's wrapper makes it a tool result
// with isError set.
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
			a, err := bind[T](spec, req)
			if err != nil {
				return toolResult(nil, err)
			}
			return toolResult(h(ctx, a))
		},
	}
}

// bind checks the raw arguments of a call against the tool's spec and
// decodes them into T.
// Not server.WithInputSchemaValidation: it refuses slips we forgive and lists no valid argument (TestLibraryInputValidation).
func bind[T any](spec argSpec, req mcpgo.CallToolRequest) (T, error) {
	var a T
	args, err := spec.normalize(req.Params.Arguments)
	if err != nil {
		return a, err
	}
	req.Params.Arguments, req.Params.RawArguments = args, nil
	if err := req.BindArguments(&a); err != nil {
		return a, argError("arguments: %v", err)
	}
	return a, nil
}

// bounded checks an optional count argument: 0 means def, and the value
// must lie in 1..max.
func bounded(name string, v, def, max int) (int, error) {
	if v == 0 {
		return def, nil
	}
	if v < 0 || v > max {
		return 0, argError("%s must be between 1 and %d, got %d", name, max, v)
	}
	return v, nil
}

// window checks the paging arguments of a list or a body: a count (as
// bounded does) and where to start, 0 or more.
func window(countName string, count, def, max int, startName string, start int) (int, error) {
	n, err := bounded(countName, count, def, max)
	if err == nil && start < 0 {
		err = argError("%s must be 0 or more, got %d", startName, start)
	}
	return n, err
}

// Limits of the list and body arguments.
const (
	defaultMaxChars = 20000
	maxMaxChars     = 200000
)
