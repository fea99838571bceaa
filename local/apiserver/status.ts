/**
 * Kubernetes `Status` objects (the body of every error answer) and the error that carries one
 * through the server, so each layer can fail with exactly what a real API server would send.
 */

/** The `metav1.Status` body Kubernetes answers with on failure. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
  code: number;
}

/** An error answered as a Kubernetes Status; thrown anywhere in a request and sent by the router. */
export class ApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: Status['details']) {
    super(message);
  }

  /** The Status body for this error. */
  toStatus(): Status {
    return statusOf(this.code, this.reason, this.message, this.details);
  }
}

/** A failure Status; `details` omitted when empty, as the API server does. */
export function statusOf(code: number, reason: string, message: string, details?: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** What the resource is called in messages: `pods`, or `services.serving.knative.dev`. */
export const qualified = (group: string, resource: string): string => (group ? `${resource}.${group}` : resource);

/** The constructors mirror k8s.io/apimachinery/pkg/api/errors, message for message. */
export const errors = {
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  notFound: (group: string, resource: string, name: string) =>
    new ApiError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource }),
  /** An unknown path or resource: the API server's generic 404. */
  noRoute: () => new ApiError(404, 'NotFound', 'the server could not find the requested resource'),
  alreadyExists: (group: string, resource: string, name: string) =>
    new ApiError(409, 'AlreadyExists', `${qualified(group, resource)} "${name}" already exists`, { name, ...(group ? { group } : {}), kind: resource }),
  conflict: (group: string, resource: string, name: string, why: string) =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": ${why}`, { name, ...(group ? { group } : {}), kind: resource }),
  methodNotAllowed: () => new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  unsupportedMediaType: (type: string) => new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json; got ${type}`),
  /** A watch from a resourceVersion older than the kept history. */
  expired: (message: string) => new ApiError(410, 'Expired', message),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`),
};
