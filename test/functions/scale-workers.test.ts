/**
 * scale-workers as a real functions-framework process, as its own ServiceAccount (the Role in
 * knative/) against the local API server holding the project's manifests: a table event pins
 * forward's scale and writes the table's status; the same event again changes nothing; a
 * shuffle tick draws within the bounds; what its Role does not grant is 403.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { loadKustomization } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';
import { APISERVER_UPDATE, PING_SOURCE_TICK, WORKERS_SCALED } from '../../lib/contract/index.js';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { applyObjects, knativeCrds } from '../../local/runtime/apply.js';
import { knativeWebhook } from '../../local/runtime/webhook.js';
import { startRbacController } from '../../local/controllers/rbac.js';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { event, postEvent, replyEvent } from '../helpers/cloudevents.js';

const run = promisify(execFile);
let api: LocalApiServer;
let dir: string;
let fn: RunningFunction;
let kubectl: (kubeconfig: string, ...a: string[]) => Promise<string>;
let admin: string;
let sa: string;
let stopRbac: () => void;
const AS = ['--as', 'system:serviceaccount:pingpong:scale-workers'];

const SERVICES = '/apis/serving.knative.dev/v1/namespaces/pingpong/services';
const TABLES = '/apis/pingpong.dev/v1alpha1/namespaces/pingpong/pingpongtables';

test.before(async () => {
  api = new LocalApiServer({ log: pino({ level: 'silent' }), webhook: knativeWebhook });
  const url = await api.listen(0, '127.0.0.1');
  applyObjects(api, [...await knativeCrds(), ...(await loadKustomization(ROOT)).map((l) => l.object)]);
  stopRbac = startRbacController(api);
  dir = await mkdtemp(path.join(os.tmpdir(), 'scale-workers-test-'));
  const files = await api.writeKubeconfigs({ dataDir: dir, serverUrl: url, serviceAccounts: [{ namespace: 'pingpong', name: 'scale-workers' }] });
  admin = files.admin;
  sa = files.serviceAccounts['pingpong/scale-workers']!;
  const env = { ...process.env, HOME: dir, KUBECONFIG: '' };
  kubectl = async (kubeconfig, ...a) => (await run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache'), ...a], { env, timeout: 60_000 })).stdout;
  // No Service controller runs here, so the new revision is never named: scale-workers reports it pending after this wait.
  fn = await startFunction('scale-workers', { KUBECONFIG: sa, REVISION_WAIT_MS: '300' });
});

test.after.always(async () => {
  await fn?.stop();
  stopRbac?.();
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const get = async (p: string) => JSON.parse(await kubectl(admin, 'get', '--raw', p));
const annotations = async () => (await get(`${SERVICES}/forward`)).spec.template.metadata.annotations as Record<string, string>;
const setTable = (workers: unknown) => kubectl(admin, 'patch', 'ppt', 'default', '-n', 'pingpong', '--type=merge', '-p', JSON.stringify({ spec: { workers } }));
const tableEvent = async (id: string) => event(APISERVER_UPDATE, await get(`${TABLES}/default`), { id, source: 'https://127.0.0.1:6443', kind: 'PingPongTable' });

test.serial('a table event in Fixed mode pins forward at replicas, replies workers.scaled and writes the status', async (t) => {
  await setTable({ mode: 'Fixed', min: 1, max: 6, replicas: 3 });
  const before = await get(`${SERVICES}/forward`);
  const res = await postEvent(fn.url, await tableEvent('table-1'));
  t.is(res.status, 200, await res.clone().text());
  const reply = await replyEvent(res);
  t.is(reply.type, WORKERS_SCALED);
  t.like(reply.data as object, { service: 'forward', from: 2, to: 3, reason: 'fixed', revision: '' });
  const a = await annotations();
  t.is(a['autoscaling.knative.dev/min-scale'], '3');
  t.is(a['autoscaling.knative.dev/max-scale'], '3');
  t.is((await get(`${SERVICES}/forward`)).metadata.generation, before.metadata.generation + 1, 'a template change: a new generation, so a new revision');
  const table = await get(`${TABLES}/default`);
  t.like(table.status, { observedGeneration: table.metadata.generation, workers: 3, revision: '' });
  t.like(table.status.conditions[0], { type: 'Ready', status: 'Unknown', reason: 'RevisionPending' });
  t.regex(await kubectl(admin, 'get', 'ppt', '-n', 'pingpong'), /^default\s+Fixed\s+3\s+Unknown\s/m);
});

test.serial('the same event twice, or a new one with nothing to change, changes nothing', async (t) => {
  const rv = (await get(`${SERVICES}/forward`)).metadata.resourceVersion;
  const tableRv = (await get(`${TABLES}/default`)).metadata.resourceVersion;
  for (const id of ['table-1', 'table-2']) {
    const res = await postEvent(fn.url, await tableEvent(id));
    t.is(res.status, 202, `${id}: nothing to reply`);
  }
  t.is((await get(`${SERVICES}/forward`)).metadata.resourceVersion, rv, 'forward untouched');
  t.is((await get(`${TABLES}/default`)).metadata.resourceVersion, tableRv, 'the status is already right: not written again');
});

test.serial('Random mode: a shuffle tick draws within [min, max]; the same tick again changes nothing', async (t) => {
  await setTable({ mode: 'Random', min: 4, max: 6 });
  const tick = event(PING_SOURCE_TICK, { reason: 'shuffle-workers' }, { id: 'tick-7', source: '/apis/v1/namespaces/pingpong/pingsources/shuffle-workers' });
  const res = await postEvent(fn.url, tick);
  const count = Number((await annotations())['autoscaling.knative.dev/min-scale']);
  t.true(count >= 4 && count <= 6, `drew ${count}`);
  if (res.status === 200) t.like((await replyEvent(res)).data as object, { from: 3, to: count, reason: 'shuffle' });
  else t.is(res.status, 202);
  const rv = (await get(`${SERVICES}/forward`)).metadata.resourceVersion;
  t.is((await postEvent(fn.url, tick)).status, 202);
  t.is((await get(`${SERVICES}/forward`)).metadata.resourceVersion, rv);
  t.is((await get(`${TABLES}/default`)).status.workers, count);
});

test.serial('an event about another kind, or another table, is not its business', async (t) => {
  const other = event(APISERVER_UPDATE, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'pingpong' } }, { id: 'pod-1', source: 'https://127.0.0.1:6443', kind: 'Pod' });
  t.is((await postEvent(fn.url, other)).status, 202);
  const bad = event(APISERVER_UPDATE, { kind: 'PingPongTable' }, { id: 'bad-1' });
  const res = await postEvent(fn.url, bad);
  t.is(res.status, 400);
  t.regex(await res.text(), /apiVersion|metadata/);
});

test('its ServiceAccount may do what its Role grants and nothing else', async (t) => {
  // kubectl sends no token over the pods' plain HTTP, so it acts as the ServiceAccount by impersonation.
  t.regex(await kubectl(admin, ...AS, 'get', 'ksvc', 'forward', '-n', 'pingpong', '-o', 'name'), /forward/);
  t.regex(await kubectl(admin, ...AS, 'get', 'ppt', 'default', '-n', 'pingpong', '-o', 'name'), /default/);
  const can = (verb: string, what: string, ...extra: string[]) => kubectl(admin, 'auth', 'can-i', verb, what, ...extra, '-n', 'pingpong', ...AS)
    .then((o) => o.trim(), (e: { stdout: string }) => e.stdout.trim());
  for (const [verb, what, ...extra] of [['patch', 'services.serving.knative.dev/forward'], ['watch', 'pingpongtables.pingpong.dev/default'], ['update', 'pingpongtables.pingpong.dev/default', '--subresource=status']]) {
    t.is(await can(verb!, what!, ...extra), 'yes', `${verb} ${what} ${extra.join(' ')}`);
  }
  for (const [verb, what] of [['patch', 'services.serving.knative.dev/coin-flip'], ['delete', 'services.serving.knative.dev/forward'],
    ['update', 'pingpongtables.pingpong.dev/default'], ['patch', 'pingpongtables.pingpong.dev/default'], ['list', 'pingpongtables.pingpong.dev'],
    ['get', 'pingpongtables.pingpong.dev/other'], ['list', 'pods'], ['get', 'secrets']]) {
    t.is(await can(verb!, what!), 'no', `${verb} ${what}`);
  }
  const refused = await kubectl(admin, ...AS, 'get', 'ksvc', 'coin-flip', '-n', 'pingpong').then(() => '', (e: { stderr: string }) => e.stderr);
  t.regex(refused, /forbidden: User "system:serviceaccount:pingpong:scale-workers" cannot get resource "services" in API group "serving.knative.dev"/);
});
