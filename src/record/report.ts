// `report FILE`: one offline HTML page of a cassette. A timeline of the operations (request →
// response, with durations; server→client requests nested under the call that carried them) and
// a per-tool table. Everything from the cassette is untrusted: it is escaped, and the page has no
// script at all, with a Content-Security-Policy that loads nothing.
import type { Cassette } from './format';
import { Operation, isFailure, targetOf, transcript } from './transcript';

export interface ToolRow {
  readonly tool: string;
  readonly calls: number;
  readonly errors: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly resultBytes: number;
}

/** Pure: per tool, the calls, errors, p50/p95 duration and result bytes, by name. */
export function toolTable(operations: readonly Operation[]): ToolRow[] {
  const byTool = new Map<string, Operation[]>();
  for (const op of operations) {
    if (op.method !== 'tools/call') continue;
    const name = targetOf(op) ?? '(unnamed)';
    byTool.set(name, [...(byTool.get(name) ?? []), op]);
  }
  return [...byTool].sort(([a], [b]) => a.localeCompare(b)).map(([tool, ops]) => {
    const durations = ops.flatMap((op) => (op.response ? [op.response.t - op.request.t] : [])).sort((a, b) => a - b);
    return {
      tool, calls: ops.length, errors: ops.filter((op) => isFailure(op.response)).length,
      p50Ms: percentile(durations, 0.5), p95Ms: percentile(durations, 0.95),
      resultBytes: ops.reduce((n, op) => n + (op.response?.bytes ?? 0), 0),
    };
  });
}

/** Nearest-rank percentile of sorted values, or null when there are none. */
export function percentile(sorted: readonly number[], q: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderReport(cassette: Cassette): string {
  const { operations } = transcript(cassette.records);
  const times = cassette.records.map((r) => r.t);
  const start = times.length > 0 ? Math.min(...times) : 0;
  const span = Math.max(1, (times.length > 0 ? Math.max(...times) : 0) - start);
  const keys = [...new Set(operations.map((op) => op.key))];
  const top = operations.filter((op) => !operations.some((p) => p.nested.includes(op)));
  const sections = keys.map((key) => {
    const ops = top.filter((op) => op.key === key);
    const transport = ops[0]?.request.transport ?? '';
    const kind = cassette.records.some((r) => r.key === key && r.session) ? 'session' : transport === 'http' ? 'exchange' : 'connection';
    return `<section><h2>${escapeHtml(`${kind} ${key}`)} <small>${escapeHtml(transport)} · ${ops.length} operations</small></h2>
<table class="timeline"><thead><tr><th>operation</th><th>start</th><th>duration</th><th>status</th><th class="bar">timeline</th></tr></thead><tbody>
${ops.map((op) => rows(op, start, span, 0)).join('')}</tbody></table></section>`;
  }).join('\n');
  const tools = toolTable(operations);
  const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ms`);
  const toolRows = tools.map((t) => `<tr><td>${escapeHtml(t.tool)}</td><td>${t.calls}</td><td>${t.errors}</td><td>${ms(t.p50Ms)}</td><td>${ms(t.p95Ms)}</td><td>${t.resultBytes}</td></tr>`).join('');
  const title = `MCP run: ${cassette.file.split(/[\\/]/).pop() ?? ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Recorded ${escapeHtml(String(cassette.header.created))} by ${escapeHtml(String(cassette.header.writer))} · ${cassette.records.length} messages · ${operations.length} operations · ${(span / 1000).toFixed(3)} s${cassette.truncatedAt ? ` · the last line (${cassette.truncatedAt}) was cut off` : ''}</p>
<h2>Tools</h2>
<table class="tools"><thead><tr><th>tool</th><th>calls</th><th>errors</th><th>p50</th><th>p95</th><th>result bytes</th></tr></thead><tbody>${toolRows || '<tr><td colspan="6">no tool calls</td></tr>'}</tbody></table>
<h2>Timeline</h2>
${sections || '<p>no operations</p>'}
</body></html>
`;
}

function rows(op: Operation, start: number, span: number, depth: number): string {
  const t0 = op.request.t - start;
  const d = op.response ? op.response.t - op.request.t : null;
  const status = !op.response ? 'no answer' : isFailure(op.response) ? 'error' : 'ok';
  const target = targetOf(op);
  const name = `${op.dir === 'server_to_client' ? '↩ ' : ''}${op.method}${target ? ` ${target}` : ''}`;
  const left = (t0 / span) * 100;
  const width = Math.max(0.3, ((d ?? span - t0) / span) * 100);
  const notes = op.during.filter((r) => r.message.id === undefined).length;
  return `<tr class="op ${status === 'ok' ? 'ok' : 'bad'}" data-depth="${depth}"><td style="padding-left:${0.5 + depth * 1.5}em">${escapeHtml(name)}${notes ? ` <small>+${notes} notifications</small>` : ''}</td>`
    + `<td>${t0.toFixed(1)} ms</td><td>${d === null ? '–' : `${d.toFixed(1)} ms`}</td><td>${status}</td>`
    + `<td class="bar"><span style="margin-left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span></td></tr>\n`
    + op.nested.map((n) => rows(n, start, span, depth + 1)).join('');
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%;margin-bottom:1.5em}
th,td{text-align:left;padding:.2em .5em;border-bottom:1px solid #eee;white-space:nowrap}td.bar,th.bar{width:40%}
td.bar span{display:block;height:.8em;background:#4a8;border-radius:2px;min-width:2px}tr.bad td.bar span{background:#c44}
tr.bad td:nth-child(4){color:#c44}.meta,small{color:#666}`;
