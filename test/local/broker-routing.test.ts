import test from 'ava';
import { pino } from 'pino';
import { CloudEvent } from 'cloudevents';
import { LocalBroker } from '../../local/broker/index.js';
import type { Resolve } from '../../local/types.js';
import { startSink, type Sink, type SinkOptions } from '../helpers/sink.js';
import type { KubeObject } from '../../lib/kube/object.js';

const NS = 'pingpong';
const log = pino({ level: 'silent' });
type Teardown = { teardown(fn: () => Promise<void>): void };

const trigger = (name: string, sink: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name, namespace: NS },
  spec: { broker: 'default', subscriber: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: sink } }, delivery: { retry: 0 }, ...spec },
});

/** A Broker `default`, the Triggers given, and one recording sink per name they refer to. */
async function setup(t: Teardown, triggers: KubeObject[], sinkOptions: Record<string, SinkOptions> = {}) {
  const sinks: Record<string, Sink> = {};
  for (const tr of triggers) {
    const name = tr.spec.subscriber.ref.name as string;
    sinks[name] ??= await startSink(sinkOptions[name]);
  }
  const resolve: Resolve = (dest) => (dest.ref && sinks[dest.ref.name] ? { url: sinks[dest.ref.name]!.url } : undefined);
  const broker = new LocalBroker({ resolve, log });
  broker.setResources([{ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'default', namespace: NS }, spec: {} }], triggers);
  const port = await broker.listen(0);
  t.teardown(async () => {
    await broker.close();
    await Promise.all(Object.values(sinks).map((s) => s.close()));
  });
  const url = `http://127.0.0.1:${port}/${NS}/default`;
  const publish = async (id: string, type: string, ext: Record<string, string> = {}) => {
    const headers: Record<string, string> = { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/test', 'ce-type': type, 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(ext)) headers[`ce-${k}`] = v;
    const res = await fetch(url, { method: 'POST', headers, body: '{}' });
    if (res.status !== 202) throw new Error(`ingress answered ${res.status}: ${await res.text()}`);
  };
  /** Every delivery has ended (ingress answers 202 before delivering). */
  const settled = () => broker.idle();
  const ids = (name: string) => sinks[name]!.requests.map((r) => r.ce.id).sort();
  return { broker, sinks, publish, settled, ids };
}

test('a Trigger without a filter gets every event', async (t) => {
  const { publish, settled, ids } = await setup(t, [trigger('all', 'a')]);
  await publish('1', 'x.one');
  await publish('2', 'x.two');
  await settled();
  t.deepEqual(ids('a'), ['1', '2']);
});

test('a matching filter delivers, a non-matching one does not', async (t) => {
  const { publish, settled, ids } = await setup(t, [
    trigger('orders', 'a', { filter: { attributes: { type: 'com.acme.order', source: '/test' } } }),
    trigger('carts', 'b', { filter: { attributes: { type: 'com.acme.cart' } } }),
  ]);
  await publish('1', 'com.acme.order');
  await settled();
  t.deepEqual(ids('a'), ['1']);
  t.deepEqual(ids('b'), []);
});

test('two matching Triggers to the same subscriber: one copy each', async (t) => {
  const { publish, settled, ids } = await setup(t, [trigger('one', 'shared'), trigger('two', 'shared', { filter: { attributes: { type: 'x' } } })]);
  await publish('1', 'x');
  await settled();
  t.deepEqual(ids('shared'), ['1', '1']);
});

test('a reply (structured) is published to the Broker and routed to a second Trigger, with TTL hidden', async (t) => {
  const reply = JSON.stringify({ specversion: '1.0', id: 'r1', source: '/replier', type: 'dev.test.pong', datacontenttype: 'application/json', data: { ok: true } });
  const { publish, settled, sinks, ids } = await setup(t, [
    trigger('pings', 'replier', { filter: { attributes: { type: 'dev.test.ping' } } }),
    trigger('pongs', 'pongs', { filter: { attributes: { type: 'dev.test.pong' } } }),
  ], { replier: { then: { status: 200, headers: { 'content-type': 'application/cloudevents+json' }, body: reply } } });
  await publish('p1', 'dev.test.ping');
  const [got] = await sinks.pongs!.received(1);
  await settled();
  t.like(got!.ce, { id: 'r1', source: '/replier', type: 'dev.test.pong' });
  t.false('knativebrokerttl' in got!.ce);
  t.truthy(got!.ce.knativearrivaltime);
  t.deepEqual(JSON.parse(got!.body.toString()), { ok: true });
  t.deepEqual(ids('replier'), ['p1'], 'the reply did not match the first Trigger');
});

test('a binary reply is re-evaluated against every Trigger, including the one that produced it', async (t) => {
  const { publish, settled, ids } = await setup(t, [trigger('all', 'replier')], {
    replier: { answers: [{ reply: new CloudEvent({ id: 'r1', source: '/replier', type: 'dev.test.pong' }) }] },
  });
  await publish('p1', 'dev.test.ping');
  await settled();
  t.deepEqual(ids('replier'), ['p1', 'r1']);
});

test('filter.attributes "" means present with a value: present matches, absent and empty do not', async (t) => {
  const { publish, settled, ids } = await setup(t, [trigger('colored', 'a', { filter: { attributes: { color: '' } } })]);
  await publish('present', 'x', { color: 'red' });
  await publish('absent', 'x');
  await publish('empty', 'x', { color: '' });
  await settled();
  t.deepEqual(ids('a'), ['present']);
});

test('each filters dialect routes as Knative does (exact, prefix, suffix, all, any, not)', async (t) => {
  const { publish, settled, ids } = await setup(t, [
    trigger('exact', 'exact', { filters: [{ exact: { type: 'com.acme.order.created' } }] }),
    trigger('prefix', 'prefix', { filters: [{ prefix: { type: 'com.acme.order.' } }] }),
    trigger('suffix', 'suffix', { filters: [{ suffix: { type: '.deleted' } }] }),
    trigger('all', 'all', { filters: [{ all: [{ prefix: { type: 'com.acme.' } }, { exact: { color: 'red' } }] }] }),
    trigger('any', 'any', { filters: [{ any: [{ exact: { color: 'blue' } }, { suffix: { type: '.created' } }] }] }),
    trigger('not', 'not', { filters: [{ not: { prefix: { type: 'com.acme.order.' } } }] }),
    // A non-empty `filters` wins: the legacy filter (which would match nothing) is ignored.
    trigger('wins', 'wins', { filter: { attributes: { type: 'never' } }, filters: [{ exact: { color: 'red' } }] }),
  ]);
  await publish('created', 'com.acme.order.created', { color: 'red' });
  await publish('deleted', 'com.acme.order.deleted', { color: 'blue' });
  await publish('cart', 'com.acme.cart.created');
  await publish('other', 'org.other.thing', { color: 'red' });
  await settled();
  t.deepEqual(ids('exact'), ['created']);
  t.deepEqual(ids('prefix'), ['created', 'deleted']);
  t.deepEqual(ids('suffix'), ['deleted']);
  t.deepEqual(ids('all'), ['created']);
  t.deepEqual(ids('any'), ['cart', 'created', 'deleted']);
  t.deepEqual(ids('not'), ['cart', 'other']);
  t.deepEqual(ids('wins'), ['created', 'other']);
});

test('setResources can be called again: a new Trigger receives later events', async (t) => {
  const first = trigger('first', 'a');
  const { broker, publish, settled, ids, sinks } = await setup(t, [first, trigger('second', 'b', { filter: { attributes: { type: 'later' } } })]);
  broker.setResources([{ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'default', namespace: NS }, spec: {} }],
    [trigger('second', 'b')]);
  await publish('1', 'now');
  await settled();
  t.deepEqual(ids('a'), []);
  t.deepEqual(ids('b'), ['1']);
  t.truthy(sinks.a);
});
