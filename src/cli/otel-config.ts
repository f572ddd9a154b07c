// The OpenTelemetry SDK variables the proxy honours itself (OTEL_*), parsed and validated once.
// A bad value is a ConfigError naming the variable, so a typo exits 2 instead of being ignored.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors';

import type { OtelConfig } from '../settings';
import type { OtlpProtocol, TracesExporter } from '../tracing/exporters';
import type { Propagator } from '../tracing/propagation';
import type { SamplerName } from '../tracing/sdk';

export type { OtelConfig, OtlpProtocol, Propagator, SamplerName, TracesExporter };


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

const PROTOCOLS: readonly OtlpProtocol[] = ['grpc', 'http/protobuf', 'http/json'];

/** The protocol of one signal: its own variable, else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
function protocolOf(env: NodeJS.ProcessEnv, signal: 'TRACES' | 'METRICS'): OtlpProtocol {
  for (const name of [`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const p = env[name]?.trim();
    if (!p) continue;
    if (!(PROTOCOLS as readonly string[]).includes(p)) {
      throw new ConfigError(`${name}: unsupported value ${JSON.stringify(p)}; expected grpc, http/protobuf or http/json`);
    }
    return p as OtlpProtocol;
  }
  return 'http/protobuf';
}

/**
 * The endpoint of one signal as the OTel spec defines it: the signal's own URL as is; the base URL
 * with /v1/<signal> appended over HTTP, as is over gRPC; null when neither is set.
 */
function endpointOf(env: NodeJS.ProcessEnv, signal: 'TRACES' | 'METRICS', protocol: OtlpProtocol): string | null {
  // gRPC also takes host:port without a scheme: TLS then, unless OTEL_EXPORTER_OTLP_INSECURE=true.
  const url = (name: string) => {
    const raw = env[name]?.trim();
    return protocol === 'grpc' && raw && /^([\w.-]+|\[[0-9a-f:.]+\]):\d{1,5}$/i.test(raw) ? raw : httpUrl(env, name);
  };
  const own = url(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`);
  const base = url('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (own) return own;
  if (!base) return null;
  return protocol === 'grpc' ? base : `${base.replace(/\/+$/, '')}/v1/${signal.toLowerCase()}`;
}

/** Reads a PEM file named by a variable; a missing, unreadable or unparseable file names the variable. */
function pemFile(env: NodeJS.ProcessEnv, name: string, what: 'certificate' | 'key'): void {
  const file = env[name]?.trim();
  if (!file) return;
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (e) {
    throw new ConfigError(`${name}: cannot read ${JSON.stringify(file)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a readable PEM ${what} file`);
  }
  try {
    if (what === 'key') createPrivateKey(pem);
    else if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
    else new X509Certificate(pem);
  } catch {
    throw new ConfigError(`${name}: ${JSON.stringify(file)} is not a PEM ${what === 'key' ? 'private key' : 'certificate'}; expected a readable PEM ${what} file`);
  }
}

/**
 * TLS to the collector: the OTLP exporters read these files themselves, but a bad path only makes
 * them log and fall back. Checked here, so it is a startup error naming the variable.
 */
function checkTls(env: NodeJS.ProcessEnv): void {
  for (const signal of ['', 'TRACES_', 'METRICS_']) {
    pemFile(env, `OTEL_EXPORTER_OTLP_${signal}CERTIFICATE`, 'certificate');
    pemFile(env, `OTEL_EXPORTER_OTLP_${signal}CLIENT_CERTIFICATE`, 'certificate');
    pemFile(env, `OTEL_EXPORTER_OTLP_${signal}CLIENT_KEY`, 'key');
    const insecure = env[`OTEL_EXPORTER_OTLP_${signal}INSECURE`]?.trim().toLowerCase();
    if (insecure && insecure !== 'true' && insecure !== 'false') {
      throw new ConfigError(`OTEL_EXPORTER_OTLP_${signal}INSECURE: invalid value ${JSON.stringify(insecure)}; expected true or false`);
    }
  }
  // A client certificate needs its key and the other way round, per signal (the signal's own variable, else the general one).
  for (const signal of ['TRACES_', 'METRICS_']) {
    const pick = (k: string) => (env[`OTEL_EXPORTER_OTLP_${signal}${k}`]?.trim() ? `OTEL_EXPORTER_OTLP_${signal}${k}` : env[`OTEL_EXPORTER_OTLP_${k}`]?.trim() ? `OTEL_EXPORTER_OTLP_${k}` : null);
    const cert = pick('CLIENT_CERTIFICATE');
    const key = pick('CLIENT_KEY');
    if (!cert !== !key) {
      const missing = cert ? 'CLIENT_KEY' : 'CLIENT_CERTIFICATE';
      throw new ConfigError(`${cert ?? key} is set but neither OTEL_EXPORTER_OTLP_${missing} nor OTEL_EXPORTER_OTLP_${signal}${missing} is; mTLS needs the client certificate and its key`);
    }
  }
}

/** The OTel SDK variables the proxy honours itself, validated so a typo exits 2 instead of being ignored. */
export function otelConfig(env: NodeJS.ProcessEnv): OtelConfig {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (disabled && disabled !== 'true' && disabled !== 'false') {
    throw new ConfigError(`OTEL_SDK_DISABLED: invalid value ${JSON.stringify(env.OTEL_SDK_DISABLED)}; expected true or false`);
  }
  const tracesProtocol = protocolOf(env, 'TRACES');
  const metricsProtocol = protocolOf(env, 'METRICS');
  for (const name of ['OTEL_EXPORTER_OTLP_COMPRESSION', 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION']) {
    const c = env[name]?.trim();
    if (c && c !== 'gzip' && c !== 'none') throw new ConfigError(`${name}: invalid value ${JSON.stringify(c)}; expected gzip or none`);
  }
  for (const name of [
    'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_BSP_SCHEDULE_DELAY',
    'OTEL_BSP_EXPORT_TIMEOUT', 'OTEL_BSP_MAX_QUEUE_SIZE', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  ]) {
    const v = env[name]?.trim();
    if (v && !/^\d+$/.test(v)) throw new ConfigError(`${name}: invalid value ${JSON.stringify(v)}; expected a non-negative integer`);
  }
  checkTls(env);

  const otlpTracesUrl = endpointOf(env, 'TRACES', tracesProtocol);
  const zipkinUrl = httpUrl(env, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT') ?? 'http://localhost:9411/api/v2/spans';

  // Without OTEL_TRACES_EXPORTER: OTLP when an endpoint is set, else readable console lines.
  const exporters = listOf<TracesExporter>(env, 'OTEL_TRACES_EXPORTER', ['otlp', 'console', 'zipkin'], otlpTracesUrl ? ['otlp'] : ['console']) ?? [];
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

  const otlpMetricsUrl = endpointOf(env, 'METRICS', metricsProtocol);
  const metricsExporters = listOf<'prometheus' | 'otlp'>(env, 'OTEL_METRICS_EXPORTER', ['prometheus', 'otlp'], ['prometheus']) ?? [];
  const intervalRaw = env.OTEL_METRIC_EXPORT_INTERVAL?.trim();
  if (intervalRaw && !/^[1-9]\d*$/.test(intervalRaw)) {
    throw new ConfigError(`OTEL_METRIC_EXPORT_INTERVAL: invalid value ${JSON.stringify(intervalRaw)}; expected milliseconds, e.g. 60000`);
  }
  const metricExportIntervalMs = intervalRaw ? Number(intervalRaw) : 60_000;

  return {
    tracingEnabled: disabled !== 'true', tracesExporters: exporters, otlpTracesUrl, tracesProtocol, zipkinUrl, propagators, sampler, samplerArg,
    metricsExporters, otlpMetricsUrl, metricsProtocol, metricExportIntervalMs,
  };
}
