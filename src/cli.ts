#!/usr/bin/env node
// The command line: the only file that touches process.argv and process.exit.
import { ConfigError } from './errors';
import { parseConfig } from './config';
import { createLogger } from './log';
import { startServer } from './server';
import { createTelemetry } from './tracing/sdk';
import { VERSION } from './version';

const EXIT_CONFIG = 2;

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const log = createLogger();
  let parsed;
  try {
    parsed = parseConfig(argv, env, VERSION);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mcp-trace-proxy: ${err.message}\nRun mcp-trace-proxy --help for the options.\n`);
      return EXIT_CONFIG;
    }
    throw err;
  }
  if (parsed.kind === 'exit') {
    process.stdout.write(parsed.output + '\n');
    return 0;
  }
  const config = parsed.config;
  const telemetry = createTelemetry(config, log);
  const proxy = await startServer(config, log, telemetry);
  const endpoint = `${proxy.url}${config.upstream.pathname === '/' ? '' : config.upstream.pathname}`;
  log.info(`mcp-trace-proxy ${VERSION} listening`, {
    url: endpoint,
    upstream: config.upstream.href,
    admin: proxy.adminUrl ?? 'off',
    traces: !config.tracingEnabled ? 'disabled' : config.tracesExporters.length === 0 ? 'none' : config.tracesExporters.map((e) => (e === 'otlp' ? `otlp ${config.otlpTracesUrl ?? '(OTEL_EXPORTER_OTLP_* default)'}` : 'console')).join(', '),
  });

  let signals = 0;
  const stop = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn(`second ${sig}: exiting now`);
      process.exit(1);
    }
    log.info(`${sig}: draining`, { grace_ms: config.shutdownGraceMs });
    void proxy.close().then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return null; // keep running
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      if (code !== null) process.exitCode = code;
    },
    (err: unknown) => {
      const code = (err as { code?: string }).code;
      process.stderr.write(`mcp-trace-proxy: ${code === 'EADDRINUSE' ? 'the port is already in use (choose another with --port / --admin-port)' : (err as Error).message}\n`);
      process.exit(1);
    },
  );
}
