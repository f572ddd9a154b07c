// The names users build dashboards and queries on, pinned as literal strings. Renaming a key in
// src/tracing/semconv.ts must break this test: it breaks every dashboard built on the old name.
import * as semconv from '../../src/tracing/semconv';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { TracedProxy, startProxy } from '../helpers/proxy';

const SPAN_ATTRIBUTES = [
  'mcp.method.name', 'mcp.session.id', 'mcp.protocol.version', 'mcp.resource.uri', 'mcp.result.type',
  'gen_ai.tool.name', 'gen_ai.prompt.name', 'gen_ai.operation.name', 'gen_ai.tool.call.arguments', 'gen_ai.tool.call.result',
  'jsonrpc.request.id', 'rpc.response.status_code', 'error.type',
  'network.transport', 'network.protocol.name', 'network.protocol.version', 'server.address', 'server.port', 'client.address', 'client.port',
  'mcp_trace_proxy.outcome', 'mcp_trace_proxy.notifications', 'mcp.request.round', 'mcp.request.state_hash',
  'openinference.span.kind', 'session.id', 'tool.name', 'input.value', 'input.mime_type', 'output.value', 'output.mime_type',
  'mcp.client.name', 'mcp.client.version', 'tenant.id', 'enduser.id', 'mcp_trace_proxy.sampling.kept',
  'mcp_trace_proxy.request.arguments.size', 'mcp_trace_proxy.response.result.size',
  'mcp_trace_proxy.response.result.tokens', 'mcp_trace_proxy.tokenizer.name', 'mcp_trace_proxy.tokenizer.encoding',
];
const EVENTS = ['mcp.progress', 'mcp.log_message', 'mcp.cancelled', 'mcp.notification'];
const EVENT_ATTRIBUTES = ['mcp.progress.value', 'mcp.progress.total', 'mcp.log.level', 'mcp.cancel.reason', 'mcp.method.name'];
const METRICS = [
  'mcp.server.operation.duration', 'mcp.client.operation.duration', 'mcp.server.session.duration',
  'mcp_trace_proxy.http.requests', 'mcp_trace_proxy.messages', 'mcp_trace_proxy.bodies.unparsed', 'mcp_trace_proxy.bodies.oversized',
  'mcp_trace_proxy.upstream.errors', 'mcp_trace_proxy.streams.open', 'mcp_trace_proxy.sessions.active', 'mcp_trace_proxy.pending.dropped',
  'mcp_trace_proxy.span_export.failures', 'mcp_trace_proxy.spans.kept', 'mcp_trace_proxy.spans.keep_buffer_dropped',
  'mcp_trace_proxy.notifications.unrouted', 'mcp_trace_proxy.record.dropped',
  'mcp_trace_proxy.request.arguments.size', 'mcp_trace_proxy.response.result.size', 'mcp_trace_proxy.response.result.tokens',
];
const METRIC_ATTRIBUTES = ['mcp_trace_proxy.direction', 'reason'];
const VALUES = ['execute_tool', 'tool_error', 'TOOL', 'LLM', 'RETRIEVER', 'CHAIN', 'application/json', 'error', 'slow', 'incomplete'];
/** The 2026-07-28 `_meta` keys read: the client's name, and the subscription a notification belongs to. */
const META_KEYS = ['io.modelcontextprotocol/clientInfo', 'io.modelcontextprotocol/subscriptionId'];

test('semconv.ts defines exactly the pinned names and values', () => {
  const defined = (Object.values(semconv) as unknown[]).filter((v): v is string => typeof v === 'string').sort();
  const pinned = [...new Set([...SPAN_ATTRIBUTES, ...EVENTS, ...EVENT_ATTRIBUTES, ...METRICS, ...METRIC_ATTRIBUTES, ...VALUES, ...META_KEYS])].sort();
  expect(defined).toEqual(pinned);
  expect(semconv.DURATION_BUCKETS_S).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);
  expect(semconv.SIZE_BUCKETS_BY).toEqual([64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216]);
  expect(semconv.TOKEN_BUCKETS).toEqual([16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576]);
});

describe('a real session emits only pinned names', () => {
  let server: TestServer;
  let px: TracedProxy;
  beforeAll(async () => {
    server = await startTestServer();
    px = await startProxy(server.url, { captureArguments: true, captureResults: true });
  });
  afterAll(async () => {
    await px.close();
    await server.close();
  });

  test('span names, attribute keys, event names and metric names', async () => {
    const c = await connectClient(px.url);
    await c.client.listTools();
    await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await c.client.callTool({ name: 'fail', arguments: {} });
    await c.client.callTool({ name: 'progress', arguments: { steps: 2 } }, undefined, { onprogress: () => {} });
    await c.client.getPrompt({ name: 'greet', arguments: { name: 'x' } });
    await c.client.readResource({ uri: 'test://info' });
    await c.close();
    await px.span('resources/read');
    const spans = px.spans();
    expect(new Set(spans.map((s) => s.name))).toEqual(new Set([
      'initialize', 'notifications/initialized', 'tools/list', 'tools/call add', 'tools/call fail', 'tools/call progress', 'prompts/get greet', 'resources/read',
    ]));
    for (const key of spans.flatMap((s) => Object.keys(s.attributes))) expect(SPAN_ATTRIBUTES).toContain(key);
    for (const e of spans.flatMap((s) => s.events)) {
      expect(EVENTS).toContain(e.name);
      for (const key of Object.keys(e.attributes ?? {})) expect(EVENT_ATTRIBUTES).toContain(key);
    }
    const text = await (await fetch(`${px.proxy.adminUrl}/metrics`)).text();
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    // Prometheus spells `.` as `_`, and adds _total to counters and the unit to histograms.
    const prom = METRICS.map((n) => n.replace(/\./g, '_'));
    // target_info is the exporter's own: the resource (service.name and the rest) as labels.
    for (const f of families) expect({ f, pinned: f === 'target_info' || prom.some((p) => f === p || f === `${p}_total` || f === `${p}_seconds`) }).toEqual({ f, pinned: true });
    expect(families).toEqual(expect.arrayContaining(['mcp_server_operation_duration', 'mcp_trace_proxy_pending_dropped_total', 'mcp_trace_proxy_messages_total']));
  });
});
