/**
 * Three forward workers as real functions-framework processes, each as forward's ServiceAccount
 * against the local API server holding the manifests, each registered there as a pod on its real
 * port: they ping each other every intervalSeconds of the table, a changed interval applies with
 * no restart, /peers lists the same workers from every replica, and a ball aimed at a pod that
 * has gone drops with target-gone.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadKustomization } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';
import { BALL_DROPPED, BALL_THROWN, PEER_PONGED } from '../../lib/contract/index.js';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { applyObjects, knativeCrds } from '../../local/runtime/apply.js';
import { startRbacController } from '../../local/controllers/rbac.js';
import type { PodRecord } from '../../local/types.js';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { event, postEvent, replyEvent } from '../helpers/cloudevents.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { waitFor } from '../helpers/wait.js';

const NAMES = ['forward-00001-deployment-aaaaa', 'forward-00001-deployment-bbbbb', 'forward-00001-deployment-ccccc'];
let api: LocalApiServer;
let dir: string;
let sink: Sink;
let stopRbac: () => void;
const workers: RunningFunction[] = [];
const TABLE = '/apis/pingpong.dev/v1alpha1/namespaces/pingpong/pingpongtables/default';

const pod = (name: string, port: number): PodRecord => ({
  name, namespace: 'pingpong', service: 'forward', configuration: 'forward', revision: 'forward-00001', ip: '127.0.0.1',
  port, phase: 'Running', ready: true, terminating: false, inFlight: 0, startedAt: new Date(), serviceAccountName: 'forward',
});

async function patchTable(spec: unknown): Promise<void> {
  const token = (api as unknown as { tokens: { adminToken: string } }).tokens.adminToken;
  const res = await fetch(`${api.url}${TABLE}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ spec }) });
  if (res.status !== 200) throw new Error(`patching the table: ${res.status} ${await res.text()}`);
}

test.before(async () => {
  api = new LocalApiServer({ log: pino({ level: 'silent' }) });
  const url = await api.listen(0, '127.0.0.1');
  applyObjects(api, [...await knativeCrds(), ...(await loadKustomization(ROOT)).map((l) => l.object)]);
  stopRbac = startRbacController(api);
  await patchTable({ peering: { intervalSeconds: 1 } });
  dir = await mkdtemp(path.join(os.tmpdir(), 'forward-peering-'));
  const files = await api.writeKubeconfigs({ dataDir: dir, serverUrl: url, serviceAccounts: [{ namespace: 'pingpong', name: 'forward' }] });
  sink = await startSink();
  for (const name of NAMES) {
    const w = await startFunction('forward', { KUBECONFIG: files.serviceAccounts['pingpong/forward']!, POD_NAME: name, K_SINK: sink.url, LOG_LEVEL: 'info' });
    workers.push(w);
    api.upsertPod(pod(name, w.port));
  }
});

test.after.always(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await sink?.close();
  stopRbac?.();
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const pongs = () => sink.requests.map((r) => r.event).filter((e) => e?.type === PEER_PONGED).map((e) => e!.data as { from: string; to: string; ms: number; ok: boolean; address: string });

test.serial('every worker pings every other one: all six pairs pong, logged and sent as peer.ponged', async (t) => {
  await waitFor(() => new Set(pongs().filter((p) => p.ok).map((p) => `${p.from}>${p.to}`)).size === 6, 'six pairs to pong', { timeoutMs: 30_000 });
  const pairs = new Set(pongs().map((p) => `${p.from}>${p.to}`));
  for (const a of NAMES) for (const b of NAMES) if (a !== b) t.true(pairs.has(`${a}>${b}`), `${a} pinged ${b}`);
  t.false([...pairs].some((p) => p.split('>')[0] === p.split('>')[1]), 'nobody pings itself');
  const one = pongs().find((p) => p.to === NAMES[1])!;
  t.is(one.address, `127.0.0.1:${workers[1]!.port}`);
  t.true(one.ms >= 0);
  t.regex(workers[0]!.output(), new RegExp(`pong from ${NAMES[1]} \\(127\\.0\\.0\\.1:${workers[1]!.port}\\) in [\\d.]+ ms`));
});

test.serial('a new interval in the table applies without a restart', async (t) => {
  await patchTable({ peering: { intervalSeconds: 3 } });
  // Let any round already scheduled at the old interval go by, then time the rounds of one pair.
  const pairTimes = () => sink.requests.filter((r) => r.event?.type === PEER_PONGED && (r.event.data as { from: string; to: string }).from === NAMES[0]
    && (r.event.data as { to: string }).to === NAMES[1]).length;
  const start = pairTimes();
  await waitFor(() => pairTimes() >= start + 1, 'a round after the change', { timeoutMs: 20_000 });
  const marked = pairTimes();
  const t0 = Date.now();
  await waitFor(() => pairTimes() >= marked + 2, 'two more rounds', { timeoutMs: 30_000 });
  t.true(Date.now() - t0 >= 4000, `two rounds took ${Date.now() - t0} ms: at 3 s apart, at least 4 s`);
  t.true(workers.every((w) => !/exited/.test(w.output())), 'no worker restarted');
});

test.serial('/peers lists the same live workers from every replica, as JSON or HTML', async (t) => {
  const lists = await Promise.all(workers.map(async (w) => (await fetch(`${w.url}/peers`)).json() as Promise<Array<{ name: string; ip: string; port: number; revision: string; since: string }>>));
  for (const l of lists) t.deepEqual(l, lists[0]);
  t.deepEqual(lists[0]!.map((p) => p.name), NAMES);
  t.like(lists[0]![2], { ip: '127.0.0.1', port: workers[2]!.port, revision: 'forward-00001' });
  t.regex(lists[0]![0]!.since, /^\d{4}-\d\d-\d\dT/);
  const html = await fetch(`${workers[1]!.url}/peers`, { headers: { accept: 'text/html,application/xhtml+xml' } });
  t.regex(html.headers.get('content-type') ?? '', /^text\/html/);
  const page = await html.text();
  t.regex(page, /3 live workers/);
  for (const w of workers) t.true(page.includes(`127.0.0.1:${w.port}`));
});

test.serial('a ball aimed at a pod that has gone drops with target-gone; one aimed at a live pod plays on', async (t) => {
  const flight = (target: string, id: string) => event(BALL_THROWN, { ball: { id, target, maxHops: 9, servedAt: '2026-01-01T00:00:00Z' }, path: [], hop: 1 }, { id });
  const live = await replyEvent(await postEvent(workers[0]!.url, flight(NAMES[1]!, 'b-live')));
  t.is(live.type, BALL_THROWN);
  const gone = await replyEvent(await postEvent(workers[0]!.url, flight('forward-00001-deployment-zzzzz', 'b-gone')));
  t.is(gone.type, BALL_DROPPED);
  t.like(gone.data as object, { reason: 'target-gone', hop: 1 });
  // A worker deleted from the API is gone too, once the others' caches hear of it.
  api.applyPodEvent({ type: 'DELETED', pod: pod(NAMES[2]!, workers[2]!.port) });
  await waitFor(async () => (await replyEvent(await postEvent(workers[0]!.url, flight(NAMES[2]!, `b-${Date.now()}`)))).type === BALL_DROPPED,
    'a ball at the deleted worker to drop', { timeoutMs: 15_000 });
  await waitFor(async () => ((await (await fetch(`${workers[1]!.url}/peers`)).json()) as unknown[]).length === 2, '/peers to drop it', { timeoutMs: 15_000 });
  t.pass();
});
