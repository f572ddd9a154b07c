// Spec 2026-07-28 over Streamable HTTP, against small upstreams that speak its exact wire format: a
// subscriptions/listen lives as long as its stream (past --pending-timeout), MRTR rounds are one
// logical call, server/discover is one SERVER span, and a 2025-11-25 initialize sent with the
// MCP-Protocol-Version header gets no `_meta` a dual-era server would read as stateless.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { TracedProxy, startProxy } from '../helpers/proxy';

const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
let px: TracedProxy | undefined;
const servers: http.Server[] = [];
afterEach(async () => {
  await px?.close();
  px = undefined;
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function upstream(handler: (msg: Record<string, any>, req: http.IncomingMessage, res: http.ServerResponse, raw: string) => void): Promise<string> {
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      handler(JSON.parse(raw), req, res, raw);
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`;
}

function post(url: string, msg: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(msg) });
}

/** The JSON answer of a POST. */
async function call(url: string, msg: unknown, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  return (await (await post(url, msg, headers)).json()) as Record<string, any>;
}

/** Resolves once `pred` holds, polling the finished spans (no fixed sleep). */
async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a subscriptions/listen outlives --pending-timeout: its updates reach its span, which ends with its stream', async () => {
  let push!: (line: string) => void;
  let end!: () => void;
  const url = await upstream((msg, _req, res) => {
    if (msg.method === 'ping') return void res.writeHead(202, { 'mcp-session-id': 's1' }).end(); // its answer would come later, elsewhere
    res.writeHead(200, { 'content-type': 'application/json' }); // chunked NDJSON, held open
    const tag = { 'io.modelcontextprotocol/subscriptionId': msg.id };
    res.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: tag, notifications: { resourceSubscriptions: ['test://a'] } } })}\n`);
    push = (line) => res.write(`${line}\n`);
    end = () => res.end();
  });
  px = await startProxy(url, { pendingTimeoutMs: 300 });
  const r = await post(px.url, { jsonrpc: '2.0', id: 'L1', method: 'subscriptions/listen', params: { notifications: { resourceSubscriptions: ['test://a'] }, _meta: META } });
  const reader = r.body!.getReader();
  await reader.read(); // the acknowledgement
  // A request in a session whose answer never comes: once it expired, a sweep has passed the listen.
  await post(px.url, { jsonrpc: '2.0', id: 'canary', method: 'ping' }, { 'mcp-session-id': 's1' });
  await px.span((s) => s.name === 'ping' && s.attributes['mcp_trace_proxy.outcome'] === 'expired');
  expect(px.spans().find((s) => s.name === 'subscriptions/listen')).toBeUndefined();
  push(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'test://a', _meta: { 'io.modelcontextprotocol/subscriptionId': 'L1' } } }));
  end(); // the server ends the stream without a final message
  while (!(await reader.read()).done) { /* drain */ }
  const listen = await px.span('subscriptions/listen');
  expect(listen.kind).toBe(SpanKind.SERVER);
  expect(listen.attributes['mcp_trace_proxy.outcome']).toBe('no_response');
  expect(listen.attributes['mcp_trace_proxy.notifications']).toBe(2);
  expect(listen.events.map((e) => e.attributes?.['mcp.method.name'])).toEqual(['notifications/subscriptions/acknowledged', 'notifications/resources/updated']);
});

test('a listen the client closes ends as client_abort, at once', async () => {
  const url = await upstream((msg, _req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { 'io.modelcontextprotocol/subscriptionId': msg.id }, notifications: {} } })}\n`);
  });
  px = await startProxy(url, { pendingTimeoutMs: 60_000 });
  const ac = new AbortController();
  const r = await fetch(px.url, { method: 'POST', signal: ac.signal, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'subscriptions/listen', params: { notifications: {}, _meta: META } }) });
  await r.body!.getReader().read();
  ac.abort();
  const listen = await px.span('subscriptions/listen');
  expect(listen.attributes['mcp_trace_proxy.outcome']).toBe('client_abort');
  expect(listen.attributes['mcp_trace_proxy.notifications']).toBe(1);
});

test('MRTR: the retry links to the round that asked for input; both carry their round and the hash of the state, never the state', async () => {
  const STATE = 'secret-state-AEAD-blob';
  const url = await upstream((msg, _req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (msg.params.requestState === undefined) {
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { resultType: 'input_required', inputRequests: { who: { method: 'elicitation/create', params: { mode: 'form', message: 'Name?', requestedSchema: { type: 'object' } } } }, requestState: STATE } }));
    } else {
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { resultType: 'complete', content: [{ type: 'text', text: `hi ${msg.params.inputResponses.who.content.name}` }] } }));
    }
  });
  px = await startProxy(url);
  const tool = { jsonrpc: '2.0', method: 'tools/call', params: { name: 'greet', arguments: {}, _meta: META } };
  const first = await call(px.url, { ...tool, id: 1 });
  expect(first.result.requestState).toBe(STATE);
  const retry = { ...tool, id: 2, params: { ...tool.params, inputResponses: { who: { action: 'accept', content: { name: 'Ada' } } }, requestState: STATE } };
  expect((await call(px.url, retry)).result.content[0].text).toBe('hi Ada');
  await until(() => px!.spans().filter((s) => s.name === 'tools/call greet').length === 2, 'both rounds');
  const [one, two] = px.spans().filter((s) => s.name === 'tools/call greet').sort((a, b) => Number(a.attributes['jsonrpc.request.id']) - Number(b.attributes['jsonrpc.request.id']));
  expect(one.attributes['mcp.result.type']).toBe('input_required');
  expect(one.attributes['mcp.request.round']).toBe(1);
  expect(two.attributes['mcp.request.round']).toBe(2);
  expect(one.attributes['mcp.request.state_hash']).toMatch(/^[0-9a-f]{16}$/);
  expect(two.attributes['mcp.request.state_hash']).toBe(one.attributes['mcp.request.state_hash']);
  expect(two.links.map((l) => l.context.spanId)).toContain(one.spanContext().spanId);
  expect(one.status.code).not.toBe(2); // an interim answer is not an error
  for (const s of [one, two]) expect(JSON.stringify(s.attributes)).not.toContain(STATE);
});

test('MRTR: a state another client presents reaches no round of this one; its own client\'s retry does', async () => {
  const url = await upstream((msg, _req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { resultType: 'input_required', requestState: 'S' } }));
  });
  px = await startProxy(url);
  const tool = { jsonrpc: '2.0', method: 'tools/call', params: { name: 't', _meta: META } };
  await call(px.url, { ...tool, id: 1 });
  // The same state from another client (behind an intermediary that names it).
  await call(px.url, { ...tool, id: 2, params: { ...tool.params, requestState: 'S', inputResponses: {} } }, { 'x-forwarded-for': '10.0.0.9' });
  await call(px.url, { ...tool, id: 3, params: { ...tool.params, requestState: 'S', inputResponses: {} } });
  await until(() => px!.spans().filter((s) => s.name === 'tools/call t').length === 3, 'the three requests');
  const [one, two, three] = ['1', '2', '3'].map((id) => px!.spans().find((s) => s.attributes['jsonrpc.request.id'] === id)!);
  expect(two.links).toEqual([]);
  expect(two.attributes['mcp.request.round']).toBeUndefined();
  expect(three.links.map((l) => l.context.spanId)).toEqual([one.spanContext().spanId]); // its own client's retry
});

test('server/discover is one SERVER span, with the version its _meta names', async () => {
  const url = await upstream((msg, _req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { resultType: 'complete', supportedVersions: ['2026-07-28'], capabilities: {}, serverInfo: { name: 's', version: '1' } } }));
  });
  px = await startProxy(url);
  await call(px.url, { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: META } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' });
  const span = await px.span('server/discover');
  await new Promise((r) => setImmediate(r));
  expect(px.spans().map((s) => s.name)).toEqual(['server/discover']);
  expect(span.kind).toBe(SpanKind.SERVER);
  expect(span.attributes['mcp.method.name']).toBe('server/discover');
  expect(span.attributes['mcp.protocol.version']).toBe('2026-07-28');
  expect(span.attributes['mcp.session.id']).toBeUndefined();
  expect(span.attributes['mcp_trace_proxy.outcome']).toBeUndefined();
});

test('a dual-era server: an initialize sent with MCP-Protocol-Version 2025-11-25 reaches it without a created _meta', async () => {
  const got: string[] = [];
  const url = await upstream((msg, req, res, raw) => {
    got.push(raw);
    // The dual-era rule: sessionless with _meta is a stateless 2026-07-28 request, which needs its _meta fields.
    if (req.headers['mcp-session-id'] === undefined && msg.params?._meta !== undefined && msg.params._meta['io.modelcontextprotocol/protocolVersion'] === undefined) {
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32602, message: 'missing _meta or required fields' } }));
    }
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-1' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 's', version: '1' } } }));
  });
  px = await startProxy(url);
  const init = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } };
  const res = await call(px.url, init, { 'mcp-protocol-version': '2025-11-25' });
  expect(res.result.protocolVersion).toBe('2025-11-25');
  expect(got[0]).toBe(JSON.stringify(init));
  const span = await px.span('initialize');
  expect(span.attributes['mcp.protocol.version']).toBe('2025-11-25');
  expect(span.attributes['error.type']).toBeUndefined();
});
