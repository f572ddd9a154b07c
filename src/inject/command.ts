// `mcp-trace-proxy inject-webhook`: flags to typed options, the settings checked as the proxy would
// check them, then the server. Bad flags exit 2 before listening, as the proxy's do.
import fs from 'node:fs';
import { ConfigError } from '../errors';
import { createLogger } from '../log';
import { VERSION } from '../version';
import { InjectError } from './errors';
import { parseWebhookArgs } from './options';
import { planSidecar } from './patch';
import type { PodView } from './pod';
import { checkWithProxy } from './proxy-check';
import { type RawSettings, resolveSettings } from './settings';
import { startWebhook } from './server';
import { readKeyPair } from './tls';

const EXIT_CONFIG = 2;

/** The settings as a pod without annotations would get them: a bad default fails here, not on every pod. */
function checkDefaults(raw: RawSettings): void {
  const settings = resolveSettings(raw);
  const port = [3000, 3001, 3002].find((p) => p !== settings.proxyPort && p !== settings.adminPort) as number;
  const pod: PodView = {
    name: 'check', generateName: null, labels: {}, annotations: {}, containers: [{ name: 'server', ports: [{ containerPort: port, name: null }] }],
    initContainers: [], hasInitContainers: false, hasVolumes: false, volumeNames: [], hostNetwork: false,
  };
  const plan = planSidecar(pod, settings);
  checkWithProxy(plan.env, plan.from, settings);
}

function checkTlsFiles(certFile: string, keyFile: string): void {
  for (const [flag, file] of [['--tls-cert', certFile], ['--tls-key', keyFile]]) {
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch (err) {
      throw new ConfigError(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  try {
    readKeyPair(certFile, keyFile);
  } catch (err) {
    throw new ConfigError(`--tls-cert/--tls-key: ${(err as Error).message}`);
  }
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  let options;
  try {
    const parsed = parseWebhookArgs(argv, env, VERSION);
    if (parsed.kind === 'exit') {
      process.stdout.write(parsed.output + '\n');
      return 0;
    }
    options = parsed.options;
    checkDefaults(options.settings);
    checkTlsFiles(options.certFile, options.keyFile);
  } catch (err) {
    if (err instanceof ConfigError || (err instanceof InjectError && err.code === 'MTP_INJECT_BAD_SETTING')) {
      process.stderr.write(`mcp-trace-proxy inject-webhook: ${err.message}\nRun mcp-trace-proxy inject-webhook --help for the options.\n`);
      return EXIT_CONFIG;
    }
    throw err;
  }
  const log = createLogger({ level: options.logLevel, format: options.logFormat ?? undefined, service: 'mcp-trace-proxy-injector' });
  const server = await startWebhook({
    host: options.host,
    port: options.port,
    adminHost: options.adminHost,
    adminPort: options.adminPort,
    certFile: options.certFile,
    keyFile: options.keyFile,
    admit: { defaults: options.settings, ownNamespace: options.namespace },
    log,
  });
  // Settings are not logged: a header rule or an endpoint may carry what should stay private.
  log.info(`mcp-trace-proxy ${VERSION} inject-webhook listening`, { url: server.url, admin: server.adminUrl ?? 'off', namespace: options.namespace ?? '' });
  let signals = 0;
  const stop = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(1);
    log.info(`${sig}: stopping`);
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return null;
}

/** Runs `inject-webhook` with the arguments after it. */
export function run(argv: readonly string[]): void {
  main(argv, process.env).then(
    (code) => {
      if (code !== null) process.exitCode = code;
    },
    (err: unknown) => {
      const code = (err as { code?: string }).code;
      process.stderr.write(`mcp-trace-proxy inject-webhook: ${code === 'EADDRINUSE' ? 'the port is already in use (choose another with --port / --admin-port)' : (err as Error).message}\n`);
      process.exit(1);
    },
  );
}
