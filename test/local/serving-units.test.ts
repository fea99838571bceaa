import test from 'ava';
import { decideScale, revisionSettings, revisionName, podName, templateHash, type ScaleInput } from '../../local/serving/index.js';
import { ConcurrencyWindow } from '../../local/serving/metrics.js';
import { podEnvironment, EnvError } from '../../local/serving/env.js';
import { forwardedHeaders } from '../../local/serving/proxy.js';

const template = (annotations: Record<string, string> = {}, spec: Record<string, unknown> = {}) =>
  ({ metadata: { annotations }, spec: { containers: [{ image: 'x' }], ...spec } });

test('settings: Knative defaults when nothing is annotated', (t) => {
  t.like(revisionSettings(template(), 60_000), {
    minScale: 0, maxScale: 0, initialScale: 1, target: 100, utilization: 0.7, targetPerPod: 70,
    windowMs: 60_000, panicWindowMs: 6_000, panicThreshold: 2, retentionMs: 0, containerConcurrency: 0,
    timeoutMs: 300_000, warnings: [],
  });
});

for (const [name, annotations, spec, want] of [
  ['containerConcurrency is the target when none is set', {}, { containerConcurrency: 10 }, { target: 10, targetPerPod: 7 }],
  ['a smaller target wins over containerConcurrency', { 'autoscaling.knative.dev/target': '5' }, { containerConcurrency: 10 }, { target: 5 }],
  ['containerConcurrency caps a larger target', { 'autoscaling.knative.dev/target': '50' }, { containerConcurrency: 10 }, { target: 10 }],
  ['utilization applies to the target', { 'autoscaling.knative.dev/target': '10', 'autoscaling.knative.dev/target-utilization-percentage': '50' }, {}, { targetPerPod: 5 }],
  ['window overrides the global stable window; panic is 10 % of it', { 'autoscaling.knative.dev/window': '10s' }, {}, { windowMs: 10_000, panicWindowMs: 1_000 }],
  ['legacy camelCase keys still count', { 'autoscaling.knative.dev/minScale': '2', 'autoscaling.knative.dev/maxScale': '4', 'autoscaling.knative.dev/initialScale': '3' }, {}, { minScale: 2, maxScale: 4, initialScale: 3 }],
  ['retention period and timeoutSeconds', { 'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '1m5s' }, { timeoutSeconds: 30 }, { retentionMs: 65_000, timeoutMs: 30_000 }],
  ['what is not emulated is said', { 'autoscaling.knative.dev/metric': 'rps' }, {}, { warnings: ['metric "rps" is not emulated; the local runtime scales on concurrency'] }],
] as const) {
  test(`settings: ${name}`, (t) => t.like(revisionSettings(template(annotations, spec), 60_000), want as any));
}

const base = revisionSettings(template(), 60_000);
const input = (over: Partial<ScaleInput> = {}, settings: Record<string, string> = {}): ScaleInput => ({
  now: 100_000, settings: Object.keys(settings).length ? revisionSettings(template(settings), 60_000) : base,
  reachable: true, readyPods: 1, stableConcurrency: 0, panicConcurrency: 0, lastActiveAt: 0,
  initialScaleReached: true, panic: { maxPods: 0 }, ...over,
});

for (const [name, given, want] of [
  ['a whole window without traffic scales to zero', input(), 0],
  ['any traffic in the window keeps a pod', input({ stableConcurrency: 0.01, panicConcurrency: 0.01 }), 1],
  ['desired = ⌈concurrency ÷ (target × utilization)⌉', input({ readyPods: 2, stableConcurrency: 141, panicConcurrency: 141 }), 3],
  ['min-scale is a floor', input({}, { 'autoscaling.knative.dev/min-scale': '2' }), 2],
  ['max-scale is a ceiling', input({ readyPods: 2, stableConcurrency: 700, panicConcurrency: 100 }, { 'autoscaling.knative.dev/max-scale': '3' }), 3],
  ['initial-scale holds until reached once', input({ initialScaleReached: false }, { 'autoscaling.knative.dev/initial-scale': '2' }), 2],
  ['an unreachable revision ignores min-scale', input({ reachable: false }, { 'autoscaling.knative.dev/min-scale': '2' }), 0],
  ['a reachable revision at most halves per decision', input({ readyPods: 8 }), 4],
  ['an unreachable revision drops at once', input({ readyPods: 8, reachable: false }), 0],
  ['an active revision stays at one pod for a stable window', input({ activeSince: 50_000 }), 1],
  ['…and may go to zero after it', input({ activeSince: 40_000 }), 0],
  ['retention keeps the last pod after the last request', input({ lastActiveAt: 95_000 }, { 'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '10s' }), 1],
] as const) {
  test(`autoscaler: ${name}`, (t) => t.is(decideScale(given).desired, want));
}

test('autoscaler: panic follows the panic window and does not scale down until a stable window passes', (t) => {
  const burst = decideScale(input({ stableConcurrency: 10, panicConcurrency: 300 }));
  t.is(burst.desired, 5);
  t.is(burst.panic.since, 100_000);
  const calm = decideScale(input({ now: 130_000, readyPods: 5, panic: burst.panic }));
  t.is(calm.desired, 5, 'still panicking 30 s later: no scale-down');
  const over = decideScale(input({ now: 160_000, readyPods: 5, panic: calm.panic }));
  t.is(over.panic.since, undefined);
  t.is(over.desired, 2, 'after a stable window, back to stable mode (halving at most)');
});

test('names: revisions are <configuration>-0000N and stay within 63 characters', (t) => {
  t.is(revisionName('forward', 1), 'forward-00001');
  t.is(revisionName('forward', 12), 'forward-00012');
  const long = revisionName('a'.repeat(60), 3);
  t.is(long.length, 63);
  t.true(long.endsWith('-00003'));
});

test('names: pods are <revision>-deployment-<5 random characters>', (t) => {
  let i = 0;
  t.is(podName('forward-00001', () => i++), 'forward-00001-deployment-bcdfg');
  t.regex(podName('forward-00001'), /^forward-00001-deployment-[a-z0-9]{5}$/);
});

test('names: the template hash ignores key order and sees any change', (t) => {
  const a = { metadata: { annotations: { x: '1' } }, spec: { containers: [{ image: 'i', env: [{ name: 'A', value: '1' }] }] } };
  const b = { spec: { containers: [{ env: [{ value: '1', name: 'A' }], image: 'i' }] }, metadata: { annotations: { x: '1' } } };
  t.is(templateHash(a), templateHash(b));
  t.not(templateHash(a), templateHash({ ...a, metadata: { annotations: { x: '2' } } }));
});

test('metrics: time-weighted average over the window, or since the start when shorter', (t) => {
  const w = new ConcurrencyWindow(0);
  w.set(0, 2);
  w.set(1_000, 0);
  t.is(w.average(1_000, 60_000), 2);
  t.is(w.average(2_000, 2_000), 1);
  t.is(w.average(2_000, 500), 0);
  t.is(w.lastActiveAt, 0);
  w.set(3_000, 1);
  t.is(w.average(3_500, 500), 1);
  t.is(w.lastActiveAt, 3_500);
});

const id = { namespace: 'ns', service: 's', configuration: 's', revision: 's-00001', pod: 's-00001-deployment-bcdfg', port: 4321 };

test('env: container env, then the runtime\'s, then what Knative sets', async (t) => {
  const env = await podEnvironment({ env: [
    { name: 'A', value: 'a' },
    { name: 'B', value: '$(A)-$(NOPE)-$$(A)' },
    { name: 'PORT', value: '9' },
    { name: 'ME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'C', valueFrom: { secretKeyRef: { name: 'sec', key: 'k' } } },
  ] }, id, (ns, from: any) => `${ns}/${from.secretKeyRef.name}/${from.secretKeyRef.key}`, { A: 'runtime', K_SINK: 'http://sink' });
  t.deepEqual(env, {
    A: 'runtime', B: 'a-$(NOPE)-$(A)', ME: 's-00001-deployment-bcdfg', C: 'ns/sec/k', K_SINK: 'http://sink',
    PORT: '4321', K_SERVICE: 's', K_CONFIGURATION: 's', K_REVISION: 's-00001', POD_NAME: 's-00001-deployment-bcdfg', HOSTNAME: 's-00001-deployment-bcdfg',
  });
});

test('env: a missing ConfigMap key stops the pod unless optional', async (t) => {
  const missing = { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }] };
  await t.throwsAsync(podEnvironment(missing, id, () => undefined, {}), { instanceOf: EnvError, message: /X: configMapKeyRef cm\/k not found in namespace ns/ });
  const optional = { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k', optional: true } } }] };
  t.false('X' in await podEnvironment(optional, id, () => undefined, {}));
});

test('proxy headers: the client is appended, hop-by-hop headers dropped, Host kept', (t) => {
  const out = forwardedHeaders({ host: 'a.b.svc.cluster.local', connection: 'keep-alive, x-private', 'x-private': '1',
    'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https', forwarded: 'for=10.0.0.1', 'ce-id': '1' }, '127.0.0.1');
  t.deepEqual(out, {
    host: 'a.b.svc.cluster.local', 'ce-id': '1', 'x-forwarded-for': '10.0.0.1, 127.0.0.1', 'x-forwarded-proto': 'https',
    forwarded: 'for=10.0.0.1, for=127.0.0.1;proto=http;host=a.b.svc.cluster.local',
  });
});
