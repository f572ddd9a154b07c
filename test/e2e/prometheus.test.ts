// The shipped dashboard and alert rules, proven against promtool and a real Prometheus that
// scrapes a real proxy while an SDK session runs through it. promtool and prometheus come from
// Debian's `prometheus` package (.ci/run installs it); when they are missing these tests fail.
import fs from 'node:fs';
import path from 'node:path';
import { listening, runCli as run } from '../helpers/cli';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { PrometheusServer, runTool, startPrometheus } from '../helpers/prometheus-server';

const ROOT = path.join(__dirname, '../..');
const RULES = path.join(ROOT, 'deploy/prometheus/rules.yaml');
const RULE_TESTS = path.join(ROOT, 'test/prometheus/rules.test.yaml');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/mcp-trace-proxy.json');
const JOB = 'mcp-trace-proxy';

interface Panel { title: string; datasource: { uid: string }; targets: { expr: string; datasource: { uid: string } }[] }
interface Dashboard { uid?: string; templating: { list: { name: string; type: string; query: unknown }[] }; panels: Panel[] }
const dashboard = (): Dashboard => JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as Dashboard;

/** The PromQL of the dashboard, with Grafana's variables as a real dashboard would fill them. */
function dashboardExprs(): string[] {
  return dashboard().panels.flatMap((p) => p.targets.map((t) => t.expr.replace(/\$__rate_interval/g, '1m').replace(/\$job/g, '.+')));
}

/** The ```promql blocks of the README. */
function readmeExprs(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```promql\n([\s\S]*?)```/g)].map((m) => m[1].trim());
}

describe('promtool', () => {
  test('check rules', async () => {
    const r = await runTool('promtool', ['check', 'rules', RULES]);
    expect(r.out).toContain('SUCCESS: 7 rules found');
    expect(r.code).toBe(0);
  });

  test('test rules: the unit tests of every alert pass, and every alert has one', async () => {
    const r = await runTool('promtool', ['test', 'rules', RULE_TESTS]);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
    const alerts = [...fs.readFileSync(RULES, 'utf8').matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1]);
    expect(alerts.sort()).toEqual(['MCPSpanExportFailing', 'MCPToolErrorRatioHigh', 'MCPToolLatencyP95High', 'MCPTraceProxyDown', 'MCPUpstreamUnreachable']);
    const tested = new Set([...fs.readFileSync(RULE_TESTS, 'utf8').matchAll(/alertname: (\S+)/g)].map((m) => m[1]));
    for (const a of alerts) expect(tested).toContain(a);
  });
});

describe('the dashboard file', () => {
  test('a datasource variable, no hard-coded UIDs, the six panels', () => {
    const d = dashboard();
    expect(d.uid).toBeUndefined();
    expect(d.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of d.panels) {
      expect(p.datasource.uid).toBe('${datasource}');
      for (const t of p.targets) expect(t.datasource.uid).toBe('${datasource}');
    }
    expect(d.panels.map((p) => p.title)).toEqual([
      'Operations per second by method and tool', 'Error ratio by tool', 'Tool latency p50 / p95 / p99',
      'Upstream errors by type', 'Open streams and active sessions', 'Span export failures',
    ]);
  });
});

describe('a real Prometheus scraping a real proxy', () => {
  let server: TestServer;
  let prom: PrometheusServer | undefined;
  let proc: ReturnType<typeof run> | undefined;
  let client: Awaited<ReturnType<typeof connectClient>> | undefined;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    await client?.close();
    proc?.child.kill('SIGKILL');
    if (proc) await proc.exit;
    await prom?.close();
    await server.close();
  });

  test('promtool check metrics passes on /metrics; every PromQL expression of the dashboard, rules and README runs, per tool', async () => {
    proc = run(['--upstream', server.url, '--port', '0', '--admin-port', '0']);
    const { url, admin } = await listening(proc);
    prom = await startPrometheus({ job: JOB, targets: [new URL(admin).host], ruleFiles: [RULES] });
    const p = prom;
    const c = (client = await connectClient(url));
    const count = async (tool: string): Promise<number> => {
      const r = await p.query(`sum(mcp_server_operation_duration_count{gen_ai_tool_name="${tool}"})`);
      return r.result.length ? Number(r.result[0].value[1]) : 0;
    };
    // Per round: 2 good calls of add, 3 failing calls of fail. Over the alert's 5m window, 6 calls of
    // fail are above its 0.01 calls/s floor (3 calls in 5 minutes).
    const round = async () => {
      for (let i = 0; i < 2; i++) await c.client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
      for (let i = 0; i < 3; i++) await c.client.callTool({ name: 'fail', arguments: {} });
    };
    // Two rounds, each scraped: the counters then rise between samples, so rate() is above zero.
    await round();
    await p.waitFor('first round scraped', async () => ((await count('add')) === 2 && (await count('fail')) === 3 ? true : undefined));
    await round();
    await p.waitFor('second round scraped', async () => ((await count('add')) === 4 && (await count('fail')) === 6 ? true : undefined));

    const metrics = await (await fetch(`${admin}/metrics`)).text();
    const lint = await runTool('promtool', ['check', 'metrics'], metrics);
    expect(lint.out.trim()).toBe('');
    expect(lint.code).toBe(0);

    expect(Number((await p.query(`up{job="${JOB}"}`)).result[0].value[1])).toBe(1);

    // Every rule loaded and evaluated without error; every alert has a runbook annotation.
    type Rule = { name: string; query: string; type: string; health: string; lastError?: string; annotations?: Record<string, string> };
    const rules = await p.waitFor('every rule evaluated after the second round', async () => {
      const data = await p.get<{ groups: { rules: (Rule & { lastEvaluation: string })[] }[] }>('/api/v1/rules');
      const all = data.groups.flatMap((g) => g.rules);
      return all.length === 7 && all.every((r) => r.health === 'ok') ? all : undefined;
    });
    for (const r of rules) expect(r.lastError ?? '').toBe('');
    for (const r of rules.filter((x) => x.type === 'alerting')) expect(r.annotations?.runbook).toMatch(/\w+/);

    // Alert conditions are empty while healthy: they must run, but need not return series.
    const exprs = [
      ...dashboardExprs().map((expr) => ({ expr, condition: false })),
      ...rules.map((r) => ({ expr: r.query, condition: r.type === 'alerting' })),
      ...readmeExprs().map((expr) => ({ expr, condition: false })),
    ];
    expect(exprs.length).toBeGreaterThanOrEqual(9 + 7 + 5);
    // Recording rules read what Prometheus recorded: wait until they cover both tools.
    await p.waitFor('recording rules over both tools', async () => {
      const [a, b] = await Promise.all([p.query('mcp_tool:error_ratio:rate5m'), p.query('mcp_tool:latency_p95_seconds:rate5m')]);
      return a.result.length === 2 && b.result.length === 2 ? true : undefined;
    });
    for (const { expr, condition } of exprs) {
      const r = await p.query(expr).catch((e: Error) => { throw new Error(`${expr}\n→ ${e.message}`); });
      expect(r.resultType).toBe('vector');
      // Per-tool expressions return a series for each tool that was called, and no other.
      if (!condition && /gen_ai_tool_name|^mcp_tool:/.test(expr)) {
        const tools = [...new Set(r.result.map((x) => x.metric.gen_ai_tool_name).filter(Boolean))].sort();
        if (tools.join() !== 'add,fail') throw new Error(`${expr}\n→ tools ${JSON.stringify(tools)}, expected add and fail`);
      }
    }

    // The recording rules' series, per tool: fail fails every call, add none.
    const ratio = (await p.query('mcp_tool:error_ratio:rate5m')).result;
    expect(Object.fromEntries(ratio.map((s) => [s.metric.gen_ai_tool_name, Number(s.value[1])]))).toEqual({ add: 0, fail: 1 });
    const p95 = (await p.query('mcp_tool:latency_p95_seconds:rate5m')).result.map((s) => s.metric.gen_ai_tool_name).sort();
    expect(p95).toEqual(['add', 'fail']);
    // And the error-ratio alert is pending for the failing tool only.
    const pending = await p.waitFor('MCPToolErrorRatioHigh pending', async () => {
      const r = await p.query('ALERTS{alertname="MCPToolErrorRatioHigh"}');
      return r.result.length ? r.result : undefined;
    });
    expect(pending.map((s) => [s.metric.gen_ai_tool_name, s.metric.alertstate])).toEqual([['fail', 'pending']]);
  }, 120_000);
});
