// The command line: with cli.ts, the only file that touches process.argv and process.exit. It
// parses once (config.ts) and hands the Config to the composition root (app.ts).
import { runStdioMode, startProxy } from '../app';
import { ConfigError } from '../errors';
import { Config, parseConfig } from './config';
import { Logger, createLogger } from '../log';
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
  if (config.stdio) return runStdio(config, log);
  const proxy = await startProxy(config, log);
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

/** --stdio: runs until the server process exits, and returns its exit code. */
function runStdio(config: Config, log: Logger): Promise<number> {
  const stdio = config.stdio as NonNullable<Config['stdio']>;
  return runStdioMode(config, log, (adminUrl) => log.info(`mcp-trace-proxy ${VERSION} wrapping a stdio server`, {
    // The arguments may carry keys or tokens: only the command and how many arguments it has.
    command: stdio.command,
    args: stdio.args.length,
    admin: adminUrl ?? 'off',
    traces: tracesSummary(config),
  }));
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
