/**
 * What `kubectl apply` would do on a fresh cluster with Knative installed: Knative's CRDs first
 * (local/crds), then the namespaces, then every other object of the manifests, into the local API
 * server, which is then what the controllers run. Kinds it does not serve (Jobs, StatefulSets,
 * plain Services) are left out and named.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { loadFiles } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';
import type { LocalApiServer } from '../apiserver/index.js';
import type { KubeObject } from '../../lib/kube/object.js';

export const CRD_DIR = path.join(ROOT, 'local', 'crds');

/** Knative's CRDs, as shipped in local/crds. */
export async function knativeCrds(): Promise<KubeObject[]> {
  const files = (await readdir(CRD_DIR)).filter((n) => n.endsWith('.yaml')).sort().map((f) => path.join(CRD_DIR, f));
  return (await loadFiles(files)).map((r) => r.object as KubeObject);
}

const rank = (o: KubeObject) => (o.kind === 'CustomResourceDefinition' ? 0 : o.kind === 'Namespace' ? 1 : 2);

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/**
 * The object with the annotation `kubectl apply` leaves on what it applies (the manifest as
 * written), so a later `kubectl apply` of the same file merges three ways instead of warning that
 * the object was not made by apply.
 */
/** Keys in order at every level, as Go's encoding/json writes a map: kubectl compares the text. */
const sortedKeys = (v: unknown): unknown => Array.isArray(v) ? v.map(sortedKeys)
  : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys((v as Record<string, unknown>)[k])])) : v;

export function withLastApplied(o: KubeObject): KubeObject {
  const { [LAST_APPLIED]: _old, ...annotations } = o.metadata.annotations ?? {};
  // kubectl records the annotations as they are without its own, `{}` when there are none.
  const written = { ...o, metadata: { ...o.metadata, annotations } };
  const value = `${JSON.stringify(sortedKeys(written))}\n`;
  // Past the API server's 256 KiB of annotations kubectl apply itself fails (Knative's big CRDs):
  // those are left without it, as they would be installed with server-side apply.
  if (value.length > MAX_ANNOTATIONS_BYTES) return o;
  return { ...o, metadata: { ...o.metadata, annotations: { ...annotations, [LAST_APPLIED]: value } } };
}

/** Applies the objects in dependency order (over what is stored); returns the kinds the server does not serve. */
export function applyObjects(api: LocalApiServer, objects: readonly KubeObject[]): { applied: number; notServed: string[] } {
  let applied = 0;
  const notServed = new Set<string>();
  for (const o of [...objects].sort((a, b) => rank(a) - rank(b))) {
    if (api.apply(withLastApplied(o))) applied++;
    else notServed.add(`${o.kind} (${o.apiVersion})`);
  }
  return { applied, notServed: [...notServed] };
}
