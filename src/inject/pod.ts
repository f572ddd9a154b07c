// The few fields of a Pod the injector reads, taken from untrusted JSON without trusting its shape:
// anything that is not what the Pod API allows is a malformed review, never a TypeError.
import { InjectError } from './errors';

export interface PortView {
  readonly containerPort: number;
  readonly name: string | null;
}

export interface ContainerView {
  readonly name: string;
  readonly ports: readonly PortView[];
}

export interface PodView {
  readonly name: string | null;
  readonly generateName: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly containers: readonly ContainerView[];
  readonly initContainers: readonly ContainerView[];
  /** Whether the lists exist: a JSON Patch adds to a list with `/-`, but must create a missing one. */
  readonly hasInitContainers: boolean;
  readonly hasVolumes: boolean;
  readonly volumeNames: readonly string[];
  readonly hostNetwork: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function malformed(what: string): InjectError {
  return new InjectError('MTP_INJECT_MALFORMED_REVIEW', `request.object ${what}`);
}

function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) throw malformed(`${what} is not a map of strings`);
  return v as Record<string, string>;
}

function containers(v: unknown, what: string): ContainerView[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw malformed(`${what} is not a list`);
  return v.map((c, i) => {
    if (!isObject(c) || typeof c.name !== 'string') throw malformed(`${what}[${i}] has no name`);
    const ports = c.ports === undefined || c.ports === null ? [] : c.ports;
    if (!Array.isArray(ports)) throw malformed(`${what}[${i}].ports is not a list`);
    return {
      name: c.name,
      ports: ports.map((p, j) => {
        if (!isObject(p) || !Number.isInteger(p.containerPort)) throw malformed(`${what}[${i}].ports[${j}] has no containerPort`);
        return { containerPort: p.containerPort as number, name: typeof p.name === 'string' ? p.name : null };
      }),
    };
  });
}

/** Reads a Pod object of an AdmissionReview; throws MTP_INJECT_MALFORMED_REVIEW when it is not one. */
export function readPod(obj: unknown): PodView {
  if (!isObject(obj)) throw malformed('is not an object');
  const meta = obj.metadata === undefined ? {} : obj.metadata;
  if (!isObject(meta)) throw malformed('has no metadata');
  const spec = obj.spec;
  if (!isObject(spec)) throw malformed('has no spec');
  const main = containers(spec.containers, 'spec.containers');
  if (main.length === 0) throw malformed('has no containers');
  const vols = spec.volumes === undefined || spec.volumes === null ? [] : spec.volumes;
  if (!Array.isArray(vols)) throw malformed('spec.volumes is not a list');
  return {
    name: typeof meta.name === 'string' && meta.name ? meta.name : null,
    generateName: typeof meta.generateName === 'string' && meta.generateName ? meta.generateName : null,
    labels: stringMap(meta.labels, 'metadata.labels'),
    annotations: stringMap(meta.annotations, 'metadata.annotations'),
    containers: main,
    initContainers: containers(spec.initContainers, 'spec.initContainers'),
    hasInitContainers: Array.isArray(spec.initContainers),
    hasVolumes: Array.isArray(spec.volumes),
    volumeNames: vols.map((v) => (isObject(v) && typeof v.name === 'string' ? v.name : '')),
    hostNetwork: spec.hostNetwork === true,
  };
}

/** How the pod is named in logs and warnings: its name, or its generateName prefix (Deployment pods). */
export function podLabel(pod: PodView): string {
  return pod.name ?? (pod.generateName ? `${pod.generateName}*` : '(no name)');
}
