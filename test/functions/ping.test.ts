/**
 * ping as a real functions-framework process, finding workers with its own client-node code and
 * its own ServiceAccount (the Role in knative/) against the local API server, sending extra balls
 * to a recording K_SINK.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadKustomization } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { applyObjects, knativeCrds } from '../../local/runtime/apply.js';
import type { PodRecord } from '../../local/types.js';
import { BALL_REQUESTED, BALL_THROWN, PING_SOURCE_TICK } from '../../lib/contract/index.js';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { postEvent, replyEvent, event } from '../helpers/cloudevents.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { waitFor } from '../helpers/wait.js';
import type { KubeObject } from '../../lib/kube/object.js';

let api: LocalApiServer;
let dir: string;
let ping: RunningFunction;
let sink: Sink;

const worker = (name: string, over: Partial<PodRecord> = {}): PodRecord => ({
  name, namespace: 'pingpong', service: 'forward', configuration: 'forward', revision: 'forward-00001', ip: '127.0.0.1',
  port: 40000, phase: 'Running', ready: true, terminating: false, inFlight: 0, startedAt: new Date(), ...over,
});

test.before(async () => {
  api = new LocalApiServer({ log: pino({ level: 'silent' }) });
  const url = await api.listen(0, '127.0.0.1');
  const manifests = (await loadKustomization(ROOT)).map((r) => r.object as KubeObject);
  api.setRbac(manifests.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind)));
  // The table ping reads its settings from: one ball per tick, at most 9 hops.
  applyObjects(api, [...await knativeCrds(), ...manifests.filter((o) => ['CustomResourceDefinition', 'Namespace', 'PingPongTable'].includes(o.kind)
    || o.metadata.name === 'pingpong-table-limits')]);
  const table = api.objects('pingpong.dev', 'pingpongtables')!.get('pingpong', 'default')!;
  api.objects('pingpong.dev', 'pingpongtables')!.put({ ...table, spec: { ...table.spec, balls: { perTick: 1, maxHops: 9 } } });
  dir = await mkdtemp(path.join(os.tmpdir(), 'ping-test-'));
  const files = await api.writeKubeconfigs({ dataDir: dir, serverUrl: url, serviceAccounts: [{ namespace: 'pingpong', name: 'ping' }] });
  // Two live workers, one that is not ready, one terminating, and a pod of another Service.
  api.upsertPod(worker('forward-a'));
  api.upsertPod(worker('forward-b'));
  api.upsertPod(worker('forward-starting', { ready: false, phase: 'Pending' }));
  api.upsertPod(worker('forward-leaving', { terminating: true }));
  api.upsertPod(worker('coin-flip-x', { service: 'coin-flip', configuration: 'coin-flip', revision: 'coin-flip-00001' }));
  // Ready, but of a revision forward-00001 replaced: it drains and takes no new ball.
  api.upsertPod(worker('forward-draining', { revision: 'forward-00000' }));
  sink = await startSink();
  ping = await startFunction('ping', { KUBECONFIG: files.serviceAccounts['pingpong/ping']!, K_SINK: sink.url });
});

test.after.always(async () => {
  await ping?.stop();
  await sink?.close();
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const tick = (id: string) => event(PING_SOURCE_TICK, { reason: 'test' }, { id, source: '/apis/v1/namespaces/pingpong/pingsources/serve-balls' });

for (const mode of ['binary', 'structured'] as const) {
  test.serial(`${mode}: a tick serves one ball, the reply, aimed at a live ready worker`, async (t) => {
    const res = await postEvent(ping.url, tick(`tick-${mode}`), mode);
    t.is(res.status, 200);
    const ball = await replyEvent(res);
    t.is(ball.type, BALL_THROWN);
    t.is(ball.source, '/pingpong/ping');
    const data = ball.data as { ball: { target: string; maxHops: number }; hop: number; path: string[] };
    t.true(['forward-a', 'forward-b'].includes(data.ball.target), data.ball.target);
    t.is(data.ball.maxHops, 9);
    t.is(data.hop, 0);
    t.deepEqual(data.path, []);
  });
}

test.serial('over many ticks both live workers are aimed at, and never a pod that is not ready', async (t) => {
  const targets = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const ball = await replyEvent(await postEvent(ping.url, tick(`spread-${i}`)));
    targets.add((ball.data as { ball: { target: string } }).ball.target);
  }
  t.deepEqual([...targets].sort(), ['forward-a', 'forward-b']);
});

test.serial('a redelivered tick serves the same ball id', async (t) => {
  const a = await postEvent(ping.url, tick('same-tick'));
  const b = await postEvent(ping.url, tick('same-tick'));
  t.is(a.headers.get('ce-id'), b.headers.get('ce-id'));
});

test.serial('a request for several balls at a named target sends each to K_SINK and answers 202', async (t) => {
  const before = sink.requests.length;
  const res = await postEvent(ping.url, event(BALL_REQUESTED, { count: 3, target: 'forward-b' }, { id: 'three' }));
  t.is(res.status, 202);
  const got = (await sink.received(before + 3)).slice(before);
  t.is(got.length, 3);
  for (const r of got) {
    t.is(r.event?.type, BALL_THROWN);
    t.is((r.event?.data as { ball: { target: string } }).ball.target, 'forward-b');
  }
  t.is(new Set(got.map((r) => r.event?.id)).size, 3);
});

for (const [name, data, field] of [
  ['a target that is not a live worker', { target: 'forward-starting' }, 'data.target'],
  ['zero balls', { count: 0 }, 'data.count'],
  ['too many balls', { count: 101 }, 'data.count'],
  ['an unknown key', { colour: 'red' }, 'data.colour'],
  ['a non-string target', { target: 7 }, 'data.target'],
] as const) {
  test.serial(`400 naming ${field}: ${name}`, async (t) => {
    const res = await postEvent(ping.url, event(BALL_REQUESTED, data));
    t.is(res.status, 400);
    const body = await res.json() as { errors: Array<{ field: string }> };
    t.true(body.errors.some((e) => e.field === field), JSON.stringify(body));
  });
}

test.serial('no live worker is a 503, so the Broker retries', async (t) => {
  api.deletePod('pingpong', 'forward-a');
  api.deletePod('pingpong', 'forward-b');
  api.deletePod('pingpong', 'forward-draining');
  try {
    const res = await postEvent(ping.url, tick('empty'));
    t.is(res.status, 503);
    t.regex(((await res.json()) as { error: string }).error, /no live worker/);
  } finally {
    api.upsertPod(worker('forward-a'));
    api.upsertPod(worker('forward-b'));
    api.upsertPod(worker('forward-draining', { revision: 'forward-00000' }));
  }
});

test.serial('a change to the table reaches the next serve, with no restart', async (t) => {
  const store = api.objects('pingpong.dev', 'pingpongtables')!;
  const table = store.get('pingpong', 'default')!;
  store.put({ ...table, spec: { ...table.spec, balls: { perTick: 1, maxHops: 7 } } });
  let n = 0;
  await waitFor(async () => {
    const res = await postEvent(ping.url, tick(`tick-change-${n++}`));
    return res.status === 200 && ((await replyEvent(res)).data as { ball: { maxHops: number } }).ball.maxHops === 7;
  }, 'a ball with the new maxHops', { timeoutMs: 15_000 });
  store.put({ ...store.get('pingpong', 'default')!, spec: { ...table.spec, balls: { perTick: 1, maxHops: 9 } } });
  t.pass();
});

test.serial('balls are aimed only at the newest revision\'s pods, never at a draining one', async (t) => {
  const targets = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const res = await postEvent(ping.url, tick(`tick-revision-${i}`));
    targets.add(((await replyEvent(res)).data as { ball: { target: string } }).ball.target);
  }
  t.deepEqual([...targets].sort(), ['forward-a', 'forward-b']);
});
