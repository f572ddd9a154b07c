// `helm test`: /readyz on the admin port (when the Service exposes it), then one MCP ping through the
// Service: initialize, notifications/initialized, ping. Node 20+ (fetch); no dependencies.
//   MCP_URL=http://svc:8080/mcp ADMIN_URL=http://svc:9464 node helm-test.mjs
const { MCP_URL: mcpUrl, ADMIN_URL: adminUrl } = process.env;
const fail = (msg) => { console.error(`helm test: FAIL ${msg}`); process.exit(1); };
const timeout = () => AbortSignal.timeout(10_000);

async function rpc(message, session) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (session) headers['mcp-session-id'] = session;
  const res = await fetch(mcpUrl, { method: 'POST', headers, body: JSON.stringify(message), signal: timeout() });
  const text = await res.text();
  if (message.id === undefined) return { res };
  if (!res.ok) fail(`${message.method}: HTTP ${res.status} ${text.slice(0, 200)}`);
  // A JSON body, or an SSE stream whose data lines carry the response.
  const bodies = (res.headers.get('content-type') ?? '').includes('text/event-stream')
    ? text.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).filter(Boolean)
    : [text];
  for (const b of bodies) {
    let m;
    try { m = JSON.parse(b); } catch { continue; }
    for (const one of Array.isArray(m) ? m : [m]) if (one.id === message.id) return { res, reply: one };
  }
  fail(`${message.method}: no response with id ${message.id} in ${text.slice(0, 200)}`);
}

try {
  if (adminUrl) {
    const r = await fetch(`${adminUrl}/readyz`, { signal: timeout() });
    if (r.status !== 200) fail(`GET ${adminUrl}/readyz answered ${r.status}`);
    console.log(`helm test: ok /readyz ${r.status}`);
  } else console.log('helm test: the Service does not expose the admin port; /readyz not checked');
  const init = await rpc({
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mcp-trace-proxy-helm-test', version: '1.0.0' } },
  });
  if (init.reply.error) fail(`initialize: ${JSON.stringify(init.reply.error)}`);
  const session = init.res.headers.get('mcp-session-id') ?? undefined;
  await rpc({ jsonrpc: '2.0', method: 'notifications/initialized' }, session);
  const ping = await rpc({ jsonrpc: '2.0', id: 2, method: 'ping' }, session);
  if (ping.reply.error || !ping.reply.result) fail(`ping: ${JSON.stringify(ping.reply)}`);
  console.log(`helm test: ok MCP ping through ${mcpUrl}`);
} catch (err) {
  fail(String(err?.stack ?? err));
}
