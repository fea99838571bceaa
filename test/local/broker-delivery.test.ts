import test from 'ava';
import { pino } from 'pino';
import { CloudEvent } from 'cloudevents';
import { LocalBroker } from '../../local/broker/index.js';
import type { Resolve } from '../../local/types.js';
import { freePort } from '../helpers/ports.js';
import { startSink, type Sink, type SinkOptions } from '../helpers/sink.js';
import type { KubeObject } from '../../lib/kube/object.js';

const NS = 'pingpong';
const log = pino({ level: 'silent' });
type Teardown = { teardown(fn: () => Promise<void>): void };
const fast = (retry: number, extra: Record<string, unknown> = {}) => ({ retry, backoffPolicy: 'exponential', backoffDelay: 'PT0.01S', ...extra });
const ref = (name: string) => ({ ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name } });

const trigger = (name: string, sink: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name, namespace: NS },
  spec: { broker: 'default', subscriber: ref(sink), ...spec },
});

/**
 * A Broker `default` (with `brokerDelivery`), the Triggers given, and one recording sink per name
 * in `sinks`. A ref to a name with no sink does not resolve; `dead:<port>` resolves to a closed port.
 */
async function setup(t: Teardown, triggers: KubeObject[], sinks: Record<string, SinkOptions>, brokerDelivery?: unknown) {
  const running: Record<string, Sink> = {};
  for (const [name, opts] of Object.entries(sinks)) running[name] = await startSink(opts);
  const resolve: Resolve = (dest) => {
    if (dest.uri) return { url: dest.uri };
    const s = dest.ref && running[dest.ref.name];
    return s ? { url: s.url } : undefined;
  };
  const broker = new LocalBroker({ resolve, log });
  broker.setResources([{ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'default', namespace: NS }, spec: brokerDelivery ? { delivery: brokerDelivery } : {} }], triggers);
  const port = await broker.listen(0);
  t.teardown(async () => {
    await broker.close();
    await Promise.all(Object.values(running).map((s) => s.close()));
  });
  const url = `http://127.0.0.1:${port}/${NS}/default`;
  const publish = async (id: string, type = 'dev.test.ping', ext: Record<string, string> = {}, body = '{"n":1}') => {
    const headers: Record<string, string> = { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/test', 'ce-type': type, 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(ext)) headers[`ce-${k}`] = v;
    const res = await fetch(url, { method: 'POST', headers, body });
    if (res.status !== 202) throw new Error(`ingress answered ${res.status}: ${await res.text()}`);
  };
  return { broker, sinks: running, publish, settled: () => broker.idle() };
}

test('attempts = 1 + retry, then the dead-letter sink gets the original event once', async (t) => {
  const { publish, settled, sinks, broker } = await setup(t, [trigger('t', 'sub', { delivery: fast(3, { deadLetterSink: ref('dls') }) })],
    { sub: { then: { status: 503 } }, dls: {} });
  await publish('e1');
  await settled();
  t.is(sinks.sub!.requests.length, 4);
  t.deepEqual(sinks.sub!.requests.map((r) => r.ce.id), ['e1', 'e1', 'e1', 'e1']);
  t.is(sinks.dls!.requests.length, 1);
  t.like(broker.stats().triggers[0], { delivered: 0, failed: 1, deadLettered: 1, dropped: 0 });
});

test('a subscriber that fails twice then answers 200 gets three attempts and no dead letter', async (t) => {
  const { publish, settled, sinks, broker } = await setup(t, [trigger('t', 'sub', { delivery: fast(5, { deadLetterSink: ref('dls') }) })],
    { sub: { answers: [{ status: 500 }, { status: 429 }], then: { status: 200 } }, dls: {} });
  await publish('e1');
  await settled();
  t.is(sinks.sub!.requests.length, 3);
  t.is(sinks.dls!.requests.length, 0);
  t.like(broker.stats().triggers[0], { delivered: 1, failed: 0 });
});

const RETRIED = [500, 503, 404, 408, 409, 429];
const NOT_RETRIED = [400, 401, 403, 410, 413, 422];
test(`retried statuses ${RETRIED.join(', ')} get 1 + retry attempts; ${NOT_RETRIED.join(', ')} get one`, async (t) => {
  const statuses = [...RETRIED, ...NOT_RETRIED];
  const sinks = Object.fromEntries(statuses.map((s) => [`s${s}`, { then: { status: s } }]));
  const triggers = statuses.map((s) => trigger(`t${s}`, `s${s}`, { filter: { attributes: { status: String(s) } }, delivery: fast(2) }));
  const { publish, settled, sinks: running } = await setup(t, triggers, sinks);
  for (const s of statuses) await publish(`e${s}`, 'dev.test.ping', { status: String(s) });
  await settled();
  const attemptsBy = Object.fromEntries(statuses.map((s) => [s, running[`s${s}`]!.requests.length]));
  t.deepEqual(attemptsBy, Object.fromEntries(statuses.map((s) => [s, RETRIED.includes(s) ? 3 : 1])));
});

test('the Trigger’s delivery beats the Broker’s, whole; a Trigger without one uses the Broker’s', async (t) => {
  const { publish, settled, sinks } = await setup(t, [
    trigger('own', 'own', { filter: { attributes: { type: 'a' } }, delivery: fast(1) }),
    trigger('inherits', 'inherits', { filter: { attributes: { type: 'b' } } }),
  ], { own: { then: { status: 500 } }, inherits: { then: { status: 500 } }, brokerdls: {} }, fast(4, { deadLetterSink: ref('brokerdls') }));
  await publish('ea', 'a');
  await publish('eb', 'b');
  await settled();
  t.is(sinks.own!.requests.length, 2, 'the Trigger’s retry: 1');
  t.is(sinks.inherits!.requests.length, 5, 'the Broker’s retry: 4');
  t.deepEqual(sinks.brokerdls!.requests.map((r) => r.ce.id), ['eb'], 'the Broker’s DLS is not used by a Trigger with its own delivery');
});

test('the dead letter carries knativeerrordest, knativeerrorcode and knativeerrordata, and the original data', async (t) => {
  const { publish, settled, sinks } = await setup(t, [trigger('t', 'sub', { delivery: fast(1, { deadLetterSink: ref('dls') }) })],
    { sub: { then: { status: 500, body: 'database down' } }, dls: {} });
  await publish('e1', 'dev.test.ping', { color: 'red' }, '{"keep":"me"}');
  await settled();
  const [dl] = sinks.dls!.requests;
  t.like(dl!.ce, {
    id: 'e1', type: 'dev.test.ping', source: '/test', color: 'red',
    knativeerrordest: sinks.sub!.url,
    knativeerrorcode: '500',
    knativeerrordata: Buffer.from('database down').toString('base64'),
  });
  t.is(dl!.body.toString(), '{"keep":"me"}');
  t.is(dl!.headers['content-type'], 'application/json');
});

test('no answer at all (closed port) is retried and dead-lettered with code 500 and no data', async (t) => {
  const closed = `http://127.0.0.1:${await freePort()}/`;
  const { publish, settled, sinks } = await setup(t, [trigger('t', 'x', { subscriber: { uri: closed }, delivery: fast(2, { deadLetterSink: ref('dls') }) })], { dls: {} });
  await publish('e1');
  await settled();
  const [dl] = sinks.dls!.requests;
  t.like(dl!.ce, { id: 'e1', knativeerrordest: closed, knativeerrorcode: '500' });
  t.false('knativeerrordata' in dl!.ce);
});

test('a 2xx with a body that is not a CloudEvent is a failure: retried and dead-lettered with code 502', async (t) => {
  const { publish, settled, sinks, broker } = await setup(t, [trigger('t', 'sub', { delivery: fast(1, { deadLetterSink: ref('dls') }) })],
    { sub: { then: { status: 200, body: 'thanks!', headers: { 'content-type': 'text/plain' } } }, dls: {} });
  await publish('e1');
  await settled();
  t.is(sinks.sub!.requests.length, 2);
  t.like(sinks.dls!.requests[0]!.ce, { knativeerrorcode: '502', knativeerrordata: Buffer.from('thanks!').toString('base64') });
  t.like(broker.stats().triggers[0], { delivered: 0, failed: 1, deadLettered: 1 });
});

test('a failing and an unresolvable Trigger do not delay or disturb a good one', async (t) => {
  const slow = { retry: 3, backoffPolicy: 'exponential', backoffDelay: 'PT1S' };
  const { publish, sinks, broker, settled } = await setup(t, [
    trigger('bad', 'bad', { delivery: { ...slow, deadLetterSink: ref('dls') } }),
    trigger('ghost', 'nowhere', { delivery: fast(1, { deadLetterSink: ref('dls') }) }),
    trigger('good', 'good', { delivery: { ...slow } }),
  ], { bad: { then: { status: 500 } }, good: {}, dls: {} });
  for (let i = 0; i < 5; i++) await publish(`e${i}`);
  await sinks.good!.received(5);
  // The bad Trigger is still backing off (1 s, 2 s, 4 s) while the good one has everything.
  t.is(broker.stats().triggers.find((x) => x.name === 'bad')!.failed, 0);
  t.deepEqual(sinks.good!.requests.map((r) => r.ce.id).sort(), ['e0', 'e1', 'e2', 'e3', 'e4']);
  await settled();
  t.is(sinks.good!.requests.length, 5, 'each event once');
  t.is(sinks.bad!.requests.length, 20);
  const ghost = sinks.dls!.requests.filter((r) => r.ce.knativeerrorcode === '404');
  t.is(ghost.length, 5, 'an unresolvable subscriber fails like a 404');
  t.regex(ghost[0]!.ce.knativeerrordest!, /\/triggers\/pingpong\/ghost\//);
  t.is(sinks.dls!.requests.filter((r) => r.ce.knativeerrorcode === '500').length, 5);
});

test('a 36 KB payload arrives exactly once, byte for byte', async (t) => {
  const { publish, settled, sinks } = await setup(t, [trigger('t', 'sub', { delivery: fast(3) })], { sub: { then: { status: 200 } } });
  const big = JSON.stringify({ blob: 'x'.repeat(36 * 1024) });
  await publish('big', 'dev.test.big', {}, big);
  await settled();
  t.is(sinks.sub!.requests.length, 1);
  t.is(sinks.sub!.requests[0]!.body.toString(), big);
});

test('the TTL stops a reply loop: at most 255 deliveries', async (t) => {
  const { publish, settled, sinks, broker } = await setup(t, [trigger('loop', 'echo', { filter: { attributes: { type: 'dev.test.loop' } }, delivery: { retry: 0 } })], {
    echo: { then: (_req, i) => ({ reply: new CloudEvent({ id: `r${i}`, source: '/echo', type: 'dev.test.loop' }) }) },
  });
  await publish('start', 'dev.test.loop');
  await settled();
  t.is(sinks.echo!.requests.length, 255);
  const s = broker.stats();
  t.like(s.brokers[0], { received: 255, rejected: 1 });
  t.like(s.triggers[0], { delivered: 254, replies: 254, failed: 1 });
});

test('the dead-letter sink is retried with the same spec', async (t) => {
  const { publish, settled, sinks, broker } = await setup(t, [trigger('t', 'sub', { delivery: fast(2, { deadLetterSink: ref('dls') }) })],
    { sub: { then: { status: 400 } }, dls: { answers: [{ status: 503 }, { status: 503 }], then: { status: 202 } } });
  await publish('e1');
  await settled();
  t.is(sinks.sub!.requests.length, 1, '400 is not retried');
  t.is(sinks.dls!.requests.length, 3);
  t.like(sinks.dls!.requests[2]!.ce, { knativeerrorcode: '400' });
  t.like(broker.stats().triggers[0], { failed: 1, deadLettered: 1 });
});

test('a per-attempt timeout counts as no answer', async (t) => {
  const http = await import('node:http');
  const hang = http.createServer(() => { /* never answers */ });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => { hang.close(() => r()); hang.closeAllConnections(); }));
  const hangUrl = `http://127.0.0.1:${(hang.address() as { port: number }).port}/`;
  const { publish, settled, sinks } = await setup(t, [trigger('t', 'x', { subscriber: { uri: hangUrl }, delivery: fast(1, { timeout: 'PT0.2S', deadLetterSink: ref('dls') }) })], { dls: {} });
  await publish('e1');
  await settled();
  t.like(sinks.dls!.requests[0]!.ce, { id: 'e1', knativeerrorcode: '500', knativeerrordest: hangUrl });
});
