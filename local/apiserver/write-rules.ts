/**
 * The rules of a write, as the API server applies them whatever the resource: what the main
 * resource and its `/status` subresource may change, when the generation moves, and how a stale
 * write or an invalid field is refused.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Resource } from './registry.js';
import { ApiError, errors } from './status.js';
import type { KubeObject } from '../../lib/kube/object.js';

export const conflict = (resource: Resource, name: string) =>
  errors.conflict(resource.group, resource.resource, name, 'the object has been modified; please apply your changes to the latest version and try again');

/** Everything but metadata and status: what a change of bumps `metadata.generation`. */
function specOf(o: KubeObject): unknown {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

/** The generation `next` gets after `old`: one more when anything but metadata and status changed. */
export function nextGeneration(old: KubeObject, next: KubeObject): number {
  const generation = Number(old.metadata.generation ?? 1);
  return isDeepStrictEqual(specOf(old), specOf(next)) ? generation : generation + 1;
}

/**
 * A write to the main resource: identity and creation stay the server's; with a status
 * subresource the stored status stays; a changed spec bumps the generation.
 */
export function mainOnly(resource: Resource, old: KubeObject, next: KubeObject): KubeObject {
  const out: KubeObject = { ...next, metadata: { ...next.metadata, namespace: old.metadata.namespace, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp } };
  if (!resource.namespaced) delete out.metadata.namespace;
  if (resource.statusSubresource) {
    if (old.status === undefined) delete out.status;
    else out.status = old.status;
  }
  out.metadata.generation = nextGeneration(old, out);
  return out;
}

/** A write to `/status`: only the status changes. */
export function statusOnly(old: KubeObject, next: KubeObject): KubeObject {
  const out: KubeObject = { ...old };
  if (next.status === undefined) delete out.status;
  else out.status = next.status;
  return out;
}

/** A 422 Invalid naming the field, as validation answers. */
export function invalid(resource: Resource, name: string, field: string, why: string): ApiError {
  return new ApiError(422, 'Invalid', `${resource.kind} "${name}" is invalid: ${field}: Invalid value: ${why}`,
    { name, group: resource.group || undefined, kind: resource.kind, causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${why}`, field }] });
}

/** The same object but for the resourceVersion a client sent along: a write would change nothing. */
export function unchanged(old: KubeObject, next: KubeObject): boolean {
  const bare = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return isDeepStrictEqual(bare(old), bare(next));
}
