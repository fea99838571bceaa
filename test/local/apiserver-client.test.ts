/**
 * The local API server through the real @kubernetes/client-node, with the kubeconfigs it writes:
 * what ping does in a pod (list pods by label), what RBAC refuses, watches, and the wire details.
 */
import test from 'ava';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ApiException, CoreV1Api, KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import { LocalApiServer } from '../../local/apiserver/index.js';
import type { PodRecord } from '../../local/types.js';
import { waitFor } from '../helpers/wait.js';
import type { KubeObject } from '../../lib/kube/object.js';

const rbac = 'rbac.authorization.k8s.io/v1';
/** ping's Role (list pods only) as in knative/, and a watcher that may get/list/watch. */
const RBAC: KubeObject[] = [
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ping', namespace: 'pingpong' } },
  { apiVersion: rbac, kind: 'Role', metadata: { name: 'ping', namespace: 'pingpong' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] },
  { apiVersion: rbac, kind: 'RoleBinding', metadata: { name: 'ping', namespace: 'pingpong' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ping' }, subjects: [{ kind: 'ServiceAccount', name: 'ping', namespace: 'pingpong' }] },
  { apiVersion: rbac, kind: 'Role', metadata: { name: 'watcher', namespace: 'pingpong' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }] },
  { apiVersion: rbac, kind: 'RoleBinding', metadata: { name: 'watcher', namespace: 'pingpong' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'watcher' }, subjects: [{ kind: 'ServiceAccount', name: 'watcher', namespace: 'pingpong' }] },
];

let n = 0;
function pod(revision: string, over: Partial<PodRecord> = {}): PodRecord {
  const service = revision.replace(/-\d+$/, '');
  return {
    name: `${revision}-deployment-${String(++n).padStart(5, 'x')}`, namespace: 'pingpong', service, configuration: service, revision,
    ip: '127.0.0.1', port: 41000 + n, phase: 'Running', ready: true, terminating: false, inFlight: 0,
    startedAt: new Date(Date.now() - 90_000), serviceAccountName: 'default', ...over,
  };
}

interface Ctx { api: LocalApiServer; dir: string; url: string; logs: string[]; kc: (sa: string) => KubeConfig; admin: KubeConfig }

async function start(opts: { historySize?: number } = {}): Promise<Ctx> {
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const api = new LocalApiServer({ log: pino({ level: 'debug' }, sink), ...opts });
  const url = await api.listen(0, '127.0.0.1');
  api.setRbac(RBAC);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'apiserver-'));
  const paths = await api.writeKubeconfigs({ dataDir: dir, serviceAccounts: [{ namespace: 'pingpong', name: 'ping' }, { namespace: 'pingpong', name: 'watcher' }, { namespace: 'other', name: 'nobody' }] });
  const load = (file: string) => { const kc = new KubeConfig(); kc.loadFromFile(file); return kc; };
  return { api, dir, url, logs, kc: (sa) => load(paths.serviceAccounts[sa]!), admin: load(paths.admin) };
}

async function stop(c: Ctx) {
  await c.api.close();
  await rm(c.dir, { recursive: true, force: true });
}

/** The ApiException a call throws, with its Status body parsed. */
async function failure(call: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await call;
  } catch (e) {
    if (!(e instanceof ApiException)) throw e;
    // client-node leaves the body out of a 401 (its generated code special-cases it).
    return { code: e.code, status: typeof e.body === 'string' ? JSON.parse(e.body) as Record<string, unknown> : {} };
  }
  throw new Error('the call succeeded');
}

const names = (pods: V1Pod[]) => pods.map((p) => p.metadata!.name!).sort();

test('ping\'s ServiceAccount lists exactly the pods its label selector matches', async (t) => {
  const c = await start();
  try {
    const f1 = pod('forward-00001'), f2 = pod('forward-00002'), f2b = pod('forward-00002'), p1 = pod('ping-00001'), r1 = pod('record-hop-00001');
    const elsewhere = pod('forward-00002', { namespace: 'other' });
    for (const p of [f1, f2, f2b, p1, r1, elsewhere]) c.api.upsertPod(p);
    const core = c.kc('pingpong/ping').makeApiClient(CoreV1Api);

    const byService = await core.listNamespacedPod({ namespace: 'pingpong', labelSelector: 'serving.knative.dev/service=forward' });
    t.deepEqual(names(byService.items), names([f1, f2, f2b].map((p) => ({ metadata: { name: p.name } }))));
    const byRevision = await core.listNamespacedPod({ namespace: 'pingpong', labelSelector: 'serving.knative.dev/revision=forward-00002' });
    t.deepEqual(names(byRevision.items), [f2.name, f2b.name].sort());
    const notForward = await core.listNamespacedPod({ namespace: 'pingpong', labelSelector: 'serving.knative.dev/service notin (forward),app' });
    t.deepEqual(names(notForward.items), [p1.name, r1.name].sort());
    t.regex(byService.metadata!.resourceVersion!, /^\d+$/);

    // The Pod is what client-node code reads of a Knative pod.
    const got = byRevision.items.find((p) => p.metadata!.name === f2.name)!;
    t.is(got.metadata!.labels!['serving.knative.dev/configuration'], 'forward');
    t.is(got.metadata!.labels!.app, 'forward-00002');
    t.is(got.spec!.containers[0]!.name, 'user-container');
    t.is(got.spec!.containers[0]!.ports![0]!.containerPort, f2.port);
    t.is(got.spec!.serviceAccountName, 'default');
    t.is(got.status!.phase, 'Running');
    t.is(got.status!.podIP, '127.0.0.1');
    t.is(got.status!.hostIP, '127.0.0.1');
    t.true(got.status!.startTime instanceof Date);
    t.is(got.status!.conditions!.find((x) => x.type === 'Ready')!.status, 'True');
    t.true(got.status!.containerStatuses![0]!.ready);
    t.truthy(got.metadata!.uid);
  } finally { await stop(c); }
});

test('what ping\'s Role does not grant is 403 with the Kubernetes Status, parsed by client-node', async (t) => {
  const c = await start();
  try {
    const p = pod('forward-00001');
    c.api.upsertPod(p);
    const core = c.kc('pingpong/ping').makeApiClient(CoreV1Api);

    const get = await failure(core.readNamespacedPod({ namespace: 'pingpong', name: p.name }));
    t.is(get.code, 403);
    t.deepEqual(get.status, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403,
      message: `pods "${p.name}" is forbidden: User "system:serviceaccount:pingpong:ping" cannot get resource "pods" in API group "" in the namespace "pingpong"`,
      details: { name: p.name, kind: 'pods' },
    });
    for (const [call, message] of [
      [core.listNamespacedService({ namespace: 'pingpong' }), 'services is forbidden: User "system:serviceaccount:pingpong:ping" cannot list resource "services" in API group "" in the namespace "pingpong"'],
      [core.listNamespacedSecret({ namespace: 'pingpong' }), 'secrets is forbidden: User "system:serviceaccount:pingpong:ping" cannot list resource "secrets" in API group "" in the namespace "pingpong"'],
      [core.listNamespacedPod({ namespace: 'default' }), 'pods is forbidden: User "system:serviceaccount:pingpong:ping" cannot list resource "pods" in API group "" in the namespace "default"'],
      [core.listPodForAllNamespaces(), 'pods is forbidden: User "system:serviceaccount:pingpong:ping" cannot list resource "pods" in API group "" at the cluster scope'],
      [core.deleteNamespacedPod({ namespace: 'pingpong', name: p.name }), `pods "${p.name}" is forbidden: User "system:serviceaccount:pingpong:ping" cannot delete resource "pods" in API group "" in the namespace "pingpong"`],
    ] as const) {
      const f = await failure(call);
      t.is(f.code, 403, message);
      t.is(f.status.message, message);
    }

    // A watch is refused the same way, before any event.
    const err = await new Promise<unknown>((resolve) => {
      void new Watch(c.kc('pingpong/ping')).watch('/api/v1/namespaces/pingpong/pods', {}, () => resolve('an event'), resolve);
    });
    t.is((err as { statusCode?: number }).statusCode, 403);
    const raw = await fetch(`${c.url}/api/v1/namespaces/pingpong/pods?watch=true`, { headers: { Authorization: `Bearer ${c.kc('pingpong/ping').getCurrentUser()!.token}` } });
    t.is(raw.status, 403);
    t.is((await raw.json() as { message: string }).message,
      'pods is forbidden: User "system:serviceaccount:pingpong:ping" cannot watch resource "pods" in API group "" in the namespace "pingpong"');

    // A ServiceAccount with no binding at all may still do discovery, as in any cluster.
    const nobody = c.kc('other/nobody');
    t.is((await failure(nobody.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'other' }))).code, 403);
    const disc = await fetch(`${c.url}/api/v1`, { headers: { Authorization: `Bearer ${nobody.getCurrentUser()!.token}` } });
    t.is(disc.status, 200);
  } finally { await stop(c); }
});

test('no token or a wrong one is 401 Unauthorized; /version needs none', async (t) => {
  const c = await start();
  try {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: c.url, skipTLSVerify: true }], users: [{ name: 'nobody' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'nobody' }], currentContext: 'c',
    });
    const f = await failure(kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'pingpong' }));
    t.is(f.code, 401);
    for (const headers of [{}, { Authorization: 'Bearer not-a-token' }, { Authorization: 'Basic YTpi' }] as Record<string, string>[]) {
      for (const p of ['/api/v1/namespaces/pingpong/pods', '/api', '/apis', '/nowhere']) {
        const res = await fetch(c.url + p, { headers });
        t.is(res.status, 401, `${p} ${JSON.stringify(headers)}`);
        t.like(await res.json(), { kind: 'Status', status: 'Failure', reason: 'Unauthorized', message: 'Unauthorized', code: 401 });
      }
    }
    const version = await fetch(`${c.url}/version`);
    t.is(version.status, 200);
    t.like(await version.json(), { major: '1', minor: '32' });
    t.is((await fetch(`${c.url}/version`, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
  } finally { await stop(c); }
});

test('a watcher sees ADDED, MODIFIED (ready flips) and DELETED in order, from the list\'s resourceVersion', async (t) => {
  const c = await start();
  try {
    const old = pod('forward-00001');
    c.api.upsertPod(old);
    const kc = c.kc('pingpong/watcher');
    const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'pingpong', labelSelector: 'serving.knative.dev/service=forward' });
    t.deepEqual(names(list.items), [old.name]);

    const seen: string[] = [];
    let ended: unknown = 'open';
    const ctl = await new Watch(kc).watch('/api/v1/namespaces/pingpong/pods',
      { resourceVersion: list.metadata!.resourceVersion, labelSelector: 'serving.knative.dev/service=forward' },
      (type, obj: V1Pod) => seen.push(`${type} ${obj.metadata!.name} ready=${obj.status!.containerStatuses![0]!.ready}${obj.metadata!.deletionTimestamp ? ' terminating' : ''}`),
      (err) => { ended = err; });

    const p = pod('forward-00002', { phase: 'Pending', ready: false });
    c.api.applyPodEvent({ type: 'ADDED', pod: p });
    c.api.upsertPod(pod('ping-00001'));                                      // not selected: never seen
    c.api.applyPodEvent({ type: 'MODIFIED', pod: { ...p, phase: 'Running', ready: true } });
    c.api.applyPodEvent({ type: 'MODIFIED', pod: { ...p, phase: 'Running', ready: true, inFlight: 3 } }); // no visible change: no event
    c.api.applyPodEvent({ type: 'MODIFIED', pod: { ...p, phase: 'Running', ready: true, terminating: true } });
    c.api.applyPodEvent({ type: 'DELETED', pod: p });

    await waitFor(() => seen.length >= 4, 'four watch events', { timeoutMs: 30_000 });
    t.deepEqual(seen, [
      `ADDED ${p.name} ready=false`,
      `MODIFIED ${p.name} ready=true`,
      `MODIFIED ${p.name} ready=false terminating`,
      `DELETED ${p.name} ready=false terminating`,
    ]);
    t.is(ended, 'open');
    ctl.abort();
  } finally { await stop(c); }
});

test('a watch without resourceVersion starts with a synthetic ADDED per pod; a watch from a stale one gets 410 Expired', async (t) => {
  const c = await start({ historySize: 3 });
  try {
    const a = pod('forward-00001'), b = pod('forward-00001');
    c.api.upsertPod(a);
    c.api.upsertPod(b);
    const kc = c.kc('pingpong/watcher');
    const seen: string[] = [];
    const ctl = await new Watch(kc).watch('/api/v1/namespaces/pingpong/pods', {}, (type, obj: V1Pod) => seen.push(`${type} ${obj.metadata!.name}`), () => {});
    await waitFor(() => seen.length >= 2, 'the synthetic ADDED events', { timeoutMs: 30_000 });
    t.deepEqual(seen.sort(), [`ADDED ${a.name}`, `ADDED ${b.name}`].sort());
    ctl.abort();

    const first = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'pingpong' })).metadata!.resourceVersion!;
    for (let i = 0; i < 5; i++) c.api.upsertPod({ ...a, port: 50000 + i });
    const events: { type: string; object: Record<string, unknown> }[] = [];
    const done = await new Promise<unknown>((resolve) => {
      void new Watch(kc).watch('/api/v1/namespaces/pingpong/pods', { resourceVersion: first }, (type, object) => events.push({ type, object }), resolve);
    });
    t.is(done, null, 'the server ends the stream after the error');
    t.is(events.length, 1);
    t.is(events[0]!.type, 'ERROR');
    t.like(events[0]!.object, { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });

    // A resourceVersion still in the history replays what followed it.
    const recent = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'pingpong' })).metadata!.resourceVersion!;
    c.api.deletePod('pingpong', b.name);
    const replay: string[] = [];
    const ctl2 = await new Watch(kc).watch('/api/v1/namespaces/pingpong/pods', { resourceVersion: recent }, (type, obj: V1Pod) => replay.push(`${type} ${obj.metadata!.name}`), () => {});
    await waitFor(() => replay.length >= 1, 'the replayed deletion', { timeoutMs: 30_000 });
    t.deepEqual(replay, [`DELETED ${b.name}`]);
    ctl2.abort();
  } finally { await stop(c); }
});

test('timeoutSeconds ends a watch, and close() ends the open ones', async (t) => {
  const c = await start();
  try {
    const kc = c.kc('pingpong/watcher');
    const t0 = Date.now();
    const ended = await new Promise<unknown>((resolve) => { void new Watch(kc).watch('/api/v1/namespaces/pingpong/pods', { timeoutSeconds: 1 }, () => {}, resolve); });
    t.is(ended, null);
    t.true(Date.now() - t0 >= 900, 'not before the timeout');

    let open: unknown = 'open';
    await new Watch(kc).watch('/api/v1/namespaces/pingpong/pods', {}, () => {}, (e) => { open = e; });
    await c.api.close();
    await waitFor(() => open !== 'open', 'close() to end the watch', { timeoutMs: 30_000 });
    t.pass();
  } finally { await stop(c); }
});

test('the admin kubeconfig (https, the server\'s CA) reads everything; field selectors and cluster-wide lists', async (t) => {
  const c = await start();
  try {
    const run = pod('forward-00001'), pend = pod('forward-00001', { phase: 'Pending', ready: false }), other = pod('coin-flip-00001', { namespace: 'other' });
    for (const p of [run, pend, other]) c.api.upsertPod(p);
    t.true(c.admin.getCurrentCluster()!.server.startsWith('https://127.0.0.1:'));
    const core = c.admin.makeApiClient(CoreV1Api);
    t.deepEqual(names((await core.listPodForAllNamespaces()).items), [run.name, pend.name, other.name].sort());
    t.deepEqual(names((await core.listNamespacedPod({ namespace: 'pingpong', fieldSelector: 'status.phase=Running' })).items), [run.name]);
    t.deepEqual(names((await core.listNamespacedPod({ namespace: 'pingpong', fieldSelector: `metadata.name=${pend.name}` })).items), [pend.name]);
    t.deepEqual(names((await core.listNamespacedPod({ namespace: 'pingpong', fieldSelector: 'status.phase!=Running,spec.serviceAccountName=default' })).items), [pend.name]);
    const pending = await core.readNamespacedPod({ namespace: 'pingpong', name: pend.name });
    t.is(pending.status!.containerStatuses![0]!.state!.waiting!.reason, 'ContainerCreating');

    const badField = await failure(core.listNamespacedPod({ namespace: 'pingpong', fieldSelector: 'spec.nope=1' }));
    t.like(badField, { code: 400, status: { reason: 'BadRequest', message: 'field label not supported: spec.nope' } });
    t.like(await failure(core.listNamespacedPod({ namespace: 'pingpong', labelSelector: 'a in b' })), { code: 400 });
    t.like(await failure(core.readNamespacedPod({ namespace: 'pingpong', name: 'gone' })), { code: 404, status: { reason: 'NotFound', message: 'pods "gone" not found' } });
    // Pods belong to the runtime: with none attached to stop them, even the admin cannot delete one.
    t.like(await failure(core.deleteNamespacedPod({ namespace: 'pingpong', name: run.name })), { code: 405, status: { reason: 'MethodNotAllowed' } });
    t.like(await failure(core.listNamespacedService({ namespace: 'pingpong' })), { code: 404, status: { reason: 'NotFound' } });
  } finally { await stop(c); }
});

test('discovery, Tables and unknown paths answer as an API server does', async (t) => {
  const c = await start();
  try {
    const p = pod('forward-00001');
    c.api.upsertPod(p);
    const auth = { Authorization: `Bearer ${c.admin.getCurrentUser()!.token}` };
    const get = async (u: string, headers: Record<string, string> = {}) => {
      const res = await fetch(c.url + u, { headers: { ...auth, ...headers } });
      return { status: res.status, type: res.headers.get('content-type'), body: await res.json() as Record<string, any> };
    };
    t.like((await get('/api')).body, { kind: 'APIVersions', versions: ['v1'] });
    const v1 = (await get('/api/v1')).body;
    t.like(v1, { kind: 'APIResourceList', groupVersion: 'v1' });
    t.deepEqual(v1.resources.find((r: { name: string }) => r.name === 'pods'),
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list', 'watch', 'delete'], shortNames: ['po'], categories: ['all'] });
    t.like((await get('/apis')).body, { kind: 'APIGroupList', groups: [{ name: 'authorization.k8s.io' }] });
    t.like((await get('/apis/authorization.k8s.io/v1')).body, { kind: 'APIResourceList', groupVersion: 'authorization.k8s.io/v1' });
    t.like(await get('/nowhere'), { status: 404, body: { kind: 'Status', reason: 'NotFound', code: 404 } });
    t.like(await get('/apis/serving.knative.dev/v1'), { status: 404 });
    t.like(await get('/openapi/v2'), { status: 404 });

    const table = await get('/api/v1/namespaces/pingpong/pods', { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    t.is(table.type, 'application/json');
    t.like(table.body, { kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    t.deepEqual(table.body.columnDefinitions.filter((d: { priority: number }) => d.priority === 0).map((d: { name: string }) => d.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    t.deepEqual(table.body.rows[0].cells.slice(0, 4), [p.name, '1/1', 'Running', '0']);
    t.is(table.body.rows[0].object.kind, 'PartialObjectMetadata');

    // kubectl auth can-i's question, as JSON.
    const review = await fetch(`${c.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      method: 'POST', headers: { Authorization: `Bearer ${c.kc('pingpong/ping').getCurrentUser()!.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'pingpong', verb: 'watch', resource: 'pods' } } }),
    });
    t.is(review.status, 201);
    t.like(await review.json(), { kind: 'SelfSubjectAccessReview', status: { allowed: false } });
  } finally { await stop(c); }
});

test('kubeconfigs are 0600 and name their user, namespace and server; tokens never reach the log', async (t) => {
  const c = await start();
  try {
    await c.kc('pingpong/ping').makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'pingpong' });
    await failure(c.kc('pingpong/ping').makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: 'pingpong' }));
    for (const [file, server] of [[path.join(c.dir, 'kubeconfig'), 'https'], [path.join(c.dir, 'kubeconfigs', 'pingpong-ping.yaml'), 'http']] as const) {
      t.is((await stat(file)).mode & 0o777, 0o600, file);
      t.true((await readFile(file, 'utf8')).includes(`server: ${server}://127.0.0.1:`));
    }
    const ping = c.kc('pingpong/ping');
    t.is(ping.getContextObject(ping.getCurrentContext())!.namespace, 'pingpong');
    t.is(ping.getCurrentUser()!.name, 'system:serviceaccount:pingpong:ping');
    t.true(ping.getCurrentCluster()!.skipTLSVerify);
    t.is(c.admin.getContextObject(c.admin.getCurrentContext())!.namespace, 'pingpong');
    const log = c.logs.join('');
    t.true(log.includes('"path":"/api/v1/namespaces/pingpong/secrets"'), 'requests are logged at debug');
    for (const kc of [ping, c.admin, c.kc('pingpong/watcher')]) t.false(log.includes(kc.getCurrentUser()!.token!), 'a token is in the log');
  } finally { await stop(c); }
});
