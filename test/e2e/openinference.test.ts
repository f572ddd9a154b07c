// OpenInference attributes (Phoenix, Langfuse) on by default, beside the MCP ones; off with
// --no-openinference or MCP_TRACE_PROXY_OPENINFERENCE=false. The real CLI in front of the
// reference server, spans decoded by the OTLP receiver.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { listening, runCli as run } from '../helpers/cli';
import { Everything, startEverything } from '../helpers/everything';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver';

let everything: Everything;
let receiver: OtlpReceiver;
beforeAll(async () => {
  everything = await startEverything();
});
afterAll(() => everything?.close());
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(() => receiver.close());

const OI_KEYS = ['openinference.span.kind', 'session.id', 'tool.name', 'input.value', 'input.mime_type', 'output.value', 'output.mime_type'];

/** initialize, tools/list, tools/call echo, a sampling request (LLM), resources/read; then SIGTERM flushes. */
async function session(args: string[], env: Record<string, string> = {}): Promise<ReceivedSpan[]> {
  const p = run(['--upstream', everything.url, '--port', '0', '--admin-port', 'off', ...args], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env });
  try {
    const { url } = await listening(p);
    const client = new Client({ name: 'oi-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'sampled!' } }));
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    await client.listTools();
    await client.callTool({ name: 'echo', arguments: { message: 'hello', password: 'hunter2' } });
    await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 10 } });
    const { resources } = await client.listResources();
    await client.readResource({ uri: resources[0].uri });
    await client.close();
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  } finally {
    p.child.kill('SIGKILL');
  }
  return receiver.waitForSpans((s) => s.some((x) => x.name === 'resources/read'), 10_000);
}

const byName = (spans: ReceivedSpan[], name: string): ReceivedSpan => {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name} in ${spans.map((x) => x.name).join(', ')}`);
  return s;
};

test('on by default: span kinds, session.id equal to mcp.session.id, tool.name; no input/output without capture', async () => {
  const spans = await session([]);
  const echo = byName(spans, 'tools/call echo');
  expect(echo.attributes).toMatchObject({ 'openinference.span.kind': 'TOOL', 'tool.name': 'echo', 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo' });
  expect(byName(spans, 'sampling/createMessage').attributes['openinference.span.kind']).toBe('LLM');
  expect(byName(spans, 'resources/read').attributes['openinference.span.kind']).toBe('RETRIEVER');
  for (const name of ['initialize', 'tools/list', 'notifications/initialized']) expect(byName(spans, name).attributes['openinference.span.kind']).toBe('CHAIN');
  expect(byName(spans, 'tools/list').attributes['tool.name']).toBeUndefined();
  // Every span of the session, initialize included (its id comes from the response), is grouped by session.id.
  const sessionId = echo.attributes['mcp.session.id'];
  expect(sessionId).toEqual(expect.any(String));
  for (const s of spans.filter((x) => x.attributes['mcp.session.id'] !== undefined)) expect(s.attributes['session.id']).toBe(s.attributes['mcp.session.id']);
  expect(byName(spans, 'initialize').attributes['session.id']).toBe(sessionId);
  for (const k of ['input.value', 'input.mime_type', 'output.value', 'output.mime_type']) expect(echo.attributes[k]).toBeUndefined();
});

test('with --capture-arguments and --capture-results, the redacted values are also input.value and output.value', async () => {
  const spans = await session(['--capture-arguments', '--capture-results']);
  const echo = byName(spans, 'tools/call echo');
  expect(echo.attributes['input.value']).toBe(echo.attributes['gen_ai.tool.call.arguments']);
  expect(echo.attributes['output.value']).toBe(echo.attributes['gen_ai.tool.call.result']);
  expect(echo.attributes['input.mime_type']).toBe('application/json');
  expect(echo.attributes['output.mime_type']).toBe('application/json');
  expect(JSON.parse(String(echo.attributes['input.value']))).toMatchObject({ message: 'hello' });
  expect(String(echo.attributes['input.value'])).not.toContain('hunter2');
  expect(String(echo.attributes['output.value'])).toContain('hello');
});

test.each([
  ['--no-openinference', ['--no-openinference', '--capture-arguments'], {}],
  ['MCP_TRACE_PROXY_OPENINFERENCE=false', ['--capture-arguments'], { MCP_TRACE_PROXY_OPENINFERENCE: 'false' }],
])('%s: no OpenInference attribute on any span, the MCP ones unchanged', async (_label, args, env) => {
  const spans = await session(args, env);
  for (const s of spans) for (const k of OI_KEYS) expect(s.attributes[k]).toBeUndefined();
  const echo = byName(spans, 'tools/call echo');
  expect(echo.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo', 'mcp.session.id': expect.any(String) });
  expect(echo.attributes['gen_ai.tool.call.arguments']).toEqual(expect.any(String));
});
