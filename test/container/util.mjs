// Small helpers for the shell tests, so they need no curl:
//   node util.mjs free-ports N                  N free TCP ports on 127.0.0.1, one a line
//   node util.mjs wait URL [TIMEOUT_MS]         polls until URL answers 200 (exit 0) or the timeout (exit 1)
//   node util.mjs status URL                    prints the HTTP status (000 when nothing answers)
//   node util.mjs get URL                       prints the body; exit 1 unless the status is 200
import net from 'node:net';

const [cmd, arg, arg2] = process.argv.slice(2);

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

async function status(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

if (cmd === 'free-ports') {
  const ports = new Set();
  while (ports.size < Number(arg ?? 1)) ports.add(await freePort());
  console.log([...ports].join('\n'));
} else if (cmd === 'wait') {
  const deadline = Date.now() + Number(arg2 ?? 30000);
  for (;;) {
    if ((await status(arg)) === 200) process.exit(0);
    if (Date.now() > deadline) process.exit(1);
    await new Promise((r) => setTimeout(r, 200));
  }
} else if (cmd === 'status') {
  console.log(String(await status(arg)).padStart(3, '0'));
} else if (cmd === 'get') {
  try {
    const res = await fetch(arg, { signal: AbortSignal.timeout(3000) });
    process.stdout.write(await res.text());
    process.exit(res.status === 200 ? 0 : 1);
  } catch (err) {
    console.error(String(err));
    process.exit(1);
  }
} else {
  console.error(`util.mjs: unknown command ${cmd}`);
  process.exit(2);
}
