// The chart's long-standing scenarios: standalone, defaults, ServiceMonitor, sidecar (ci values and a
// parent chart), the defaults against values.yaml.
'use strict';
const {
  check, load, find, envOf, portsOf, isSubset, STANDARD_LABELS, checkSecurityContext, checkProbes, checkResources,
  serviceTargets, proxyContainer, sortKeys, chartAppVersion,
} = require('./lib');

// Kubernetes objects whose defaults live in the template only (values.yaml documents them in comments).
const TEMPLATE_DEFAULTS = ['resources', 'securityContext'];

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
    check(`${s}: no standalone proxy Deployment or Service`, !objs.some((o) => ['Deployment', 'Service'].includes(o.kind) && o.metadata.labels?.['app.kubernetes.io/name'] === 'mcp-trace-proxy'), objs.map((o) => `${o.kind}/${o.metadata.name}`));
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
      const sc = t.securityContext ?? {};
      check(`${s}, partial values: runAsUser: null removes the uid, the rest of the defaults stay`,
        !('runAsUser' in sc) && sc.runAsNonRoot === true && sc.readOnlyRootFilesystem === true && sc.runAsGroup === 1000 && sc.seccompProfile?.type === 'RuntimeDefault', sc);
      const r = t.resources ?? {};
      check(`${s}, partial values: limits.cpu: null removes the CPU limit, the rest of the defaults stay`,
        !('cpu' in (r.limits ?? {})) && r.limits?.memory === '256Mi' && r.requests?.cpu === '50m' && r.requests?.memory === '64Mi', r);
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
      const differ = Object.keys(defaults).filter((k) => !overridden.has(k) && !TEMPLATE_DEFAULTS.includes(k) && JSON.stringify(sortKeys(defaults[k])) !== JSON.stringify(sortKeys(values[k])));
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
      const differ = Object.keys(defaults).filter((k) => !TEMPLATE_DEFAULTS.includes(k) && JSON.stringify(sortKeys(defaults[k])) !== JSON.stringify(sortKeys(values[k])));
      check('the sidecar defaults equal values.yaml, every key', differ.length === 0, `differ: ${differ.join(', ')}`);
      check(`values.yaml leaves out only ${TEMPLATE_DEFAULTS.join(', ')} (defaults the template applies, so that null and {} win)`,
        TEMPLATE_DEFAULTS.every((k) => k in defaults && !(k in values)) && Object.keys(defaults).every((k) => TEMPLATE_DEFAULTS.includes(k) || k in values),
        Object.keys(defaults).filter((k) => !(k in values)));
      check('the template defaults are the hardened ones (50m/64Mi, 500m/256Mi; uid 1000, read-only, drop ALL)',
        defaults.resources?.limits?.cpu === '500m' && defaults.resources?.requests?.memory === '64Mi' && defaults.securityContext?.runAsUser === 1000 &&
        defaults.securityContext?.readOnlyRootFilesystem === true && JSON.stringify(defaults.securityContext?.capabilities?.drop) === '["ALL"]', defaults.resources);
    } else check('values-defaults: ConfigMap rendered', false);
  }
}
