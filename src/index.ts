// Programmatic entry: createProxy(config) starts a proxy and returns a handle to stop it.
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ConfigInput, configFrom } from './cli/config';
import { Logger, createLogger } from './log';
import { RunningProxy, startServer } from './server';
import { createTelemetry } from './tracing/sdk';

export type { Config, ConfigInput } from './cli/config';
export type { RunningProxy } from './server';
export { ConfigError, ProxyError } from './errors';
export { configFrom, parseConfig } from './cli/config';

export interface ProxyOptions {
  /** Replace the exporters chosen by config (e.g. an in-memory exporter in tests). */
  readonly spanProcessors?: SpanProcessor[];
  readonly logger?: Logger;
}

/** Starts the proxy. `config` may be a full Config or just the fields to change from the defaults. */
export async function createProxy(config: ConfigInput, options: ProxyOptions = {}): Promise<RunningProxy> {
  const full = configFrom(config);
  const log = options.logger ?? createLogger({ level: full.logLevel, format: full.logFormat ?? undefined, service: full.serviceName });
  const telemetry = createTelemetry(full, log, options.spanProcessors);
  try {
    return await startServer(full, log, telemetry);
  } catch (err) {
    await telemetry?.shutdown();
    throw err;
  }
}
