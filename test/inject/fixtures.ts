// Shared by the injector tests: AdmissionReviews as kube-apiserver sends them, an HTTPS client that
// trusts the test CA, the patch applied with fast-json-patch and the result validated against the
// Kubernetes OpenAPI schema of v1 Pod (kubernetes-models' generated validators).
import https from 'node:https';
import { applyPatch, deepClone, type Operation } from 'fast-json-patch';
import { Pod } from 'kubernetes-models/v1/Pod';

/**
 * A pod the ReplicaSet controller creates for a Deployment, as the webhook receives it: generateName
 * and no name, ownerReferences, and the fields that defaulting and the built-in admission plugins
 * (ServiceAccount, DefaultTolerationSeconds) have added before mutating webhooks run.
 */
export function deploymentPod(annotations: Record<string, string> = { 'mcp-trace-proxy.io/inject': 'true' }, labels: Record<string, string> = {}): Record<string, any> {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      generateName: 'weather-mcp-7d9c8b6f4-',
      namespace: 'mcp',
      creationTimestamp: null,
      labels: { 'app.kubernetes.io/name': 'weather-mcp', 'pod-template-hash': '7d9c8b6f4', ...labels },
      annotations,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'weather-mcp-7d9c8b6f4', uid: '3f0b2c1e-5a4d-4e9b-9c1a-2b7e8f6d5a41', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      volumes: [{
        name: 'kube-api-access-x7k2p',
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
          defaultMode: 420,
        },
      }],
      containers: [{
        name: 'weather-mcp',
        image: 'registry.example.com/weather-mcp:1.0.0',
        ports: [{ name: 'http', containerPort: 3001, protocol: 'TCP' }],
        env: [{ name: 'HOST', value: '127.0.0.1' }, { name: 'PORT', value: '3001' }],
        resources: {},
        volumeMounts: [{ name: 'kube-api-access-x7k2p', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      }],
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

let uids = 0;

/** An admission.k8s.io/v1 AdmissionReview of a pod CREATE, shaped as in the Kubernetes API reference. */
export function review(pod: unknown, opts: { dryRun?: boolean; namespace?: string; operation?: string } = {}): Record<string, any> {
  const uid = `705ab4f5-6393-11e8-b7cc-42010a8${String(++uids).padStart(5, '0')}`;
  return {
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      namespace: opts.namespace ?? 'mcp',
      operation: opts.operation ?? 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: 'a8f2f9c4-1d2b-4c6e-9f3a-7b5d2e1c0f99',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      object: pod,
      oldObject: null,
      dryRun: opts.dryRun ?? false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}

export interface Answer {
  status: number;
  body: Record<string, any>;
  response: Record<string, any>;
  /** The decoded patch, or null when the response has none. */
  patch: Operation[] | null;
}

export function request(url: string, ca: Buffer, init: { method?: string; body?: string } = {}): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? 'GET', ca, headers: init.body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** POSTs a review (an object, or raw text) and decodes the answer. */
export async function send(url: string, ca: Buffer, body: unknown): Promise<Answer> {
  const r = await request(url, ca, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  const parsed = JSON.parse(r.text) as Record<string, any>;
  const response = parsed.response as Record<string, any>;
  const patch = response.patch === undefined ? null : (JSON.parse(Buffer.from(response.patch as string, 'base64').toString('utf8')) as Operation[]);
  return { status: r.status, body: parsed, response, patch };
}

/** Applies the patch as kube-apiserver does (every op validated; the original left alone). */
export function apply(pod: unknown, patch: Operation[]): Record<string, any> {
  return applyPatch(deepClone(pod), patch, true, false).newDocument as Record<string, any>;
}

/** Throws with the schema's messages when the object is not a valid v1 Pod. */
export function validatePod(pod: Record<string, any>): void {
  new Pod(pod as ConstructorParameters<typeof Pod>[0]).validate();
}

export const envOf = (c: Record<string, any>): Record<string, any> => Object.fromEntries((c.env as { name: string }[]).map((e) => [e.name, e]));
