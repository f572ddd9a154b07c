// A real OTLP/gRPC receiver for tests: @grpc/grpc-js serving TraceService/Export and
// MetricsService/Export, decoding the protobuf with the HTTP receiver's own schema copy.
// Optionally TLS that requires a client certificate (mTLS).
import * as grpc from '@grpc/grpc-js';
import { ReceivedMetric, ReceivedSpan, decodeMetrics, decodeSpans } from './otlp-receiver';

export interface GrpcReceiver {
  /** http://127.0.0.1:PORT (plaintext) or https://127.0.0.1:PORT (TLS): the OTLP endpoint as given. */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  readonly metrics: ReceivedMetric[];
  /** The gRPC metadata of each call, with the path it came to and the client certificate's CN over TLS. */
  readonly calls: { path: string; metadata: Record<string, string>; clientCertCN?: string }[];
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  waitForMetrics(predicate: (metrics: ReceivedMetric[]) => boolean, timeoutMs?: number): Promise<ReceivedMetric[]>;
  close(): Promise<void>;
}

const raw = (b: Buffer): Buffer => b;
const empty = (): Buffer => Buffer.alloc(0); // an empty Export*ServiceResponse

function method(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return { path, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: empty, responseDeserialize: raw };
}

const TRACES = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const METRICS = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

export async function startGrpcReceiver(opts: { tls?: { key: Buffer; cert: Buffer; ca: Buffer } } = {}): Promise<GrpcReceiver> {
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const calls: GrpcReceiver['calls'] = [];
  const waiters = new Set<() => void>();
  let exports = 0;
  const server = new grpc.Server();
  const handle = (path: string, decode: (b: Buffer) => void): grpc.handleUnaryCall<Buffer, Buffer> => (call, cb) => {
    const md: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) md[k] = String(v);
    const cn = call.getAuthContext()?.sslPeerCertificate?.subject?.CN;
    calls.push({ path, metadata: md, ...(cn ? { clientCertCN: String(cn) } : {}) });
    try {
      decode(call.request);
    } catch (e) {
      return cb({ code: grpc.status.INVALID_ARGUMENT, details: `cannot decode: ${(e as Error).message}` });
    }
    cb(null, Buffer.alloc(0));
    for (const w of [...waiters]) w();
  };
  server.addService({ Export: method(TRACES) }, { Export: handle(TRACES, (b) => spans.push(...decodeSpans(b))) });
  server.addService({ Export: method(METRICS) }, { Export: handle(METRICS, (b) => metrics.push(...decodeMetrics(b, exports++))) });
  const creds = opts.tls
    ? grpc.ServerCredentials.createSsl(opts.tls.ca, [{ private_key: opts.tls.key, cert_chain: opts.tls.cert }], true)
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));

  function waitFor<T>(items: T[], predicate: (items: T[]) => boolean, timeoutMs: number, what: string): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(items)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve([...items]);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`gRPC receiver: no matching ${what} after ${timeoutMs}ms; ${calls.length} call(s), spans: ${spans.map((s) => s.name).join(', ') || '(none)'}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    spans, metrics, calls,
    waitForSpans: (p, t = 10_000) => waitFor(spans, p, t, 'spans'),
    waitForMetrics: (p, t = 10_000) => waitFor(metrics, p, t, 'metrics'),
    close: () => new Promise<void>((resolve) => {
      server.forceShutdown();
      resolve();
    }),
  };
}
