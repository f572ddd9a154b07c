-- wrk script: one small MCP tools/call JSON-RPC request per request, as a Streamable HTTP client sends it.
-- No mcp-session-id: every request is its own correlation scope, so a constant id never collides.
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
