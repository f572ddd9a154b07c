// The injection webhook (injector.enabled): its Deployment, Service, ServiceAccount and
// MutatingWebhookConfiguration, the chart's own CA or cert-manager's certificate, and the settings it
// passes to `mcp-trace-proxy inject-webhook` (each variable must be one of the command's flags).
'use strict';
const fs = require('fs');
const path = require('path');
const { X509Certificate } = require('crypto');
const { check, load, find, envOf, isSubset, checkSecurityContext } = require('./lib');

// The command's flags, read from its source: a variable the chart sets must name one of them.
const src = (f) => fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'inject', f), 'utf8');
const FLAGS = new Set([...src('settings.ts').matchAll(/\{ key: '([a-z-]+)'/g), ...src('options.ts').matchAll(/\{ flag: '([a-z-]+)'/g)].map((m) => m[1]));
const envName = (flag) => `MCP_TRACE_PROXY_${flag.toUpperCase().replace(/-/g, '_')}`;
const VARS = new Set([...FLAGS].map(envName));

function webhookObjects(s, objs, ns) {
  const dep = find(objs, 'Deployment').find((d) => d.metadata.name.endsWith('-injector'));
  const svc = find(objs, 'Service').find((x) => x.metadata.name.endsWith('-injector'));
  const mwc = find(objs, 'MutatingWebhookConfiguration')[0];
  check(`${s}: a Deployment, a Service, a ServiceAccount and a MutatingWebhookConfiguration`,
    dep && svc && mwc && find(objs, 'ServiceAccount', dep.metadata.name).length === 1, objs.map((o) => `${o.kind}/${o.metadata.name}`));
  if (!dep || !svc || !mwc) return {};
  const pod = dep.spec.template;
  const c = pod.spec.containers[0];
  const env = envOf(c);
  check(`${s}: the container runs inject-webhook`, JSON.stringify(c.args) === '["inject-webhook"]', c.args);
  check(`${s}: every MCP_TRACE_PROXY_ variable is a flag of inject-webhook`, Object.keys(env).every((n) => VARS.has(n)), Object.keys(env).filter((n) => !VARS.has(n)));
  check(`${s}: its own namespace from the downward API`, env.MCP_TRACE_PROXY_NAMESPACE?.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace', env.MCP_TRACE_PROXY_NAMESPACE);
  check(`${s}: its pods carry mcp-trace-proxy.io/injector: "true" (never injected)`, pod.metadata.labels['mcp-trace-proxy.io/injector'] === 'true', pod.metadata.labels);
  check(`${s}: the selector matches its pods`, isSubset(dep.spec.selector.matchLabels, pod.metadata.labels) && isSubset(svc.spec.selector, pod.metadata.labels));
  const webhookPort = c.ports.find((p) => p.name === svc.spec.ports[0].targetPort);
  check(`${s}: the Service's 443 targets the HTTPS port`, svc.spec.ports[0].port === 443 && webhookPort?.containerPort === Number(env.MCP_TRACE_PROXY_PORT.value), svc.spec.ports);
  check(`${s}: probes on the admin port`, c.livenessProbe.httpGet.path === '/healthz' && c.readinessProbe.httpGet.path === '/readyz' &&
    c.ports.find((p) => p.name === c.readinessProbe.httpGet.port)?.containerPort === Number(env.MCP_TRACE_PROXY_ADMIN_PORT.value));
  checkSecurityContext(s, c.securityContext);
  const vol = pod.spec.volumes.find((v) => v.name === 'tls');
  const mount = c.volumeMounts.find((m) => m.name === 'tls');
  check(`${s}: the certificate and key files are in the mounted Secret`, vol?.secret?.secretName && env.MCP_TRACE_PROXY_TLS_CERT.value === `${mount.mountPath}/tls.crt` && env.MCP_TRACE_PROXY_TLS_KEY.value === `${mount.mountPath}/tls.key`, env);

  check(`${s}: two webhooks, /inject and /inject/namespace`, JSON.stringify(mwc.webhooks.map((w) => w.clientConfig.service.path)) === '["/inject","/inject/namespace"]', mwc.webhooks.map((w) => w.clientConfig));
  for (const w of mwc.webhooks) {
    const p = `${s}, ${w.name}`;
    check(`${p}: admission.k8s.io/v1, sideEffects None, timeoutSeconds <= 5`, JSON.stringify(w.admissionReviewVersions) === '["v1"]' && w.sideEffects === 'None' && w.timeoutSeconds <= 5, w);
    check(`${p}: calls the Service in ${ns} on 443`, w.clientConfig.service.name === svc.metadata.name && w.clientConfig.service.namespace === ns && w.clientConfig.service.port === 443, w.clientConfig.service);
    check(`${p}: pods, CREATE only`, JSON.stringify(w.rules) === '[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"],"scope":"Namespaced"}]', w.rules);
    const byName = w.namespaceSelector.matchExpressions.find((e) => e.key === 'kubernetes.io/metadata.name');
    check(`${p}: namespaceSelector leaves out kube-system and ${ns}`, byName?.operator === 'NotIn' && byName.values.includes('kube-system') && byName.values.includes(ns), w.namespaceSelector);
    const obj = w.objectSelector.matchExpressions;
    check(`${p}: objectSelector leaves out opted-out pods and the webhook's own`,
      obj.some((e) => e.key === 'mcp-trace-proxy.io/inject' && e.operator === 'NotIn' && e.values.includes('false')) &&
      obj.some((e) => e.key === 'mcp-trace-proxy.io/injector' && e.operator === 'DoesNotExist'), obj);
  }
  const [podHook, nsHook] = mwc.webhooks;
  const label = (w) => w.namespaceSelector.matchExpressions.find((e) => e.key === 'mcp-trace-proxy.io/inject');
  check(`${s}: the namespace webhook is for labelled namespaces, the pod webhook for the others`,
    label(nsHook)?.operator === 'In' && label(nsHook).values.includes('enabled') && label(podHook)?.operator === 'NotIn' && label(podHook).values.includes('enabled'));
  return { dep, svc, mwc, env };
}

{
  const objs = load('injector');
  if (objs) {
    const s = 'injector (ci values, the chart\'s CA)';
    const { svc, mwc, env, dep } = webhookObjects(s, objs, 'mcp');
    if (mwc) {
      check(`${s}: no proxy Deployment of the chart's (standalone off)`, find(objs, 'Deployment').length === 1);
      check(`${s}: failurePolicy Ignore by default`, mwc.webhooks.every((w) => w.failurePolicy === 'Ignore'));
      check(`${s}: excludeNamespaces added to the namespaceSelector`, mwc.webhooks.every((w) => w.namespaceSelector.matchExpressions[0].values.includes('monitoring')));
      const secret = find(objs, 'Secret', dep.spec.template.spec.volumes.find((v) => v.name === 'tls').secret.secretName)[0];
      check(`${s}: a kubernetes.io/tls Secret with ca.crt, tls.crt, tls.key`, secret?.type === 'kubernetes.io/tls' && ['ca.crt', 'tls.crt', 'tls.key'].every((k) => secret.data[k]), secret && Object.keys(secret.data));
      if (secret) {
        const ca = new X509Certificate(Buffer.from(secret.data['ca.crt'], 'base64'));
        const leaf = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
        const host = `${svc.metadata.name}.mcp.svc`;
        check(`${s}: caBundle is the Secret's CA`, mwc.webhooks.every((w) => w.clientConfig.caBundle === secret.data['ca.crt']));
        check(`${s}: the serving certificate is signed by that CA and names ${host}`, leaf.verify(ca.publicKey) && leaf.subjectAltName.includes(`DNS:${host}`), leaf.subjectAltName);
      }
      const want = {
        MCP_TRACE_PROXY_IMAGE: 'registry.example.com/mcp-trace-proxy:0.1.0', MCP_TRACE_PROXY_NATIVE_SIDECAR: 'true', MCP_TRACE_PROXY_PROXY_PORT: '8080',
        MCP_TRACE_PROXY_PROXY_ADMIN_PORT: '9464', MCP_TRACE_PROXY_UPSTREAM_PATH: '/mcp',
        MCP_TRACE_PROXY_OTLP_ENDPOINT: 'https://otel-collector.observability:4318', MCP_TRACE_PROXY_OTLP_PROTOCOL: 'grpc',
        MCP_TRACE_PROXY_OTLP_HEADERS_SECRET: 'otlp-auth', MCP_TRACE_PROXY_OTLP_HEADERS_SECRET_KEY: 'otlp-headers',
        MCP_TRACE_PROXY_OTLP_TLS_SECRET: 'collector-tls', MCP_TRACE_PROXY_OTLP_TLS_CLIENT_CERT: 'true',
        MCP_TRACE_PROXY_SAMPLER: 'parentbased_traceidratio', MCP_TRACE_PROXY_SAMPLER_ARG: '0.25', MCP_TRACE_PROXY_KEEP_SLOW: '2s',
        MCP_TRACE_PROXY_ATTRIBUTE_HEADER: 'x-tenant-id=tenant.id',
        MCP_TRACE_PROXY_CPU_REQUEST: '50m', MCP_TRACE_PROXY_MEMORY_REQUEST: '64Mi', MCP_TRACE_PROXY_CPU_LIMIT: '500m', MCP_TRACE_PROXY_MEMORY_LIMIT: '256Mi',
      };
      const wrong = Object.entries(want).filter(([k, v]) => env[k]?.value !== v).map(([k]) => `${k}=${env[k]?.value}`);
      check(`${s}: the injected proxy's settings from the chart's values (image, ports, otlp, sampler, resources, injector.*)`, wrong.length === 0, wrong);
      check(`${s}: no keep-errors variable when injector.keepErrors is empty`, env.MCP_TRACE_PROXY_KEEP_ERRORS === undefined);
    }
  }
}

{
  const objs = load('injector-cert-manager');
  if (objs) {
    const s = 'injector with cert-manager';
    const { mwc, env, dep } = webhookObjects(s, objs, 'mcp-system');
    if (mwc) {
      const cert = find(objs, 'Certificate')[0];
      const issuer = find(objs, 'Issuer')[0];
      const secretName = dep.spec.template.spec.volumes.find((v) => v.name === 'tls').secret.secretName;
      check(`${s}: a self-signed Issuer and a Certificate into the mounted Secret`, issuer?.spec?.selfSigned && cert?.spec.issuerRef.name === issuer.metadata.name && cert.spec.secretName === secretName, cert?.spec);
      check(`${s}: the Certificate names the Service`, cert?.spec.dnsNames.includes(`${dep.metadata.name}.mcp-system.svc`), cert?.spec.dnsNames);
      check(`${s}: no Secret of the chart's, no caBundle: cainjector fills it`, find(objs, 'Secret').length === 0 && mwc.webhooks.every((w) => w.clientConfig.caBundle === undefined));
      check(`${s}: cert-manager.io/inject-ca-from names the Certificate`, mwc.metadata.annotations?.['cert-manager.io/inject-ca-from'] === `mcp-system/${cert?.metadata.name}`, mwc.metadata.annotations);
      check(`${s}: failurePolicy Fail and 2 replicas as asked`, mwc.webhooks.every((w) => w.failurePolicy === 'Fail') && dep.spec.replicas === 2);
      check(`${s}: injector.nativeSidecar false`, env.MCP_TRACE_PROXY_NATIVE_SIDECAR?.value === 'false');
    }
  }
}

{
  const objs = load('injector-issuer');
  if (objs) {
    const s = 'injector with a ClusterIssuer, standalone on';
    const { dep, env } = webhookObjects(s, objs, 'mcp-system');
    if (dep) {
      const cert = find(objs, 'Certificate')[0];
      check(`${s}: the user's ClusterIssuer, no Issuer of the chart's`, find(objs, 'Issuer').length === 0 &&
        JSON.stringify(cert?.spec.issuerRef) === '{"group":"cert-manager.io","kind":"ClusterIssuer","name":"ca-issuer"}', cert?.spec.issuerRef);
      const proxy = find(objs, 'Deployment').find((d) => d !== dep);
      const proxySvc = find(objs, 'Service').find((x) => !x.metadata.name.endsWith('-injector'));
      check(`${s}: the proxy Deployment's and Service's selectors do not match the webhook's pods`,
        proxy && !isSubset(proxy.spec.selector.matchLabels, dep.spec.template.metadata.labels) && !isSubset(proxySvc.spec.selector, dep.spec.template.metadata.labels));
      check(`${s}: resources.limits.cpu: null gives the injected proxy no CPU limit (none)`, env.MCP_TRACE_PROXY_CPU_LIMIT?.value === 'none', env.MCP_TRACE_PROXY_CPU_LIMIT);
    }
  }
}
