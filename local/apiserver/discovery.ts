/**
 * Discovery documents, built from the registry, so kubectl and clients find what is served:
 * `/api` (APIVersions), `/api/v1` and `/apis/<group>/<version>` (APIResourceList), `/apis`
 * (APIGroupList), `/apis/<group>` (APIGroup) and `/version`.
 */
import type { ResourceRegistry, Resource } from './registry.js';

/** The Kubernetes version this server answers as: kubectl 1.32 is on this machine. */
export const SERVER_VERSION = {
  major: '1', minor: '32', gitVersion: 'v1.32.0-pingpong-local', gitCommit: '', gitTreeState: 'clean',
  buildDate: '1970-01-01T00:00:00Z', goVersion: 'node', compiler: 'node', platform: `${process.platform}/${process.arch}`,
};

/** `/api`: the legacy core group's versions. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiResource(r: Resource): Record<string, unknown> {
  return {
    name: r.resource, singularName: r.singularName, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs,
    ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories?.length ? { categories: r.categories } : {}),
  };
}

/** `/api/v1` or `/apis/<group>/<version>`; undefined when no resource is served there. */
export function apiResourceList(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const resources = registry.all().filter((r) => r.group === group && r.version === version);
  if (!resources.length && group) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: resources.map(apiResource) };
}

function apiGroup(name: string, versions: string[]): Record<string, unknown> {
  const gv = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: gv, preferredVersion: gv[0] };
}

/** `/apis`: every named group. */
export function apiGroupList(registry: ResourceRegistry): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().map((g) => apiGroup(g.name, g.versions)) };
}

/** `/apis/<group>`; undefined for a group not served. */
export function apiGroupDoc(registry: ResourceRegistry, name: string): Record<string, unknown> | undefined {
  const g = registry.groups().find((x) => x.name === name);
  return g && { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g.name, g.versions) };
}
