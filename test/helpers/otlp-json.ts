// Decodes OTLP/JSON (the http/json protocol) into the receiver's shapes, written from the OTLP
// specification's JSON mapping: lowerCamelCase field names, trace and span ids as hex strings,
// 64-bit integers as decimal strings (or numbers), enums as integers.
import type { AttrValue, ReceivedMetric, ReceivedMetricPoint, ReceivedSpan } from './otlp-receiver';

type J = Record<string, unknown>;
const arr = (v: unknown): J[] => (Array.isArray(v) ? (v as J[]) : []);
const big = (v: unknown): bigint => (v === undefined || v === null ? 0n : BigInt(v as string | number));
const num = (v: unknown): number => Number(v ?? 0);

function anyValue(v: J | undefined): AttrValue {
  if (!v) return null;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('intValue' in v) return num(v.intValue);
  if ('doubleValue' in v) return num(v.doubleValue);
  if ('arrayValue' in v) return arr((v.arrayValue as J).values).map(anyValue);
  if ('kvlistValue' in v) return jsonAttrs((v.kvlistValue as J).values);
  if ('bytesValue' in v) return String(v.bytesValue);
  return null;
}

export function jsonAttrs(kvs: unknown): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of arr(kvs)) out[String(kv.key)] = anyValue(kv.value as J | undefined);
  return out;
}

const hexId = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase() : '');

export function decodeJsonSpans(body: Buffer): ReceivedSpan[] {
  const req = JSON.parse(body.toString('utf8')) as J;
  return arr(req.resourceSpans).flatMap((rs) => {
    const resource = jsonAttrs((rs.resource as J | undefined)?.attributes);
    return arr(rs.scopeSpans).flatMap((ss) => {
      const sc = (ss.scope as J | undefined) ?? {};
      const scope = { name: String(sc.name ?? ''), version: String(sc.version ?? '') };
      return arr(ss.spans).map((s): ReceivedSpan => ({
        traceId: hexId(s.traceId), spanId: hexId(s.spanId), parentSpanId: hexId(s.parentSpanId),
        traceState: String(s.traceState ?? ''), name: String(s.name), kind: num(s.kind),
        startTimeUnixNano: big(s.startTimeUnixNano), endTimeUnixNano: big(s.endTimeUnixNano),
        attributes: jsonAttrs(s.attributes),
        events: arr(s.events).map((e) => ({ name: String(e.name), timeUnixNano: big(e.timeUnixNano), attributes: jsonAttrs(e.attributes) })),
        links: arr(s.links).map((l) => ({ traceId: hexId(l.traceId), spanId: hexId(l.spanId), attributes: jsonAttrs(l.attributes) })),
        status: { code: num((s.status as J | undefined)?.code), message: String((s.status as J | undefined)?.message ?? '') },
        resource, scope,
      }));
    });
  });
}

function point(p: J, histogram: boolean): ReceivedMetricPoint {
  const out: ReceivedMetricPoint = { attributes: jsonAttrs(p.attributes), startTimeUnixNano: big(p.startTimeUnixNano), timeUnixNano: big(p.timeUnixNano) };
  if (!histogram) {
    if ('asDouble' in p) out.value = num(p.asDouble);
    else if ('asInt' in p) out.value = num(p.asInt);
    return out;
  }
  out.count = num(p.count);
  for (const k of ['sum', 'min', 'max'] as const) if (k in p) out[k] = num(p[k]);
  out.bucketCounts = arr(p.bucketCounts).map(num);
  out.explicitBounds = arr(p.explicitBounds).map(num);
  return out;
}

/** Sums, gauges and explicit-bucket histograms (what the proxy exports). */
export function decodeJsonMetrics(body: Buffer, exportIndex: number): ReceivedMetric[] {
  const req = JSON.parse(body.toString('utf8')) as J;
  return arr(req.resourceMetrics).flatMap((rm) => {
    const resource = jsonAttrs((rm.resource as J | undefined)?.attributes);
    return arr(rm.scopeMetrics).flatMap((sm) => {
      const sc = (sm.scope as J | undefined) ?? {};
      const scope = { name: String(sc.name ?? ''), version: String(sc.version ?? '') };
      return arr(sm.metrics).map((m): ReceivedMetric => {
        const base = { export: exportIndex, name: String(m.name), description: String(m.description ?? ''), unit: String(m.unit ?? ''), resource, scope };
        const sum = m.sum as J | undefined;
        const hist = m.histogram as J | undefined;
        const gauge = m.gauge as J | undefined;
        if (sum) return { ...base, kind: 'sum', temporality: num(sum.aggregationTemporality), isMonotonic: Boolean(sum.isMonotonic), points: arr(sum.dataPoints).map((p) => point(p, false)) };
        if (hist) return { ...base, kind: 'histogram', temporality: num(hist.aggregationTemporality), points: arr(hist.dataPoints).map((p) => point(p, true)) };
        if (gauge) return { ...base, kind: 'gauge', points: arr(gauge.dataPoints).map((p) => point(p, false)) };
        return { ...base, kind: 'none', points: [] };
      });
    });
  });
}
