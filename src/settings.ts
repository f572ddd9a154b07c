// The settings the composition root (app.ts) builds the proxy from: one read-only object that the
// command line (src/cli/) fills from flags and environment, once. Defined here, beside the root
// that consumes it, so the root depends on no part of the command line.
import type { InjectMeta } from './pipeline/inject-rule';
import type { AttributeRule } from './tracing/caller';
import type { OtlpProtocol, TracesExporter } from './tracing/exporters';
import type { Propagator } from './tracing/propagation';
import type { SamplerName } from './tracing/sdk';

/** What the OTEL_* variables configure: part of Config. */
export interface OtelConfig {
  /** Metric readers from OTEL_METRICS_EXPORTER (default prometheus: /metrics on the admin port). */
  readonly metricsExporters: readonly ('prometheus' | 'otlp')[];
  /** The OTLP metrics endpoint (…/v1/metrics over HTTP, as given over gRPC), or null: the exporter's default. */
  readonly otlpMetricsUrl: string | null;
  readonly metricsProtocol: OtlpProtocol;
  readonly metricExportIntervalMs: number;
  /** OTEL_SDK_DISABLED: forward only, no spans, no propagation. */
  readonly tracingEnabled: boolean;
  /** Empty when OTEL_TRACES_EXPORTER=none. */
  readonly tracesExporters: readonly TracesExporter[];
  /** The OTLP traces endpoint (…/v1/traces over HTTP, as given over gRPC), or null when none is configured. */
  readonly otlpTracesUrl: string | null;
  readonly tracesProtocol: OtlpProtocol;
  /** OTEL_EXPORTER_ZIPKIN_ENDPOINT, for OTEL_TRACES_EXPORTER=zipkin. */
  readonly zipkinUrl: string;
  readonly propagators: readonly Propagator[];
  readonly sampler: SamplerName;
  readonly samplerArg: number;
}

export interface StdioCommand {
  readonly command: string;
  readonly args: readonly string[];
}

export interface Config extends OtelConfig {
  /** The HTTP(S) upstream; with --stdio, a placeholder that is never contacted. */
  readonly upstream: URL;
  /** --stdio: wrap this server command instead of proxying HTTP. */
  readonly stdio: StdioCommand | null;
  readonly host: string;
  readonly port: number;
  readonly adminHost: string;
  /** null: no admin listener. */
  readonly adminPort: number | null;
  readonly serviceName: string;
  /** Trace context into `params._meta`: auto creates `_meta` only where it cannot change the server's reading. */
  readonly injectMeta: InjectMeta;
  /** Without a tools/list or prompts/list from the upstream, how many distinct names become metric labels. */
  readonly metricMaxTools: number;
  readonly preserveHost: boolean;
  readonly maxBodyBytes: number;
  readonly upstreamTimeoutMs: number;
  readonly pendingTimeoutMs: number;
  readonly shutdownGraceMs: number;
  /** Before closing the listener at shutdown, answer /readyz 503 for this long (so Kubernetes removes the endpoint). */
  readonly drainDelayMs: number;
  /** Opt-in: tool arguments / results on spans, redacted and truncated. */
  readonly captureArguments: boolean;
  readonly captureResults: boolean;
  readonly captureMaxLength: number;
  /** Estimate each result's tokens (js-tiktoken, loaded only then). */
  readonly estimateTokens: boolean;
  /** Normalized key fragments whose values are masked (defaults plus --redact-key). */
  readonly redactKeys: readonly string[];
  /** Host / Origin allow-lists (lower case); null: no check by the proxy. */
  readonly allowedHosts: readonly string[] | null;
  readonly allowedOrigins: readonly string[] | null;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** null: pretty on a terminal, JSON otherwise. */
  readonly logFormat: 'json' | 'pretty' | null;
  /** One log line per MCP operation (method, target, duration, status, trace id). */
  readonly accessLog: boolean;
  /** Add a W3C `traceresponse` header naming the operation's trace to the client's response. */
  readonly traceResponse: boolean;
  /** The live view (page and JSON API) on the admin port. */
  readonly ui: boolean;
  /** How many finished spans the live view keeps. */
  readonly uiBuffer: number;
  /** OpenInference attributes (Phoenix, Langfuse) beside the MCP ones. */
  readonly openinference: boolean;
  /** Caller attribution: request headers and bearer-JWT claims copied onto the spans. */
  readonly attributeHeaders: readonly AttributeRule[];
  readonly attributeJwtClaims: readonly AttributeRule[];
  /** Attributes recorded as an HMAC-SHA256 of the value, keyed by MCP_TRACE_PROXY_HASH_KEY. */
  readonly hashAttributes: readonly string[];
  readonly hashKey: string | null;
  /** Attributes that are also labels of the operation histograms, each bounded by metricMaxValues. */
  readonly metricAttributes: readonly string[];
  readonly metricMaxValues: number;
  /** Export an operation the head sampler dropped when it fails (keepErrors) or is slower than keepSlowMs. */
  readonly keepErrors: boolean;
  readonly keepSlowMs: number | null;
  /** --record: the cassette file, or null; rotated at recordMaxBytes; force: replace an existing one. */
  readonly record: string | null;
  readonly recordMaxBytes: number;
  readonly force: boolean;
}
