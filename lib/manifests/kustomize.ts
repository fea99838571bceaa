import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { kustomizationDirs, loadKustomization, kustomizationGenerators, type GeneratedResource } from './load.js';
import { isObject } from './paths.js';
import type { ManifestObject } from './types.js';

const run = promisify(execFile);

/** What `kubectl apply -k` would send, and who rendered it. */
export interface Rendering {
  via: 'kubectl' | 'loader';
  objects: ManifestObject[];
}

/** True when `kubectl` runs here. */
export async function hasKubectl(): Promise<boolean> {
  try { await run('kubectl', ['version', '--client'], { timeout: 20_000 }); return true; } catch { return false; }
}

/**
 * Renders the kustomization at rootDir with `kubectl kustomize` when kubectl exists, else with the
 * project's loader (files as written, plus name-only generated resources). kubectl runs on a copy
 * of the tree in which missing generator sources (the git-ignored db/k8s/postgres.env) are
 * placeholders, so a fresh clone renders and no real secret is read.
 */
export async function renderKustomization(rootDir: string, opts: { useKubectl?: boolean } = {}): Promise<Rendering> {
  if (opts.useKubectl ?? await hasKubectl()) {
    const tmp = await mkdtemp(path.join(tmpdir(), 'pingpong-kustomize-'));
    try {
      await copyTree(rootDir, tmp);
      const { stdout } = await run('kubectl', ['kustomize', tmp], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
      const objects = parseAllDocuments(stdout).map((d) => d.toJS()).filter(isObject);
      return { via: 'kubectl', objects };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  const loaded = (await loadKustomization(rootDir)).map((r) => r.object);
  const generated = (await kustomizationGenerators(rootDir)).map(generatedObject);
  return { via: 'loader', objects: [...loaded, ...generated] };
}

const generatedObject = (g: GeneratedResource): ManifestObject =>
  ({ apiVersion: 'v1', kind: g.kind, metadata: { name: g.name, ...(g.namespace ? { namespace: g.namespace } : {}) } });

/**
 * Copies the kustomization tree's folders (their own files only, no sub-folders) and writes every
 * generator source as a placeholder, so neither a missing nor a real secret file matters.
 */
async function copyTree(rootDir: string, to: string): Promise<void> {
  for (const dir of await kustomizationDirs(rootDir)) {
    const dest = path.join(to, path.relative(rootDir, dir));
    await mkdir(dest, { recursive: true });
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isFile()) await copyFile(path.join(dir, entry.name), path.join(dest, entry.name));
    }
  }
  for (const dir of await kustomizationDirs(to)) {
    const k = parse(await readFile(path.join(dir, 'kustomization.yaml'), 'utf8')) ?? {};
    for (const g of [...(k.secretGenerator ?? []), ...(k.configMapGenerator ?? [])]) {
      for (const src of [...(g.envs ?? []), ...(g.env ? [g.env] : [])] as string[]) {
        await writeFile(path.join(dir, src), 'PLACEHOLDER=not-a-secret\n');
      }
      for (const f of (g.files ?? []) as string[]) await writeFile(path.join(dir, f.split('=').pop()!), 'placeholder\n');
    }
  }
}
