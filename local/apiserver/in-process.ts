/**
 * The runtime's own writes (its manifests, objects kept from an earlier run), made without a
 * request: they still go through defaulting, the schema and the ValidatingAdmissionPolicies, so
 * what the runtime stores is what `kubectl create` or `kubectl apply` would have stored.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../../lib/log.js';
import type { PolicyOutcome, PolicyRequest } from './admission-policy.js';
import type { ShapeOptions } from './crd-schema.js';
import { mergePatch } from './patch.js';
import type { Resource, ResourceRegistry } from './registry.js';
import { nextGeneration } from './write-rules.js';
import { errors } from './status.js';
import { timestamp } from './store.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** Mutating admission: fills in defaults. */
export type Defaulter = <T extends KubeObject>(object: T) => T;

/** What the runtime's writes need of the server. */
export interface InProcessContext {
  registry: ResourceRegistry;
  defaulter: Defaulter;
  now: () => Date;
  /** ValidatingAdmissionPolicies over what the server holds. */
  policies: (r: PolicyRequest) => PolicyOutcome;
  log?: Logger;
}

/**
 * Creates an object as `kubectl create` would. Returns false for a kind the server does not serve.
 */
export function createObject(ctx: InProcessContext, given: KubeObject): boolean {
  const object = ctx.defaulter(given);
  const resource = ctx.registry.forKind(object.apiVersion, object.kind);
  if (!resource?.store) return false;
  const ns = resource.namespaced ? object.metadata.namespace ?? 'default' : undefined;
  if (resource.store.get(ns, object.metadata.name)) throw errors.alreadyExists(resource.group, resource.resource, object.metadata.name);
  const { status: _status, ...rest } = object as KubeObject & { status?: unknown };
  const stored = { ...(resource.statusSubresource ? rest : object) } as KubeObject;
  const shaped = resource.shape ? resource.shape(stored, undefined, shapeOptions(ctx, object)) : stored;
  checkPolicies(ctx, resource, { ...shaped, metadata: { ...shaped.metadata, namespace: ns } });
  resource.store.put({ ...shaped, metadata: { ...object.metadata, namespace: ns, uid: randomUUID(), creationTimestamp: timestamp(ctx.now()), generation: 1 } });
  return true;
}

/**
 * An object kept from an earlier run, back with its identity (uid, creationTimestamp,
 * generation); its status is the controllers' to write again.
 */
export function restoreObject(registry: ResourceRegistry, object: KubeObject): boolean {
  const resource = registry.forKind(object.apiVersion, object.kind);
  if (!resource?.store) return false;
  const { status: _status, ...rest } = object;
  resource.store.put({ ...rest, metadata: { ...rest.metadata, resourceVersion: undefined } });
  return true;
}

/**
 * Applies a manifest over what is stored, as `kubectl apply` does to a live object: the fields
 * the file sets win, fields set only on the live object stay, a changed spec is a new
 * generation. Creates it when absent. False for a kind the server does not serve.
 */
export function applyObject(ctx: InProcessContext, given: KubeObject): boolean {
  const object = ctx.defaulter(given);
  const resource = ctx.registry.forKind(object.apiVersion, object.kind);
  if (!resource?.store) return false;
  const ns = resource.namespaced ? object.metadata.namespace ?? 'default' : undefined;
  const live = resource.store.get(ns, object.metadata.name);
  if (!live) return createObject(ctx, object);
  const patchedLive = mergePatch(live, { ...object, metadata: { ...object.metadata, namespace: ns } }) as KubeObject;
  const merged = resource.shape ? resource.shape(patchedLive, live, shapeOptions(ctx, object)) : patchedLive;
  if (isDeepStrictEqual(merged, live)) return true;
  checkPolicies(ctx, resource, merged, live);
  const generation = nextGeneration(live, merged);
  resource.store.put({ ...merged, status: live.status, metadata: { ...merged.metadata, uid: live.metadata.uid, creationTimestamp: live.metadata.creationTimestamp, generation } });
  return true;
}

/** The policies' verdict on an in-process write; a refusal throws, as it would for kubectl. */
function checkPolicies(ctx: InProcessContext, resource: Resource, object: KubeObject, old?: KubeObject): void {
  const { warnings } = ctx.policies({
    operation: old ? 'UPDATE' : 'CREATE', group: resource.group, version: resource.version, resource: resource.resource, kind: resource.kind,
    namespace: resource.namespaced ? object.metadata.namespace ?? 'default' : undefined, name: object.metadata.name, user: 'system:pingpong-runtime',
    object, ...(old ? { oldObject: old } : {}),
  });
  for (const w of warnings) ctx.log?.warn({ object: `${object.kind}/${object.metadata.name}` }, w);
}

/** The runtime's own writes (its manifests) prune an unknown field and log it, as Warn would. */
function shapeOptions(ctx: InProcessContext, object: KubeObject): ShapeOptions {
  return { fieldValidation: 'Warn', warn: (message) => ctx.log?.warn({ object: `${object.kind}/${object.metadata.name}` }, message) };
}
