/**
 * The API's objects kept across restarts, as etcd keeps a cluster's: a JSON file under the data
 * dir (mode 0600: Secrets are in it), written atomically a moment after changes and at stop.
 * Pods are not kept (the runtime makes them), nor statuses (the controllers write them again).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ResourceRegistry } from './registry.js';
import { readPrivateFile, writePrivateFile } from '../../lib/fs/private-file.js';
import type { KubeObject } from '../../lib/kube/object.js';

const FORMAT = 1;

/** Every stored object worth keeping, CRDs first so that loading serves their kinds first. */
export function snapshot(registry: ResourceRegistry): KubeObject[] {
  const out: KubeObject[] = [];
  for (const r of registry.all()) {
    if (!r.store || r.resource === 'pods') continue;
    for (const o of r.store.list().items) {
      const { status: _status, ...rest } = o;
      out.push({ ...rest, metadata: { ...rest.metadata, resourceVersion: undefined } });
    }
  }
  return out.sort((a, b) => Number(b.kind === 'CustomResourceDefinition') - Number(a.kind === 'CustomResourceDefinition'));
}

export async function readObjects(file: string): Promise<KubeObject[]> {
  let text: string;
  try {
    // It holds Secrets.
    text = await readPrivateFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const doc = JSON.parse(text) as { format?: number; objects?: KubeObject[] };
  if (doc.format !== FORMAT || !Array.isArray(doc.objects)) throw new Error(`${file}: not an object store this version reads (start with --reset to begin anew)`);
  return doc.objects;
}

export async function writeObjects(file: string, objects: readonly KubeObject[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Secrets are among the objects: owner-only, even over an older file with a looser mode.
  await writePrivateFile(file, JSON.stringify({ format: FORMAT, objects }));
}

/**
 * Saves whenever the resourceVersion moved, at most every `intervalMs`; `flush` saves now (at
 * stop). Writes never overlap.
 */
export function keepSaved(file: string, registry: ResourceRegistry, currentRv: () => number, intervalMs = 500): { flush: () => Promise<void> } {
  let saved = currentRv();
  let writing: Promise<void> = Promise.resolve();
  const save = () => {
    const rv = currentRv();
    if (rv === saved) return writing;
    saved = rv;
    const objects = snapshot(registry);
    writing = writing.then(() => writeObjects(file, objects)).catch(() => undefined);
    return writing;
  };
  const timer = setInterval(() => void save(), intervalMs);
  timer.unref();
  return { flush: async () => { clearInterval(timer); await save(); } };
}
