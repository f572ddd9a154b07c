// Shared helpers of the checks on the rendered objects (check.js and its check-*.js topics).
'use strict';
const fs = require('fs');
const path = require('path');

const dir = process.env.MTP_HELM_JSON_DIR ?? process.argv[2];
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

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

function chartAppVersion() {
  const m = /^appVersion:\s*["']?([^"'\s]+)["']?\s*$/m.exec(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8'));
  return m ? m[1] : '(none)';
}


const summary = () => ({ passed, failed });
const anyLabel = (objs, name) => objs.some((o) => o.metadata.labels?.['app.kubernetes.io/name'] === name);
/** A Kubernetes label value: at most 63 characters, alphanumeric at both ends, [-_.A-Za-z0-9] between. */
const isLabelValue = (v) => typeof v === 'string' && v.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v);

module.exports = {
  check, load, find, envOf, portsOf, isSubset, STANDARD_LABELS, checkSecurityContext, checkProbes, checkResources,
  serviceTargets, proxyContainer, sortKeys, chartAppVersion, summary, chartDir, anyLabel, isLabelValue,
};
