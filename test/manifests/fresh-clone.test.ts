import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { freshCloneFiles, hasKubectl, renderKustomization } from '../../lib/manifests/kustomize.js';
import { kustomizationFiles } from '../../lib/manifests/load.js';
import { ROOT } from './fixtures.js';
import type { KubeObject } from '../../lib/kube/object.js';

const run = promisify(execFile);
const isGitCheckout = async () => Boolean(await stat(path.join(ROOT, '.git')).catch(() => undefined));

/** A copy of the repo as `git clone` would give it (tracked files plus new, unignored ones). */
async function cloneCopy(): Promise<string> {
  const files = await freshCloneFiles(ROOT);
  if (!files) throw new Error('not a git checkout');
  const dir = await mkdtemp(path.join(tmpdir(), 'pingpong-clone-'));
  for (const f of files) {
    const from = path.join(ROOT, f);
    if (!(await stat(from).catch(() => undefined))?.isFile()) continue; // deleted, not yet committed
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await copyFile(from, path.join(dir, f));
  }
  return dir;
}

/** Every way a password could be written in a rendering: Secret data, literal env values, URLs. */
function passwordsIn(objects: Array<Record<string, any>>, text: string): string[] {
  const found: string[] = [];
  for (const o of objects) {
    const name = `${o.kind}/${o.metadata?.name}`;
    if (o.kind === 'Secret' && (o.data || o.stringData)) found.push(`${name} has ${Object.keys({ ...o.data, ...o.stringData }).join(', ')}`);
    for (const c of [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.template?.spec?.initContainers ?? [])]) {
      for (const e of c.env ?? []) {
        if (/PASSWORD|DATABASE_URL|SECRET|TOKEN/i.test(e.name) && e.value !== undefined) found.push(`${name} env ${e.name} is a literal`);
      }
    }
  }
  for (const m of text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]+:[^\s/@'"]+@/gi)) found.push(`a URL with a password: ${m[0].replace(/:[^:@]+@$/, ':…@')}`);
  return found;
}

test('the kustomization reads no git-ignored file: a fresh clone has all `kubectl kustomize .` needs', async (t) => {
  const shipped = await freshCloneFiles(ROOT);
  if (await isGitCheckout()) t.truthy(shipped, 'git ls-files answers in a git checkout');
  if (!shipped) return t.pass('not a git checkout: nothing is ignored');
  const needed = await kustomizationFiles(ROOT);
  t.true(needed.includes(path.join('db', 'k8s', '300-postgres-secret.yaml')), needed.join(', '));
  t.deepEqual(needed.filter((f) => !shipped.has(path.normalize(f))), [], 'files the kustomization reads that git ignores');
});

test('`kubectl kustomize` renders a fresh copy of the repo, with the image set and no password in it', async (t) => {
  if (!(await hasKubectl()) || !(await isGitCheckout())) return t.pass('needs kubectl and a git checkout');
  const dir = await cloneCopy();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.false(Boolean(await stat(path.join(dir, 'db', 'k8s', 'postgres.env')).catch(() => undefined)), 'the copy has no postgres.env');
  const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  const objects = parseAllDocuments(stdout).map((d) => d.toJS() as KubeObject).filter(Boolean);
  const ids = objects.map((o) => `${o.kind}/${o.metadata.name}`);
  for (const want of ['Secret/pingpong-postgres', 'Job/pingpong-credentials', 'Role/pingpong-credentials', 'StatefulSet/postgres', 'Job/pingpong-migrate']) {
    t.true(ids.includes(want), `${want} is rendered`);
  }
  t.deepEqual(passwordsIn(objects, stdout), []);
  const images = objects.flatMap((o) => (o.spec?.template?.spec?.containers ?? []).map((c: { image: string }) => c.image));
  t.true(images.filter((i) => i === 'pingpong:dev').length >= 6, images.join(', '));
  t.false(images.includes('pingpong'), 'every use of the one image is rewritten by images:');
  const viaTests = await renderKustomization(ROOT);
  t.deepEqual(viaTests.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [...ids].sort(), 'the tests render what a clone renders');
});

test('the password check sees Secret data, literal env values and URLs with a password', (t) => {
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { POSTGRES_PASSWORD: 'x' } };
  const job = { kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ env: [{ name: 'DATABASE_URL', value: 'postgres://h/db' }] }] } } } };
  t.is(passwordsIn([secret], '').length, 1);
  t.is(passwordsIn([job], '').length, 1);
  t.is(passwordsIn([], 'value: postgres://pingpong:hunter2@postgres:5432/pingpong').length, 1);
  t.deepEqual(passwordsIn([], 'value: postgres://postgres.pingpong.svc.cluster.local:5432/pingpong'), []);
});

test('a kustomization that needs a git-ignored file does not render, as on a fresh clone', async (t) => {
  if (!(await hasKubectl())) return t.pass('needs kubectl');
  const dir = await mkdtemp(path.join(tmpdir(), 'pingpong-ignored-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  try { await run('git', ['init', '-q', dir], { timeout: 20_000 }); } catch { return t.pass('needs git'); }
  await writeFile(path.join(dir, '.gitignore'), 'local.env\n');
  await writeFile(path.join(dir, 'local.env'), 'PASSWORD=on-this-machine-only\n');
  await writeFile(path.join(dir, 'kustomization.yaml'),
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n  - name: s\n    envs: [local.env]\n');
  t.deepEqual(await kustomizationFiles(dir), ['kustomization.yaml', 'local.env']);
  t.false((await freshCloneFiles(dir))!.has('local.env'));
  // Here kubectl itself would read local.env; the tests must not.
  await t.throwsAsync(renderKustomization(dir, { useKubectl: true }), { message: /local\.env/ });
});
