import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../kube/object.js';
import { isObject } from './paths.js';
import type { LoadedResource } from './types.js';

/** A manifest that cannot be read or parsed; names the file (and document). */
export class ManifestLoadError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ManifestLoadError';
  }
}

/** A resource a kustomization generates (secretGenerator, configMapGenerator): name only, no data. */
export interface GeneratedResource {
  file: string;
  kind: 'Secret' | 'ConfigMap';
  name: string;
  namespace?: string;
}

/**
 * Kustomization fields that change resources on the way to the cluster. The loader reads the
 * files as written, so it refuses these rather than give the local runtime a different set than
 * `kubectl apply -k` (images only matter to a cluster; generators are listed by kustomizationGenerators).
 */
const TRANSFORMING = ['patches', 'patchesStrategicMerge', 'patchesJson6902', 'namePrefix', 'nameSuffix', 'namespace',
  'commonLabels', 'labels', 'commonAnnotations', 'replicas', 'components', 'crds', 'transformers', 'generators', 'helmCharts'];

const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/**
 * Reads `rootDir`'s kustomization and every resource it lists, in order: files (multi-document
 * YAML), and directories with their own kustomization, recursively. Returns one entry per
 * non-empty document; `file` is relative to `rootDir`. Throws ManifestLoadError naming the file.
 */
export async function loadKustomization(rootDir: string): Promise<LoadedResource[]> {
  const out: LoadedResource[] = [];
  for (const dir of await kustomizationDirs(rootDir)) {
    const { file, resources } = await readKustomization(rootDir, dir);
    for (const entry of resources) {
      const target = path.join(dir, entry);
      if ((await stat(target)).isFile()) out.push(...await loadFile(target, path.relative(rootDir, target)));
      else if (!(await findKustomization(target))) throw new ManifestLoadError(file, `resource "${entry}" is a directory without a kustomization`);
    }
  }
  return out;
}

/** Reads extra manifest files (`-f FILE`), each possibly multi-document; `file` is the path as given. */
export async function loadFiles(paths: readonly string[]): Promise<LoadedResource[]> {
  const out: LoadedResource[] = [];
  for (const p of paths) out.push(...await loadFile(p, p));
  return out;
}

/** The Secrets and ConfigMaps the kustomization tree generates, without reading their sources. */
export async function kustomizationGenerators(rootDir: string): Promise<GeneratedResource[]> {
  const out: GeneratedResource[] = [];
  for (const dir of await kustomizationDirs(rootDir)) {
    const { file, doc } = await readKustomization(rootDir, dir);
    for (const [key, kind] of [['secretGenerator', 'Secret'], ['configMapGenerator', 'ConfigMap']] as const) {
      for (const g of Array.isArray(doc[key]) ? doc[key] : []) {
        if (isObject(g) && typeof g.name === 'string') out.push({ file, kind, name: g.name, ...(typeof g.namespace === 'string' ? { namespace: g.namespace } : {}) });
      }
    }
  }
  return out;
}

/**
 * Every file the kustomization tree reads, relative to rootDir: each kustomization file, the
 * resources that are files, and generator sources (`envs`, `env`, `files`). What `kubectl
 * kustomize` needs, and so what a fresh clone must have.
 */
export async function kustomizationFiles(rootDir: string): Promise<string[]> {
  const out: string[] = [];
  const rel = (p: string) => path.relative(rootDir, p);
  for (const dir of await kustomizationDirs(rootDir)) {
    const { file, doc, resources } = await readKustomization(rootDir, dir);
    out.push(file);
    for (const entry of resources) {
      const target = path.join(dir, entry);
      if ((await stat(target)).isFile()) out.push(rel(target));
    }
    for (const key of ['secretGenerator', 'configMapGenerator'] as const) {
      for (const g of Array.isArray(doc[key]) ? doc[key] : []) {
        if (!isObject(g)) continue;
        const sources = [...(Array.isArray(g.envs) ? g.envs : []), ...(typeof g.env === 'string' ? [g.env] : []),
          ...(Array.isArray(g.files) ? g.files.map((f: unknown) => String(f).split('=').pop()!) : [])];
        for (const src of sources) out.push(rel(path.join(dir, String(src))));
      }
    }
  }
  return [...new Set(out)];
}

/** Every directory of the kustomization tree under rootDir (root first, then as listed). */
export async function kustomizationDirs(rootDir: string): Promise<string[]> {
  const dirs: string[] = [];
  const visit = async (dir: string, trail: string[]): Promise<void> => {
    if (trail.includes(dir)) throw new ManifestLoadError(path.relative(rootDir, dir) || '.', 'kustomization cycle');
    dirs.push(dir);
    const { resources } = await readKustomization(rootDir, dir);
    for (const entry of resources) {
      const target = path.join(dir, entry);
      let isDir = false;
      try { isDir = (await stat(target)).isDirectory(); } catch {
        throw new ManifestLoadError(path.relative(rootDir, path.join(dir, 'kustomization.yaml')), `resource "${entry}" does not exist`);
      }
      if (isDir) await visit(target, [...trail, dir]);
    }
  };
  await visit(path.resolve(rootDir), []);
  return dirs;
}

async function findKustomization(dir: string): Promise<string | undefined> {
  for (const n of KUSTOMIZATION_NAMES) {
    try { if ((await stat(path.join(dir, n))).isFile()) return path.join(dir, n); } catch { /* try the next name */ }
  }
  return undefined;
}

async function readKustomization(rootDir: string, dir: string): Promise<{ file: string; doc: Record<string, any>; resources: string[] }> {
  const found = await findKustomization(dir);
  const file = path.relative(rootDir, found ?? path.join(dir, 'kustomization.yaml')) || 'kustomization.yaml';
  if (!found) throw new ManifestLoadError(file, 'no kustomization here');
  const [doc] = await loadFile(found, file);
  const k: Record<string, any> = doc?.object ?? {};
  for (const f of TRANSFORMING) {
    if (k[f] !== undefined) throw new ManifestLoadError(file, `"${f}" is not supported: the local runtime reads the files as written, so it would differ from the cluster`);
  }
  const resources = k.resources ?? [];
  if (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string')) throw new ManifestLoadError(file, 'resources must be a list of paths');
  for (const r of resources as string[]) {
    if (/^[a-z]+:\/\//i.test(r) || r.startsWith('github.com/')) throw new ManifestLoadError(file, `remote resource "${r}" is not supported`);
  }
  return { file, doc: k, resources };
}

async function loadFile(filePath: string, name: string): Promise<LoadedResource[]> {
  let text: string;
  try { text = await readFile(filePath, 'utf8'); } catch (err) {
    throw new ManifestLoadError(name, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message);
  }
  const out: LoadedResource[] = [];
  for (const doc of parseAllDocuments(text)) {
    if ('errors' in doc && doc.errors.length) throw new ManifestLoadError(name, `YAML: ${doc.errors[0]!.message}`);
    const object: unknown = doc.toJS();
    if (object === null || object === undefined) continue;
    if (!isObject(object)) throw new ManifestLoadError(name, `document ${out.length} is not a mapping`);
    // Typed as an object from here; validateResource says whether it is a well-formed one.
    out.push({ file: name, index: out.length, object: object as KubeObject });
  }
  return out;
}
