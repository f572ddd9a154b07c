// A real OTLP/HTTP (protobuf) trace receiver for tests.
//
// It decodes request bodies with its own copy of the opentelemetry-proto schema
// (field numbers from collector/trace/v1, trace/v1, common/v1, resource/v1), so a
// bug in the exporter's encoder cannot be hidden by sharing the same decoder.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import * as protobuf from 'protobufjs';

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

export interface OtlpReceiverOptions {
  status?: number; // HTTP status to answer (default 200)
  delayMs?: number; // wait this long before answering
  hang?: boolean; // accept the request and never answer (until close)
}

export interface OtlpReceiver {
  readonly url: string;
  readonly tracesUrl: string;
  readonly spans: ReceivedSpan[];
  readonly requests: { path: string; headers: http.IncomingHttpHeaders; bytes: number }[];
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
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
`;
const RequestType = protobuf.parse(PROTO).root.lookupType('otlp.ExportTraceServiceRequest');

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

function decodeSpans(body: Buffer): ReceivedSpan[] {
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

export async function startOtlpReceiver(opts: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'][number][] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<{ check: () => void; fail: (e: Error) => void }>();

  const answer = (res: http.ServerResponse, status: number, body = ''): void => {
    if (opts.hang) return; // leave the exporter waiting; close() destroys the socket
    // Empty protobuf body == empty ExportTraceServiceResponse; errors get a readable text body.
    const type = body ? 'text/plain' : 'application/x-protobuf';
    const send = (): void => void res.writeHead(status, { 'content-type': type }).end(body);
    if (!opts.delayMs) return send();
    const t = setTimeout(() => { timers.delete(t); send(); }, opts.delayMs);
    timers.add(t);
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c); // keep draining past the cap, but stop buffering
    });
    req.on('end', () => {
      requests.push({ path, headers: req.headers, bytes: size });
      if (req.method !== 'POST' || path !== '/v1/traces') return answer(res, 404, 'not found');
      if (size > MAX_BODY) return answer(res, 413, 'body too large');
      if (!String(req.headers['content-type']).startsWith('application/x-protobuf')) {
        return answer(res, 415, 'expected application/x-protobuf');
      }
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body, { maxOutputLength: MAX_BODY });
        spans.push(...decodeSpans(body));
      } catch (e) {
        return answer(res, 400, `cannot decode: ${(e as Error).message}`);
      }
      for (const w of [...waiters]) w.check();
      answer(res, opts.status ?? 200);
    });
  });
  // Track sockets so close() can kill keep-alive and hanging connections instead of waiting on them.
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    spans,
    requests,
    waitForSpans(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const waiter = {
          check: () => {
            let ok: boolean;
            try { ok = predicate(spans); } catch (e) { return waiter.fail(e as Error); }
            if (ok) { cleanup(); resolve([...spans]); }
          },
          fail: (e: Error) => { cleanup(); reject(e); },
        };
        const timer = setTimeout(() => {
          const names = spans.map((s) => s.name).join(', ') || '(none)';
          waiter.fail(new Error(`waitForSpans timed out after ${timeoutMs}ms; received ${spans.length} span(s) in ${requests.length} request(s): ${names}`));
        }, timeoutMs);
        const cleanup = (): void => { clearTimeout(timer); waiters.delete(waiter); };
        waiters.add(waiter);
        waiter.check();
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
