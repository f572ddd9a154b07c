// The serving certificate is read again when its files change, as when cert-manager renews it and the
// kubelet swaps the Secret volume's `..data` symlink. A pair that does not match is not taken: the
// server keeps the one it has and counts the failure.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { startWebhook, type WebhookServer } from '../../src/inject/server';
import { createLogger } from '../../src/log';
import { makeCerts, type TestCerts } from '../helpers/certs';

let server: WebhookServer;
const made: TestCerts[] = [];
afterEach(async () => {
  await server?.close();
  for (const c of made.splice(0)) c.remove();
});

/** The Secret volume's layout: tls.crt -> ..data/tls.crt, ..data -> ..<version>/. */
function secretVolume(dir: string, version: string, cert: Buffer, key: Buffer): void {
  fs.mkdirSync(path.join(dir, version));
  fs.writeFileSync(path.join(dir, version, 'tls.crt'), cert);
  fs.writeFileSync(path.join(dir, version, 'tls.key'), key);
  fs.symlinkSync(version, path.join(dir, '..data_tmp'));
  fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data')); // atomic, as the kubelet does
}

function servedFingerprint(url: string, ca: Buffer[]): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), ca, servername: 'localhost' }, () => {
      resolve(s.getPeerX509Certificate()!.fingerprint256);
      s.end();
    });
    s.on('error', reject);
  });
}

async function until(what: () => Promise<boolean>): Promise<void> {
  // Bounded by the test's timeout, not by a guess of how fast the machine is.
  while (!(await what())) await new Promise((r) => setTimeout(r, 25));
}

async function metric(series: string): Promise<number> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test('a renewed certificate is served after the ..data swap; a mismatched pair is refused and counted', async () => {
  const [first, second, third] = [makeCerts(), makeCerts(), makeCerts()];
  made.push(first, second, third);
  const dir = fs.mkdtempSync(path.join(first.dir, 'volume-'));
  secretVolume(dir, '..2026_12_01_00_00_00.1', first.serverCert, first.serverKey);
  fs.symlinkSync('..data/tls.crt', path.join(dir, 'tls.crt'));
  fs.symlinkSync('..data/tls.key', path.join(dir, 'tls.key'));
  server = await startWebhook({
    host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0, certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key'),
    admit: { defaults: new Map(), ownNamespace: null },
    log: createLogger({ level: 'error', write: () => undefined }),
  });
  const cas = [first.ca, second.ca, third.ca];
  const fp = (pem: Buffer) => new X509Certificate(pem).fingerprint256;
  expect(await servedFingerprint(server.url, cas)).toBe(fp(first.serverCert));

  secretVolume(dir, '..2026_12_02_00_00_00.2', second.serverCert, second.serverKey);
  await until(async () => (await servedFingerprint(server.url, cas)) === fp(second.serverCert));
  expect(await metric('mcp_trace_proxy_injector_tls_reloads_total')).toBe(1);

  // A certificate with another pair's key: refused, the renewed one stays.
  secretVolume(dir, '..2026_12_03_00_00_00.3', third.serverCert, second.serverKey);
  await until(async () => (await metric('mcp_trace_proxy_injector_errors_total{reason="tls_reload"}')) === 1);
  expect(await servedFingerprint(server.url, cas)).toBe(fp(second.serverCert));
  expect(await metric('mcp_trace_proxy_injector_tls_reloads_total')).toBe(1);
});
