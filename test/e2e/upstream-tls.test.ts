// An https:// upstream signed by a private CA, trusted through NODE_EXTRA_CA_CERTS (the CA is made at test time).
import { TestCerts, makeCerts } from '../helpers/certs';
import { listening, runCli as run } from '../helpers/cli';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';

let certs: TestCerts;
let server: TestServer;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());
beforeEach(async () => {
  server = await startTestServer({ tls: { key: certs.serverKey, cert: certs.serverCert } });
});
afterEach(() => server.close());

test('with NODE_EXTRA_CA_CERTS the proxy reaches the https upstream, and the call is traced', async () => {
  expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
  const p = run(['--upstream', server.url, '--port', '0', '--admin-port', 'off'], { NODE_EXTRA_CA_CERTS: certs.caFile });
  try {
    const { url } = await listening(p);
    const c = await connectClient(url);
    const r = await c.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(r.content).toEqual([{ type: 'text', text: '5' }]);
    await c.close();
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  } finally {
    p.child.kill('SIGKILL');
  }
  expect(p.output()).toMatch(/span tools\/call add [\d.]+ms OK/);
});

test('without the CA the upstream certificate is refused: the client gets a 502 and nothing reaches the server', async () => {
  const p = run(['--upstream', server.url, '--port', '0', '--admin-port', 'off']);
  try {
    const { url } = await listening(p);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { id: number; error: { code: number } };
    expect(body.id).toBe(1);
    expect(server.received).toHaveLength(0);
  } finally {
    p.child.kill('SIGTERM');
    await p.exit;
  }
});
