// A real MCP client (the official SDK) for end-to-end tests; extra headers let a
// test send e.g. a traceparent or auth header through the proxy.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface ConnectedClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

/** Connects (runs the initialize handshake) and resolves once the session is ready. */
export async function connectClient(url: string, opts: { headers?: Record<string, string> } = {}): Promise<ConnectedClient> {
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: opts.headers } });
  try {
    await client.connect(transport);
  } catch (err) {
    await client.close().catch(() => undefined); // don't leak the transport on a failed handshake
    throw err;
  }
  // client.close() closes the transport too (aborting its open SSE GET stream).
  return { client, transport, close: () => client.close() };
}
