// A real MCP server (the official SDK's McpServer + StreamableHTTPServerTransport)
// behind a plain node:http server, so end-to-end tests can put the proxy in front
// of it and inspect exactly what reached the upstream (raw bytes and headers).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CreateMessageResultSchema, ElicitResultSchema, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export interface RawRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface TestServerOptions {
  /** No sessions: sessionIdGenerator undefined and a fresh server+transport per request. */
  stateless?: boolean;
  /** enableJsonResponse: answer POSTs with application/json instead of an SSE stream. */
  jsonResponse?: boolean;
  /** Serve https with this key and certificate (url then starts with https://). */
  tls?: { key: Buffer; cert: Buffer };
  /** A deliberately changed server: `add` answers a + b + addOffset (replay-against tests). */
  addOffset?: number;
}

export interface TestServer {
  /** http://127.0.0.1:PORT/mcp */
  url: string;
  port: number;
  /** Every request the server saw, in arrival order, with its raw body. */
  received: RawRequest[];
  close(): Promise<void>;
}

function createMcpServer(addOffset = 0): McpServer {
  // The logging capability is required, otherwise the SDK refuses to send notifications/message.
  const server = new McpServer({ name: 'test-server', version: '1.0.0' }, { capabilities: { logging: {} } });

  server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b + addOffset) }],
  }));

  // Lets a test see what the server actually received: params._meta (e.g. traceparent
  // injected by the proxy) and the HTTP headers of the POST that carried the request.
  server.registerTool('echo_meta', { inputSchema: {} }, async (_args, extra) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({ meta: extra._meta ?? null, headers: extra.requestInfo?.headers ?? null }),
      },
    ],
  }));

  // A tool-level error (a successful JSON-RPC response with isError), not a protocol error.
  server.registerTool('fail', { inputSchema: {} }, async () => ({
    content: [{ type: 'text', text: 'it failed' }],
    isError: true,
  }));

  // Produces server→client notifications on the request's stream (progress + logging).
  server.registerTool('progress', { inputSchema: { steps: z.number() } }, async ({ steps }, extra) => {
    const progressToken = extra._meta?.progressToken;
    if (progressToken !== undefined) {
      for (let i = 1; i <= steps; i++) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: i, total: steps },
        });
      }
    }
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'working' } });
    return { content: [{ type: 'text', text: 'done' }] };
  });

  // For cancellation / timeout tests: ends early when the client cancels the request.
  server.registerTool('slow', { inputSchema: { ms: z.number() } }, async ({ ms }, extra) => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      extra.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      });
    });
    return { content: [{ type: 'text', text: 'slept' }] };
  });

  // A server→client request on the tool call's own stream (elicitation or sampling). The tool ends
  // well whatever the client answers, an error included, and says which it got.
  server.registerTool('ask', { inputSchema: { kind: z.enum(['elicitation', 'sampling']) } }, async ({ kind }, extra) => {
    try {
      if (kind === 'elicitation') {
        await extra.sendRequest({ method: 'elicitation/create', params: { message: 'sure?', requestedSchema: { type: 'object', properties: {} } } }, ElicitResultSchema);
      } else {
        await extra.sendRequest({ method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 } }, CreateMessageResultSchema);
      }
      return { content: [{ type: 'text', text: 'answered' }] };
    } catch {
      return { content: [{ type: 'text', text: 'refused' }] };
    }
  });

  server.registerPrompt('greet', { argsSchema: { name: z.string() } }, ({ name }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${name}` } }],
  }));

  server.registerResource('info', 'test://info', {}, async (uri) => ({
    contents: [{ uri: uri.href, text: 'info' }],
  }));

  return server;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function jsonRpcError(code: number, message: string) {
  return { jsonrpc: '2.0', id: null, error: { code, message } };
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const received: RawRequest[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  // Everything still open, so close() can tear it all down (no open handles in jest).
  const live = new Set<{ server: McpServer; transport: StreamableHTTPServerTransport }>();

  async function newPeer(sessionful: boolean) {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: sessionful ? () => randomUUID() : undefined,
      enableJsonResponse: opts.jsonResponse ?? false,
      // Register under the id the moment the SDK assigns it, as in the SDK's own example.
      onsessioninitialized: (id) => void sessions.set(id, transport),
    });
    const server = createMcpServer(opts.addOffset);
    const peer = { server, transport };
    live.add(peer);
    transport.onclose = () => {
      live.delete(peer);
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return peer;
  }

  async function handleMcp(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    // We consumed the body stream to record it, so the SDK must get it pre-parsed.
    let parsed: unknown;
    if (req.method === 'POST') {
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return sendJson(res, 400, jsonRpcError(-32700, 'Parse error'));
      }
    }

    if (opts.stateless) {
      // Like the SDK's stateless example: no standalone SSE stream, no session to delete.
      if (req.method !== 'POST') return sendJson(res, 405, jsonRpcError(-32000, 'Method not allowed.'));
      const peer = await newPeer(false);
      res.on('close', () => {
        void peer.transport.close();
        void peer.server.close();
      });
      return peer.transport.handleRequest(req, res, parsed);
    }

    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const transport = sessions.get(sessionId);
      if (!transport) return sendJson(res, 404, jsonRpcError(-32001, 'Session not found'));
      return transport.handleRequest(req, res, parsed);
    }
    if (req.method === 'POST' && isInitializeRequest(parsed)) {
      const peer = await newPeer(true);
      return peer.transport.handleRequest(req, res, parsed);
    }
    return sendJson(res, 400, jsonRpcError(-32000, 'Bad Request: No valid session ID provided'));
  }

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path !== '/mcp') return void res.writeHead(404).end();
      handleMcp(req, res, body).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, jsonRpcError(-32603, String(err)));
        else res.end();
      });
    });
  };
  const httpServer = opts.tls ? https.createServer(opts.tls, handler) : http.createServer(handler);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/mcp`,
    port,
    received,
    async close() {
      for (const { server, transport } of [...live]) {
        await transport.close().catch(() => undefined);
        await server.close().catch(() => undefined);
      }
      // Open SSE streams (e.g. the client's standalone GET) would keep close() waiting forever.
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
