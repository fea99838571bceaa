import test from 'ava';
import { startGateway } from '../../local/gateway/index.js';
import { waitFor } from '../helpers/wait.js';
import { alive, echoService, request, testServing } from '../fixtures/functions/harness.js';

/** A Serving with a gateway on a free port; everything is stopped when the test ends. */
async function setup(t: any, overrides = {}) {
  const s = testServing(overrides);
  const gw = await startGateway({ port: 0, serving: s.serving });
  t.teardown(async () => { await gw.close(); await s.serving.stop(); });
  const get = (svc: string, path = '/', ns = 'test') => request(gw.port, `${svc}.${ns}.svc.cluster.local`, path);
  return { ...s, gw, get };
}

const podsOf = (serving: any, svc: string) => serving.pods().filter((p: any) => p.service === svc && !p.terminating);
const readyPods = (serving: any, svc: string) => podsOf(serving, svc).filter((p: any) => p.ready);

test.serial('a pod gets PORT, K_SERVICE, K_CONFIGURATION, K_REVISION, POD_NAME and its env; events and logs name it', async (t) => {
  const { serving, events, lines, get } = await setup(t, {
    podEnv: (_svc: unknown, revision: string) => ({ EXTRA_FROM_RUNTIME: `for-${revision}` }),
    resolveEnvFrom: (ns: string, from: any) => (from.configMapKeyRef?.key === 'greeting' ? `hello from ${ns}` : undefined),
  });
  serving.apply(echoService('env', { env: [
    { name: 'FIXTURE_PLAIN', value: 'plain' },
    { name: 'FIXTURE_EXPANDED', value: '$(FIXTURE_PLAIN)-too' },
    { name: 'FIXTURE_FROM_MAP', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
    { name: 'FIXTURE_OPTIONAL', valueFrom: { secretKeyRef: { name: 'nope', key: 'x', optional: true } } },
  ] }));
  const res = await get('env');
  t.is(res.status, 200);
  const { env, headers } = res.json();
  const [pod] = podsOf(serving, 'env');
  t.regex(pod.name, /^env-00001-deployment-[a-z0-9]{5}$/);
  t.like(env, {
    PORT: String(pod.port), K_SERVICE: 'env', K_CONFIGURATION: 'env', K_REVISION: 'env-00001', POD_NAME: pod.name,
    HOSTNAME: pod.name, FIXTURE_PLAIN: 'plain', FIXTURE_EXPANDED: 'plain-too', FIXTURE_FROM_MAP: 'hello from test',
    EXTRA_FROM_RUNTIME: 'for-env-00001', FUNCTION_TARGET: 'echo',
  });
  t.false('FIXTURE_OPTIONAL' in env);
  // Knative's ingress headers, the original Host kept.
  t.is(headers.host, 'env.test.svc.cluster.local');
  t.is(headers['x-forwarded-for'], '127.0.0.1');
  t.is(headers['x-forwarded-proto'], 'http');
  t.is(headers.forwarded, 'for=127.0.0.1;proto=http;host=env.test.svc.cluster.local');
  t.deepEqual(events.filter((e) => e.pod.name === pod.name).map((e) => [e.type, e.pod.phase, e.pod.ready]),
    [['ADDED', 'Pending', false], ['MODIFIED', 'Running', true]]);
  await waitFor(() => lines.includes(`[${pod.name}] echo GET /`), 'the pod output, prefixed with its name');
  t.pass();
});

test.serial('an idle Service scales to zero after the stable window; the next request is buffered and answered by a new pod', async (t) => {
  const { serving, events, get } = await setup(t);
  serving.apply(echoService('idle'));
  const first = await get('idle');
  t.is(first.status, 200);
  const firstPid = first.json().pid;
  await waitFor(() => serving.pods().filter((p) => p.service === 'idle').length === 0, 'idle to scale to zero', { timeoutMs: 30_000 });
  t.false(alive(firstPid), 'the pod process exited');
  t.true(events.some((e) => e.type === 'MODIFIED' && e.pod.terminating));
  t.true(events.some((e) => e.type === 'DELETED'));
  t.is(serving.service('test', 'idle')!.revisions[0]!.desired, 0);

  const woken = await get('idle', '/?sleep=10');
  t.is(woken.status, 200);
  t.not(woken.json().pid, firstPid, 'answered by a freshly started pod');
  t.is(podsOf(serving, 'idle').length, 1);
});

test.serial('min-scale "2" keeps two pods past the stable window', async (t) => {
  const { serving } = await setup(t);
  serving.apply(echoService('floor', { annotations: { 'autoscaling.knative.dev/min-scale': '2' } }));
  await waitFor(() => readyPods(serving, 'floor').length === 2, 'two ready pods', { timeoutMs: 30_000 });
  const names = readyPods(serving, 'floor').map((p: any) => p.name).sort();
  const since = Date.now();
  // Three stable windows (2 s each) with no traffic: nothing may go.
  await waitFor(() => Date.now() - since > 6_000 && serving.services()[0]!.revisions[0]!.desired === 2, 'three windows to pass', { timeoutMs: 30_000 });
  t.deepEqual(podsOf(serving, 'floor').map((p: any) => p.name).sort(), names);
});

test.serial('containerConcurrency 1 with max-scale 1: one request at a time per pod, the rest wait and succeed', async (t) => {
  const { serving, get } = await setup(t);
  serving.apply(echoService('one', { containerConcurrency: 1, annotations: { 'autoscaling.knative.dev/max-scale': '1' } }));
  await waitFor(() => readyPods(serving, 'one').length === 1, 'a ready pod', { timeoutMs: 30_000 });
  let peak = 0;
  const watch = setInterval(() => { for (const p of serving.pods()) peak = Math.max(peak, p.inFlight); }, 20);
  const answers = await Promise.all([1, 2, 3].map(() => get('one', '/?sleep=400')));
  clearInterval(watch);
  t.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
  t.is(new Set(answers.map((a) => a.json().pid)).size, 1, 'max-scale 1: one pod');
  t.is(Math.max(...answers.map((a) => a.json().maxInFlight)), 1, 'the function never saw two requests at once');
  t.is(peak, 1);
});

test.serial('a template change makes <svc>-00002, which takes the traffic; the old pods go', async (t) => {
  const { serving, events, get } = await setup(t);
  t.deepEqual(serving.apply(echoService('roll', { env: [{ name: 'FIXTURE_COLOUR', value: 'blue' }] })), { revision: 'roll-00001', created: true });
  const before = await get('roll');
  t.like(before.json().env, { FIXTURE_COLOUR: 'blue', K_REVISION: 'roll-00001' });
  // The same template again (keys in another order) is no new revision.
  const same = echoService('roll', { env: [{ value: 'blue', name: 'FIXTURE_COLOUR' }] });
  t.deepEqual(serving.apply(same), { revision: 'roll-00001', created: false });

  t.deepEqual(serving.apply(echoService('roll', { env: [{ name: 'FIXTURE_COLOUR', value: 'green' }] })), { revision: 'roll-00002', created: true });
  await waitFor(() => serving.service('test', 'roll')!.latestReadyRevision === 'roll-00002', 'roll-00002 to be ready', { timeoutMs: 30_000 });
  const after = await get('roll');
  t.like(after.json().env, { FIXTURE_COLOUR: 'green', K_REVISION: 'roll-00002' });
  await waitFor(() => serving.pods().every((p) => p.revision === 'roll-00002'), 'roll-00001 pods to go', { timeoutMs: 30_000 });
  t.false(alive(before.json().pid), 'the old pod process exited');
  t.true(events.some((e) => e.type === 'DELETED' && e.pod.revision === 'roll-00001'));
  const status = serving.service('test', 'roll')!;
  t.deepEqual(status.revisions.map((r) => [r.name, r.traffic]), [['roll-00001', 0], ['roll-00002', 100]]);
});

test.serial('concurrency above the target scales up, within max-scale', async (t) => {
  const { serving, get } = await setup(t);
  serving.apply(echoService('busy', { annotations: {
    'autoscaling.knative.dev/target': '1', 'autoscaling.knative.dev/target-utilization-percentage': '100',
    'autoscaling.knative.dev/max-scale': '3',
  } }));
  await waitFor(() => readyPods(serving, 'busy').length === 1, 'a ready pod', { timeoutMs: 30_000 });
  const load = Promise.all([1, 2, 3, 4].map(() => get('busy', '/?sleep=3000')));
  await waitFor(() => serving.service('test', 'busy')!.revisions[0]!.desired === 3, 'the autoscaler to want 3 pods (4 in flight, target 1, max 3)', { timeoutMs: 10_000 });
  await waitFor(() => readyPods(serving, 'busy').length === 3, 'three ready pods', { timeoutMs: 30_000 });
  t.deepEqual((await load).map((a) => a.status), [200, 200, 200, 200]);
});

test.serial('a revision that never gets ready takes no traffic: the old one keeps serving', async (t) => {
  const { serving, events, get } = await setup(t);
  serving.apply(echoService('keep'));
  t.is((await get('keep')).json().env.K_REVISION, 'keep-00001');
  const broken = echoService('keep');
  broken.spec.template.spec.containers[0].env = [{ name: 'FUNCTION_TARGET', value: 'no-such-function' }];
  t.is(serving.apply(broken).revision, 'keep-00002');
  // The broken revision's pods fail (functions-framework cannot find the target): one at once,
  // its replacement, then Kubernetes-like back-off.
  await waitFor(() => events.filter((e) => e.pod.revision === 'keep-00002' && e.pod.phase === 'Failed' && e.type === 'DELETED').length >= 2,
    'keep-00002 pods to fail twice', { timeoutMs: 30_000 });
  const status = serving.service('test', 'keep')!;
  t.is(status.latestCreatedRevision, 'keep-00002');
  t.is(status.latestReadyRevision, 'keep-00001');
  t.is((await get('keep')).json().env.K_REVISION, 'keep-00001');
});

test.serial('504 when a request outlives timeoutSeconds', async (t) => {
  const { serving, get } = await setup(t);
  serving.apply(echoService('slow', { timeoutSeconds: 1 }));
  await waitFor(() => readyPods(serving, 'slow').length === 1, 'a ready pod', { timeoutMs: 30_000 });
  const started = Date.now();
  const res = await get('slow', '/?sleep=5000');
  t.is(res.status, 504);
  t.regex(res.body, /timeoutSeconds/);
  t.true(Date.now() - started < 4_000, 'answered at the timeout, not when the function finished');
  await waitFor(() => podsOf(serving, 'slow')[0]?.inFlight === 0, 'the slot to be released');
});

test.serial('503 once the activator queue limit is reached', async (t) => {
  const { serving, get } = await setup(t, { queueLimit: 1 });
  serving.apply(echoService('stuck', { containerConcurrency: 1, annotations: { 'autoscaling.knative.dev/max-scale': '1' } }));
  await waitFor(() => readyPods(serving, 'stuck').length === 1, 'a ready pod', { timeoutMs: 30_000 });
  const busy = get('stuck', '/?sleep=3000');
  await waitFor(() => podsOf(serving, 'stuck')[0]?.inFlight === 1, 'the pod to be busy');
  const waiting = get('stuck', '/?sleep=10');
  await waitFor(() => serving.service('test', 'stuck')!.queued === 1, 'one request buffered');
  const refused = await get('stuck');
  t.is(refused.status, 503);
  t.regex(refused.body, /queue full/);
  t.is((await busy).status, 200);
  t.is((await waiting).status, 200);
});

test.serial('a pod that exits unexpectedly is marked Failed and replaced', async (t) => {
  const { serving, events, get } = await setup(t);
  serving.apply(echoService('crash', { annotations: { 'autoscaling.knative.dev/min-scale': '1' } }));
  await waitFor(() => readyPods(serving, 'crash').length === 1, 'a ready pod', { timeoutMs: 30_000 });
  const [first] = readyPods(serving, 'crash');
  t.is((await get('crash', '/exit')).status, 200);
  await waitFor(() => events.some((e) => e.type === 'DELETED' && e.pod.name === first.name), 'the crashed pod to be deleted');
  t.true(events.some((e) => e.type === 'MODIFIED' && e.pod.name === first.name && e.pod.phase === 'Failed'));
  await waitFor(() => readyPods(serving, 'crash').length === 1, 'a replacement pod', { timeoutMs: 30_000 });
  t.not(readyPods(serving, 'crash')[0].name, first.name);
  t.is((await get('crash')).status, 200);
});

test.serial('stop() ends every pod process', async (t) => {
  const { serving, get } = await setup(t);
  // min-scale, not initial-scale: an idle revision may scale down before its second pod is ready.
  serving.apply(echoService('a', { annotations: { 'autoscaling.knative.dev/min-scale': '2' } }));
  serving.apply(echoService('b'));
  const pids = [(await get('a')).json().pid, (await get('b')).json().pid];
  await waitFor(() => readyPods(serving, 'a').length === 2, 'two pods of a', { timeoutMs: 30_000 });
  await serving.stop();
  t.deepEqual(serving.pods(), []);
  t.deepEqual(pids.map(alive), [false, false]);
});

test.serial('remove() stops the Service\'s pods; its name is then unknown', async (t) => {
  const { serving, get } = await setup(t);
  serving.apply(echoService('gone'));
  const pid = (await get('gone')).json().pid;
  await serving.remove('test', 'gone');
  t.false(alive(pid));
  t.deepEqual(serving.pods(), []);
  t.is((await get('gone')).status, 404);
});

test.serial('an invalid Service is rejected like the webhook would', (t) => {
  const { serving } = testServing();
  t.teardown(() => serving.stop());
  const bad = echoService('bad', { annotations: { 'autoscaling.knative.dev/min-scale': '3', 'autoscaling.knative.dev/max-scale': '2' } });
  t.throws(() => serving.apply(bad), { name: 'ServingValidationError', message: /max-scale/ });
});

