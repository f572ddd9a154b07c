// The command line: with cli.ts, the only file that touches process.argv and process.exit.
import { ConfigError } from '../errors';
import { Config, parseConfig } from './config';
import { Logger, createLogger } from '../log';
import { runStdio } from '../proxy/stdio';
import { startServer } from '../server';
import { createTelemetry } from '../tracing/sdk';
import { createTap } from '../pipeline/create';
import { startAdmin } from '../admin';
import { VERSION } from '../version';
import { letYoungGenerationGrow } from '../heap';

const EXIT_CONFIG = 2;

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number | null> {
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
  const log = createLogger({ level: config.logLevel, format: config.logFormat ?? undefined, service: config.serviceName });
  if (config.stdio) return runStdioMode(config, log);
  const telemetry = createTelemetry(config, log);
  const proxy = await startServer(config, log, telemetry);
  letYoungGenerationGrow();
  const endpoint = `${proxy.url}${config.upstream.pathname === '/' ? '' : config.upstream.pathname}`;
  log.info(`mcp-trace-proxy ${VERSION} listening`, {
    url: endpoint,
    upstream: safeUrl(config.upstream.href),
    admin: proxy.adminUrl ?? 'off',
    traces: tracesSummary(config),
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

/** A URL fit for a log line: no user name, password or query (they may hold credentials). */
function safeUrl(raw: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return raw; // a gRPC host:port
  const u = new URL(raw);
  return `${u.origin}${u.pathname}`;
}

function tracesSummary(config: Config): string {
  if (!config.tracingEnabled) return 'disabled';
  if (config.tracesExporters.length === 0) return 'none';
  const otlp = `otlp ${config.tracesProtocol} ${config.otlpTracesUrl ? safeUrl(config.otlpTracesUrl) : '(OTEL_EXPORTER_OTLP_* default)'}`;
  return config.tracesExporters.map((e) => (e === 'otlp' ? otlp : e === 'zipkin' ? `zipkin ${safeUrl(config.zipkinUrl)}` : 'console')).join(', ');
}

/**
 * --stdio: stdout is the MCP channel, so everything the proxy says goes to stderr (the logger's).
 * Runs until the server process exits and returns its exit code.
 */
async function runStdioMode(config: Config, log: Logger): Promise<number> {
  const stdio = config.stdio as NonNullable<Config['stdio']>;
  let running = true;
  const telemetry = createTelemetry(config, log);
  // Started before the child, so a busy port exits 1 without leaving a server process behind.
  const admin = await startAdmin(config, telemetry, () => (running ? { ok: true } : { ok: false, reason: 'server process exited' }));
  const tap = telemetry ? createTap(telemetry, config, log) : null;
  const run = runStdio(config, tap, log);
  const onSignal = (sig: NodeJS.Signals) => run.signal(sig);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  log.info(`mcp-trace-proxy ${VERSION} wrapping a stdio server`, {
    // The arguments may carry keys or tokens: only the command and how many arguments it has.
    command: stdio.command,
    args: stdio.args.length,
    admin: admin?.url ?? 'off',
    traces: tracesSummary(config),
  });

  const code = await run.exit;
  running = false;
  tap?.shutdown();
  try {
    await telemetry?.shutdown(); // flushes the span queue
  } catch (err) {
    log.warn('could not flush spans at exit', { error: (err as Error).message });
  }
  await admin?.close();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return code;
}

/** Runs the command line of this process. */
export function run(): void {
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
