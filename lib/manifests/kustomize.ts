import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { kustomizationFiles, loadKustomization, kustomizationGenerators, type GeneratedResource } from './load.js';
import { isObject } from './paths.js';
import type { KubeObject } from '../kube/object.js';

const run = promisify(execFile);

/** What `kubectl apply -k` would send, and who rendered it. */
export interface Rendering {
  via: 'kubectl' | 'loader';
  objects: KubeObject[];
}

/** True when `kubectl` runs here. */
export async function hasKubectl(): Promise<boolean> {
  try { await run('kubectl', ['version', '--client'], { timeout: 20_000 }); return true; } catch { return false; }
}

/**
 * Renders the kustomization at rootDir with `kubectl kustomize` when kubectl exists, else with the
 * project's loader (files as written, plus name-only generated resources). kubectl runs on a copy
 * holding only what a fresh clone has of the files the kustomization reads (freshCloneFiles), so a
 * rendering that needs a git-ignored file (a local secret) fails here as it would after `git clone`.
 */
export async function renderKustomization(rootDir: string, opts: { useKubectl?: boolean } = {}): Promise<Rendering> {
  if (opts.useKubectl ?? await hasKubectl()) {
    const tmp = await mkdtemp(path.join(tmpdir(), 'pingpong-kustomize-'));
    try {
      await copyAsCloned(rootDir, tmp);
      const { stdout } = await run('kubectl', ['kustomize', tmp], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
      const objects = parseAllDocuments(stdout).map((d) => d.toJS()).filter(isObject) as KubeObject[];
      return { via: 'kubectl', objects };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  const loaded = (await loadKustomization(rootDir)).map((r) => r.object);
  const generated = (await kustomizationGenerators(rootDir)).map(generatedObject);
  return { via: 'loader', objects: [...loaded, ...generated] };
}

const generatedObject = (g: GeneratedResource): KubeObject =>
  ({ apiVersion: 'v1', kind: g.kind, metadata: { name: g.name, ...(g.namespace ? { namespace: g.namespace } : {}) } });

/**
 * The files under rootDir a fresh clone would have, relative to it: what git tracks, plus new
 * files it does not ignore (work not committed yet, which a commit would ship). Undefined outside
 * a git work tree (an unpacked archive), where every file is what the user has.
 */
export async function freshCloneFiles(rootDir: string): Promise<Set<string> | undefined> {
  try {
    const { stdout } = await run('git', ['-C', rootDir, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { maxBuffer: 64 * 1024 * 1024, timeout: 20_000 });
    return new Set(stdout.split('\0').filter(Boolean).map((f) => path.normalize(f)));
  } catch {
    return undefined;
  }
}

/** Copies the files the kustomization reads that a fresh clone has; the others stay missing. */
async function copyAsCloned(rootDir: string, to: string): Promise<void> {
  const shipped = await freshCloneFiles(rootDir);
  for (const file of await kustomizationFiles(rootDir)) {
    if (shipped && !shipped.has(path.normalize(file))) continue;
    const from = path.join(rootDir, file);
    if (!(await stat(from).catch(() => undefined))?.isFile()) continue;
    await mkdir(path.dirname(path.join(to, file)), { recursive: true });
    await copyFile(from, path.join(to, file));
  }
}
