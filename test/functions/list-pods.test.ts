/**
 * list-pods as a real functions-framework process, keeping its informer cache of the worker pods
 * as its own ServiceAccount (the Role in knative/: list and watch pods) against the local API
 * server, fed the ApiServerSource events the local runtime emits (changeEvent).
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { loadKustomization } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';
import { binaryMessage } from '../../lib/cloudevents/message.js';
import { APISERVER_ADD, PING_SOURCE_TICK, PODS_LISTED, derivedId, type DataOf } from '../../lib/contract/index.js';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { changeEvent } from '../../local/controllers/apiserversources.js';
import type { ChangeType } from '../../local/apiserver/store.js';
import type { PodRecord } from '../../local/types.js';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { event, postEvent, replyEvent } from '../helpers/cloudevents.js';
import { waitFor } from '../helpers/wait.js';
import type { KubeObject } from '../../lib/kube/object.js';

let api: LocalApiServer;
let dir: string;
let fn: RunningFunction;
let kubeconfigs: Record<string, string>;

const worker = (name: string, port: number, over: Partial<PodRecord> = {}): PodRecord => ({
  name, namespace: 'pingpong', service: 'forward', configuration: 'forward', revision: 'forward-00001', ip: '127.0.0.1',
  port, phase: 'Running', ready: true, terminating: false, inFlight: 0, startedAt: new Date(), ...over,
});

test.before(async () => {
  api = new LocalApiServer({ log: pino({ level: 'silent' }) });
  const url = await api.listen(0, '127.0.0.1');
  const rbac = (await loadKustomization(ROOT)).map((r) => r.object as KubeObject)
    .filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind));
  api.setRbac(rbac);
  dir = await mkdtemp(path.join(os.tmpdir(), 'list-pods-test-'));
  kubeconfigs = (await api.writeKubeconfigs({ dataDir: dir, serverUrl: url,
    serviceAccounts: [{ namespace: 'pingpong', name: 'list-pods' }, { namespace: 'pingpong', name: 'ping' }] })).serviceAccounts;
  // Two live workers, one starting, one terminating, and a pod of another Service.
  api.upsertPod(worker('forward-b', 40002));
  api.upsertPod(worker('forward-a', 40001));
  api.upsertPod(worker('forward-starting', 40003, { ready: false, phase: 'Pending' }));
  api.upsertPod(worker('forward-leaving', 40004, { terminating: true }));
  api.upsertPod(worker('coin-flip-x', 40005, { service: 'coin-flip', configuration: 'coin-flip', revision: 'coin-flip-00001' }));
  // info: the handled lines say whether a snapshot came from the cache or a direct list.
  fn = await startFunction('list-pods', { KUBECONFIG: kubeconfigs['pingpong/list-pods']!, LOG_LEVEL: 'info' });
});

test.after.always(async () => {
  await fn?.stop();
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const TICK_SOURCE = '/apis/v1/namespaces/pingpong/pingsources/list-pods';
const tick = (id: string) => event(PING_SOURCE_TICK, { reason: 'list-pods' }, { id, source: TICK_SOURCE });
type Listed = DataOf<typeof PODS_LISTED>;

/** The CloudEvent the local ApiServerSource sends for this change of a stored pod. */
async function podEvent(url: string, type: ChangeType, object: KubeObject): Promise<Response> {
  const msg = binaryMessage(changeEvent({ type, object, rv: Number(object.metadata.resourceVersion) }, 'Resource', api.url));
  return fetch(url, { method: 'POST', headers: msg.headers, body: new Uint8Array(msg.body) });
}
const stored = (name: string) => structuredClone(api.pods.get('pingpong', name)!);

async function listed(res: Response): Promise<{ id: string; source: string; data: Listed }> {
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  const e = await replyEvent(res);
  if (e.type !== PODS_LISTED) throw new Error(`reply type ${e.type}`);
  return { id: e.id, source: e.source, data: e.data as Listed };
}

test.serial('a tick yields pods.listed: the live forward pods by name, with IP, port, phase and revision', async (t) => {
  const reply = await listed(await postEvent(fn.url, tick('tick-1')));
  t.is(reply.source, '/pingpong/list-pods');
  t.is(reply.id, derivedId(TICK_SOURCE, 'tick-1', 'listed'), 'the id derives from the tick, so a redelivery repeats it');
  t.deepEqual(reply.data, {
    service: 'forward',
    cause: 'tick',
    pods: [
      { name: 'forward-a', ip: '127.0.0.1', port: 40001, phase: 'Running', revision: 'forward-00001' },
      { name: 'forward-b', ip: '127.0.0.1', port: 40002, phase: 'Running', revision: 'forward-00001' },
      { name: 'forward-starting', ip: '127.0.0.1', port: 40003, phase: 'Pending', revision: 'forward-00001' },
    ],
  });
  t.is((await listed(await postEvent(fn.url, tick('tick-1'), 'structured'))).id, reply.id);
});

test.serial('the snapshots come from the informer\'s cache once it has listed and watched as list-pods', async (t) => {
  await waitFor(async () => {
    await listed(await postEvent(fn.url, tick(`sync-${Date.now()}`)));
    return fn.output().includes('"from":"cache"');
  }, 'a snapshot from the synced cache');
  t.false(fn.output().includes('stopped following the API'), fn.output());
});

test.serial('a Pod add event yields a new snapshot holding the new pod; a delete event one without it', async (t) => {
  api.upsertPod(worker('forward-new', 40010, { revision: 'forward-00002' }));
  const added = await listed(await podEvent(fn.url, 'ADDED', stored('forward-new')));
  t.is(added.data.cause, 'pod-added');
  t.deepEqual(added.data.pods.find((p) => p.name === 'forward-new'),
    { name: 'forward-new', ip: '127.0.0.1', port: 40010, phase: 'Running', revision: 'forward-00002' });
  t.is(added.data.pods.length, 4);
  t.false(fn.output().includes('"caughtUp":false'), 'the snapshot waited for the cache to hold the change, not for the deadline');

  const before = stored('forward-new');
  api.deletePod('pingpong', 'forward-new');
  const last = { ...before, metadata: { ...before.metadata, resourceVersion: String(api.counter.current()) } };
  const deleted = await listed(await podEvent(fn.url, 'DELETED', last));
  t.is(deleted.data.cause, 'pod-deleted');
  t.deepEqual(deleted.data.pods.map((p) => p.name), ['forward-a', 'forward-b', 'forward-starting']);
  t.not(deleted.id, added.id);
});

test.serial('an update event names its cause; a change of another Service\'s pod is accepted with nothing to list', async (t) => {
  api.upsertPod(worker('forward-starting', 40003));
  const updated = await listed(await podEvent(fn.url, 'MODIFIED', stored('forward-starting')));
  t.is(updated.data.cause, 'pod-updated');
  t.is(updated.data.pods.find((p) => p.name === 'forward-starting')?.phase, 'Running');
  const other = await podEvent(fn.url, 'MODIFIED', stored('coin-flip-x'));
  t.is(other.status, 202);
});

for (const [name, data, field] of [
  ['an object that is not a Pod', { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'forward', namespace: 'pingpong' } }, 'data.kind'],
  ['an object without metadata', { apiVersion: 'v1', kind: 'Pod' }, 'data.metadata'],
  ['a pod without a name', { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'pingpong' } }, 'data.metadata.name'],
] as const) {
  test.serial(`400 naming ${field}: ${name}`, async (t) => {
    const res = await postEvent(fn.url, event(APISERVER_ADD, data));
    t.is(res.status, 400);
    const body = await res.json() as { errors: Array<{ field: string }> };
    t.true(body.errors.some((e) => e.field === field), JSON.stringify(body));
  });
}

test.serial('400 naming type for an event list-pods does not handle', async (t) => {
  const res = await postEvent(fn.url, event('dev.pingpong.ball.thrown', {}));
  t.is(res.status, 400);
  t.true((await res.json() as { errors: Array<{ field: string }> }).errors.some((e) => e.field === 'type'));
});

/** The HTTP status a call as list-pods' ServiceAccount fails with. */
async function refused(call: Promise<unknown>): Promise<number> {
  try { await call; } catch (e) { if (e instanceof ApiException) return e.code; throw e; }
  return 200;
}

test.serial('list-pods\' ServiceAccount may list and watch pods here, and nothing else', async (t) => {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigs['pingpong/list-pods']!);
  const core = kc.makeApiClient(CoreV1Api);
  t.is((await core.listNamespacedPod({ namespace: 'pingpong' })).items.length, 5);
  t.is(await refused(core.readNamespacedPod({ namespace: 'pingpong', name: 'forward-a' })), 403, 'get pods');
  t.is(await refused(core.deleteNamespacedPod({ namespace: 'pingpong', name: 'forward-a' })), 403, 'delete pods');
  t.is(await refused(core.listNamespacedService({ namespace: 'pingpong' })), 403, 'list services');
  t.is(await refused(core.readNamespacedService({ namespace: 'pingpong', name: 'forward' })), 403, 'get services');
  t.is(await refused(core.listNamespacedSecret({ namespace: 'pingpong' })), 403, 'list secrets');
  t.is(await refused(core.listNamespacedPod({ namespace: 'default' })), 403, 'pods of another namespace');
  t.is(await refused(core.listPodForAllNamespaces()), 403, 'pods cluster-wide');
});

test.serial('without watch (ping\'s list-only Role) the cache never syncs, and each snapshot lists the API directly', async (t) => {
  const listOnly = await startFunction('list-pods', { KUBECONFIG: kubeconfigs['pingpong/ping']!, LOG_LEVEL: 'info' });
  try {
    await waitFor(() => listOnly.output().includes('stopped following the API'), 'the refused watch to be logged');
    const reply = await listed(await postEvent(listOnly.url, tick('direct')));
    t.deepEqual(reply.data.pods.map((p) => p.name), ['forward-a', 'forward-b', 'forward-starting']);
    // The request's log line comes down another pipe than the reply, and may come after it.
    await waitFor(() => listOnly.output().includes('"from":"api"'), 'the snapshot logged as listed from the API', { timeoutMs: 10_000 });
    t.false(listOnly.output().includes('"from":"cache"'));
  } finally { await listOnly.stop(); }
});
