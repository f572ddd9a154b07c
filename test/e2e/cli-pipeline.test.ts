// The pipeline's flags through the real CLI, in front of the SDK test server.
import { connectClient } from '../helpers/mcp-client';
import { HEADERS, flagFixture, stop } from '../helpers/flags';
import { parsePrometheus } from '../helpers/prometheus';

const fx = flagFixture();

/** Calls add, echo_meta and fail, and returns what echo_meta saw in its _meta. */
async function threeTools(url: string): Promise<Record<string, unknown> | null> {
  const c = await connectClient(url);
  await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
  const r = await c.client.callTool({ name: 'echo_meta', arguments: {} });
  await c.client.callTool({ name: 'fail', arguments: {} });
  await c.close();
  return (JSON.parse((r.content as { text: string }[])[0].text) as { meta: Record<string, unknown> | null }).meta;
}

async function toolLabels(admin: string): Promise<string[]> {
  const samples = parsePrometheus(await (await fetch(`${admin}/metrics`)).text());
  return [...new Set(samples.filter((s) => s.name === 'mcp_server_operation_duration_count' && s.labels.gen_ai_tool_name).map((s) => s.labels.gen_ai_tool_name))].sort();
}

test('--metric-max-tools 2: the first two tool names are labels, the third is _OTHER (the client never listed tools)', async () => {
  const { proc, url, admin } = await fx.start([...fx.base(), '--metric-max-tools', '2']);
  await threeTools(url);
  expect(await toolLabels(admin)).toEqual(['_OTHER', 'add', 'echo_meta']);
  await stop(proc);
});

test('MCP_TRACE_PROXY_METRIC_MAX_TOOLS=1, and --inject-meta never: only the headers carry the context', async () => {
  const { proc, url, admin } = await fx.start([...fx.base(), '--inject-meta', 'never'], { MCP_TRACE_PROXY_METRIC_MAX_TOOLS: '1' });
  const meta = await threeTools(url);
  expect(meta?.traceparent).toBeUndefined();
  expect(await toolLabels(admin)).toEqual(['_OTHER', 'add']);
  await stop(proc);
});

test('MCP_TRACE_PROXY_INJECT_META=always creates _meta even on a sessionless request; auto does not', async () => {
  const body = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}';
  for (const [mode, created] of [['always', true], ['auto', false]] as const) {
    const { proc, url } = await fx.start(fx.base(), { MCP_TRACE_PROXY_INJECT_META: mode });
    await (await fetch(url, { method: 'POST', headers: HEADERS, body })).text();
    const got = JSON.parse(fx.server().received.at(-1)!.body.toString()) as { params: { _meta?: { traceparent?: string } } };
    expect(got.params._meta?.traceparent !== undefined).toBe(created);
    await stop(proc);
  }
});
