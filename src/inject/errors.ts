// Typed errors of the injector, with stable codes: callers (and the metrics' reason labels) branch on
// `code`, never on the message.

export type InjectErrorCode =
  /** The request body is not an admission.k8s.io/v1 AdmissionReview of a Pod. */
  | 'MTP_INJECT_MALFORMED_REVIEW'
  /** A setting (a webhook flag or variable, or a pod annotation) has a value the proxy would refuse. */
  | 'MTP_INJECT_BAD_SETTING'
  /** No upstream port: no annotation, and not exactly one container with one port. */
  | 'MTP_INJECT_NO_UPSTREAM_PORT'
  /** The proxy's ports or port names are taken in the pod. */
  | 'MTP_INJECT_PORT_CONFLICT'
  /** The serving certificate or key cannot be read or do not match. */
  | 'MTP_INJECT_TLS';

export class InjectError extends Error {
  readonly code: InjectErrorCode;

  constructor(code: InjectErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InjectError';
    this.code = code;
  }
}
