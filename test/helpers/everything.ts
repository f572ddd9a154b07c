// The reference MCP server (@modelcontextprotocol/server-everything) as a child
// process, so end-to-end tests also run against a server we did not write.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export interface Everything {
  /** http://127.0.0.1:PORT/mcp (streamableHttp) or http://127.0.0.1:PORT/sse (sse) */
  url: string;
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

// The server only accepts a port via env, so ask the OS for a free one first.
// (Tiny race with other processes grabbing it; acceptable for tests.)
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export async function startEverything(mode: 'streamableHttp' | 'sse' = 'streamableHttp'): Promise<Everything> {
  const pkgDir = path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json'));
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(pkgDir, 'dist', 'index.js'), mode], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  async function close(): Promise<void> {
    if (hasExited) return;
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(killTimer);
  }

  // Ready = it said so (it logs "listening on port N" or, in sse mode, "running on port N" to stderr) and the port accepts connections.
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(/listening on port|running on port/i.test(output) && (await canConnect(port)))) {
    if (hasExited || Date.now() > deadline) {
      await close();
      throw new Error(`server-everything failed to start on port ${port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return { url: `http://127.0.0.1:${port}${mode === 'sse' ? '/sse' : '/mcp'}`, close };
}
