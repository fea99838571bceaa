/**
 * Knative's validating webhooks, and the API server's own schema checks, for writes to the local
 * API: the same rules the manifest checks run at load (lib/manifests validateResource: the kinds'
 * schemas, unknown fields, Knative's webhook rules, what the local runtime cannot run), so an
 * invalid object applied with kubectl is refused with 422 naming each field, as on a cluster.
 */
import { KINDS, kindKey, validateResource } from '../../lib/manifests/index.js';
import { ApiError, type WriteRequest } from '../apiserver/index.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** Kinds the Service controller derives: read-only to clients, as their Service says what they are. */
const DERIVED = new Set(['serving.knative.dev/v1/Configuration', 'serving.knative.dev/v1/Route', 'serving.knative.dev/v1/Revision']);

export function knativeWebhook(req: WriteRequest): void {
  if (req.operation === 'DELETE' || !req.object) return;
  if (DERIVED.has(kindKey(req.object))) {
    throw new ApiError(405, 'MethodNotAllowed', `${req.object.kind}s are derived from their Knative Service here: change the Service (kubectl edit ksvc) instead`);
  }
  const { status: _status, ...object } = req.object;
  if (!KINDS.has(kindKey(object as KubeObject))) return;
  const problems = validateResource(object, 'request', { local: true });
  if (!problems.length) return;
  const [group] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [''];
  const kind = `${object.kind}${group ? `.${group}` : ''}`;
  const name = object.metadata.name;
  throw new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${problems.map((p) => `${p.field || '<object>'}: ${p.message}`).join(', ')}`, {
    name, group: group || undefined, kind: object.kind,
    causes: problems.map((p) => ({ reason: 'FieldValueInvalid', message: p.message, field: p.field })),
  });
}
