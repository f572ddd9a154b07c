#!/usr/bin/env node
// `npm run demo`: the reference MCP server (@modelcontextprotocol/server-everything), the proxy in
// front of it (the built CLI, printing one line per span), and a scripted SDK client session that
// runs every 20 s, so the live trace view on the admin port always has something to show.
// Ctrl-C stops everything.
'use strict';

const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { CreateMessageRequestSchema } = require('@modelcontextprotocol/sdk/types.js');

const ROOT = path.resolve(__dirname, '..');
const SESSION_EVERY_MS = Number(process.env.DEMO_INTERVAL_MS) || 20_000;
const START_TIMEOUT_MS = 20_000;
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s) => (color ? `\x1b[1m${s}\x1b[22m` : s);
const cyan = (s) => (color ? `\x1b[36m${s}\x1b[39m` : s);
const dim = (s) => (color ? `\x1b[2m${s}\x1b[22m` : s);
const say = (msg) => process.stdout.write(`${dim('[demo]')} ${msg}\n`);

const children = [];
let stopping = false;
let timer = null;
let activeClient = null;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a child in its own process group, so Ctrl-C reaches only this script, which then stops
 * the children in order (the proxy first, so it can flush its spans).
 */
function start(name, args, env, stdio) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio, detached: true });
  const entry = { name, child, exited: false, output: '' };
  entry.done = new Promise((resolve) => child.once('exit', (code, signal) => {
    entry.exited = true;
    if (!stopping) {
      say(`${name} exited unexpectedly (${signal ?? `status ${code}`})${entry.output ? `:\n${entry.output.slice(-2000)}` : ''}`);
      void shutdown(1);
    }
    resolve();
  }));
  if (child.stdout) child.stdout.on('data', (d) => (entry.output = (entry.output + d).slice(-8000)));
  if (child.stderr) child.stderr.on('data', (d) => (entry.output = (entry.output + d).slice(-8000)));
  children.push(entry);
  return entry;
}

async function stop(entry) {
  if (entry.exited) return;
  entry.child.kill('SIGTERM');
  const t = setTimeout(() => entry.child.kill('SIGKILL'), 5000);
  await entry.done;
  clearTimeout(t);
}

async function waitFor(what, check, entry) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await check())) {
    if (entry.exited || Date.now() > deadline) {
      throw new Error(`${what} did not start${entry.output ? `:\n${entry.output.slice(-2000)}` : ''}`);
    }
    await sleep(100);
  }
}

/** One scripted session: the kinds of operation the live view can show. */
async function session(mcpUrl, round) {
  const client = new Client({ name: 'mcp-trace-proxy-demo', version: '1.0.0' }, { capabilities: { sampling: {} } });
  // The server's sampling request becomes a server→client span nested under the tool call.
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    model: 'demo-model', role: 'assistant', content: { type: 'text', text: 'A canned answer from the demo client.' },
  }));
  activeClient = client;
  const step = async (label, fn) => {
    if (stopping) return;
    try {
      await fn();
    } catch (err) {
      if (!stopping) say(`${label}: ${err.message}`);
    }
  };
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
    await step('list tools', () => client.listTools());
    await step('echo', () => client.callTool({ name: 'echo', arguments: { message: `hello from round ${round}` } }));
    await step('get-sum', () => client.callTool({ name: 'get-sum', arguments: { a: 20, b: round } }));
    await step('prompts', async () => {
      const { prompts } = await client.listPrompts();
      const simple = prompts.find((p) => p.name === 'simple-prompt') ?? prompts.find((p) => !p.arguments?.some((a) => a.required));
      if (simple) await client.getPrompt({ name: simple.name });
    });
    await step('resources', async () => {
      const { resources } = await client.listResources();
      if (resources[0]) await client.readResource({ uri: resources[0].uri });
    });
    // A tool that does not exist: the server answers with an error, and the row shows it.
    await step('tool error', async () => {
      // Depending on the SDK version the server answers isError: true or a JSON-RPC error; both are expected.
      await client.callTool({ name: 'no-such-tool', arguments: {} }).catch(() => {});
    });
    await step('sampling', () => client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'Say hi', maxTokens: 20 } }));
    // Progress: 4 steps over 2 s, each a progress event on the span.
    await step('progress', () => client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 2, steps: 4 } },
      undefined,
      { onprogress: () => {}, timeout: 30_000 },
    ));
    // Cancellation: the client gives up after 700 ms and sends notifications/cancelled.
    await step('cancel', async () => {
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort('the demo changed its mind'), 700);
      try {
        await client.callTool(
          { name: 'trigger-long-running-operation', arguments: { duration: 5, steps: 5 } },
          undefined,
          { signal: ac.signal, onprogress: () => {} },
        );
      } catch {
        // expected: the call was cancelled
      } finally {
        clearTimeout(t);
      }
      // The SDK sends notifications/cancelled without waiting for it: let it reach the server before
      // the session closes. (A disconnect alone is not a cancel in a session: the span would wait.)
      await new Promise((r) => setTimeout(r, 300));
    });
  } catch (err) {
    if (!stopping) say(`session failed: ${err.message}`);
  } finally {
    activeClient = null;
    await client.close().catch(() => {});
  }
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  if (timer) clearTimeout(timer);
  say('stopping…');
  await activeClient?.close().catch(() => {});
  // The proxy first (it ends and flushes its spans), then the server.
  for (const entry of [...children].reverse()) await stop(entry);
  process.exit(code);
}

async function main() {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  // If this script dies some other way, do not leave the children running.
  process.on('exit', () => {
    for (const { child, exited } of children) if (!exited) try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  });

  const everythingDir = path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json'));
  const [serverPort, proxyPort, adminPort] = [await freePort(), await freePort(), await freePort()];

  say('starting @modelcontextprotocol/server-everything…');
  const server = start('server-everything', [path.join(everythingDir, 'dist', 'index.js'), 'streamableHttp'], { PORT: String(serverPort) }, ['ignore', 'pipe', 'pipe']);
  await waitFor('server-everything', () => canConnect(serverPort), server);
  const upstream = `http://127.0.0.1:${serverPort}/mcp`;

  say(`starting the proxy in front of ${upstream}…`);
  const cli = path.join(ROOT, 'dist', 'cli.js');
  // Spans print on stderr, one line each (the console exporter, the default without an OTLP endpoint).
  const proxy = start('mcp-trace-proxy', [cli, '--upstream', upstream, '--host', '127.0.0.1', '--port', String(proxyPort),
    '--admin-host', '127.0.0.1', '--admin-port', String(adminPort), '--ui'], {}, ['ignore', 'inherit', 'inherit']);
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitFor('mcp-trace-proxy', async () => {
    try {
      return (await fetch(`${adminUrl}/readyz`)).ok;
    } catch {
      return false;
    }
  }, proxy);
  const mcpUrl = `http://127.0.0.1:${proxyPort}/mcp`;

  const line = '─'.repeat(64);
  process.stdout.write(`\n${cyan(line)}\n`);
  process.stdout.write(`  ${bold('Live trace view:')}  ${bold(cyan(`${adminUrl}/`))}\n`);
  process.stdout.write(`  MCP endpoint:     ${mcpUrl}   (point your own client here too)\n`);
  process.stdout.write(`  A scripted session runs every ${Math.round(SESSION_EVERY_MS / 1000)} s. Ctrl-C stops the demo.\n`);
  process.stdout.write(`${cyan(line)}\n\n`);

  let round = 1;
  const loop = async () => {
    if (stopping) return;
    say(`session ${round}: tools, prompt, resource, a failing call, sampling, progress, a cancelled call`);
    await session(mcpUrl, round++);
    if (!stopping) timer = setTimeout(() => void loop(), SESSION_EVERY_MS);
  };
  await loop();
}

main().catch(async (err) => {
  say(`failed: ${err.message}`);
  await shutdown(1);
});
