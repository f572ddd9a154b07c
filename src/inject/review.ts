// admission.k8s.io/v1 AdmissionReview in and out. Reading never throws to the caller: anything that
// is not a review this webhook can answer comes back as an error value, which the server answers
// with allowed: true and a warning (a webhook that fails a pod's creation would stop deployments).
import { InjectError } from './errors';
import type { PatchOp } from './patch';

export const API_VERSION = 'admission.k8s.io/v1';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** The fields of request the webhook uses (the API sends more: userInfo, options, requestKind, ...). */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: string;
  readonly subResource: string;
  readonly operation: string;
  /** The request's namespace: a pod object from a controller may not carry one in its metadata. */
  readonly namespace: string | null;
  readonly dryRun: boolean;
  readonly object: unknown;
}

export type ParsedReview =
  | { readonly ok: true; readonly request: AdmissionRequest }
  | { readonly ok: false; readonly uid: string; readonly error: InjectError };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseReview(body: string): ParsedReview {
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch {
    return fail('', 'the body is not JSON');
  }
  const request = isObject(review) && isObject(review.request) ? review.request : null;
  const uid = request && typeof request.uid === 'string' ? request.uid : '';
  if (!isObject(review) || review.kind !== 'AdmissionReview') return fail(uid, 'the body is not an AdmissionReview');
  if (review.apiVersion !== API_VERSION) {
    return fail(uid, `apiVersion ${JSON.stringify(review.apiVersion)} is not ${API_VERSION} (set admissionReviewVersions: [v1])`);
  }
  if (!request || !uid) return fail(uid, 'request.uid is missing');
  const kind = request.kind;
  const resource = request.resource;
  if (!isObject(kind) || typeof kind.kind !== 'string' || !isObject(resource) || typeof resource.resource !== 'string') {
    return fail(uid, 'request.kind or request.resource is missing');
  }
  if (typeof request.operation !== 'string') return fail(uid, 'request.operation is missing');
  return {
    ok: true,
    request: {
      uid,
      kind: { group: String(kind.group ?? ''), version: String(kind.version ?? ''), kind: kind.kind },
      resource: resource.resource,
      subResource: typeof request.subResource === 'string' ? request.subResource : '',
      operation: request.operation,
      namespace: typeof request.namespace === 'string' && request.namespace ? request.namespace : null,
      dryRun: request.dryRun === true,
      object: request.object,
    },
  };
}

function fail(uid: string, message: string): ParsedReview {
  return { ok: false, uid, error: new InjectError('MTP_INJECT_MALFORMED_REVIEW', message) };
}

/** Warnings are shown by kubectl, one line each: keep them to one line. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** The AdmissionReview answer: always allowed; a patch when there is one (base64 of its JSON). */
export function reviewResponse(uid: string, ops: readonly PatchOp[] | null, warnings: readonly string[]): Record<string, unknown> {
  const response: Record<string, unknown> = { uid, allowed: true };
  if (ops && ops.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(ops)).toString('base64');
  }
  if (warnings.length > 0) response.warnings = warnings.map(oneLine);
  return { apiVersion: API_VERSION, kind: 'AdmissionReview', response };
}
