// What each call costs, end to end: the raw JSON bytes of a real call's arguments and result on its
// span (literal attribute names, exact counts), the per-tool histograms in Prometheus text on the
// admin port, and --estimate-tokens (and its variable) through the built CLI.
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { TracedProxy, startProxy } from '../helpers/proxy';
import { flagFixture, addCall } from '../helpers/flags';
import { listening, runCli } from '../helpers/cli';
import { parsePrometheus, sample } from '../helpers/prometheus';

jest.setTimeout(60_000);

// tools/call add {"a":2,"b":3}: the SDK sends the arguments as JSON.stringify writes them, and
// the test server answers {"content":[{"type":"text","text":"5"}]}.
const ARGS_BYTES = '{"a":2,"b":3}'.length; // 13
const RESULT_BYTES = '{"content":[{"type":"text","text":"5"}]}'.length; // 40

describe('sizes on spans and in histograms', () => {
  let server: TestServer;
  let px: TracedProxy;
  beforeAll(async () => {
    server = await startTestServer();
    px = await startProxy(server.url);
    const c = await connectClient(px.url);
    try {
      await c.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      await c.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      await c.client.listTools();
    } finally {
      await c.close();
    }
    await px.span('tools/list');
  });
  afterAll(async () => {
    await px?.close();
    await server?.close();
  });

  test('a tools/call span carries the exact bytes of its arguments and result, and no token figure without the flag', async () => {
    const s = await px.span('tools/call add');
    expect(s.attributes['mcp_trace_proxy.request.arguments.size']).toBe(13);
    expect(s.attributes['mcp_trace_proxy.response.result.size']).toBe(40);
    expect([ARGS_BYTES, RESULT_BYTES]).toEqual([13, 40]);
    expect(s.attributes['mcp_trace_proxy.response.result.tokens']).toBeUndefined();
    expect(s.attributes['mcp_trace_proxy.tokenizer.name']).toBeUndefined();
    // A request without arguments has no arguments size; its result still has a size.
    const list = await px.span('tools/list');
    expect(list.attributes['mcp_trace_proxy.request.arguments.size']).toBeUndefined();
    expect(list.attributes['mcp_trace_proxy.response.result.size']).toBeGreaterThan(100);
  });

  test('per tool histograms in bytes (# UNIT By) on /metrics, labelled as the operation histograms', async () => {
    const text = await (await fetch(`${px.proxy.adminUrl}/metrics`)).text();
    expect(text).toContain('# TYPE mcp_trace_proxy_response_result_size histogram');
    expect(text).toContain('# UNIT mcp_trace_proxy_response_result_size By');
    const samples = parsePrometheus(text);
    const labels = { mcp_method_name: 'tools/call', gen_ai_tool_name: 'add' };
    expect(sample(samples, 'mcp_trace_proxy_response_result_size_count', labels)).toBe(2);
    expect(sample(samples, 'mcp_trace_proxy_response_result_size_sum', labels)).toBe(80);
    expect(sample(samples, 'mcp_trace_proxy_request_arguments_size_sum', labels)).toBe(26);
    // 40 bytes falls in the first bucket (le 64).
    expect(sample(samples, 'mcp_trace_proxy_response_result_size_bucket', { ...labels, le: '64' })).toBe(2);
    expect(sample(samples, 'mcp_trace_proxy_response_result_size_count', { mcp_method_name: 'tools/list' })).toBe(1);
    // No token histogram without --estimate-tokens.
    expect(text).not.toContain('mcp_trace_proxy_response_result_tokens');
  });
});

describe('--estimate-tokens through the CLI', () => {
  const fx = flagFixture();

  const tokensOf = async (admin: string) => {
    const r = await fetch(`${admin}/api/operations?method=tools/call`);
    const { operations } = (await r.json()) as { operations: { attributes: Record<string, unknown> }[] };
    return operations[0]?.attributes;
  };

  test.each([
    ['--estimate-tokens', ['--estimate-tokens'], {}],
    ['MCP_TRACE_PROXY_ESTIMATE_TOKENS', [], { MCP_TRACE_PROXY_ESTIMATE_TOKENS: 'true' }],
  ])('%s: the result tokens with the tokenizer that counted them, on the span and in a histogram', async (_name, flags, env) => {
    // Started by hand for a longer startup wait: the encoding's ranks load before the proxy listens
    // (seconds on a busy machine), so no request ever waits for them.
    const proc = runCli([...fx.base(), ...flags], env);
    fx.procs.push(proc);
    const { url, admin } = await listening(proc, 45_000);
    await addCall(url, undefined, { a: 2, b: 3 });
    let attrs: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !attrs; i++) {
      attrs = await tokensOf(admin);
      if (!attrs) await new Promise((r) => setTimeout(r, 50));
    }
    // {"content":[{"type":"text","text":"5"}]} in o200k_base: counted by js-tiktoken for this test.
    expect(attrs).toMatchObject({
      'mcp_trace_proxy.response.result.size': 40,
      'mcp_trace_proxy.response.result.tokens': 13,
      'mcp_trace_proxy.tokenizer.name': 'js-tiktoken',
      'mcp_trace_proxy.tokenizer.encoding': 'o200k_base',
    });
    const samples = parsePrometheus(await (await fetch(`${admin}/metrics`)).text());
    expect(sample(samples, 'mcp_trace_proxy_response_result_tokens_sum', { gen_ai_tool_name: 'add' })).toBe(13);
  });

  test('without the flag: no token figure on the span, no token histogram', async () => {
    const { url, admin } = await fx.start(fx.base());
    await addCall(url, undefined, { a: 2, b: 3 });
    let attrs: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !attrs; i++) {
      attrs = await tokensOf(admin);
      if (!attrs) await new Promise((r) => setTimeout(r, 50));
    }
    expect(attrs?.['mcp_trace_proxy.response.result.size']).toBe(40);
    expect(attrs?.['mcp_trace_proxy.response.result.tokens']).toBeUndefined();
    expect(await (await fetch(`${admin}/metrics`)).text()).not.toContain('result_tokens');
  });
});
