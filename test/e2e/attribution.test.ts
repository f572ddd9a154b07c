// Who called: an SDK session through the proxy with the tenant header a gateway sets and a bearer
// JWT. The spans carry the tenant and the user, nothing holds the token, a hashed user is stable
// across restarts with the same key, and /metrics has a tenant label that stays bounded.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { TracedProxy, startProxy } from '../helpers/proxy';
import { parsePrometheus } from '../helpers/prometheus';
import type { Config } from '../../src/cli/config';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const CLAIMS = { sub: 'user-42', org: { id: 'acme-org' }, email: 'ada@example.com', scope: 'secret-scope' };
const TOKEN = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(CLAIMS)}.${Buffer.from('not-a-real-signature').toString('base64url')}`;
const HEADERS = { 'x-tenant-id': 'tenant-a', authorization: `Bearer ${TOKEN}` };
const RULES: Partial<Config> = {
  attributeHeaders: [{ from: 'x-tenant-id', attribute: 'tenant.id' }],
  attributeJwtClaims: [{ from: 'sub', attribute: 'enduser.id' }, { from: 'org.id', attribute: 'org.id' }],
};

let server: TestServer;
const proxies: TracedProxy[] = [];

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
  await server.close();
});

async function proxy(overrides: Partial<Config>): Promise<TracedProxy> {
  const p = await startProxy(server.url, { ...RULES, ...overrides });
  proxies.push(p);
  return p;
}

/** An SDK session with the gateway's headers: list, a call, a failing call. */
async function session(px: TracedProxy): Promise<void> {
  const c = await connectClient(px.url, { headers: HEADERS });
  try {
    await c.client.listTools();
    await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await c.client.callTool({ name: 'fail', arguments: {} });
  } finally {
    await c.close();
  }
  await px.span('tools/call fail');
}

const everything = (s: ReadableSpan) => JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, links: s.links, status: s.status });

test('every span of the session carries the tenant, the user and the client; no span or log line holds the token', async () => {
  const px = await proxy({ accessLog: true, logLevel: 'debug', captureArguments: true, captureResults: true });
  await session(px);
  const spans = px.spans();
  expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['initialize', 'notifications/initialized', 'tools/list', 'tools/call add', 'tools/call fail']));
  for (const s of spans) {
    expect(s.attributes).toMatchObject({
      'tenant.id': 'tenant-a', 'enduser.id': 'user-42', 'org.id': 'acme-org', 'mcp.client.name': 'test-client', 'mcp.client.version': '1.0.0',
    });
  }
  const text = spans.map(everything).join('\n') + px.logs.join('\n');
  for (const secret of [TOKEN, TOKEN.split('.')[1], TOKEN.split('.')[2], 'ada@example.com', 'secret-scope']) expect(text).not.toContain(secret);
  expect(px.logs.some((l) => l.includes('"method":"tools/call"'))).toBe(true); // the access log did run
});

test('a hashed user is the same across restarts with the same key, another with another key, never the value', async () => {
  const hashedUser = async (key: string) => {
    const px = await proxy({ hashAttributes: ['enduser.id'], hashKey: key });
    await session(px);
    const v = (await px.span('tools/call add')).attributes['enduser.id'];
    await px.close();
    return v;
  };
  const first = await hashedUser('key-one');
  expect(first).toMatch(/^[0-9a-f]{16}$/);
  expect(await hashedUser('key-one')).toBe(first);
  expect(await hashedUser('key-two')).not.toBe(first);
  expect(first).not.toContain('user-42');
});

/** The distinct tenant labels on the server operation histogram, with each one's count. */
async function tenantCounts(px: TracedProxy): Promise<Map<string, number>> {
  const text = await (await fetch(`${px.proxy.adminUrl}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const s of parsePrometheus(text)) {
    if (s.name !== 'mcp_server_operation_duration_count' || s.labels.tenant_id === undefined) continue;
    counts.set(s.labels.tenant_id, (counts.get(s.labels.tenant_id) ?? 0) + s.value);
  }
  return counts;
}

test('/metrics has the tenant label; under 1,000 invented tenants it keeps 100 values and counts the rest as _OTHER', async () => {
  const px = await proxy({ metricAttributes: ['tenant.id'] });
  await session(px);
  expect((await tenantCounts(px)).get('tenant-a')).toBeGreaterThanOrEqual(4);

  // One session, then pings whose gateway header names a new tenant each time.
  const c = await connectClient(px.url, { headers: HEADERS });
  const sessionId = c.transport.sessionId as string;
  const ping = async (i: number) => {
    const res = await fetch(px.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18', 'x-tenant-id': `invented-${i}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: `p${i}`, method: 'ping' }),
    });
    expect(res.status).toBe(200);
    await res.text();
  };
  const N = 1000;
  for (let i = 0; i < N; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => ping(i + j)));
  await c.close();

  const counts = await tenantCounts(px);
  expect(counts.size).toBe(101); // 100 values, then _OTHER
  expect(counts.get('tenant-a')).toBeGreaterThanOrEqual(4);
  const other = counts.get('_OTHER') ?? 0;
  const kept = [...counts.entries()].filter(([k]) => k.startsWith('invented-')).reduce((a, [, n]) => a + n, 0);
  expect(kept + other).toBeGreaterThanOrEqual(N);
  expect(other).toBeGreaterThanOrEqual(N - 99);
}, 60_000);
