// The monitoring switches: prometheusRule (the groups of deploy/prometheus/rules.yaml), grafanaDashboard
// (deploy/grafana/mcp-trace-proxy.json in a ConfigMap for the Grafana sidecar), the monitors' job name
// that the proxy-down alert matches, and otlp.protocol. The chart reads copies of the two deploy/ files
// (.Files.Get cannot reach outside the chart): they must stay byte for byte the same.
'use strict';
const fs = require('fs');
const path = require('path');
const { check, load, find, envOf, proxyContainer, sortKeys, chartDir, STANDARD_LABELS } = require('./lib');

const ROOT = path.join(__dirname, '..', '..');
const COPIES = [
  ['deploy/prometheus/rules.yaml', 'files/prometheus/rules.yaml'],
  ['deploy/grafana/mcp-trace-proxy.json', 'files/grafana/mcp-trace-proxy.json'],
];
for (const [src, copy] of COPIES) {
  const a = fs.readFileSync(path.join(ROOT, src));
  const b = fs.existsSync(path.join(chartDir, copy)) ? fs.readFileSync(path.join(chartDir, copy)) : null;
  check(`charts/mcp-trace-proxy/${copy} is byte for byte ${src} (else: cp ${src} charts/mcp-trace-proxy/${copy})`, !!b && a.equals(b), b ? `${b.length} vs ${a.length} bytes` : 'missing');
}
const dashboardText = fs.readFileSync(path.join(ROOT, 'deploy/grafana/mcp-trace-proxy.json'), 'utf8');
const same = (a, b) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

// deploy/prometheus/rules.yaml, parsed by kubectl (run.sh wraps it in an object: spec = the file).
const rulesObj = load('rules-file');
const groups = rulesObj?.[0]?.spec?.groups;
check('deploy/prometheus/rules.yaml parses, with groups', Array.isArray(groups) && groups.length > 0, rulesObj?.[0]?.spec);
// The job selector of the proxy-down alert, e.g. up{job=~"mcp-trace-proxy.*"}: PromQL regexes are anchored.
const down = groups?.flatMap((g) => g.rules).find((r) => /^up\{/.test(r.expr ?? ''));
const jobRe = /job=~"([^"]+)"/.exec(down?.expr ?? '')?.[1];
check('the proxy-down alert selects jobs by a regex', !!jobRe, down?.expr);
const matchesDown = (job) => !!jobRe && typeof job === 'string' && new RegExp(`^(?:${jobRe})$`).test(job);

/** The groups as the chart should render them: additionalRuleLabels on alerts, an alert's own labels winning. */
const withExtra = (extra) => groups.map((g) => ({
  ...g, rules: g.rules.map((r) => (r.alert ? { ...r, labels: { ...extra, ...(r.labels ?? {}) } } : r)),
}));

function checkRule(s, objs, { extra, labels, annotations }) {
  const prs = find(objs, 'PrometheusRule');
  const pr = prs[0];
  check(`${s}: one monitoring.coreos.com/v1 PrometheusRule`, prs.length === 1 && pr.apiVersion === 'monitoring.coreos.com/v1', prs.map((o) => o.apiVersion));
  if (!pr || !groups) return;
  const missing = STANDARD_LABELS.filter((l) => !pr.metadata.labels?.[l]);
  check(`${s}: the PrometheusRule has the standard labels`, missing.length === 0, missing);
  check(`${s}: its groups are deploy/prometheus/rules.yaml's${extra ? ', with additionalRuleLabels on the alerts' : ''}`,
    same(pr.spec.groups, extra ? withExtra(extra) : groups), pr.spec.groups.map((g) => g.name));
  check(`${s}: group names and rule counts`, same(pr.spec.groups.map((g) => [g.name, g.rules.length]), groups.map((g) => [g.name, g.rules.length])));
  check(`${s}: Prometheus's {{ $labels }} templates kept as they are (no tpl)`, JSON.stringify(pr.spec).includes('{{ $labels.gen_ai_tool_name }}'));
  for (const [k, v] of Object.entries(labels ?? {})) check(`${s}: PrometheusRule label ${k}: ${v}`, pr.metadata.labels?.[k] === v, pr.metadata.labels);
  for (const [k, v] of Object.entries(annotations ?? {})) check(`${s}: PrometheusRule annotation ${k}`, pr.metadata.annotations?.[k] === v, pr.metadata.annotations);
}

function checkDashboard(s, objs, { namespace, labels, absent = [], annotations, noAnnotations }) {
  const cms = find(objs, 'ConfigMap').filter((o) => o.data?.['mcp-trace-proxy.json'] !== undefined);
  const cm = cms[0];
  check(`${s}: one v1 ConfigMap with mcp-trace-proxy.json`, cms.length === 1 && cm.apiVersion === 'v1', find(objs, 'ConfigMap').map((o) => o.metadata.name));
  if (!cm) return;
  const text = cm.data['mcp-trace-proxy.json'];
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { /* reported below */ }
  check(`${s}: its JSON equals deploy/grafana/mcp-trace-proxy.json parsed`, !!parsed && same(parsed, JSON.parse(dashboardText)), parsed?.title);
  check(`${s}: and its text is the file's, byte for byte`, text === dashboardText, `${text.length} vs ${dashboardText.length} characters`);
  check(`${s}: namespace ${namespace}`, cm.metadata.namespace === namespace, cm.metadata.namespace);
  check(`${s}: name <fullname>-dashboard`, cm.metadata.name === 'rel-mcp-trace-proxy-dashboard', cm.metadata.name);
  const missing = STANDARD_LABELS.filter((l) => !cm.metadata.labels?.[l]);
  check(`${s}: the ConfigMap has the standard labels`, missing.length === 0, missing);
  for (const [k, v] of Object.entries(labels)) check(`${s}: label ${k}: "${v}"`, cm.metadata.labels?.[k] === v, cm.metadata.labels);
  for (const k of absent) check(`${s}: no label ${k}`, !(k in (cm.metadata.labels ?? {})), cm.metadata.labels);
  for (const [k, v] of Object.entries(annotations ?? {})) check(`${s}: annotation ${k}: ${v}`, cm.metadata.annotations?.[k] === v, cm.metadata.annotations);
  if (noAnnotations) check(`${s}: no annotations (no folder)`, cm.metadata.annotations === undefined, cm.metadata.annotations);
}

const jobRelabel = (ep) => (ep?.relabelings ?? []).find((r) => r.targetLabel === 'job');

// ---- standalone, ci/monitoring-values.yaml: ServiceMonitor, PrometheusRule, dashboard, gRPC ----
{
  const objs = load('monitoring');
  if (objs) {
    const s = 'monitoring (ci values)';
    checkRule(s, objs, { extra: { team: 'platform', severity: 'none' }, labels: { release: 'prometheus' }, annotations: { 'example.com/owner': 'platform' } });
    const pr = find(objs, 'PrometheusRule')[0];
    const severities = (pr?.spec.groups ?? []).flatMap((g) => g.rules).filter((r) => r.alert).map((r) => r.labels?.severity);
    check(`${s}: an alert's own severity wins over additionalRuleLabels`, severities.length > 0 && severities.every((v) => v === 'warning' || v === 'critical'), severities);
    const recording = (pr?.spec.groups ?? []).flatMap((g) => g.rules).filter((r) => r.record);
    check(`${s}: recording rules get no additionalRuleLabels`, recording.length > 0 && recording.every((r) => !r.labels), recording.map((r) => r.labels));
    checkDashboard(s, objs, {
      namespace: 'monitoring', labels: { grafana_dashboard: '1', 'example.com/source': 'mcp-trace-proxy' }, annotations: { grafana_folder: 'MCP' },
    });
    const sm = find(objs, 'ServiceMonitor')[0];
    const job = jobRelabel(sm?.spec.endpoints?.[0])?.replacement;
    check(`${s}: the ServiceMonitor sets job mcp-trace-proxy/mcp/rel`, job === 'mcp-trace-proxy/mcp/rel', sm?.spec.endpoints);
    check(`${s}: which the proxy-down alert (${jobRe}) matches`, matchesDown(job), job);
    const c = proxyContainer(find(objs, 'Deployment')[0]?.spec.template.spec ?? { containers: [] });
    const env = c ? envOf(c) : {};
    check(`${s}: OTEL_EXPORTER_OTLP_PROTOCOL grpc, endpoint on 4317`, env.OTEL_EXPORTER_OTLP_PROTOCOL?.value === 'grpc' && env.OTEL_EXPORTER_OTLP_ENDPOINT?.value === 'http://otel-collector.observability:4317', env.OTEL_EXPORTER_OTLP_PROTOCOL);
  }
}

// ---- sidecar mode: PodMonitor, PrometheusRule and dashboard with their defaults ----
{
  const objs = load('monitoring-sidecar');
  if (objs) {
    const s = 'monitoring (sidecar mode, defaults)';
    check(`${s}: no Deployment or Service of the chart's`, !find(objs, 'Deployment').length && !find(objs, 'Service').length, objs.map((o) => o.kind));
    checkRule(s, objs, {});
    checkDashboard(s, objs, { namespace: 'mcp', labels: { grafana_dashboard: '1' }, noAnnotations: true });
    const ep = find(objs, 'PodMonitor')[0]?.spec.podMetricsEndpoints?.[0];
    const job = jobRelabel(ep);
    check(`${s}: the PodMonitor's first relabeling sets job mcp-trace-proxy/mcp/rel`, ep?.relabelings?.[0] === job && job?.replacement === 'mcp-trace-proxy/mcp/rel' && job.action === 'replace', ep?.relabelings);
    check(`${s}: which the proxy-down alert matches`, matchesDown(job?.replacement), job);
  }
}

// ---- the same from a parent chart: the dependency reads its own files ----
{
  const objs = load('parent-monitoring');
  if (objs) {
    const s = 'monitoring (parent chart, the dependency\'s switches)';
    checkRule(s, objs, {});
    checkDashboard(s, objs, { namespace: 'mcp', labels: { grafana_dashboard: '1' }, noAnnotations: true });
  }
}

// ---- jobName "" (the operator's job name), a default label removed, http/json ----
{
  const objs = load('monitoring-overrides');
  if (objs) {
    const s = 'monitoring (jobName "", grafana_dashboard: null)';
    const ep = find(objs, 'ServiceMonitor')[0]?.spec.endpoints?.[0];
    check(`${s}: no job relabeling`, !!ep && !jobRelabel(ep), ep);
    checkDashboard(s, objs, { namespace: 'mcp', labels: { dashboards: 'mcp' }, absent: ['grafana_dashboard'], annotations: { 'k8s-sidecar-target-directory': 'Tracing/MCP' } });
    const c = proxyContainer(find(objs, 'Deployment')[0]?.spec.template.spec ?? { containers: [] });
    check(`${s}: OTEL_EXPORTER_OTLP_PROTOCOL http/json`, c && envOf(c).OTEL_EXPORTER_OTLP_PROTOCOL?.value === 'http/json');
  }
}

// ---- the defaults: neither object, protocol http/protobuf ----
{
  const objs = load('defaults');
  if (objs) {
    const s = 'defaults';
    check(`${s}: no PrometheusRule and no dashboard ConfigMap`, !find(objs, 'PrometheusRule').length && !find(objs, 'ConfigMap').some((o) => o.data?.['mcp-trace-proxy.json']));
    const c = proxyContainer(find(objs, 'Deployment')[0]?.spec.template.spec ?? { containers: [] });
    check(`${s}: OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf`, c && envOf(c).OTEL_EXPORTER_OTLP_PROTOCOL?.value === 'http/protobuf', c && envOf(c).OTEL_EXPORTER_OTLP_PROTOCOL);
  }
}
