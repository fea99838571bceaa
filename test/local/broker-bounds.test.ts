import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { CloudEvent } from 'cloudevents';
import { LocalBroker, type LocalBrokerOptions } from '../../local/broker/index.js';
import type { Resolve } from '../../local/types.js';
import { startSink, type Sink, type SinkOptions } from '../helpers/sink.js';
import { waitFor } from '../helpers/wait.js';
import type { KubeObject } from '../../lib/kube/object.js';

// The Broker's bounds (local/broker/README.md, "Bounds"): every queue has a limit, an event past
// it is refused whole with a status the sender retries, replies count, and a Trigger's queue goes
// with the Trigger. Plus the two fault-injection modes, duplicate and reorder.

const NS = 'pingpong';
const log = pino({ level: 'silent' });
type Teardown = { teardown(fn: () => Promise<void> | void): void };

const trigger = (name: string, sink: string, type: string | undefined, delivery: Record<string, unknown> = { retry: 0 }): KubeObject => ({
  apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name, namespace: NS },
  spec: { broker: 'default', ...(type ? { filter: { attributes: { type } } } : {}), subscriber: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: sink } }, delivery },
});
const BROKER: KubeObject = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'default', namespace: NS }, spec: {} };

/** A subscriber that holds every request until released: what a stuck Service looks like. */
interface Gate { url: string; ids: string[]; open(): void; close(): Promise<void> }
async function startGate(): Promise<Gate> {
  const held: http.ServerResponse[] = [];
  const ids: string[] = [];
  let opened = false;
  const answer = (res: http.ServerResponse) => { res.writeHead(202, { 'content-length': 0 }); res.end(); };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      ids.push(String(req.headers['ce-id']));
      if (opened) answer(res); else held.push(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    ids,
    open: () => { opened = true; for (const res of held.splice(0)) answer(res); },
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

async function setup(t: Teardown, triggers: KubeObject[], subscribers: Record<string, SinkOptions | 'gate'>, options: Partial<LocalBrokerOptions> = {}) {
  const sinks: Record<string, Sink> = {};
  const gates: Record<string, Gate> = {};
  for (const [name, o] of Object.entries(subscribers)) {
    if (o === 'gate') gates[name] = await startGate(); else sinks[name] = await startSink(o);
  }
  const resolve: Resolve = (d) => {
    const name = d.ref?.name ?? '';
    const url = sinks[name]?.url ?? gates[name]?.url;
    return url ? { url } : undefined;
  };
  const broker = new LocalBroker({ resolve, log, concurrencyPerTrigger: 1, ...options });
  broker.setResources([BROKER], triggers);
  const port = await broker.listen(0);
  t.teardown(async () => {
    for (const g of Object.values(gates)) g.open();
    await broker.close();
    await Promise.all([...Object.values(sinks).map((s) => s.close()), ...Object.values(gates).map((g) => g.close())]);
  });
  const url = `http://127.0.0.1:${port}/${NS}/default`;
  const post = async (id: string, type: string, body = '{}') => {
    const res = await fetch(url, {
      method: 'POST', body,
      headers: { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/test', 'ce-type': type, 'content-type': 'application/json' },
    });
    return { status: res.status, text: await res.text() };
  };
  return { broker, sinks, gates, post };
}

test('a reply loop cannot grow the queues past the bound: replies are refused once it is full', async (t) => {
  // Every z is answered with another z, which the held Trigger also matches: before replies counted,
  // one event queued up to 254 deliveries for a stuck subscriber (one per TTL hop).
  let peak = 0;
  const { broker, gates, post } = await setup(t, [
    trigger('loop', 'echo', 'dev.test.z', { retry: 2, backoffPolicy: 'linear', backoffDelay: 'PT0.01S' }),
    trigger('held', 'held', 'dev.test.z'),
  ], {
    echo: { then: (_req, i) => {
      peak = Math.max(peak, broker.stats().load!.waiting);
      return { reply: new CloudEvent({ id: `z${i}`, source: '/echo', type: 'dev.test.z' }) };
    } },
    held: 'gate',
  }, { maxQueued: 20 });
  t.is((await post('start', 'dev.test.z')).status, 202);
  await waitFor(() => broker.stats().triggers.find((s) => s.name === 'loop')!.failed === 1, 'the loop to stop on a refused reply');
  const s = broker.stats();
  t.true(peak <= 20 && s.load!.waiting <= 20, `waiting peaked at ${peak}, now ${s.load!.waiting}; the bound is 20`);
  t.true(s.brokers[0]!.rejected >= 3, 'the last reply was refused on each of its 3 attempts');
  t.like(s.triggers.find((x) => x.name === 'loop'), { dropped: 1 }, 'no dead-letter sink: the refused reply is dropped, and counted');
  // Every z the Broker accepted reaches the held subscriber once it answers.
  const accepted = s.brokers[0]!.received;
  gates.held!.open();
  await broker.idle();
  t.is(gates.held!.ids.length, accepted);
  t.is(new Set(gates.held!.ids).size, accepted);
});

test('a full Trigger refuses with 503 only the events it matches; the rest still flow', async (t) => {
  const { broker, sinks, gates, post } = await setup(t, [trigger('slow', 'slow', 'dev.test.a'), trigger('fast', 'fast', 'dev.test.b')],
    { slow: 'gate', fast: {} }, { maxQueuedPerTrigger: 5 });
  const answers: number[] = [];
  for (let i = 0; i < 8; i++) answers.push((await post(`a${i}`, 'dev.test.a')).status);
  // One running (concurrency 1) and 5 waiting; the rest refused (new events get 5 − ⌊5/10⌋ = 5 slots).
  t.deepEqual(answers, [202, 202, 202, 202, 202, 202, 503, 503]);
  const refused = await post('a-last', 'dev.test.a');
  t.is(refused.status, 503);
  t.regex(refused.text, /trigger slow/);
  t.is((await post('b0', 'dev.test.b')).status, 202, 'another Trigger is not held up');
  await sinks.fast!.received(1);
  gates.slow!.open();
  await broker.idle();
  t.deepEqual(gates.slow!.ids, ['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
  t.like(broker.stats().brokers[0], { received: 7, rejected: 3 });
});

test('the bytes held are bounded: past them events are refused, and an empty Broker takes any one event', async (t) => {
  const { broker, gates, post } = await setup(t, [trigger('held', 'held', undefined)], { held: 'gate' }, { maxQueuedBytes: 100_000 });
  const body = JSON.stringify({ pad: 'x'.repeat(30_000) });
  t.is((await post('e0', 'dev.test.big', body)).status, 202);
  t.is((await post('e1', 'dev.test.big', body)).status, 202);
  // Three events of ~30 KB pass the 90 000 bytes new events may use (a tenth is kept for replies).
  const third = await post('e2', 'dev.test.big', body);
  t.is(third.status, 503);
  t.regex(third.text, /bytes/);
  t.true(broker.stats().load!.bytes <= 100_000);
  gates.held!.open();
  await broker.idle();
  t.is(broker.stats().load!.bytes, 0, 'bytes are released when deliveries end');
  t.deepEqual(gates.held!.ids, ['e0', 'e1']);

  const tiny = await setup(t, [trigger('held', 'held', undefined)], { held: {} }, { maxQueuedBytes: 1_000 });
  t.is((await tiny.post('big', 'dev.test.big', body)).status, 202, 'one event larger than the bound still fits an empty Broker');
});

test('a reply refused by a full Trigger is retried by the delivery spec, not lost, and the subscriber is asked once', async (t) => {
  const { broker, sinks, gates, post } = await setup(t, [
    trigger('echo', 'echo', 'dev.test.x', { retry: 100, backoffPolicy: 'linear', backoffDelay: 'PT0.01S' }),
    trigger('held', 'held', 'dev.test.y'),
  ], { echo: { then: { reply: new CloudEvent({ id: 'reply-1', source: '/echo', type: 'dev.test.y' }) } }, held: 'gate' }, { maxQueuedPerTrigger: 3 });
  for (let i = 0; i < 4; i++) t.is((await post(`y${i}`, 'dev.test.y')).status, 202); // one running, three waiting: full
  t.is((await post('x', 'dev.test.x')).status, 202, 'the echo Trigger has room');
  await waitFor(() => broker.stats().brokers[0]!.rejected >= 2, 'the reply to be refused and tried again');
  t.is(broker.stats().triggers.find((s) => s.name === 'held')!.pending, 3, 'the held queue stays at its bound');
  gates.held!.open();
  await broker.idle();
  t.deepEqual(gates.held!.ids, ['y0', 'y1', 'y2', 'y3', 'reply-1']);
  t.is(sinks.echo!.requests.length, 1, 'only the reply was retried');
  t.like(broker.stats().triggers.find((s) => s.name === 'echo'), { delivered: 1, replies: 1, failed: 0, dropped: 0 });
});

test('a deleted Trigger keeps its running delivery, gets nothing new, and its queue goes once it ends', async (t) => {
  const keep = trigger('keep', 'keep', undefined);
  const { broker, sinks, gates, post } = await setup(t, [keep, trigger('gone', 'gone', undefined)], { keep: {}, gone: 'gate' });
  t.is((await post('e0', 'dev.test.e')).status, 202);
  await waitFor(() => gates.gone!.ids.length === 1, 'the doomed Trigger to be delivering');
  broker.setResources([BROKER], [keep]);
  t.is((await post('e1', 'dev.test.e')).status, 202);
  t.is(broker.stats().load!.queues, 2, 'the removed Trigger’s queue stays while its delivery runs');
  gates.gone!.open();
  await broker.idle();
  await waitFor(() => broker.stats().load!.queues === 1, 'the removed Trigger’s queue to go');
  t.deepEqual(gates.gone!.ids, ['e0']);
  t.deepEqual(sinks.keep!.requests.map((r) => r.ce.id), ['e0', 'e1']);

  // Triggers made and deleted one after another leave no queue behind.
  for (let i = 0; i < 50; i++) {
    broker.setResources([BROKER], [keep, trigger(`churn-${i}`, 'keep', undefined)]);
    t.is((await post(`c${i}`, 'dev.test.e')).status, 202);
  }
  broker.setResources([BROKER], [keep]);
  await broker.idle();
  await waitFor(() => broker.stats().load!.queues === 1, 'every churned queue to go');
});

test('duplicate mode delivers every event twice to each Trigger and publishes one reply', async (t) => {
  const { broker, sinks, post } = await setup(t, [
    trigger('echo', 'echo', 'dev.test.x'),
    trigger('all', 'all', undefined),
  ], { echo: { then: (req) => ({ reply: new CloudEvent({ id: `${req.ce.id}.reply`, source: '/echo', type: 'dev.test.y' }) }) }, all: {} },
  { duplicate: true, concurrencyPerTrigger: 4 });
  t.is((await post('x1', 'dev.test.x')).status, 202);
  await sinks.all!.received(4);
  await broker.idle();
  t.deepEqual(sinks.echo!.requests.map((r) => r.ce.id), ['x1', 'x1']);
  t.deepEqual(sinks.all!.requests.map((r) => r.ce.id).sort(), ['x1', 'x1', 'x1.reply', 'x1.reply']);
  const s = broker.stats();
  t.like(s.triggers.find((x) => x.name === 'echo'), { delivered: 2, replies: 1, duplicates: 1 });
  t.like(s.triggers.find((x) => x.name === 'all'), { delivered: 4, duplicates: 2 });
  t.like(s.brokers[0], { received: 2 });
});

test('reorder mode delivers every event once, out of the order it was sent', async (t) => {
  const { broker, sinks, post } = await setup(t, [trigger('all', 'all', undefined)], { all: {} }, { reorder: true, concurrencyPerTrigger: 8 });
  const sent = Array.from({ length: 30 }, (_, i) => `e${String(i).padStart(2, '0')}`);
  for (const id of sent) t.is((await post(id, 'dev.test.e')).status, 202);
  await sinks.all!.received(sent.length);
  await broker.idle();
  const got = sinks.all!.requests.map((r) => r.ce.id);
  t.deepEqual([...got].sort(), sent, 'each event once');
  t.notDeepEqual(got, sent, 'not in the order sent');
});

test('pingpong up takes the modes as flags or environment variables, and names a bad value', async (t) => {
  const { parseUp, FlagError } = await import('../../local/cli/flags.js');
  t.like(parseUp(['--broker-duplicate', '--broker-reorder'], {}), { brokerDuplicate: true, brokerReorder: true });
  t.like(parseUp([], { PINGPONG_BROKER_DUPLICATE: '1', PINGPONG_BROKER_REORDER: 'true' }), { brokerDuplicate: true, brokerReorder: true });
  const off = parseUp([], { PINGPONG_BROKER_DUPLICATE: '0' });
  t.is(off.brokerDuplicate, undefined);
  t.is(off.brokerReorder, undefined);
  t.throws(() => parseUp([], { PINGPONG_BROKER_REORDER: 'sometimes' }), { instanceOf: FlagError, message: /--broker-reorder/ });
  t.throws(() => parseUp(['--broker-duplicate=yes'], {}), { instanceOf: FlagError });
});
