// Sidecar mode beyond the basics: the native sidecar (initContainers) with TLS volumes from
// "mcp-trace-proxy.sidecarVolumes", the server's preStop sleep, and the PodMonitor and NetworkPolicy
// for a parent's pods.
'use strict';
const { check, load, find, envOf, isSubset, proxyContainer } = require('./lib');

{
  const objs = load('parent');
  if (objs) {
    const s = 'native sidecar (parent chart)';
    const dep = find(objs, 'Deployment', 'rel-native')[0];
    const spec = dep?.spec.template.spec;
    const p = spec?.initContainers?.find((c) => c.name === 'mcp-trace-proxy');
    check(`${s}: the proxy is in the pod's initContainers, not its containers`, !!p && !spec.containers.some((c) => c.name === 'mcp-trace-proxy'), spec?.initContainers?.map((c) => c.name));
    if (p) {
      const env = envOf(p);
      check(`${s}: restartPolicy Always (a native sidecar)`, p.restartPolicy === 'Always', p.restartPolicy);
      check(`${s}: a startupProbe on /healthz (the server starts once it passes)`, p.startupProbe?.httpGet?.path === '/healthz' && p.startupProbe.httpGet.port === 9464 && p.startupProbe.failureThreshold >= 1, p.startupProbe);
      check(`${s}: liveness and readiness probes kept`, p.livenessProbe?.httpGet?.path === '/healthz' && p.readinessProbe?.httpGet?.path === '/readyz');
      check(`${s}: image by digest`, p.image === 'registry.example.com/mcp-trace-proxy@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', p.image);
      const vols = Object.fromEntries((spec.volumes ?? []).map((v) => [v.name, v]));
      const unresolved = (p.volumeMounts ?? []).filter((m) => !vols[m.name]).map((m) => m.name);
      check(`${s}: every volumeMount has its volume, from sidecarVolumes`, (p.volumeMounts ?? []).length === 2 && unresolved.length === 0, unresolved);
      const tls = (p.volumeMounts ?? []).find((m) => m.mountPath === '/etc/mcp-trace-proxy/otlp-tls');
      check(`${s}: the TLS Secret (name through tpl) mounted read-only`, tls?.readOnly === true && vols[tls.name]?.secret?.secretName === 'rel-otlp-tls', tls && vols[tls.name]);
      check(`${s}: the OTLP TLS variables`, env.OTEL_EXPORTER_OTLP_CERTIFICATE?.value?.endsWith('/ca.crt') && env.OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE?.value?.endsWith('/tls.crt') &&
        env.OTEL_EXPORTER_OTLP_CLIENT_KEY?.value?.endsWith('/tls.key'), Object.keys(env));
      const attrs = env.OTEL_RESOURCE_ATTRIBUTES?.value ?? '';
      check(`${s}: resourceAttributes joined to the k8s.* ones`, /k8s\.container\.name=mcp-trace-proxy,deployment\.environment\.name=prod,example\.note=[^,]*,service\.namespace=weather$/.test(attrs), attrs);
      // As the OTel SDK reads it: split on , and =, then percent-decode.
      const note = attrs.split(',').map((kv) => kv.split('=')).find(([k]) => k === 'example.note');
      check(`${s}: a value with , = $( ) and % is percent-encoded, and decodes back`, note?.length === 2 && decodeURIComponent(note[1]) === 'a,b=c $(HOME) 100%' && !note[1].includes('$'), note);
      check(`${s}: the server has a preStop sleep of at least drainDelay (5s)`, spec.containers[0].lifecycle?.preStop?.sleep?.seconds >= 5, spec.containers[0].lifecycle);
    }
    const main = find(objs, 'Deployment', 'rel-weather-mcp')[0]?.spec.template.spec;
    check('sidecar (parent chart): the example server has a preStop sleep of at least drainDelay', main?.containers[0].lifecycle?.preStop?.sleep?.seconds >= 5, main?.containers[0].lifecycle);
    check('sidecar (parent chart): a plain sidecar has no restartPolicy and no startupProbe', !!main && !proxyContainer(main).restartPolicy && !proxyContainer(main).startupProbe);
    const custom = find(objs, 'Deployment', 'rel-custom')[0];
    check('sidecar (parent chart): no volumes when there is nothing to mount', !!custom && !custom.spec.template.spec.volumes && !proxyContainer(custom.spec.template.spec, 'tracer').volumeMounts);
  }
}

{
  const objs = load('sidecar');
  if (objs) {
    const s = 'sidecar (ci values)';
    const dep = find(objs, 'Deployment', 'rel-weather-mcp')[0];
    const podLabels = dep?.spec.template.metadata.labels;
    const pm = find(objs, 'PodMonitor')[0];
    const ep = pm?.spec.podMetricsEndpoints?.[0] ?? {};
    check(`${s}: a PodMonitor selecting the parent's pods`, pm?.apiVersion === 'monitoring.coreos.com/v1' && isSubset(pm.spec.selector.matchLabels, podLabels), pm?.spec.selector);
    check(`${s}: the PodMonitor scrapes /metrics on the proxy's admin port by name`, ep.port === 'mcp-admin' && ep.path === '/metrics' &&
      dep.spec.template.spec.containers.some((c) => (c.ports ?? []).some((p) => p.name === ep.port && p.containerPort === 9464)), ep);
    check(`${s}: PodMonitor relabelings, after the chart's job relabeling`, ep.relabelings?.[0]?.targetLabel === 'job' && ep.relabelings?.[1]?.targetLabel === 'container', ep.relabelings);
    check(`${s}: no ServiceMonitor in sidecar mode`, find(objs, 'ServiceMonitor').length === 0);
    const np = find(objs, 'NetworkPolicy')[0];
    check(`${s}: a NetworkPolicy on the parent's pods (podSelector)`, !!np && isSubset(np.spec.podSelector.matchLabels, podLabels), np?.spec.podSelector);
    check(`${s}: no helm test Pod in sidecar mode`, find(objs, 'Pod').length === 0);
    check(`${s}: the server has a preStop sleep`, dep?.spec.template.spec.containers[0].lifecycle?.preStop?.sleep?.seconds >= 5);
  }
}
