// ci/production-values.yaml (PDB, HPA, NetworkPolicy, ServiceAccount, ServiceMonitor relabelings, TLS,
// common fields), the metrics and UI switches, and the `helm test` Pod.
'use strict';
const { check, load, find, envOf, isSubset, proxyContainer } = require('./lib');

const ports = (rule) => (rule.ports ?? []).map((p) => p.port);
const fromNamespaces = (rule) => (rule.from ?? []).map((f) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']).filter(Boolean);

{
  const objs = load('production');
  if (objs) {
    const s = 'production';
    const dep = find(objs, 'Deployment')[0];
    const tpl = dep?.spec.template;
    const c = tpl && proxyContainer(tpl.spec);
    if (dep && c) {
      const env = envOf(c);
      const podLabels = tpl.metadata.labels;
      // HPA
      const hpa = find(objs, 'HorizontalPodAutoscaler')[0];
      check(`${s}: an autoscaling/v2 HPA on the Deployment, 2 to 6 replicas`, hpa?.apiVersion === 'autoscaling/v2' && hpa.spec.scaleTargetRef.name === dep.metadata.name &&
        hpa.spec.scaleTargetRef.kind === 'Deployment' && hpa.spec.minReplicas === 2 && hpa.spec.maxReplicas === 6, hpa?.spec);
      check(`${s}: the HPA targets 75% CPU`, hpa?.spec.metrics?.length === 1 && hpa.spec.metrics[0].resource.name === 'cpu' && hpa.spec.metrics[0].resource.target.averageUtilization === 75, hpa?.spec.metrics);
      check(`${s}: with autoscaling, the Deployment has no replicas field`, !('replicas' in dep.spec), dep.spec.replicas);
      // PDB
      const pdb = find(objs, 'PodDisruptionBudget')[0];
      check(`${s}: a policy/v1 PDB, minAvailable 1, selecting the pods`, pdb?.apiVersion === 'policy/v1' && pdb.spec.minAvailable === 1 && !('maxUnavailable' in pdb.spec) && isSubset(pdb.spec.selector.matchLabels, podLabels), pdb?.spec);
      // ServiceAccount
      const sa = find(objs, 'ServiceAccount')[0];
      check(`${s}: a ServiceAccount with its annotations and no token automount`, sa?.metadata.annotations?.['example.com/role'] === 'tracing' && sa.automountServiceAccountToken === false, sa);
      check(`${s}: the pod runs as that ServiceAccount, no token mounted`, tpl.spec.serviceAccountName === sa?.metadata.name && tpl.spec.automountServiceAccountToken === false, tpl.spec.serviceAccountName);
      // NetworkPolicy
      const np = find(objs, 'NetworkPolicy')[0];
      const rules = np?.spec.ingress ?? [];
      const mcpRule = rules.find((r) => ports(r).includes(8080));
      const adminRule = rules.find((r) => ports(r).includes(9464));
      check(`${s}: a NetworkPolicy on the proxy's pods, ingress only`, isSubset(np?.spec.podSelector.matchLabels, podLabels) && JSON.stringify(np.spec.policyTypes) === '["Ingress"]', np?.spec);
      check(`${s}: the MCP port only from the allowed namespaces (and the helm test Pod)`, JSON.stringify(fromNamespaces(mcpRule ?? {})) === '["mcp-clients","agents"]' &&
        mcpRule.from.some((f) => f.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'mcp-trace-proxy-test'), mcpRule);
      check(`${s}: the admin port (live view, metrics) only from the monitoring namespace (and the helm test Pod)`, JSON.stringify(fromNamespaces(adminRule ?? {})) === '["monitoring"]' &&
        adminRule.from.length === 2 && !ports(adminRule).includes(8080), adminRule);
      const test = find(objs, 'Pod')[0];
      check(`${s}: the NetworkPolicy's test peer is the helm test Pod`, !!test && isSubset(mcpRule?.from.find((f) => f.podSelector)?.podSelector.matchLabels, test.metadata.labels));
      // ServiceMonitor
      const ep = find(objs, 'ServiceMonitor')[0]?.spec.endpoints?.[0] ?? {};
      check(`${s}: ServiceMonitor relabelings (after the chart's job relabeling) and metricRelabelings`, ep.relabelings?.[0]?.targetLabel === 'job' && ep.relabelings?.[1]?.targetLabel === 'node' && ep.metricRelabelings?.[0]?.action === 'drop', ep);
      // common fields
      const labelled = objs.filter((o) => o.metadata.labels?.team === 'platform').map((o) => o.kind);
      check(`${s}: commonLabels on every object and on the pod`, labelled.length === objs.length && podLabels.team === 'platform', objs.map((o) => `${o.kind}:${o.metadata.labels?.team}`));
      check(`${s}: Deployment annotations, strategy, revisionHistoryLimit`, dep.metadata.annotations?.['example.com/owner'] === 'platform' &&
        dep.spec.strategy?.rollingUpdate?.maxUnavailable === 0 && dep.spec.revisionHistoryLimit === 3, [dep.metadata.annotations, dep.spec.strategy, dep.spec.revisionHistoryLimit]);
      check(`${s}: startupProbe GET /healthz on the admin port with the given fields`, c.startupProbe?.httpGet?.path === '/healthz' && c.startupProbe.httpGet.port === 9464 && c.startupProbe.failureThreshold === 20, c.startupProbe);
      check(`${s}: lifecycle from values`, c.lifecycle?.postStart?.exec?.command?.[0] === 'node', c.lifecycle);
      check(`${s}: extraEnvFrom`, c.envFrom?.[0]?.configMapRef?.name === 'proxy-settings', c.envFrom);
      // TLS and extra volumes
      const mounts = Object.fromEntries((c.volumeMounts ?? []).map((m) => [m.name, m]));
      const vols = Object.fromEntries((tpl.spec.volumes ?? []).map((v) => [v.name, v]));
      const tlsMount = Object.values(mounts).find((m) => m.mountPath === '/etc/mcp-trace-proxy/otlp-tls');
      const tlsVol = tlsMount && vols[tlsMount.name];
      check(`${s}: the TLS Secret mounted read-only`, tlsMount?.readOnly === true && tlsVol?.secret?.secretName === 'otlp-client-tls', [tlsMount, tlsVol]);
      check(`${s}: the TLS volume holds the CA, certificate and key`, JSON.stringify((tlsVol?.secret?.items ?? []).map((i) => i.key)) === '["ca.crt","tls.crt","tls.key"]', tlsVol);
      check(`${s}: OTEL_EXPORTER_OTLP_CERTIFICATE / CLIENT_CERTIFICATE / CLIENT_KEY point at the mounted files`,
        env.OTEL_EXPORTER_OTLP_CERTIFICATE?.value === '/etc/mcp-trace-proxy/otlp-tls/ca.crt' && env.OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE?.value === '/etc/mcp-trace-proxy/otlp-tls/tls.crt' &&
        env.OTEL_EXPORTER_OTLP_CLIENT_KEY?.value === '/etc/mcp-trace-proxy/otlp-tls/tls.key', [env.OTEL_EXPORTER_OTLP_CERTIFICATE, env.OTEL_EXPORTER_OTLP_CLIENT_KEY]);
      check(`${s}: extraVolumes and extraVolumeMounts`, vols['extra-ca']?.configMap?.name === 'extra-ca' && mounts['extra-ca']?.mountPath === '/etc/extra-ca', [vols['extra-ca'], mounts['extra-ca']]);
      // resource attributes, host, durations, switches
      const attrs = env.OTEL_RESOURCE_ATTRIBUTES?.value ?? '';
      check(`${s}: resourceAttributes merged with the k8s.* attributes in one OTEL_RESOURCE_ATTRIBUTES`,
        c.env.filter((e) => e.name === 'OTEL_RESOURCE_ATTRIBUTES').length === 1 && attrs.includes('k8s.pod.name=$(K8S_POD_NAME)') &&
        attrs.includes('deployment.environment.name=prod') && attrs.includes('service.namespace=weather'), attrs);
      check(`${s}: host "::" (IPv6)`, env.MCP_TRACE_PROXY_HOST?.value === '::', env.MCP_TRACE_PROXY_HOST);
      check(`${s}: drainDelay and shutdownGrace in the env`, env.MCP_TRACE_PROXY_DRAIN_DELAY?.value === '10s' && env.MCP_TRACE_PROXY_SHUTDOWN_GRACE?.value === '15s');
      check(`${s}: ui.enabled: MCP_TRACE_PROXY_UI=true`, env.MCP_TRACE_PROXY_UI?.value === 'true', env.MCP_TRACE_PROXY_UI);
      check(`${s}: metrics.exporter both: OTEL_METRICS_EXPORTER=prometheus,otlp and scrape annotations`, env.OTEL_METRICS_EXPORTER?.value === 'prometheus,otlp' &&
        tpl.metadata.annotations?.['prometheus.io/scrape'] === 'true', [env.OTEL_METRICS_EXPORTER, tpl.metadata.annotations]);
      check(`${s}: no CPU limit, no fixed uid (container and pod)`, !('cpu' in (c.resources?.limits ?? {})) && !('runAsUser' in (c.securityContext ?? {})) &&
        !('runAsUser' in (tpl.spec.securityContext ?? {})) && c.securityContext?.runAsNonRoot === true, [c.resources, c.securityContext]);
    }
  }
}

// ---- metrics.exporter otlp (ci/otlp-metrics-values.yaml) ----
{
  const objs = load('otlp-metrics');
  const dep = objs && find(objs, 'Deployment')[0];
  if (dep) {
    const s = 'metrics otlp';
    const c = proxyContainer(dep.spec.template.spec);
    check(`${s}: OTEL_METRICS_EXPORTER=otlp`, envOf(c).OTEL_METRICS_EXPORTER?.value === 'otlp');
    check(`${s}: no prometheus.io annotations (no /metrics to scrape)`, !Object.keys(dep.spec.template.metadata.annotations ?? {}).some((k) => k.startsWith('prometheus.io/')), dep.spec.template.metadata.annotations);
    check(`${s}: the Service has no admin port`, JSON.stringify(find(objs, 'Service')[0]?.spec.ports.map((p) => p.name)) === '["mcp"]');
    const np = find(objs, 'NetworkPolicy')[0];
    check(`${s}: the NetworkPolicy opens the MCP port only, from anywhere`, np?.spec.ingress.length === 1 && ports(np.spec.ingress[0])[0] === 8080 && !np.spec.ingress[0].from, np?.spec.ingress);
    const test = find(objs, 'Pod')[0];
    check(`${s}: the helm test Pod skips /readyz (no admin port on the Service)`, !!test && !envOf(test.spec.containers[0]).ADMIN_URL);
  }
}

// ---- ui.enabled with otlp metrics: the admin port serves the view only ----
{
  const objs = load('ui');
  const dep = objs && find(objs, 'Deployment')[0];
  if (dep) {
    const s = 'ui without prometheus';
    check(`${s}: MCP_TRACE_PROXY_UI=true, no scrape annotations`, envOf(proxyContainer(dep.spec.template.spec)).MCP_TRACE_PROXY_UI?.value === 'true' && !dep.spec.template.metadata.annotations);
    check(`${s}: the Service exposes the admin port (the view)`, find(objs, 'Service')[0]?.spec.ports.some((p) => p.name === 'admin'));
    const admin = find(objs, 'NetworkPolicy')[0]?.spec.ingress.find((r) => ports(r).includes(9464));
    check(`${s}: the NetworkPolicy lets only the monitoring namespace reach the admin port`, JSON.stringify(fromNamespaces(admin ?? {})) === '["monitoring"]' && admin.from.length === 1, admin);
    check(`${s}: tests.enabled false: no helm test Pod`, find(objs, 'Pod').length === 0);
  }
}

// ---- the helm test Pod (defaults) ----
{
  const objs = load('defaults');
  const test = objs && find(objs, 'Pod')[0];
  check('helm test: a Pod with the helm.sh/hook test annotation', test?.metadata.annotations?.['helm.sh/hook'] === 'test', test?.metadata);
  if (test) {
    const c = test.spec.containers[0];
    const env = envOf(c);
    const svc = find(objs, 'Service')[0];
    check('helm test: the Service does not select the test Pod', !isSubset(svc.spec.selector, test.metadata.labels), test.metadata.labels);
    check('helm test: MCP_URL is the Service with the upstream\'s path', env.MCP_URL?.value === 'http://rel-mcp-trace-proxy.default.svc:8080/mcp', env.MCP_URL);
    check('helm test: ADMIN_URL is the Service\'s admin port', env.ADMIN_URL?.value === 'http://rel-mcp-trace-proxy.default.svc:9464', env.ADMIN_URL);
    check('helm test: runs the chart\'s script with node (checks /readyz, sends ping)', c.command?.[0] === 'node' && /\/readyz/.test(c.args?.[0] ?? '') && /method: 'ping'/.test(c.args?.[0] ?? ''));
    check('helm test: restartPolicy Never, hardened, no token', test.spec.restartPolicy === 'Never' && test.spec.automountServiceAccountToken === false && c.securityContext?.readOnlyRootFilesystem === true);
  }
}
