// deploy/: the plain manifests and the collector, as `kubectl kustomize` renders them.
'use strict';
const fs = require('fs');
const path = require('path');
const { check, load, find, envOf, portsOf, isSubset, checkSecurityContext, checkProbes, checkResources, serviceTargets, proxyContainer } = require('./lib');

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
        check(`${s}: the server has a preStop sleep of at least the drain delay (5s)`, server.lifecycle?.preStop?.sleep?.seconds >= 5, server.lifecycle);
      }
      if (c) {
        const args = (c.args ?? []).join(' ');
        check(`${s}: proxy args --upstream http://127.0.0.1:3001/mcp --host 0.0.0.0`, args.includes('--upstream http://127.0.0.1:3001/mcp') && args.includes('--host 0.0.0.0'), args);
        check(`${s}: image set by kustomize`, c.image === 'registry.example.com/mcp-trace-proxy:0.1.0', c.image);
        check(`${s}: OTLP endpoint is the collector's Service in its namespace`, envOf(c).OTEL_EXPORTER_OTLP_ENDPOINT?.value === 'http://otel-collector.observability:4318');
        check(`${s}: the app's objects are in namespace mcp`, [dep, svc].every((o) => o.metadata.namespace === 'mcp'), [dep.metadata.namespace, svc.metadata.namespace]);
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


// The proxy's OTLP endpoint, the collector's Service and namespace, and deploy/README.md's steps agree.
{
  const app = load('deploy');
  const col = load('collector');
  if (app && col) {
    const s = 'deploy/ and deploy/otel-collector/ agree';
    const proxy = find(app, 'Deployment')[0]?.spec.template.spec.containers.find((c) => c.name === 'mcp-trace-proxy');
    const url = new URL(envOf(proxy ?? {}).OTEL_EXPORTER_OTLP_ENDPOINT?.value ?? 'http://none');
    const svc = find(col, 'Service')[0];
    const [name, ns] = url.hostname.split('.');
    check(`${s}: the endpoint's host names the collector's Service and namespace`, !!svc && name === svc.metadata.name && ns === svc.metadata.namespace && svc.metadata.namespace === 'observability', [url.hostname, svc?.metadata.name, svc?.metadata.namespace]);
    check(`${s}: the endpoint's port is the Service's OTLP/HTTP port`, svc?.spec.ports.some((p) => String(p.port) === url.port && p.name === 'otlp-http'), url.port);
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'deploy', 'README.md'), 'utf8');
    const applies = [...readme.matchAll(/kubectl apply -k (\S+)(?: -n (\S+))?/g)].map((m) => ({ dir: m[1].replace(/\/$/, ''), ns: m[2] }));
    const want = { deploy: 'mcp', 'deploy/otel-collector': 'observability' };
    check(`${s}: the README applies both kustomizations`, ['deploy', 'deploy/otel-collector'].every((d) => applies.some((a) => a.dir === d)), applies);
    check(`${s}: no README step sends them to another namespace than their kustomization's`, applies.every((a) => !a.ns || a.ns === want[a.dir]), applies);
    const created = [...readme.matchAll(/kubectl create namespace (\S+)/g)].map((m) => m[1]);
    check(`${s}: the README creates both namespaces`, ['observability', 'mcp'].every((n) => created.includes(n)), created);
  }
}
