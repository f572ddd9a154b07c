// One MCP session through a URL with the official SDK client: initialize, tools/list, tools/call echo.
//   node mcp-call.mjs http://127.0.0.1:8080/mcp
// Exits 0 when echo answers with the message it was sent; prints what went wrong otherwise.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const url = process.argv[2];
const message = `hello from mcp-call ${process.pid}`;
const client = new Client({ name: 'mcp-trace-proxy-ci', version: '1.0.0' });
const timer = setTimeout(() => {
  console.error('mcp-call: timed out after 20s');
  process.exit(1);
}, 20_000);
try {
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const { tools } = await client.listTools();
  if (!tools.some((t) => t.name === 'echo')) throw new Error(`no echo tool in tools/list (${tools.map((t) => t.name).join(', ')})`);
  const result = await client.callTool({ name: 'echo', arguments: { message } });
  const text = (result.content ?? []).map((c) => c.text ?? '').join('');
  if (result.isError || !text.includes(message)) throw new Error(`unexpected echo result: ${JSON.stringify(result)}`);
  console.log(`mcp-call: echo ok (${text})`);
  await client.close();
  clearTimeout(timer);
  process.exit(0);
} catch (err) {
  console.error(`mcp-call: ${err?.stack ?? err}`);
  process.exit(1);
}
