// Shared by the flag tests: the SDK test server and an OTLP receiver per test, and the CLI
// started with exactly the flags and variables a test gives, killed after it.
import { listening, runCli as run, Proc } from './cli';
import { connectClient } from './mcp-client';
import { TestServer, startTestServer } from './mcp-test-server';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from './otlp-receiver';

export const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
export const INIT = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}';

export interface FlagFixture {
  server(): TestServer;
  receiver(): OtlpReceiver;
  /** Processes to kill after the test (start() adds its own). */
  readonly procs: Proc[];
  /** Starts the CLI (flags and env as given, nothing else) and waits for its listening line. */
  start(args: string[], env?: Record<string, string>): Promise<{ proc: Proc; url: string; admin: string }>;
  /** --upstream <test server> on free ports. */
  base(): string[];
  /** Spans to the receiver, exported quickly. */
  otlp(): Record<string, string>;
}

/** Registers beforeEach/afterEach; call at the top of a test file. */
export function flagFixture(): FlagFixture {
  let server: TestServer;
  let receiver: OtlpReceiver;
  const procs: Proc[] = [];
  beforeEach(async () => {
    server = await startTestServer();
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      p.child.kill('SIGKILL');
      await p.exit;
    }
    await server.close();
    await receiver.close();
  });
  return {
    server: () => server,
    receiver: () => receiver,
    procs,
    start: async (args, env = {}) => {
      const proc = run(args, env);
      procs.push(proc);
      const { url, admin } = await listening(proc);
      return { proc, url, admin: admin.replace('//0.0.0.0:', '//127.0.0.1:') };
    },
    base: () => ['--upstream', server.url, '--port', '0', '--admin-port', '0'],
    otlp: () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' }),
  };
}

export async function stop(proc: Proc): Promise<void> {
  proc.child.kill('SIGTERM');
  expect(await proc.exit).toBe(0);
}

/** One session with one tools/call add. */
export async function addCall(url: string, headers?: Record<string, string>, args: Record<string, unknown> = { a: 1, b: 2 }): Promise<void> {
  const c = await connectClient(url, { headers });
  await c.client.callTool({ name: 'add', arguments: args });
  await c.close();
}

export function span(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name}: ${spans.map((x) => x.name).join(', ')}`);
  return s;
}
