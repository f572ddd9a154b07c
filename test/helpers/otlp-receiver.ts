// A real OTLP/HTTP (protobuf) trace and metrics receiver for tests.
//
// It decodes request bodies with its own copy of the opentelemetry-proto schema
// (field numbers from collector/trace/v1, collector/metrics/v1, trace/v1, metrics/v1,
// common/v1, resource/v1), so a bug in the exporter's encoder cannot be hidden by
// sharing the same decoder.
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import * as protobuf from 'protobufjs';
import { decodeJsonMetrics, decodeJsonSpans } from './otlp-json';

export type AttrValue = string | number | boolean | AttrValue[] | { [k: string]: AttrValue } | null;

export interface ReceivedSpan {
  traceId: string; spanId: string; parentSpanId: string; // lowercase hex, '' when absent
  traceState: string;
  name: string; kind: number; // OTLP enum: 1 INTERNAL 2 SERVER 3 CLIENT 4 PRODUCER 5 CONSUMER
  startTimeUnixNano: bigint; endTimeUnixNano: bigint;
  attributes: Record<string, AttrValue>; // int64 values as number, bytes as base64 (as in OTLP/JSON)
  events: { name: string; timeUnixNano: bigint; attributes: Record<string, AttrValue> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, AttrValue> }[];
  status: { code: number; message: string }; // 0 UNSET 1 OK 2 ERROR
  resource: Record<string, AttrValue>;
  scope: { name: string; version: string };
}

export type MetricKind = 'sum' | 'gauge' | 'histogram' | 'exponential_histogram' | 'summary' | 'none';

/** One data point, flattened: number points have `value`, histogram-like points `count`/`sum`/buckets. */
export interface ReceivedMetricPoint {
  attributes: Record<string, AttrValue>;
  startTimeUnixNano: bigint; timeUnixNano: bigint;
  value?: number; // NumberDataPoint as_double or as_int (int64 as number)
  count?: number; sum?: number; min?: number; max?: number; // histogram / exponential histogram / summary
  bucketCounts?: number[]; explicitBounds?: number[]; // explicit-bucket histogram only
}

/** One Metric of one export request (a metric exported every interval appears once per export). */
export interface ReceivedMetric {
  export: number; // index of the export request it came in, from 0: groups the metrics of one export
  name: string; description: string; unit: string;
  kind: MetricKind;
  temporality?: number; // OTLP AggregationTemporality: 1 DELTA 2 CUMULATIVE (sum, histogram, exponential_histogram)
  isMonotonic?: boolean; // sum only
  resource: Record<string, AttrValue>;
  scope: { name: string; version: string };
  points: ReceivedMetricPoint[];
}

export interface OtlpReceiverOptions {
  status?: number; // HTTP status to answer (default 200)
  delayMs?: number; // wait this long before answering
  hang?: boolean; // accept the request and never answer (until close)
  /** Serve https and require a client certificate signed by `ca` (mTLS). */
  tls?: { key: Buffer; cert: Buffer; ca: Buffer };
}

export interface OtlpReceiver {
  readonly url: string;
  readonly tracesUrl: string;
  readonly metricsUrl: string;
  readonly spans: ReceivedSpan[];
  /** Every metric of every export to /v1/metrics, in arrival order (see ReceivedMetric.export). */
  readonly metrics: ReceivedMetric[];
  /** clientCertCN: the common name of the verified client certificate, over TLS. */
  readonly requests: { path: string; headers: http.IncomingHttpHeaders; bytes: number; clientCertCN?: string }[];
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  waitForMetrics(predicate: (metrics: ReceivedMetric[]) => boolean, timeoutMs?: number): Promise<ReceivedMetric[]>;
  close(): Promise<void>;
}

// Package names do not appear on the wire, so one flat package keeps the schema short;
// only field numbers and wire types matter. Unused fields (dropped counts, schema_url) are omitted
// and simply skipped by the decoder.
const PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  fixed32 flags = 16; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
  repeated Event events = 11;
  message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; fixed32 flags = 6; }
  repeated Link links = 13;
  Status status = 15;
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }

message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; }
message Metric {
  string name = 1; string description = 2; string unit = 3;
  oneof data {
    Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9;
    ExponentialHistogram exponential_histogram = 10; Summary summary = 11;
  }
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message ExponentialHistogram { repeated ExponentialHistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message Summary { repeated SummaryDataPoint data_points = 1; }
message NumberDataPoint {
  repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; }
  uint32 flags = 8;
}
message HistogramDataPoint {
  repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  fixed64 count = 4; optional double sum = 5;
  repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7;
  uint32 flags = 10; optional double min = 11; optional double max = 12;
}
message ExponentialHistogramDataPoint {
  repeated KeyValue attributes = 1; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  fixed64 count = 4; optional double sum = 5; sint32 scale = 6; fixed64 zero_count = 7;
  uint32 flags = 10; optional double min = 12; optional double max = 13;
}
message SummaryDataPoint {
  repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  fixed64 count = 4; double sum = 5;
}
`;
const protoRoot = protobuf.parse(PROTO).root;
const RequestType = protoRoot.lookupType('otlp.ExportTraceServiceRequest');
const MetricsRequestType = protoRoot.lookupType('otlp.ExportMetricsServiceRequest');

const MAX_BODY = 32 * 1024 * 1024; // a runaway test should fail, not eat the heap

// Shapes of the decoded messages (protobufjs camelCases field names; 64-bit ints arrive as Long or number).
type Int64 = number | { low: number; high: number };
type PbKV = { key: string; value?: PbAny | null };
type PbAny = {
  value?: string; stringValue?: string; boolValue?: boolean; intValue?: Int64; doubleValue?: number;
  arrayValue?: { values: PbAny[] }; kvlistValue?: { values: PbKV[] }; bytesValue?: Uint8Array;
};
type PbSpan = {
  traceId: Uint8Array; spanId: Uint8Array; traceState: string; parentSpanId: Uint8Array; name: string; kind: number;
  startTimeUnixNano: Int64; endTimeUnixNano: Int64; attributes: PbKV[];
  events: { timeUnixNano: Int64; name: string; attributes: PbKV[] }[];
  links: { traceId: Uint8Array; spanId: Uint8Array; attributes: PbKV[] }[];
  status?: { code: number; message: string } | null;
};
type PbRequest = {
  resourceSpans: {
    resource?: { attributes: PbKV[] } | null;
    scopeSpans: { scope?: { name: string; version: string } | null; spans: PbSpan[] }[];
  }[];
};

// Metrics. Fields of a oneof or proto3 `optional` are own properties of the decoded message only when
// they were on the wire; the oneof getters (`data`, `value`) name the member that is set.
type PbNumberPoint = {
  attributes: PbKV[]; startTimeUnixNano: Int64; timeUnixNano: Int64;
  value?: 'asDouble' | 'asInt'; asDouble?: number; asInt?: Int64;
};
type PbHistogramPoint = {
  attributes: PbKV[]; startTimeUnixNano: Int64; timeUnixNano: Int64;
  count: Int64; sum?: number; bucketCounts: Int64[]; explicitBounds: number[]; min?: number; max?: number;
};
type PbMetric = {
  name: string; description: string; unit: string;
  data?: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  gauge?: { dataPoints: PbNumberPoint[] };
  sum?: { dataPoints: PbNumberPoint[]; aggregationTemporality: number; isMonotonic: boolean };
  histogram?: { dataPoints: PbHistogramPoint[]; aggregationTemporality: number };
  exponentialHistogram?: { dataPoints: PbHistogramPoint[]; aggregationTemporality: number };
  summary?: { dataPoints: PbHistogramPoint[] };
};
type PbMetricsRequest = {
  resourceMetrics: {
    resource?: { attributes: PbKV[] } | null;
    scopeMetrics: { scope?: { name: string; version: string } | null; metrics: PbMetric[] }[];
  }[];
};

const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : '');
const u64 = (v: Int64 | undefined): bigint =>
  v === undefined ? 0n : typeof v === 'number' ? BigInt(v) : (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);

function anyValue(v: PbAny | null | undefined): AttrValue {
  switch (v?.value) { // protobufjs' oneof getter names the member that is set
    case 'stringValue': return v.stringValue ?? '';
    case 'boolValue': return v.boolValue ?? false;
    case 'intValue': return Number(BigInt.asIntN(64, u64(v.intValue)));
    case 'doubleValue': return v.doubleValue ?? 0;
    case 'arrayValue': return (v.arrayValue?.values ?? []).map(anyValue);
    case 'kvlistValue': return attrs(v.kvlistValue?.values);
    case 'bytesValue': return Buffer.from(v.bytesValue ?? []).toString('base64');
    default: return null; // empty AnyValue
  }
}

function attrs(kvs: PbKV[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of kvs ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

export function decodeSpans(body: Buffer): ReceivedSpan[] {
  const req = RequestType.decode(body) as unknown as PbRequest;
  return req.resourceSpans.flatMap((rs) => {
    const resource = attrs(rs.resource?.attributes);
    return rs.scopeSpans.flatMap((ss) => {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      return ss.spans.map((s): ReceivedSpan => ({
        traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId),
        traceState: s.traceState, name: s.name, kind: s.kind,
        startTimeUnixNano: u64(s.startTimeUnixNano), endTimeUnixNano: u64(s.endTimeUnixNano),
        attributes: attrs(s.attributes),
        events: s.events.map((e) => ({ name: e.name, timeUnixNano: u64(e.timeUnixNano), attributes: attrs(e.attributes) })),
        links: s.links.map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), attributes: attrs(l.attributes) })),
        status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
        resource, scope,
      }));
    });
  });
}

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const int64 = (v: Int64 | undefined): number => Number(BigInt.asIntN(64, u64(v)));

function numberPoint(p: PbNumberPoint): ReceivedMetricPoint {
  const out: ReceivedMetricPoint = {
    attributes: attrs(p.attributes), startTimeUnixNano: u64(p.startTimeUnixNano), timeUnixNano: u64(p.timeUnixNano),
  };
  if (p.value === 'asDouble') out.value = p.asDouble ?? 0;
  else if (p.value === 'asInt') out.value = int64(p.asInt);
  return out;
}

function histogramPoint(p: PbHistogramPoint, explicit: boolean): ReceivedMetricPoint {
  const out: ReceivedMetricPoint = {
    attributes: attrs(p.attributes), startTimeUnixNano: u64(p.startTimeUnixNano), timeUnixNano: u64(p.timeUnixNano),
    count: Number(u64(p.count)),
  };
  for (const k of ['sum', 'min', 'max'] as const) if (has(p, k)) out[k] = p[k];
  if (explicit) {
    out.bucketCounts = (p.bucketCounts ?? []).map((c) => Number(u64(c)));
    out.explicitBounds = [...(p.explicitBounds ?? [])];
  }
  return out;
}

export function decodeMetrics(body: Buffer, exportIndex: number): ReceivedMetric[] {
  const req = MetricsRequestType.decode(body) as unknown as PbMetricsRequest;
  return req.resourceMetrics.flatMap((rm) => {
    const resource = attrs(rm.resource?.attributes);
    return rm.scopeMetrics.flatMap((sm) => {
      const scope = { name: sm.scope?.name ?? '', version: sm.scope?.version ?? '' };
      return sm.metrics.map((m): ReceivedMetric => {
        const base = { export: exportIndex, name: m.name, description: m.description, unit: m.unit, resource, scope };
        switch (m.data) {
          case 'gauge':
            return { ...base, kind: 'gauge', points: m.gauge!.dataPoints.map(numberPoint) };
          case 'sum':
            return {
              ...base, kind: 'sum', temporality: m.sum!.aggregationTemporality, isMonotonic: m.sum!.isMonotonic,
              points: m.sum!.dataPoints.map(numberPoint),
            };
          case 'histogram':
            return {
              ...base, kind: 'histogram', temporality: m.histogram!.aggregationTemporality,
              points: m.histogram!.dataPoints.map((p) => histogramPoint(p, true)),
            };
          case 'exponentialHistogram':
            return {
              ...base, kind: 'exponential_histogram', temporality: m.exponentialHistogram!.aggregationTemporality,
              points: m.exponentialHistogram!.dataPoints.map((p) => histogramPoint(p, false)),
            };
          case 'summary':
            return { ...base, kind: 'summary', points: m.summary!.dataPoints.map((p) => histogramPoint(p, false)) };
          default:
            return { ...base, kind: 'none', points: [] };
        }
      });
    });
  });
}

export async function startOtlpReceiver(opts: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  let metricExports = 0;
  const requests: OtlpReceiver['requests'][number][] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<{ check: () => void; fail: (e: Error) => void }>();

  const answer = (res: http.ServerResponse, status: number, body = '', json = false): void => {
    if (opts.hang) return; // leave the exporter waiting; close() destroys the socket
    // Empty protobuf body == empty Export{Trace,Metrics}ServiceResponse (`{}` in JSON); errors get a readable text body.
    const type = body ? 'text/plain' : json ? 'application/json' : 'application/x-protobuf';
    if (json && !body) body = '{}';
    const send = (): void => void res.writeHead(status, { 'content-type': type }).end(body);
    if (!opts.delayMs) return send();
    const t = setTimeout(() => { timers.delete(t); send(); }, opts.delayMs);
    timers.add(t);
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const path = (req.url ?? '').split('?')[0];
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c); // keep draining past the cap, but stop buffering
    });
    req.on('end', () => {
      const cn = opts.tls ? (req.socket as TLSSocket).getPeerCertificate().subject?.CN : undefined;
      requests.push({ path, headers: req.headers, bytes: size, ...(cn ? { clientCertCN: String(cn) } : {}) });
      if (req.method !== 'POST' || (path !== '/v1/traces' && path !== '/v1/metrics')) return answer(res, 404, 'not found');
      if (size > MAX_BODY) return answer(res, 413, 'body too large');
      // http/protobuf, or http/json (OTLP/JSON, decoded by otlp-json.ts).
      const json = String(req.headers['content-type']).startsWith('application/json');
      if (!json && !String(req.headers['content-type']).startsWith('application/x-protobuf')) {
        return answer(res, 415, 'expected application/x-protobuf or application/json');
      }
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body, { maxOutputLength: MAX_BODY });
        if (path === '/v1/traces') spans.push(...(json ? decodeJsonSpans(body) : decodeSpans(body)));
        else metrics.push(...(json ? decodeJsonMetrics(body, metricExports++) : decodeMetrics(body, metricExports++)));
      } catch (e) {
        return answer(res, 400, `cannot decode: ${(e as Error).message}`);
      }
      for (const w of [...waiters]) w.check();
      answer(res, opts.status ?? 200, '', json);
    });
  };
  const server = opts.tls
    ? https.createServer({ ...opts.tls, requestCert: true, rejectUnauthorized: true }, handler)
    : http.createServer(handler);
  // Track sockets so close() can kill keep-alive and hanging connections instead of waiting on them.
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Resolves with a copy of `items` once `predicate(items)` holds; rechecked after every decoded request.
  function waitFor<T>(predicate: (items: T[]) => boolean, items: T[], timeoutMs: number, timeoutMessage: () => string): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const waiter = {
        check: () => {
          let ok: boolean;
          try { ok = predicate(items); } catch (e) { return waiter.fail(e as Error); }
          if (ok) { cleanup(); resolve([...items]); }
        },
        fail: (e: Error) => { cleanup(); reject(e); },
      };
      const timer = setTimeout(() => waiter.fail(new Error(timeoutMessage())), timeoutMs);
      const cleanup = (): void => { clearTimeout(timer); waiters.delete(waiter); };
      waiters.add(waiter);
      waiter.check();
    });
  }

  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    requests,
    metricsUrl: `${url}/v1/metrics`,
    spans,
    metrics,
    waitForSpans(predicate, timeoutMs = 5000) {
      return waitFor(predicate, spans, timeoutMs, () => {
        const names = spans.map((s) => s.name).join(', ') || '(none)';
        return `waitForSpans timed out after ${timeoutMs}ms; received ${spans.length} span(s) in ${requests.length} request(s): ${names}`;
      });
    },
    waitForMetrics(predicate, timeoutMs = 5000) {
      return waitFor(predicate, metrics, timeoutMs, () => {
        const names = [...new Set(metrics.map((m) => m.name))].join(', ') || '(none)';
        return `waitForMetrics timed out after ${timeoutMs}ms; received ${metricExports} metrics export(s) in ${requests.length} request(s): ${names}`;
      });
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const w of [...waiters]) w.fail(new Error('OTLP receiver closed'));
      return new Promise<void>((resolve) => {
        server.close(() => resolve()); // also resolves (with an error we ignore) if already closed
        for (const s of sockets) s.destroy();
      });
    },
  };
}
