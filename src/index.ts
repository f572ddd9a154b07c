// Programmatic entry: createProxy(config) starts a proxy and returns a handle to stop it.
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { startProxy } from './app';
import { ConfigInput, configFrom } from './cli/config';
import { Logger, createLogger } from './log';
import type { RunningProxy } from './server';

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
  return startProxy(full, log, options.spanProcessors);
}
