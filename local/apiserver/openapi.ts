/**
 * OpenAPI v3, as much of it as clients need: the root lists a document per group-version, and
 * each document has, per served kind, the PATCH operation that tells kubectl the server validates
 * fields itself (`fieldValidation`, so `kubectl apply` sends `fieldValidation=Strict` instead of
 * needing schemas to validate locally), plus the openAPIV3Schema of each custom resource, so
 * `kubectl explain ksvc.spec` works.
 */
import { createHash } from 'node:crypto';
import type { Resource, ResourceRegistry } from './registry.js';
import { storageVersion } from './crd.js';
import type { KubeObject } from '../../lib/kube/object.js';

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

/** The definition name Kubernetes uses for a kind: reversed group, version, kind. */
const schemaName = (r: Resource) => `${(r.group || 'io.k8s.api.core').split('.').reverse().join('.')}.${r.version}.${r.kind}`;

function resourcePaths(r: Resource): Record<string, unknown> {
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const base = `/${gvPath(r.group, r.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}`;
  const param = (name: string, inPlace: 'path' | 'query') => ({ name, in: inPlace, ...(inPlace === 'path' ? { required: true } : {}), schema: { type: 'string', uniqueItems: true } });
  const ref = { $ref: `#/components/schemas/${schemaName(r)}` };
  const op = (action: string, extra: Record<string, unknown> = {}) => ({
    'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk,
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: ref } } } }, ...extra,
  });
  const item: Record<string, unknown> = {
    get: op('get'),
    put: op('put', { parameters: [param('fieldValidation', 'query'), param('dryRun', 'query')] }),
    patch: op('patch', { parameters: [param('fieldValidation', 'query'), param('dryRun', 'query'), param('fieldManager', 'query'), param('force', 'query')] }),
    delete: op('delete'),
    parameters: [param('name', 'path'), ...(r.namespaced ? [param('namespace', 'path')] : [])],
  };
  return { [base]: { post: op('post', { parameters: [param('fieldValidation', 'query')] }), get: op('list') }, [`${base}/{name}`]: item };
}

/** The schema of a kind: a CRD's own, else an open object. */
function resourceSchema(r: Resource, crds: readonly KubeObject[]): Record<string, unknown> {
  const crd = r.crd ? crds.find((c) => c.metadata.name === r.crd) : undefined;
  const own = crd ? (storageVersion(crd) as { schema?: { openAPIV3Schema?: Record<string, unknown> } } | undefined)?.schema?.openAPIV3Schema : undefined;
  return {
    ...(own ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }),
    'x-kubernetes-group-version-kind': [{ group: r.group, version: r.version, kind: r.kind }],
  };
}

/** The document of one group-version, or undefined when nothing is served there. */
export function openApiDocument(registry: ResourceRegistry, crds: readonly KubeObject[], group: string, version: string): Record<string, unknown> | undefined {
  const resources = registry.all().filter((r) => r.group === group && r.version === version && r.store);
  if (!resources.length) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const r of resources) {
    Object.assign(paths, resourcePaths(r));
    schemas[schemaName(r)] = resourceSchema(r, crds);
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}

/** The root: where each group-version's document is, with a hash that changes with it. */
export function openApiRoot(registry: ResourceRegistry, crds: readonly KubeObject[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const gvs = new Set(registry.all().filter((r) => r.store).map((r) => `${r.group}|${r.version}`));
  for (const gv of gvs) {
    const [group, version] = gv.split('|') as [string, string];
    const doc = openApiDocument(registry, crds, group, version)!;
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 64).toUpperCase();
    paths[gvPath(group, version)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${hash}` };
  }
  return { paths };
}
