// A real MCP server over WebSocket: the official SDK's McpServer on a small Transport (one JSON-RPC
// message per text frame, subprotocol `mcp`), behind a `ws` server on port 0. It records what
// reached it (raw frames, handshake headers and paths, close codes) so tests can compare.
import http, { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import WebSocket, { WebSocketServer } from 'ws';
import { z } from 'zod';

export interface WsTestServer {
  /** ws://127.0.0.1:PORT/ws */
  url: string;
  port: number;
  /** Every text frame received, as sent. */
  frames: string[];
  /** Every binary frame received. */
  binaries: Buffer[];
  /** Headers of every accepted upgrade request. */
  handshakes: IncomingHttpHeaders[];
  /** Request targets of every upgrade request, accepted or not. */
  paths: string[];
  /** The server side of every accepted connection, newest last. */
  sockets: WebSocket[];
  /** Close code and reason of every connection that ended. */
  closes: { code: number; reason: string }[];
  close(): Promise<void>;
}

/** The SDK Transport contract over one server-side WebSocket. */
class WsServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        this.onmessage?.(JSONRPCMessageSchema.parse(JSON.parse(data.toString())));
      } catch (err) {
        this.onerror?.(err as Error); // a non-JSON frame is reported and skipped, as the SDK transports do
      }
    });
    ws.on('close', () => this.onclose?.());
    ws.on('error', (err) => this.onerror?.(err));
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    await new Promise<void>((resolve, reject) => this.ws.send(JSON.stringify(message), (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }
}

function createMcpServer(): McpServer {
  const server = new McpServer({ name: 'ws-test-server', version: '1.0.0' });
  server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  server.registerTool('echo_meta', { inputSchema: {} }, async (_args, extra) => ({
    content: [{ type: 'text', text: JSON.stringify(extra._meta ?? null) }],
  }));
  server.registerTool('fail', { inputSchema: {} }, async () => ({
    content: [{ type: 'text', text: 'it failed' }],
    isError: true,
  }));
  return server;
}

export async function startWsServer(): Promise<WsTestServer> {
  const rec: Omit<WsTestServer, 'url' | 'port' | 'close'> = { frames: [], binaries: [], handshakes: [], paths: [], sockets: [], closes: [] };
  const live = new Set<McpServer>();
  const httpServer = http.createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('upgrade required\n'));
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has('mcp') ? 'mcp' : false),
  });

  httpServer.on('upgrade', (req, socket, head) => {
    rec.paths.push(req.url ?? '');
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\nx-test: refused\r\ncontent-length: 10\r\n\r\nno such ws');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      rec.handshakes.push(req.headers);
      rec.sockets.push(ws);
      ws.on('message', (data, isBinary) => {
        if (isBinary) rec.binaries.push(Buffer.from(data as Buffer));
        else rec.frames.push(data.toString());
      });
      ws.on('close', (code, reason) => rec.closes.push({ code, reason: reason.toString() }));
      const server = createMcpServer();
      live.add(server);
      ws.on('close', () => live.delete(server));
      void server.connect(new WsServerTransport(ws));
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    port,
    ...rec,
    async close() {
      for (const s of [...live]) await s.close().catch(() => undefined);
      for (const ws of rec.sockets) ws.terminate();
      wss.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
