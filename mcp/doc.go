// Package mcp is atlasbridge's Model Context Protocol server: the Confluence
// and Jira tools an AI assistant calls, served over stdio or streamable HTTP.
//
// It is thin: each tool parses its arguments, calls one of the atlassian
// clients, and shapes a compact JSON answer with markdown bodies (package
// markup). Errors the model can act on come back as tool results with
// isError set; the server never crashes on bad input. Which tools exist is
// data (product, read or write), filtered by configuration, --read-only and
// --tools/--exclude-tools, and every definition is snapshotted under
// testdata/toolsnaps so that a change to what the model sees is a reviewed
// diff. README.md says how to add a tool.
package mcp
