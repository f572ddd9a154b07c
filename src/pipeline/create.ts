// The tap for a config: its tracing, its injection rule, its bounds.
import type { Config } from '../cli/config';
import type { Logger } from '../log';
import type { Telemetry } from '../tracing/sdk';
import { createTracing } from '../tracing/spans';
import type { CallerRules } from '../tracing/caller';
import { Tap } from './tap';

/** Pending requests one scope (a session, a connection) may hold: far past any real client. */
const MAX_PENDING_PER_SCOPE = 1024;
/** Pending requests in all: a bound on memory whatever the clients do (about 1 KiB each). */
const MAX_PENDING_TOTAL = 65_536;

export function callerRules(config: Config): CallerRules {
  return { headers: config.attributeHeaders, claims: config.attributeJwtClaims, hashed: new Set(config.hashAttributes), hashKey: config.hashKey };
}

export function createTap(telemetry: Telemetry, config: Config, log: Logger): Tap {
  return new Tap(createTracing(telemetry, config, log), telemetry.counters, {
    injectMeta: config.injectMeta,
    maxFrameBytes: config.maxBodyBytes,
    caller: callerRules(config),
    limits: { maxPerScope: MAX_PENDING_PER_SCOPE, maxTotal: MAX_PENDING_TOTAL, ttlMs: config.pendingTimeoutMs },
  }, log);
}
