// Certificates made at test time with openssl: a CA, a server certificate for 127.0.0.1/localhost,
// and a client certificate, all signed by that CA. Nothing is checked in.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCerts {
  readonly dir: string;
  /** File paths, as the OTEL_EXPORTER_OTLP_* variables take them. */
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** The same files' contents, for servers. */
  readonly ca: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Fails (does not skip) when openssl is missing: the TLS tests need it. */
export function makeCerts(clientCN = 'mcp-trace-proxy-test-client'): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtp-certs-'));
  const key = (name: string) => openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
  key('ca');
  openssl(dir, ['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=mcp-trace-proxy test CA', '-out', 'ca.crt',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const leaf = (name: string, cn: string, ext: string) => {
    key(name);
    openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256',
      '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  };
  leaf('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', clientCN, 'extendedKeyUsage=clientAuth\n');
  const f = (n: string) => path.join(dir, n);
  return {
    dir,
    caFile: f('ca.crt'), serverCertFile: f('server.crt'), serverKeyFile: f('server.key'), clientCertFile: f('client.crt'), clientKeyFile: f('client.key'),
    ca: fs.readFileSync(f('ca.crt')), serverCert: fs.readFileSync(f('server.crt')), serverKey: fs.readFileSync(f('server.key')),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
