// Checks on the objects the chart and deploy/ render, as JSON (test/helm/run.sh renders them with helm
// or kubectl kustomize and turns the YAML into JSON with `kubectl label --local -o json`).
//
//   node test/helm/check.js <dir>      reads <dir>/<scenario>.json; prints one line per check and, last,
//                                      `CHECKS <passed> <failed>`
'use strict';
const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
const chartDir = path.join(__dirname, '..', '..', 'charts', 'mcp-trace-proxy');
let passed = 0;
let failed = 0;

function check(name, cond, detail) {
  if (cond) {
    passed++;
    console.log(`  ok   ${name}`);
  } else {
    failed++;
    console.log(`  FAIL ${name}${detail === undefined ? '' : ` (got: ${typeof detail === 'string' ? detail : JSON.stringify(detail)})`}`);
  }
}

/** kubectl prints one JSON document per object, one after the other: split them. */
function parseConcatenated(text) {
  const out = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth++ === 0) start = i;
    } else if (ch === '}') {
      if (--depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return out.flatMap((o) => (o.kind === 'List' ? o.items : [o]));
}

function load(scenario) {
  const file = path.join(dir, `${scenario}.json`);
  if (!fs.existsSync(file)) {
    check(`${scenario}: rendered objects exist`, false, 'no file');
    return null;
  }
  return parseConcatenated(fs.readFileSync(file, 'utf8'));
}

const find = (objs, kind, name) => objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const envOf = (c) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
const portsOf = (c) => Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
const isSubset = (labels, of) => Object.entries(labels ?? {}).every(([k, v]) => of?.[k] === v);

const STANDARD_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'helm.sh/chart'];

/** The hardened container securityContext the issue asks for. */
function checkSecurityContext(prefix, sc) {
  check(`${prefix}: securityContext runAsNonRoot, runAsUser 1000`, sc?.runAsNonRoot === true && sc?.runAsUser === 1000, sc);
  check(`${prefix}: securityContext readOnlyRootFilesystem, no privilege escalation`, sc?.readOnlyRootFilesystem === true && sc?.allowPrivilegeEscalation === false, sc);
  check(`${prefix}: securityContext drops ALL capabilities`, JSON.stringify(sc?.capabilities?.drop) === '["ALL"]' && !sc?.capabilities?.add, sc?.capabilities);
  check(`${prefix}: securityContext seccompProfile RuntimeDefault`, sc?.seccompProfile?.type === 'RuntimeDefault', sc?.seccompProfile);
}

/** Probes on the admin port: /healthz (liveness), /readyz (readiness); the port by number or by name. */
function checkProbes(prefix, c, { liveness = true, readiness = true } = {}) {
  const ports = portsOf(c);
  const adminPort = ports['mcp-admin'] ?? ports.admin;
  const resolve = (p) => (typeof p === 'string' ? ports[p] : p);
  const l = c.livenessProbe?.httpGet;
  const r = c.readinessProbe?.httpGet;
  if (liveness) check(`${prefix}: livenessProbe GET /healthz on the admin port (${adminPort})`, l?.path === '/healthz' && resolve(l?.port) === adminPort && adminPort !== undefined, c.livenessProbe);
  else check(`${prefix}: no livenessProbe`, c.livenessProbe === undefined, c.livenessProbe);
  if (readiness) check(`${prefix}: readinessProbe GET /readyz on the admin port (${adminPort})`, r?.path === '/readyz' && resolve(r?.port) === adminPort && adminPort !== undefined, c.readinessProbe);
}

function checkResources(prefix, c) {
  const r = c.resources ?? {};
  check(`${prefix}: resources 50m/64Mi requests, 500m/256Mi limits`,
    r.requests?.cpu === '50m' && r.requests?.memory === '64Mi' && r.limits?.cpu === '500m' && r.limits?.memory === '256Mi', r);
}

/** A Service's targetPort (name or number) must be one of the pod's container ports. */
function serviceTargets(svc, podSpec, portName) {
  const sp = svc.spec.ports.find((p) => p.name === portName);
  if (!sp) return null;
  for (const c of podSpec.containers) {
    for (const p of c.ports ?? []) {
      if (p.name === sp.targetPort || p.containerPort === sp.targetPort) return { container: c.name, port: p.containerPort, servicePort: sp.port };
    }
  }
  return null;
}

function proxyContainer(podSpec, name = 'mcp-trace-proxy') {
  return podSpec.containers.find((c) => c.name === name);
}

// ---- standalone (ci/standalone-values.yaml, release rel, namespace mcp) ----
{
  const objs = load('standalone');
  if (objs) {
    const s = 'standalone';
    const deps = find(objs, 'Deployment');
    const svcs = find(objs, 'Service');
    check(`${s}: one Deployment and one Service, no ServiceMonitor`, deps.length === 1 && svcs.length === 1 && find(objs, 'ServiceMonitor').length === 0, objs.map((o) => o.kind));
    const dep = deps[0];
    const svc = svcs[0];
    if (dep && svc) {
      for (const o of [dep, svc]) {
        const missing = STANDARD_LABELS.filter((l) => !o.metadata.labels?.[l]);
        check(`${s}: ${o.kind} has the standard labels`, missing.length === 0, `missing ${missing.join(', ')}`);
      }
      check(`${s}: app.kubernetes.io/version is the image tag`, dep.metadata.labels['app.kubernetes.io/version'] === '0.1.0', dep.metadata.labels);
      check(`${s}: app.kubernetes.io/managed-by is Helm`, dep.metadata.labels['app.kubernetes.io/managed-by'] === 'Helm');
      const tpl = dep.spec.template;
      check(`${s}: the selector matches the pod's labels`, isSubset(dep.spec.selector.matchLabels, tpl.metadata.labels), dep.spec.selector);
      check(`${s}: the Service selects the pod`, isSubset(svc.spec.selector, tpl.metadata.labels), svc.spec.selector);
      check(`${s}: replicas from values`, dep.spec.replicas === 2, dep.spec.replicas);
      const c = proxyContainer(tpl.spec);
      check(`${s}: one container, mcp-trace-proxy`, tpl.spec.containers.length === 1 && !!c, tpl.spec.containers.map((x) => x.name));
      if (c) {
        const env = envOf(c);
        check(`${s}: image repository:tag from values`, c.image === 'registry.example.com/mcp-trace-proxy:0.1.0', c.image);
        check(`${s}: container ports mcp-proxy 8080 and mcp-admin 9464`, portsOf(c)['mcp-proxy'] === 8080 && portsOf(c)['mcp-admin'] === 9464, c.ports);
        check(`${s}: MCP_TRACE_PROXY_UPSTREAM is the upstream, through tpl`, env.MCP_TRACE_PROXY_UPSTREAM?.value === 'http://weather-mcp.mcp.svc:3001/mcp', env.MCP_TRACE_PROXY_UPSTREAM);
        check(`${s}: listens on 0.0.0.0, ports 8080/9464 in the env`, env.MCP_TRACE_PROXY_HOST?.value === '0.0.0.0' && env.MCP_TRACE_PROXY_PORT?.value === '8080' && env.MCP_TRACE_PROXY_ADMIN_PORT?.value === '9464');
        check(`${s}: OTEL_EXPORTER_OTLP_ENDPOINT from otlp.endpoint`, env.OTEL_EXPORTER_OTLP_ENDPOINT?.value === 'http://otel-collector.observability:4318', env.OTEL_EXPORTER_OTLP_ENDPOINT);
        const ref = env.OTEL_EXPORTER_OTLP_HEADERS?.valueFrom?.secretKeyRef;
        check(`${s}: OTEL_EXPORTER_OTLP_HEADERS from Secret otlp-auth, key headers`, ref?.name === 'otlp-auth' && ref?.key === 'headers' && env.OTEL_EXPORTER_OTLP_HEADERS.value === undefined, env.OTEL_EXPORTER_OTLP_HEADERS);
        check(`${s}: OTEL_EXPORTER_OTLP_COMPRESSION gzip`, env.OTEL_EXPORTER_OTLP_COMPRESSION?.value === 'gzip');
        check(`${s}: sampler parentbased_traceidratio with arg 0.25`, env.OTEL_TRACES_SAMPLER?.value === 'parentbased_traceidratio' && env.OTEL_TRACES_SAMPLER_ARG?.value === '0.25', [env.OTEL_TRACES_SAMPLER, env.OTEL_TRACES_SAMPLER_ARG]);
        check(`${s}: OTEL_SERVICE_NAME from serviceName`, env.OTEL_SERVICE_NAME?.value === 'weather-mcp');
        check(`${s}: extraEnv appended`, env.MCP_TRACE_PROXY_ACCESS_LOG?.value === 'true');
        check(`${s}: extraArgs as args`, JSON.stringify(c.args) === '["--upstream-timeout=60s"]', c.args);
        check(`${s}: k8s resource attributes from the downward API`,
          env.K8S_POD_NAME?.valueFrom?.fieldRef?.fieldPath === 'metadata.name' && /k8s\.pod\.name=\$\(K8S_POD_NAME\)/.test(env.OTEL_RESOURCE_ATTRIBUTES?.value ?? ''), env.OTEL_RESOURCE_ATTRIBUTES);
        const order = c.env.map((e) => e.name);
        check(`${s}: the K8S_* variables come before OTEL_RESOURCE_ATTRIBUTES (for $(VAR) expansion)`,
          order.indexOf('OTEL_RESOURCE_ATTRIBUTES') > Math.max(order.indexOf('K8S_POD_NAME'), order.indexOf('K8S_NAMESPACE_NAME')));
        check(`${s}: MCP_TRACE_PROXY_DRAIN_DELAY 5s`, env.MCP_TRACE_PROXY_DRAIN_DELAY?.value === '5s');
        checkProbes(s, c);
        checkResources(s, c);
        checkSecurityContext(s, c.securityContext);
      }
      const psc = tpl.spec.securityContext ?? {};
      check(`${s}: pod securityContext runAsNonRoot, seccomp RuntimeDefault`, psc.runAsNonRoot === true && psc.seccompProfile?.type === 'RuntimeDefault', psc);
      check(`${s}: no service account token mounted`, tpl.spec.automountServiceAccountToken === false);
      const ann = tpl.metadata.annotations ?? {};
      check(`${s}: pod annotations prometheus.io/scrape, port 9464, path /metrics`, ann['prometheus.io/scrape'] === 'true' && ann['prometheus.io/port'] === '9464' && ann['prometheus.io/path'] === '/metrics', ann);
      check(`${s}: podAnnotations from values kept`, ann['example.com/team'] === 'platform', ann);
      const mcp = serviceTargets(svc, tpl.spec, 'mcp');
      check(`${s}: Service port mcp (8080) targets the proxy port`, mcp?.container === 'mcp-trace-proxy' && mcp.port === 8080 && mcp.servicePort === 8080, mcp);
      const admin = serviceTargets(svc, tpl.spec, 'admin');
      check(`${s}: Service port admin targets the admin port`, admin?.port === 9464, admin);
      const plain = JSON.stringify(objs);
      check(`${s}: no Secret rendered, no header value in plain text`, find(objs, 'Secret').length === 0 && !/authorization=/i.test(plain));
    }
  }
}

// ---- the chart's defaults (only upstream set) ----
{
  const objs = load('defaults');
  if (objs) {
    const s = 'defaults';
    const dep = find(objs, 'Deployment')[0];
    const c = dep && proxyContainer(dep.spec.template.spec);
    check(`${s}: renders a Deployment with the proxy container`, !!c);
    if (c) {
      const env = envOf(c);
      check(`${s}: image mcp-trace-proxy:<appVersion>`, c.image === `mcp-trace-proxy:${chartAppVersion()}`, c.image);
      check(`${s}: no OTLP endpoint, headers or sampler in the env`, !env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_HEADERS && !env.OTEL_TRACES_SAMPLER && !env.OTEL_TRACES_SAMPLER_ARG, Object.keys(env));
      check(`${s}: no args`, c.args === undefined, c.args);
      check(`${s}: one replica, ClusterIP Service`, dep.spec.replicas === 1 && find(objs, 'Service')[0]?.spec.type === 'ClusterIP');
      checkProbes(s, c);
      checkResources(s, c);
      checkSecurityContext(s, c.securityContext);
    }
  }
}

// ---- ServiceMonitor (ci/servicemonitor-values.yaml) ----
{
  const objs = load('servicemonitor');
  if (objs) {
    const s = 'servicemonitor';
    const sm = find(objs, 'ServiceMonitor')[0];
    const svc = find(objs, 'Service')[0];
    const dep = find(objs, 'Deployment')[0];
    check(`${s}: a monitoring.coreos.com/v1 ServiceMonitor`, sm?.apiVersion === 'monitoring.coreos.com/v1', sm?.apiVersion);
    if (sm && svc && dep) {
      const ep = sm.spec.endpoints?.[0] ?? {};
      check(`${s}: scrapes /metrics on the Service's admin port`, ep.path === '/metrics' && svc.spec.ports.some((p) => p.name === ep.port && p.port === 9464), ep);
      check(`${s}: interval and scrapeTimeout from values`, ep.interval === '15s' && ep.scrapeTimeout === '10s', ep);
      check(`${s}: selects the Service`, isSubset(sm.spec.selector.matchLabels, svc.metadata.labels), sm.spec.selector);
      check(`${s}: labels from serviceMonitor.labels`, sm.metadata.labels?.release === 'kube-prometheus-stack', sm.metadata.labels);
      check(`${s}: no prometheus.io pod annotations when scrapeAnnotations is false`, !Object.keys(dep.spec.template.metadata.annotations ?? {}).some((k) => k.startsWith('prometheus.io/')), dep.spec.template.metadata.annotations);
      const mcp = serviceTargets(svc, dep.spec.template.spec, 'mcp');
      check(`${s}: Service port 80 targets the proxy port 8080`, mcp?.servicePort === 80 && mcp?.port === 8080, mcp);
    }
  }
}

// ---- sidecar through the chart's own extraObjects (ci/sidecar-values.yaml) ----
{
  const objs = load('sidecar');
  if (objs) {
    const s = 'sidecar (ci values)';
    check(`${s}: no standalone proxy Deployment or Service`, !objs.some((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'mcp-trace-proxy'), objs.map((o) => `${o.kind}/${o.metadata.name}`));
    const dep = find(objs, 'Deployment', 'rel-weather-mcp')[0];
    const svc = find(objs, 'Service', 'rel-weather-mcp')[0];
    check(`${s}: the example Deployment and Service`, !!dep && !!svc);
    if (dep && svc) {
      const spec = dep.spec.template.spec;
      check(`${s}: two containers, the server and the proxy`, JSON.stringify(spec.containers.map((c) => c.name)) === '["weather-mcp","mcp-trace-proxy"]', spec.containers.map((c) => c.name));
      const c = proxyContainer(spec);
      if (c) {
        check(`${s}: the proxy's upstream is the server on loopback`, envOf(c).MCP_TRACE_PROXY_UPSTREAM?.value === 'http://127.0.0.1:3001/mcp');
        checkProbes(s, c);
        checkSecurityContext(s, c.securityContext);
      }
      const mcp = serviceTargets(svc, spec, 'mcp');
      check(`${s}: the Service targets the proxy, not the server`, mcp?.container === 'mcp-trace-proxy' && mcp.port === 8080, mcp);
      check(`${s}: scrape annotations on the pod`, dep.spec.template.metadata.annotations?.['prometheus.io/port'] === '9464', dep.spec.template.metadata.annotations);
    }
  }
}

// ---- sidecar in a user's chart (test/helm/sidecar-chart, this chart as a dependency) ----
{
  const objs = load('parent');
  if (objs) {
    const s = 'sidecar (parent chart)';
    check(`${s}: the dependency renders nothing of its own (standalone.enabled false)`, !objs.some((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'mcp-trace-proxy'), objs.map((o) => `${o.kind}/${o.metadata.name}`));
    const dep = find(objs, 'Deployment', 'rel-weather-mcp')[0];
    const c = dep && proxyContainer(dep.spec.template.spec);
    check(`${s}: the proxy container beside the server`, !!c && dep.spec.template.spec.containers[0].name === 'weather-mcp');
    if (c) {
      const env = envOf(c);
      check(`${s}: image from the parent's values, tag = appVersion`, c.image === `registry.example.com/mcp-trace-proxy:${chartAppVersion()}`, c.image);
      check(`${s}: upstream`, env.MCP_TRACE_PROXY_UPSTREAM?.value === 'http://127.0.0.1:3001/mcp');
      const ref = env.OTEL_EXPORTER_OTLP_HEADERS?.valueFrom?.secretKeyRef;
      check(`${s}: OTLP headers from the Secret, its name through tpl in the parent's context`, ref?.name === 'rel-otlp' && ref?.key === 'headers', ref);
      check(`${s}: a numeric sampler arg becomes the string "0.5"`, env.OTEL_TRACES_SAMPLER_ARG?.value === '0.5', env.OTEL_TRACES_SAMPLER_ARG);
      checkProbes(s, c);
      checkResources(s, c);
      checkSecurityContext(s, c.securityContext);
      check(`${s}: pod annotations from sidecarPodAnnotations`, dep.spec.template.metadata.annotations?.['prometheus.io/scrape'] === 'true');
    }
    // A partial map of the parent's own: defaults fill the gaps; false stays false.
    const custom = find(objs, 'Deployment', 'rel-custom')[0];
    const t = custom && proxyContainer(custom.spec.template.spec, 'tracer');
    check(`${s}, partial values: container named tracer`, !!t, custom?.spec.template.spec.containers.map((x) => x.name));
    if (t) {
      const env = envOf(t);
      check(`${s}, partial values: upstream through tpl with the parent's values`, env.MCP_TRACE_PROXY_UPSTREAM?.value === 'http://127.0.0.1:3001/mcp', env.MCP_TRACE_PROXY_UPSTREAM);
      check(`${s}, partial values: proxy port 9000, admin port defaults to 9464`, portsOf(t)['mcp-proxy'] === 9000 && portsOf(t)['mcp-admin'] === 9464 && env.MCP_TRACE_PROXY_PORT?.value === '9000', t.ports);
      check(`${s}, partial values: image tag 9.9.9, repository default`, t.image === 'mcp-trace-proxy:9.9.9', t.image);
      checkProbes(`${s}, partial values`, t, { liveness: false });
      checkSecurityContext(`${s}, partial values (defaults)`, t.securityContext);
      checkResources(`${s}, partial values (defaults)`, t);
      check(`${s}, partial values: k8sResourceAttributes false: no downward-API env`, !env.K8S_POD_NAME && !env.OTEL_RESOURCE_ATTRIBUTES, Object.keys(env));
      check(`${s}, partial values: drainDelay "" leaves the proxy's default`, !env.MCP_TRACE_PROXY_DRAIN_DELAY);
      check(`${s}, partial values: extraArgs`, JSON.stringify(t.args) === '["--access-log"]', t.args);
      check(`${s}, partial values: scrapeAnnotations false: no annotations`, !custom.spec.template.metadata.annotations, custom.spec.template.metadata.annotations);
    }
    // The sidecar template's built-in defaults must equal values.yaml's, and its app version Chart.yaml's.
    const cm = find(objs, 'ConfigMap', 'defaults-check')[0];
    if (cm) {
      const defaults = JSON.parse(cm.data['defaults.json']);
      const values = JSON.parse(cm.data['values.json']);
      const overridden = new Set(['upstream', 'image', 'serviceName', 'otlp', 'sampler']); // set by the parent
      const differ = Object.keys(defaults).filter((k) => !overridden.has(k) && JSON.stringify(sortKeys(defaults[k])) !== JSON.stringify(sortKeys(values[k])));
      check('the sidecar defaults (_helpers.tpl) equal values.yaml', differ.length === 0, `differ: ${differ.join(', ')}`);
      check('the sidecar defaults cover every key the parent set', [...overridden].every((k) => k in defaults));
      check('mcp-trace-proxy.appVersion equals Chart.yaml appVersion', cm.data.appVersion === chartAppVersion(), `${cm.data.appVersion} vs ${chartAppVersion()}`);
    } else check('defaults-check ConfigMap rendered', false);
  }
}

// ---- values.yaml itself, as the chart sees it (defaults of the keys the parent did not set) ----
{
  const objs = load('values-defaults');
  if (objs) {
    const cm = find(objs, 'ConfigMap', 'defaults-check')[0];
    if (cm) {
      const defaults = JSON.parse(cm.data['defaults.json']);
      const values = JSON.parse(cm.data['values.json']);
      const differ = Object.keys(defaults).filter((k) => JSON.stringify(sortKeys(defaults[k])) !== JSON.stringify(sortKeys(values[k])));
      check('the sidecar defaults equal values.yaml, every key', differ.length === 0, `differ: ${differ.join(', ')}`);
    } else check('values-defaults: ConfigMap rendered', false);
  }
}

// ---- deploy/: the plain manifests (kubectl kustomize deploy/) ----
{
  const objs = load('deploy');
  if (objs) {
    const s = 'deploy/';
    const dep = find(objs, 'Deployment')[0];
    const svc = find(objs, 'Service')[0];
    check(`${s}: a Deployment and a Service`, !!dep && !!svc, objs.map((o) => o.kind));
    if (dep && svc) {
      const spec = dep.spec.template.spec;
      const server = spec.containers.find((c) => c.name !== 'mcp-trace-proxy');
      const c = proxyContainer(spec);
      check(`${s}: the MCP server and the proxy in one pod`, spec.containers.length === 2 && !!server && !!c);
      if (server) {
        const env = envOf(server);
        check(`${s}: the server is bound to 127.0.0.1:3001`, env.HOST?.value === '127.0.0.1' && env.PORT?.value === '3001', server.env);
      }
      if (c) {
        const args = (c.args ?? []).join(' ');
        check(`${s}: proxy args --upstream http://127.0.0.1:3001/mcp --host 0.0.0.0`, args.includes('--upstream http://127.0.0.1:3001/mcp') && args.includes('--host 0.0.0.0'), args);
        check(`${s}: image set by kustomize`, c.image === 'registry.example.com/mcp-trace-proxy:0.1.0', c.image);
        check(`${s}: OTLP endpoint is the collector's Service`, envOf(c).OTEL_EXPORTER_OTLP_ENDPOINT?.value === 'http://otel-collector:4318');
        checkProbes(s, c);
        checkResources(s, c);
        checkSecurityContext(s, c.securityContext);
      }
      check(`${s}: pod securityContext runAsNonRoot, seccomp RuntimeDefault`, spec.securityContext?.runAsNonRoot === true && spec.securityContext?.seccompProfile?.type === 'RuntimeDefault');
      check(`${s}: the Service selects the pod`, isSubset(svc.spec.selector, dep.spec.template.metadata.labels));
      const mcp = serviceTargets(svc, spec, 'mcp');
      check(`${s}: the Service targets the proxy port, not the server`, mcp?.container === 'mcp-trace-proxy' && mcp.port === 8080, mcp);
      const ann = dep.spec.template.metadata.annotations ?? {};
      check(`${s}: Prometheus annotations point at the admin port`, ann['prometheus.io/scrape'] === 'true' && Number(ann['prometheus.io/port']) === (portsOf(c ?? {})['mcp-admin']) && ann['prometheus.io/path'] === '/metrics', ann);
    }
  }
}

{
  const objs = load('collector');
  const conf = load('collector-config');
  if (objs && conf) {
    const s = 'deploy/otel-collector/';
    const dep = find(objs, 'Deployment')[0];
    const svc = find(objs, 'Service')[0];
    const cm = find(objs, 'ConfigMap')[0];
    check(`${s}: Deployment, Service and the config's ConfigMap`, !!dep && !!svc && !!cm, objs.map((o) => o.kind));
    if (dep && cm) {
      const vol = dep.spec.template.spec.volumes?.find((v) => v.configMap);
      check(`${s}: the Deployment mounts the generated ConfigMap`, vol?.configMap?.name === cm.metadata.name, [vol?.configMap?.name, cm.metadata.name]);
      check(`${s}: the Service has OTLP/HTTP 4318`, svc?.spec.ports.some((p) => p.port === 4318));
    }
    const c = conf[0]?.spec ?? {};
    const traces = c.service?.pipelines?.traces ?? {};
    check(`${s}: config: otlp receiver with http on 4318`, /:4318$/.test(c.receivers?.otlp?.protocols?.http?.endpoint ?? ''), c.receivers);
    check(`${s}: config: batch processor`, !!c.processors && 'batch' in c.processors);
    check(`${s}: config: otlphttp and debug exporters`, !!c.exporters?.otlphttp?.endpoint && !!c.exporters?.debug);
    check(`${s}: config: traces pipeline otlp -> batch -> otlphttp, debug`,
      JSON.stringify(traces.receivers) === '["otlp"]' && (traces.processors ?? []).includes('batch') && ['otlphttp', 'debug'].every((e) => (traces.exporters ?? []).includes(e)), traces);
    const used = new Set([...Object.values(c.service?.pipelines ?? {}).flatMap((p) => [...p.receivers, ...(p.processors ?? []), ...p.exporters])]);
    const defined = new Set([...Object.keys(c.receivers ?? {}), ...Object.keys(c.processors ?? {}), ...Object.keys(c.exporters ?? {})]);
    check(`${s}: config: every component a pipeline uses is defined`, [...used].every((u) => defined.has(u)), [...used].filter((u) => !defined.has(u)));
  }
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

function chartAppVersion() {
  const m = /^appVersion:\s*["']?([^"'\s]+)["']?\s*$/m.exec(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8'));
  return m ? m[1] : '(none)';
}

console.log(`CHECKS ${passed} ${failed}`);
