import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKustomization } from '../../lib/manifests/load.js';
import type { LoadedResource } from '../../lib/manifests/types.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** The repository root: the tests read the real manifests, never a copy. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let cached: Promise<LoadedResource[]> | undefined;
/** The repo's manifests through the root kustomization, loaded once per test file. */
export const repoResources = (): Promise<LoadedResource[]> => (cached ??= loadKustomization(ROOT));

/** A deep copy of the repo resource `kind/name`, to mutate into a bad manifest. */
export async function repoObject(kind: string, name: string, apiVersion?: string): Promise<KubeObject> {
  const found = (await repoResources()).find((r) => r.object.kind === kind && r.object.metadata?.name === name
    && (apiVersion === undefined || r.object.apiVersion === apiVersion));
  if (!found) throw new Error(`no ${kind}/${name} in the manifests`);
  return structuredClone(found.object);
}
