// The Sessions tab's JSON on a running proxy: /api/sessions and /api/sessions/<id>, for an SDK
// session, and for stateless 2026-07-28 runs grouped by client and propagated trace.
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { TracedProxy, startProxy } from '../helpers/proxy';
import { sessionRoute } from '../../src/ui/sessions-api';

jest.setTimeout(30_000);

interface Listed {
  id: string; by: string; label: string; client?: string; calls: number; operations: number; errors: number; bytesIn: number; bytesOut: number; dropped: number;
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as T };
}

/** Polls /api/sessions until `ok` holds. */
async function sessionsWhen(admin: string, ok: (s: Listed[]) => boolean): Promise<Listed[]> {
  for (let i = 0; ; i++) {
    const { body } = await getJson<{ sessions: Listed[] }>(`${admin}/api/sessions`);
    if (ok(body.sessions)) return body.sessions;
    if (i > 200) throw new Error(`sessions never matched: ${JSON.stringify(body.sessions)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('an SDK session', () => {
  let server: TestServer;
  let px: TracedProxy;
  beforeAll(async () => {
    server = await startTestServer();
    px = await startProxy(server.url);
  });
  afterAll(async () => {
    await px?.close();
    await server?.close();
  });

  test('listed with its calls, errors and bytes, and its operations by start time', async () => {
    const c = await connectClient(px.url);
    const sid = c.transport.sessionId as string;
    try {
      await c.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      await c.client.callTool({ name: 'fail', arguments: {} });
    } finally {
      await c.close();
    }
    const [s] = await sessionsWhen(px.proxy.adminUrl!, (l) => l.some((x) => x.label === sid && x.calls === 3));
    const add = await px.span('tools/call add');
    const fail = await px.span('tools/call fail');
    const init = await px.span('initialize');
    const out = [init, add, fail].reduce((n, sp) => n + (sp.attributes['mcp_trace_proxy.response.result.size'] as number), 0);
    expect(s).toMatchObject({ by: 'session', label: sid, client: 'test-client', calls: 3, operations: 4, errors: 1, bytesIn: 13 + 2, bytesOut: out, dropped: 0 });

    const one = await getJson<{ session: Listed; operations: { name: string; spanId: string; error: boolean; argumentsBytes?: number }[]; maxOperations: number }>(
      `${px.proxy.adminUrl}/api/sessions/${s.id}`);
    expect(one.status).toBe(200);
    expect(one.body.operations.map((o) => o.name)).toEqual(['initialize', 'notifications/initialized', 'tools/call add', 'tools/call fail']);
    expect(one.body.operations[2]).toMatchObject({ spanId: add.spanContext().spanId, error: false, argumentsBytes: 13 });
    expect(one.body.operations[3].error).toBe(true);
    expect(one.body.maxOperations).toBe(500);
  });

  test('an unknown id is 404, a malformed one 400', async () => {
    expect((await fetch(`${px.proxy.adminUrl}/api/sessions/s999999`)).status).toBe(404);
    const bad = await getJson<{ error: string }>(`${px.proxy.adminUrl}/api/sessions/..%2Fx`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('session id');
  });
});

test('without a session index the route says so', () => {
  expect(sessionRoute('/api/sessions', null)).toEqual({ status: 404, body: { error: 'sessions are not kept by this view' } });
  expect(sessionRoute('/api/operations', null)).toBeNull();
});

describe('stateless 2026-07-28 runs', () => {
  let server: TestServer;
  let px: TracedProxy;
  beforeAll(async () => {
    server = await startTestServer({ stateless: true, jsonResponse: true });
    px = await startProxy(server.url);
  });
  afterAll(async () => {
    await px?.close();
    await server?.close();
  });

  const call = (id: number, client: string, traceparent?: string) => fetch(px.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28',
      ...(traceparent ? { traceparent } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0', id, method: 'tools/call',
      params: { name: 'add', arguments: { a: id, b: 1 }, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: client, version: '1' } } },
    }),
  }).then((r) => r.text());

  test('one run per client and propagated trace; without a trace, one run per client until a pause', async () => {
    const trace = '0af7651916cd43dd8448eb211c80319c';
    await call(1, 'agent', `00-${trace}-b7ad6b7169203331-01`);
    await call(2, 'agent', `00-${trace}-c7ad6b7169203331-01`);
    await call(3, 'agent'); // no trace: a run of its own identity
    await call(4, 'agent');
    await call(5, 'other');
    const list = await sessionsWhen(px.proxy.adminUrl!, (l) => l.reduce((n, x) => n + x.calls, 0) === 5);
    const runs = list.map((x) => [x.by, x.client, x.label.startsWith('trace ') ? x.label : 'gap', x.calls]).sort();
    expect(runs).toEqual([
      ['run', 'agent', 'gap', 2],
      ['run', 'agent', 'trace 0af76519', 2],
      ['run', 'other', 'gap', 1],
    ]);
    // '{"a":1,"b":1}' and '{"a":2,"b":1}': 13 bytes each.
    expect(list.find((x) => x.label === 'trace 0af76519')?.bytesIn).toBe(26);
  });
});
