// The OpenTelemetry SDK variables the proxy honours itself (OTEL_*), parsed and validated once.
// A bad value is a ConfigError naming the variable, so a typo exits 2 instead of being ignored.
import { ConfigError } from './errors';

export type TracesExporter = 'otlp' | 'console';
export type Propagator = 'tracecontext' | 'baggage' | 'b3' | 'b3multi';
export type SamplerName =
  | 'always_on' | 'always_off' | 'traceidratio'
  | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

/** What the OTEL_* variables configure; part of Config. */
export interface OtelConfig {
  /** Metric readers from OTEL_METRICS_EXPORTER (default prometheus: /metrics on the admin port). */
  readonly metricsExporters: readonly ('prometheus' | 'otlp')[];
  readonly otlpMetricsUrl: string | null;
  readonly metricExportIntervalMs: number;
  /** OTEL_SDK_DISABLED: forward only, no spans, no propagation. */
  readonly tracingEnabled: boolean;
  /** Empty when OTEL_TRACES_EXPORTER=none. */
  readonly tracesExporters: readonly TracesExporter[];
  /** The OTLP traces URL (…/v1/traces), or null when no endpoint is configured. */
  readonly otlpTracesUrl: string | null;
  readonly propagators: readonly Propagator[];
  readonly sampler: SamplerName;
  readonly samplerArg: number;
}

function listOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], dflt: readonly T[]): T[] | null {
  const raw = env[name]?.trim();
  if (!raw) return [...dflt];
  const items = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (items.length === 1 && items[0] === 'none') return null;
  for (const it of items) {
    if (!(allowed as readonly string[]).includes(it)) {
      throw new ConfigError(`${name}: unknown value ${JSON.stringify(it)}; expected a comma-separated list of ${[...allowed, 'none'].join(', ')}`);
    }
  }
  return items as T[];
}

function httpUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    if (u.protocol === 'http:' || u.protocol === 'https:') return raw;
  } catch {
    // fall through to the error below
  }
  throw new ConfigError(`${name}: invalid value ${JSON.stringify(raw)}; expected an http:// or https:// URL, e.g. http://localhost:4318`);
}

/** The OTel SDK variables the proxy honours itself, validated so a typo exits 2 instead of being ignored. */
export function otelConfig(env: NodeJS.ProcessEnv): OtelConfig {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (disabled && disabled !== 'true' && disabled !== 'false') {
    throw new ConfigError(`OTEL_SDK_DISABLED: invalid value ${JSON.stringify(env.OTEL_SDK_DISABLED)}; expected true or false`);
  }
  for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) {
    const p = env[name]?.trim();
    if (p && p !== 'http/protobuf') throw new ConfigError(`${name}: unsupported value ${JSON.stringify(p)}; this proxy exports http/protobuf only`);
  }
  for (const name of ['OTEL_EXPORTER_OTLP_COMPRESSION', 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION']) {
    const c = env[name]?.trim();
    if (c && c !== 'gzip' && c !== 'none') throw new ConfigError(`${name}: invalid value ${JSON.stringify(c)}; expected gzip or none`);
  }
  for (const name of [
    'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_BSP_EXPORT_TIMEOUT',
    'OTEL_BSP_MAX_QUEUE_SIZE', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  ]) {
    const v = env[name]?.trim();
    if (v && !/^\d+$/.test(v)) throw new ConfigError(`${name}: invalid value ${JSON.stringify(v)}; expected a non-negative integer`);
  }

  const tracesUrl = httpUrl(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseUrl = httpUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  // As the OTel spec defines: the signal-specific URL is used as is; the base one gets /v1/traces.
  const otlpTracesUrl = tracesUrl ?? (baseUrl ? `${baseUrl.replace(/\/+$/, '')}/v1/traces` : null);

  // Without OTEL_TRACES_EXPORTER: OTLP when an endpoint is set, else readable console lines.
  const exporters = listOf<TracesExporter>(env, 'OTEL_TRACES_EXPORTER', ['otlp', 'console'], otlpTracesUrl ? ['otlp'] : ['console']) ?? [];
  const propagators = listOf<Propagator>(env, 'OTEL_PROPAGATORS', ['tracecontext', 'baggage', 'b3', 'b3multi'], ['tracecontext', 'baggage']) ?? [];

  const samplers: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];
  const sampler = (env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on') as SamplerName;
  if (!samplers.includes(sampler)) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER: unknown value ${JSON.stringify(env.OTEL_TRACES_SAMPLER)}; expected one of ${samplers.join(', ')}`);
  }
  const argRaw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const samplerArg = argRaw ? Number(argRaw) : 1;
  if (!(samplerArg >= 0 && samplerArg <= 1)) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG: invalid value ${JSON.stringify(argRaw)}; expected a sampling ratio from 0 to 1, e.g. 0.25`);
  }

  const metricsUrl = httpUrl(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  const otlpMetricsUrl = metricsUrl ?? (baseUrl ? `${baseUrl.replace(/\/+$/, '')}/v1/metrics` : null);
  const metricsExporters = listOf<'prometheus' | 'otlp'>(env, 'OTEL_METRICS_EXPORTER', ['prometheus', 'otlp'], ['prometheus']) ?? [];
  const intervalRaw = env.OTEL_METRIC_EXPORT_INTERVAL?.trim();
  if (intervalRaw && !/^[1-9]\d*$/.test(intervalRaw)) {
    throw new ConfigError(`OTEL_METRIC_EXPORT_INTERVAL: invalid value ${JSON.stringify(intervalRaw)}; expected milliseconds, e.g. 60000`);
  }
  const metricExportIntervalMs = intervalRaw ? Number(intervalRaw) : 60_000;

  return {
    tracingEnabled: disabled !== 'true', tracesExporters: exporters, otlpTracesUrl, propagators, sampler, samplerArg,
    metricsExporters, otlpMetricsUrl, metricExportIntervalMs,
  };
}

