// Drives atlasbridge serve with the official MCP TypeScript SDK client, as
// Claude Desktop, Cursor, VS Code and the Inspector do (protocol 2025-11-25,
// initialize). Usage:
//   node client.mjs stdio BINARY          (environment passed on to serve)
//   node client.mjs http URL TOKEN
// Prints one JSON object: what the Go test checks.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [mode, target, token] = process.argv.slice(2);
let transport;
if (mode === "stdio") {
  transport = new StdioClientTransport({ command: target, args: ["serve"], env: process.env, stderr: "inherit" });
} else if (mode === "http") {
  transport = new StreamableHTTPClientTransport(new URL(target), {
    requestInit: { headers: token ? { Authorization: `Bearer ${token}` } : {} },
  });
} else {
  console.error("usage: node client.mjs stdio BINARY | http URL TOKEN");
  process.exit(2);
}

let negotiated = "";
const setVersion = transport.setProtocolVersion?.bind(transport);
transport.setProtocolVersion = (v) => {
  negotiated = v;
  setVersion?.(v);
};

const out = {};
const client = new Client({ name: "ts-interop", version: "1" });
try {
  await client.connect(transport);
  out.protocol = negotiated;
  out.server = client.getServerVersion()?.name;
  const { tools } = await client.listTools();
  out.tools = tools.map((t) => ({ name: t.name, annotations: t.annotations ?? null }));
  const issue = await client.callTool({ name: "jira_get_issue", arguments: { issue_key: "OPS-1" } });
  out.issue = { isError: !!issue.isError, text: issue.content?.[0]?.text ?? "" };
  const bad = await client.callTool({ name: "jira_search_issues", arguments: { jql: "project = OPS AND status = = Open" } });
  out.badJQL = { isError: !!bad.isError, text: bad.content?.[0]?.text ?? "" };
} catch (e) {
  out.error = String(e?.message ?? e);
} finally {
  await client.close().catch(() => {});
}
console.log(JSON.stringify(out));
