// The injection webhook's pod, end to end (test/container/inject-pod.sh runs it):
//
//   node inject-pod.mjs mutate CONFIG-JSON    sends a Deployment-created pod to the webhook as
//       kube-apiserver would, applies the returned JSON Patch with fast-json-patch, validates the result
//       against the v1 Pod schema (kubernetes-models), then makes it runnable by `podman kube play`: the
//       name kube-apiserver would give it (generateName + a suffix) and hostPorts on 127.0.0.1 for the
//       proxy's two ports (as a Service or `kubectl port-forward` would reach them). Writes it to
//       CONFIG.out as JSON (YAML's superset, which podman reads).
//   node inject-pod.mjs spans SINK-URL POD-NAME SERVICE-NAME
//       waits for the `tools/call echo` span at the OTLP sink (otlp-sink.mjs) and checks it.
//
// Prints one line per check, tab-separated: `ok<TAB>what`, `FAIL<TAB>what<TAB>got`, or `info<TAB>text`.
// Exits 1 when a step failed that the next steps need.
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import jsonpatch from 'fast-json-patch';
import { Pod } from 'kubernetes-models/v1/Pod';

const line = (verdict, what, got = '') => console.log(`${verdict}\t${what}\t${typeof got === 'string' ? got : JSON.stringify(got)}`.replace(/\n/g, ' '));
let failures = 0;
const check = (what, pass, got) => {
  line(pass ? 'ok' : 'FAIL', what, pass ? '' : got);
  if (!pass) failures += 1;
  return pass;
};

export const GENERATE_NAME = 'everything-mcp-5f7b9c6d8-';
const SERVER_PORT = 3001;

/**
 * The pod the ReplicaSet controller of an `everything-mcp` Deployment creates, as the webhook receives
 * it: generateName and no name, ownerReferences, the fields defaulting adds. The MCP server is
 * server-everything in streamable HTTP mode, as test/container/run.sh runs its upstream: the base
 * image's node, the repository's node_modules mounted read-only (a hostPath: no image pulls here).
 * automountServiceAccountToken is off (an MCP server has no use for the API), so the ServiceAccount
 * admission plugin adds no projected token volume, which podman could not mount.
 */
function deploymentPod({ serverImage, nodeModules }) {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      generateName: GENERATE_NAME,
      namespace: 'mcp',
      creationTimestamp: null,
      labels: { 'app.kubernetes.io/name': 'everything-mcp', 'pod-template-hash': '5f7b9c6d8' },
      annotations: { 'mcp-trace-proxy.io/inject': 'true', 'mcp-trace-proxy.io/native-sidecar': 'false' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'everything-mcp-5f7b9c6d8', uid: '6c1d0e2f-8b3a-4d5c-9e7f-1a2b3c4d5e6f', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      volumes: [{ name: 'server-everything', hostPath: { path: nodeModules, type: 'Directory' } }],
      containers: [{
        name: 'everything',
        image: serverImage,
        command: ['node', '/srv/node_modules/@modelcontextprotocol/server-everything/dist/index.js', 'streamableHttp'],
        ports: [{ name: 'http', containerPort: SERVER_PORT, protocol: 'TCP' }],
        env: [{ name: 'PORT', value: String(SERVER_PORT) }],
        resources: {},
        volumeMounts: [{ name: 'server-everything', readOnly: true, mountPath: '/srv/node_modules' }],
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
        securityContext: { runAsUser: 1000, runAsGroup: 1000, allowPrivilegeEscalation: false },
      }],
      automountServiceAccountToken: false,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {},
  };
}

/** An admission.k8s.io/v1 AdmissionReview of a pod CREATE, as in the Kubernetes API reference. */
function review(pod, uid) {
  return {
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'mcp',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: 'a8f2f9c4-1d2b-4c6e-9f3a-7b5d2e1c0f99',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}

function post(url, ca, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

async function mutate(cfg) {
  const pod = deploymentPod(cfg);
  const uid = `0e5f3c7a-2b1d-4f6e-8a9c-${String(process.pid).padStart(12, '0')}`;
  let answer;
  try {
    const r = await post(cfg.webhook, fs.readFileSync(cfg.ca), JSON.stringify(review(pod, uid)));
    answer = { status: r.status, body: JSON.parse(r.text) };
  } catch (err) {
    check('webhook: AdmissionReview over HTTPS (the test CA verifies its certificate)', false, String(err?.message ?? err));
    return 1;
  }
  const res = answer.body.response ?? {};
  const shapeOk = answer.status === 200 && answer.body.apiVersion === 'admission.k8s.io/v1' && answer.body.kind === 'AdmissionReview'
    && res.uid === uid && res.allowed === true && res.patchType === 'JSONPatch' && typeof res.patch === 'string';
  if (!check('webhook: AdmissionReview over HTTPS answered allowed, uid echoed, patchType JSONPatch, base64 patch', shapeOk, { status: answer.status, body: answer.body })) return 1;

  const patch = JSON.parse(Buffer.from(res.patch, 'base64').toString('utf8'));
  let mutated;
  try {
    mutated = jsonpatch.applyPatch(jsonpatch.deepClone(pod), patch, true, false).newDocument;
    new Pod(mutated).validate();
  } catch (err) {
    check('patch applied with fast-json-patch; the pod is a valid v1 Pod (kubernetes-models)', false, String(err?.message ?? err));
    return 1;
  }
  const proxy = (mutated.spec.containers ?? []).find((c) => c.name === 'mcp-trace-proxy');
  const env = Object.fromEntries((proxy?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
  const planOk = !!proxy && mutated.spec.initContainers === undefined && proxy.image === cfg.image
    && env.MCP_TRACE_PROXY_UPSTREAM === `http://127.0.0.1:${SERVER_PORT}/mcp` && env.OTEL_EXPORTER_OTLP_ENDPOINT === cfg.otlpEndpoint
    && env.OTEL_SERVICE_NAME === 'everything-mcp';
  if (!check(`patch applied with fast-json-patch (${patch.length} op(s)); valid v1 Pod; plain container mcp-trace-proxy, upstream http://127.0.0.1:${SERVER_PORT}/mcp`, planOk,
    { patch, proxy })) return 1;

  // What kube-apiserver does next (a name from generateName), and what reaching the pod from the host
  // needs here (hostPorts, on loopback only).
  mutated.metadata.name = `${mutated.metadata.generateName}${cfg.suffix}`;
  // podman's downward API has metadata.name, metadata.uid, labels and annotations, and refuses the
  // rest ("fieldPath metadata.namespace is either not valid or not supported"): those become the
  // values the kubelet would give.
  const kubelet = { 'metadata.namespace': mutated.metadata.namespace, 'spec.nodeName': os.hostname() };
  const replaced = [];
  for (const e of proxy.env) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    if (path in kubelet) {
      replaced.push(`${e.name} (${path})`);
      delete e.valueFrom;
      e.value = kubelet[path];
    }
  }
  if (replaced.length) line('info', `for podman, set as the kubelet would: ${replaced.join(', ')}`);
  for (const port of proxy.ports) {
    port.hostIP = '127.0.0.1';
    port.hostPort = port.name === 'mcp-proxy' ? cfg.proxyHostPort : cfg.adminHostPort;
  }
  new Pod(mutated).validate();
  fs.writeFileSync(cfg.out, JSON.stringify(mutated, null, 2) + '\n');
  line('info', `pod ${mutated.metadata.name} written to ${cfg.out}`);
  return failures ? 1 : 0;
}

async function spans(sink, podName, serviceName) {
  const deadline = Date.now() + 15_000;
  let all = [];
  let span;
  while (Date.now() < deadline) {
    all = await fetch(`${sink}/spans`).then((r) => r.json(), () => []);
    span = all.find((s) => s.name === 'tools/call echo');
    if (span) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!check('the OTLP receiver got a `tools/call echo` span from the injected proxy', !!span, `spans: ${all.map((s) => s.name).join(', ') || 'none'}`)) return 1;
  const a = span.attributes;
  check('span attributes: mcp.method.name=tools/call, gen_ai.tool.name=echo', a['mcp.method.name'] === 'tools/call' && a['gen_ai.tool.name'] === 'echo', a);
  const r = span.resource;
  check(`resource: service.name=${serviceName} (the pod's app.kubernetes.io/name label), k8s.container.name=mcp-trace-proxy`,
    r['service.name'] === serviceName && r['k8s.container.name'] === 'mcp-trace-proxy', r);
  // OTEL_RESOURCE_ATTRIBUTES refers to the downward API variables as $(VAR), which the kubelet expands
  // and podman does not: report what came through (the variables themselves are checked in the container).
  line('info', `resource k8s.pod.name=${r['k8s.pod.name']} k8s.namespace.name=${r['k8s.namespace.name']} k8s.pod.uid=${r['k8s.pod.uid']} `
    + `(pod ${podName}; podman does not expand $(VAR) in env values, the kubelet does)`);
  return failures ? 1 : 0;
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'mutate') process.exit(await mutate(JSON.parse(args[0])));
else if (cmd === 'spans') process.exit(await spans(...args));
else {
  console.error('usage: node inject-pod.mjs mutate CONFIG-JSON | spans SINK-URL POD-NAME SERVICE-NAME');
  process.exit(2);
}
