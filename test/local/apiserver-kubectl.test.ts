/**
 * The real kubectl against the local API server with the admin kubeconfig it writes: `get pods`,
 * `-o json`, `get pods -w` following a pod to its deletion, and `auth can-i`.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocalApiServer } from '../../local/apiserver/index.js';
import type { PodRecord } from '../../local/types.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);

const pod = (name: string, revision: string, over: Partial<PodRecord> = {}): PodRecord => ({
  name, namespace: 'pingpong', service: revision.replace(/-\d+$/, ''), configuration: revision.replace(/-\d+$/, ''), revision,
  ip: '127.0.0.1', port: 42000 + name.length, phase: 'Running', ready: true, terminating: false, inFlight: 0,
  startedAt: new Date(Date.now() - 120_000), ...over,
});

async function start() {
  const api = new LocalApiServer();
  await api.listen(0, '127.0.0.1');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'apiserver-kubectl-'));
  const { admin } = await api.writeKubeconfigs({ dataDir: dir, serviceAccounts: [] });
  // Its own HOME and discovery cache, so nothing of the user's ~/.kube is read or written.
  const env = { ...process.env, HOME: dir, KUBECONFIG: '' };
  const args = (...a: string[]) => ['--kubeconfig', admin, '--cache-dir', path.join(dir, 'cache'), ...a];
  const kubectl = async (...a: string[]) => (await run('kubectl', args(...a), { env, timeout: 60_000 })).stdout;
  return { api, dir, env, args, kubectl, stop: async () => { await api.close(); await rm(dir, { recursive: true, force: true }); } };
}

test('kubectl get pods prints the pods with their columns, and -o json parses', async (t) => {
  const s = await start();
  try {
    s.api.upsertPod(pod('forward-00001-deployment-aaaaa', 'forward-00001'));
    s.api.upsertPod(pod('forward-00001-deployment-bbbbb', 'forward-00001', { ready: false }));
    s.api.upsertPod(pod('ping-00001-deployment-ccccc', 'ping-00001', { phase: 'Pending', ready: false }));
    const out = await s.kubectl('get', 'pods', '-n', 'pingpong');
    const lines = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    t.deepEqual(lines[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    t.deepEqual(lines.slice(1).map((l) => l.slice(0, 4)), [
      ['forward-00001-deployment-aaaaa', '1/1', 'Running', '0'],
      ['forward-00001-deployment-bbbbb', '0/1', 'Running', '0'],
      ['ping-00001-deployment-ccccc', '0/1', 'ContainerCreating', '0'],
    ]);
    t.regex(lines[1]![4]!, /^\d+[sm]/);

    const list = JSON.parse(await s.kubectl('get', 'pods', '-n', 'pingpong', '-o', 'json', '-l', 'serving.knative.dev/service=forward')) as { kind: string; items: { metadata: { name: string } }[] };
    t.is(list.kind, 'List');
    t.deepEqual(list.items.map((i) => i.metadata.name), ['forward-00001-deployment-aaaaa', 'forward-00001-deployment-bbbbb']);
    t.is((await s.kubectl('get', 'po', '-A', '--no-headers')).trim().split('\n').length, 3, 'the short name and -A work');
    t.is((await s.kubectl('auth', 'can-i', 'delete', 'pods')).trim(), 'yes');
    await t.throwsAsync(s.kubectl('get', 'services'), { message: /the server doesn't have a resource type "services"/ });
  } finally { await s.stop(); }
});

test('kubectl get pods -w shows a pod added, terminating and deleted', async (t) => {
  const s = await start();
  const gone = pod('forward-00001-deployment-ddddd', 'forward-00001');
  s.api.upsertPod(gone);
  const child = spawn('kubectl', s.args('get', 'pods', '-n', 'pingpong', '-w', '--output-watch-events'), { env: s.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const rows = () => out.split('\n').map((l) => l.trim().split(/\s+/)).filter((l) => l.length > 3);
  try {
    await waitFor(() => rows().some((r) => r[1] === gone.name), 'kubectl to list the pod', { timeoutMs: 60_000 });
    const fresh = pod('forward-00002-deployment-eeeee', 'forward-00002');
    s.api.applyPodEvent({ type: 'ADDED', pod: fresh });
    await waitFor(() => rows().some((r) => r[1] === fresh.name), 'kubectl to show the new pod', { timeoutMs: 60_000 });
    s.api.applyPodEvent({ type: 'MODIFIED', pod: { ...gone, terminating: true } });
    s.api.applyPodEvent({ type: 'DELETED', pod: gone });
    await waitFor(() => rows().some((r) => r[0] === 'DELETED'), 'kubectl to show the deletion', { timeoutMs: 60_000 });
    t.deepEqual(rows().map((r) => r.slice(0, 4).join(' ')), [
      'EVENT NAME READY STATUS',
      `ADDED ${gone.name} 1/1 Running`,
      `ADDED ${fresh.name} 1/1 Running`,
      `MODIFIED ${gone.name} 0/1 Terminating`,
      `DELETED ${gone.name} 0/1 Terminating`,
    ]);
  } finally {
    try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* already gone */ }
    await exited;
    await s.stop();
  }
});

test('kubectl get pods -w without event names: the deleted pod\'s line comes back Terminating', async (t) => {
  const s = await start();
  const p = pod('forward-00001-deployment-fffff', 'forward-00001');
  s.api.upsertPod(p);
  const child = spawn('kubectl', s.args('get', 'pods', '-w'), { env: s.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const lines = () => out.split('\n').filter((l) => l.startsWith(p.name));
  try {
    await waitFor(() => lines().length === 1, 'kubectl to list the pod', { timeoutMs: 60_000 });
    s.api.upsertPod({ ...p, terminating: true });
    s.api.deletePod('pingpong', p.name);
    await waitFor(() => lines().length === 3, 'the terminating and deleted lines', { timeoutMs: 60_000 });
    t.deepEqual(lines().map((l) => l.split(/\s+/).slice(1, 3).join(' ')), ['1/1 Running', '0/1 Terminating', '0/1 Terminating']);
  } finally {
    try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* already gone */ }
    await exited;
    await s.stop();
  }
});
