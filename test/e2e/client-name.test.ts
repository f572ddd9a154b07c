// The client application on every span of its session, on every transport: the SDK client's
// clientInfo over Streamable HTTP, WebSocket and stdio, and the 2026-07-28 `_meta` key on a
// stateless request. On WebSocket the caller headers come from the upgrade request.
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import WebSocket from 'ws';
import { CLI } from '../helpers/cli';
import { connectClient } from '../helpers/mcp-client';
import { startTestServer } from '../helpers/mcp-test-server';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import { startProxy } from '../helpers/proxy';
import { startWsServer } from '../helpers/ws-server';

// Node 20 has no global WebSocket; the SDK's client transport expects one.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
const EVERYTHING = path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');
const TENANT = { attributeHeaders: [{ from: 'x-tenant-id', attribute: 'tenant.id' }] };

test('Streamable HTTP: initialize names the client for every later request of the session', async () => {
  const server = await startTestServer();
  const px = await startProxy(server.url);
  try {
    const c = await connectClient(px.url);
    await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await c.close();
    await px.span('tools/call add');
    for (const s of px.spans()) expect(s.attributes).toMatchObject({ 'mcp.client.name': 'test-client', 'mcp.client.version': '1.0.0' });
  } finally {
    await px.close();
    await server.close();
  }
});

test('2026-07-28: a stateless request names its client in _meta, for its own span', async () => {
  const server = await startTestServer({ stateless: true, jsonResponse: true });
  const px = await startProxy(server.url);
  try {
    const body = {
      jsonrpc: '2.0', id: 1, method: 'tools/list',
      params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'stateless-app', version: '0.9' } } },
    };
    const res = await fetch(px.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28' },
      body: JSON.stringify(body),
    });
    await res.text();
    const s = await px.span('tools/list');
    expect(s.attributes).toMatchObject({ 'mcp.client.name': 'stateless-app', 'mcp.client.version': '0.9' });
  } finally {
    await px.close();
    await server.close();
  }
});

test('WebSocket: the SDK client is named on its spans; the tenant comes from the upgrade request', async () => {
  const server = await startWsServer();
  const px = await startProxy(server.url.replace(/^ws:/, 'http:'), TENANT);
  const wsUrl = px.url.replace(/^http:/, 'ws:');
  try {
    const client = new Client({ name: 'ws-client', version: '2.0.0' });
    await client.connect(new WebSocketClientTransport(new URL(wsUrl)));
    await client.listTools();
    await client.close();
    const list = await px.span('tools/list');
    expect(list.attributes).toMatchObject({ 'mcp.client.name': 'ws-client', 'mcp.client.version': '2.0.0', 'network.protocol.name': 'websocket' });

    // A raw client whose upgrade request carries the gateway's header.
    const ws = new WebSocket(wsUrl, ['mcp'], { headers: { 'x-tenant-id': 'tenant-ws' } });
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    const answered = new Promise<void>((resolve) => ws.once('message', () => resolve()));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-ws', version: '1' } } }));
    await answered;
    ws.close();
    const init = await px.span((s) => s.name === 'initialize' && s.attributes['mcp.client.name'] === 'raw-ws');
    expect(init.attributes['tenant.id']).toBe('tenant-ws');
  } finally {
    await px.close();
    await server.close();
  }
});

test('stdio: no headers, so the client is named by its initialize alone', async () => {
  const receiver = await startOtlpReceiver();
  try {
    const env = { PATH: process.env.PATH ?? '', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
    const transport = new StdioClientTransport({
      command: process.execPath, args: [CLI, '--attribute-header', 'x-tenant-id=tenant.id', '--stdio', '--', process.execPath, EVERYTHING, 'stdio'], env, stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-client', version: '3.0.0' });
    await client.connect(transport);
    await client.listTools();
    await client.close();
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'tools/list'), 15_000);
    for (const s of spans.filter((x) => x.name === 'initialize' || x.name === 'tools/list')) {
      expect(s.attributes).toMatchObject({ 'mcp.client.name': 'stdio-client', 'mcp.client.version': '3.0.0', 'network.transport': 'pipe' });
      expect(s.attributes['tenant.id']).toBeUndefined();
    }
  } finally {
    await receiver.close();
  }
}, 30_000);
