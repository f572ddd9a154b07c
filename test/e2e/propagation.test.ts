// Trace context: extracted from _meta or headers, the proxy's own context injected into both,
// and the body otherwise reaching the upstream byte for byte.
import { SpanStatusCode } from '@opentelemetry/api';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { TracedProxy, startProxy } from '../helpers/proxy';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const CLIENT_TP = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;

let server: TestServer;
let px: TracedProxy;

afterEach(async () => {
  await px?.close();
  await server?.close();
});

function lastPost(s: TestServer) {
  const posts = s.received.filter((r) => r.method === 'POST');
  return posts[posts.length - 1];
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('with a session', () => {
  beforeEach(async () => {
    server = await startTestServer();
    px = await startProxy(server.url);
  });

  test("the upstream's _meta.traceparent continues the client's trace and names the proxy span as parent", async () => {
    const c = await connectClient(px.url, { headers: { traceparent: CLIENT_TP, tracestate: 'vendor=abc', baggage: 'tenant=acme' } });
    const res = await c.client.callTool({ name: 'echo_meta', arguments: {} });
    await c.close();
    const seen = JSON.parse((res.content as { text: string }[])[0].text) as { meta: Record<string, string>; headers: Record<string, string> };
    const span = await px.span('tools/call echo_meta');
    const own = span.spanContext();
    expect(own.traceId).toBe(CLIENT_TRACE);
    expect(span.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    const expected = `00-${CLIENT_TRACE}-${own.spanId}-01`;
    expect(seen.meta.traceparent).toBe(expected);
    expect(seen.headers.traceparent).toBe(expected);
    expect(seen.meta.tracestate).toBe('vendor=abc');
    expect(seen.meta.baggage).toBe('tenant=acme');
    expect(seen.headers.baggage).toBe('tenant=acme');
  });

  test('_meta wins over the headers; the header context becomes a link', async () => {
    const c = await connectClient(px.url, { headers: { traceparent: CLIENT_TP } });
    const metaTrace = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const res = await c.client.callTool({ name: 'echo_meta', arguments: {}, _meta: { traceparent: `00-${metaTrace}-bbbbbbbbbbbbbbbb-01`, custom: 'kept' } });
    await c.close();
    const seen = JSON.parse((res.content as { text: string }[])[0].text) as { meta: Record<string, string> };
    const span = await px.span('tools/call echo_meta');
    expect(span.spanContext().traceId).toBe(metaTrace);
    expect(span.parentSpanContext?.spanId).toBe('bbbbbbbbbbbbbbbb');
    expect(span.links.map((l) => l.context.spanId)).toEqual([CLIENT_SPAN]);
    expect(seen.meta.traceparent).toBe(`00-${metaTrace}-${span.spanContext().spanId}-01`);
    expect(seen.meta.custom).toBe('kept');
  });

  test('with --no-inject-meta only the headers carry the context', async () => {
    await px.close();
    px = await startProxy(server.url, { injectMeta: 'never' });
    const c = await connectClient(px.url);
    const res = await c.client.callTool({ name: 'echo_meta', arguments: {} });
    await c.close();
    const seen = JSON.parse((res.content as { text: string }[])[0].text) as { meta: Record<string, string> | null; headers: Record<string, string> };
    expect(seen.meta?.traceparent).toBeUndefined();
    const span = await px.span('tools/call echo_meta');
    expect(seen.headers.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  });
});

describe('raw bodies (stateless upstream answering JSON)', () => {
  beforeEach(async () => {
    server = await startTestServer({ stateless: true, jsonResponse: true });
    px = await startProxy(server.url);
  });

  test('big integers, escapes and odd whitespace reach the upstream unchanged but for the injected _meta', async () => {
    const body = '{ "jsonrpc" : "2.0",\n  "id": 7, "method":"tools/call",\t"params" : {"name":"add", "arguments":{"a":1,"b":2, "big": 12345678901234567890, "s":"caf\\u00e9 \\"q\\""}, "_meta": {"x":  1}} }';
    const res = await post(px.url, body);
    expect(res.status).toBe(200);
    const got = lastPost(server).body.toString('utf8');
    const span = await px.span('tools/call add');
    const tp = `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`;
    expect(got).toBe(body.replace('"_meta": {', `"_meta": {"traceparent":"${tp}",`));
    expect(lastPost(server).headers['content-length']).toBe(String(Buffer.byteLength(got)));
  });

  test('sessionless and without a session-era MCP-Protocol-Version: no _meta is created, the header carries the context', async () => {
    for (const headers of [{}, { 'mcp-protocol-version': '2026-07-28' }] as Record<string, string>[]) {
      const noParams = '{"jsonrpc":"2.0","id":"x0","method":"tools/list"}';
      await post(px.url, noParams, headers);
      const span = px.spans().at(-1)!;
      expect(lastPost(server).body.toString()).toBe(noParams);
      expect(lastPost(server).headers.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    }
  });

  test('a session-era message without params gets params._meta; existing trace keys are replaced', async () => {
    const noParams = '{"jsonrpc":"2.0","id":"x1","method":"tools/list"}';
    await post(px.url, noParams, { 'mcp-protocol-version': '2025-06-18' });
    const span = await px.span('tools/list');
    const tp = `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`;
    expect(lastPost(server).body.toString()).toBe(`{"jsonrpc":"2.0","id":"x1","method":"tools/list","params":{"_meta":{"traceparent":"${tp}"}}}`);

    const stale = '{"jsonrpc":"2.0","id":2,"method":"ping","params":{"_meta":{"traceparent":"00-11111111111111111111111111111111-2222222222222222-01","k":"v"}}}';
    await post(px.url, stale);
    const ping = await px.span('ping');
    const got = JSON.parse(lastPost(server).body.toString()) as { params: { _meta: Record<string, string> } };
    expect(got.params._meta).toEqual({ traceparent: `00-11111111111111111111111111111111-${ping.spanContext().spanId}-01`, k: 'v' });
  });

  test('malformed JSON reaches the upstream untouched and the client gets its answer', async () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"tools/call", oops';
    const res = await post(px.url, body);
    expect(lastPost(server).body.toString()).toBe(body);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: -32700 } });
    expect(px.spans()).toHaveLength(0);
  });

  test('invalid UTF-8 is forwarded byte for byte', async () => {
    const body = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"s":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
    await post(px.url, body);
    expect(lastPost(server).body.equals(body)).toBe(true);
  });

  test('a batch gets one span per message, each with its own traceparent upstream', async () => {
    const body = '[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":1}}},{"jsonrpc":"2.0","method":"notifications/initialized"}]';
    await post(px.url, body, { 'mcp-protocol-version': '2025-03-26' });
    const list = await px.span('tools/list');
    const add = await px.span('tools/call add');
    const note = await px.span('notifications/initialized');
    const got = JSON.parse(lastPost(server).body.toString()) as { params: { _meta: { traceparent: string } } }[];
    expect(got.map((m) => m.params._meta.traceparent.split('-')[2])).toEqual([list, add, note].map((s) => s.spanContext().spanId));
    expect(add.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  test('a body over --max-body-bytes passes untouched and unparsed', async () => {
    await px.close();
    px = await startProxy(server.url, { maxBodyBytes: 64 });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 }, pad: 'x'.repeat(200) } });
    const res = await post(px.url, body);
    expect(res.status).toBe(200);
    expect(lastPost(server).body.toString()).toBe(body);
    expect(px.proxy.stats.oversizedBodies).toBeGreaterThanOrEqual(1); // the request; the answer too when it is as large
    expect(px.spans()).toHaveLength(0);
  });
});
