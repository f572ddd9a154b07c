// The live view's per-tool table: over the spans in the buffer, each tool's calls, errors, p50/p95
// duration, and what its results cost: p50/p95 of their raw JSON size and, with --estimate-tokens,
// of their estimated tokens.
import * as semconv from '../tracing/semconv';

/** What the table reads of a span record (recent.ts's SpanRecord). */
export interface SummarizedSpan {
  readonly durationMs: number;
  readonly status: { readonly code: string };
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface ToolSummary {
  readonly tool: string;
  readonly count: number;
  readonly errors: number;
  /** errors / count, 0..1 */
  readonly errorRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  /** Over the calls that returned a result; null when none did. */
  readonly resultP50Bytes: number | null;
  readonly resultP95Bytes: number | null;
  /** With --estimate-tokens; null without. */
  readonly resultP50Tokens: number | null;
  readonly resultP95Tokens: number | null;
}

export interface Summary {
  /** Spans in the buffer, and how many of them are errors. */
  readonly spans: number;
  readonly errors: number;
  /** Per tool (tools/call spans), most called first. */
  readonly tools: ToolSummary[];
}

interface Acc {
  durations: number[];
  bytes: number[];
  tokens: number[];
  errors: number;
}

export function summarize(records: Iterable<SummarizedSpan>): Summary {
  const tools = new Map<string, Acc>();
  let spans = 0;
  let errors = 0;
  for (const rec of records) {
    spans++;
    const isError = rec.status.code === 'error';
    if (isError) errors++;
    const tool = rec.attributes[semconv.ATTR_GEN_AI_TOOL_NAME];
    if (typeof tool !== 'string' || rec.attributes[semconv.ATTR_MCP_METHOD_NAME] !== 'tools/call') continue;
    let t = tools.get(tool);
    if (!t) tools.set(tool, (t = { durations: [], bytes: [], tokens: [], errors: 0 }));
    t.durations.push(rec.durationMs);
    const bytes = rec.attributes[semconv.ATTR_MCP_PROXY_RESULT_SIZE];
    if (typeof bytes === 'number') t.bytes.push(bytes);
    const tokens = rec.attributes[semconv.ATTR_MCP_PROXY_RESULT_TOKENS];
    if (typeof tokens === 'number') t.tokens.push(tokens);
    if (isError) t.errors++;
  }
  const out: ToolSummary[] = [];
  for (const [tool, t] of tools) {
    const sorted = ascending(t.durations);
    const bytes = ascending(t.bytes);
    const tokens = ascending(t.tokens);
    out.push({
      tool,
      count: sorted.length,
      errors: t.errors,
      errorRate: t.errors / sorted.length,
      p50Ms: percentile(sorted, 0.5) ?? 0,
      p95Ms: percentile(sorted, 0.95) ?? 0,
      resultP50Bytes: percentile(bytes, 0.5),
      resultP95Bytes: percentile(bytes, 0.95),
      resultP50Tokens: percentile(tokens, 0.5),
      resultP95Tokens: percentile(tokens, 0.95),
    });
  }
  out.sort((a, b) => b.count - a.count || (a.tool < b.tool ? -1 : 1));
  return { spans, errors, tools: out };
}

function ascending(xs: number[]): number[] {
  return xs.sort((a, b) => a - b);
}

/** Nearest-rank percentile of an ascending array; null when it is empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
