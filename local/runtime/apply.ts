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

/** Applies the objects in dependency order (over what is stored); returns the kinds the server does not serve. */
export function applyObjects(api: LocalApiServer, objects: readonly KubeObject[]): { applied: number; notServed: string[] } {
  let applied = 0;
  const notServed = new Set<string>();
  for (const o of [...objects].sort((a, b) => rank(a) - rank(b))) {
    if (api.apply(o)) applied++;
    else notServed.add(`${o.kind} (${o.apiVersion})`);
  }
  return { applied, notServed: [...notServed] };
}
