import test from 'ava';
import { pino } from 'pino';
import { LocalBroker } from '../../local/broker/index.js';
import type { Resolve } from '../../local/types.js';
import { startSink, type Sink } from '../helpers/sink.js';
import type { KubeObject } from '../../lib/kube/object.js';

const NS = 'pingpong';
const log = pino({ level: 'silent' });

/** One Broker `default` with one Trigger (no filter) to a recording sink. */
async function setup(t: { teardown(fn: () => Promise<void>): void }) {
  const sink = await startSink();
  const resolve: Resolve = (dest) => (dest.ref?.name === 'sink' ? { url: sink.url } : undefined);
  const broker = new LocalBroker({ resolve, log });
  const brokers: KubeObject[] = [{ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'default', namespace: NS }, spec: {} }];
  const triggers: KubeObject[] = [{
    apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 'all', namespace: NS },
    spec: { broker: 'default', subscriber: { ref: { apiVersion: 'v1', kind: 'Service', name: 'sink' } }, delivery: { retry: 0 } },
  }];
  broker.setResources(brokers, triggers);
  const port = await broker.listen(0);
  t.teardown(async () => { await broker.close(); await sink.close(); });
  return { broker, sink, base: `http://127.0.0.1:${port}`, url: `http://127.0.0.1:${port}/${NS}/default` };
}

const binary10 = { 'ce-specversion': '1.0', 'ce-id': 'b1', 'ce-source': '/test', 'ce-type': 'dev.test.ping', 'content-type': 'application/json' };

async function onlyDelivery(sink: Sink, broker: LocalBroker) {
  await broker.idle();
  return sink.requests;
}

test('binary 1.0: 202, delivered in binary mode with Prefer: reply, Kn-Namespace and knativearrivaltime, without the TTL', async (t) => {
  const { broker, sink, url } = await setup(t);
  const res = await fetch(url, { method: 'POST', headers: { ...binary10, 'ce-color': 'red' }, body: '{"n": 1}' });
  t.is(res.status, 202);
  t.is(await res.text(), '');
  const [got] = await sink.received(1);
  t.is(got!.method, 'POST');
  t.is(got!.headers.prefer, 'reply');
  t.is(got!.headers['kn-namespace'], NS);
  t.is(got!.headers['content-type'], 'application/json');
  t.like(got!.ce, { specversion: '1.0', id: 'b1', source: '/test', type: 'dev.test.ping', color: 'red' });
  t.false('knativebrokerttl' in got!.ce);
  t.true(!Number.isNaN(Date.parse(got!.ce.knativearrivaltime!)), 'knativearrivaltime is a timestamp');
  t.is(got!.body.toString(), '{"n": 1}', 'data bytes pass through unchanged');
  t.is((await onlyDelivery(sink, broker)).length, 1);
});

test('binary 0.3: 202 and delivered as 0.3', async (t) => {
  const { sink, url } = await setup(t);
  const res = await fetch(url, { method: 'POST', headers: { ...binary10, 'ce-specversion': '0.3', 'ce-id': 'old' }, body: '{}' });
  t.is(res.status, 202);
  const [got] = await sink.received(1);
  t.like(got!.ce, { specversion: '0.3', id: 'old' });
});

test('structured: 202 and delivered in binary mode, datacontenttype as Content-Type', async (t) => {
  const { sink, url } = await setup(t);
  const body = JSON.stringify({ specversion: '1.0', id: 's1', source: '/test', type: 'dev.test.ping', datacontenttype: 'application/json', subject: 'x', data: { a: [1, 2] } });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body });
  t.is(res.status, 202);
  const [got] = await sink.received(1);
  t.like(got!.ce, { id: 's1', subject: 'x', specversion: '1.0' });
  t.is(got!.headers['content-type'], 'application/json');
  t.deepEqual(JSON.parse(got!.body.toString()), { a: [1, 2] });
});

test('structured with data_base64: the bytes arrive as the body', async (t) => {
  const { sink, url } = await setup(t);
  const bytes = Buffer.from([0, 1, 2, 250, 255]);
  const body = JSON.stringify({ specversion: '1.0', id: 's2', source: '/test', type: 'dev.test.bin', datacontenttype: 'application/octet-stream', data_base64: bytes.toString('base64') });
  t.is((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body })).status, 202);
  const [got] = await sink.received(1);
  t.deepEqual(got!.body, bytes);
});

for (const [name, headers, body, field] of [
  ['wrong specversion', { ...binary10, 'ce-specversion': '2.0' }, '{}', 'specversion'],
  ['missing id and source', { 'ce-specversion': '1.0', 'ce-type': 't', 'content-type': 'application/json' }, '{}', 'id'],
  ['not a CloudEvent', { 'content-type': 'application/json' }, '{"hello":"world"}', 'specversion'],
  ['structured body that is not JSON', { 'content-type': 'application/cloudevents+json' }, '{nope', 'body'],
] as const) {
  test(`400 for ${name}, naming the field`, async (t) => {
    const { broker, sink, url } = await setup(t);
    const res = await fetch(url, { method: 'POST', headers, body });
    t.is(res.status, 400);
    const json = await res.json() as { error: string; errors: { field: string }[] };
    t.true(json.errors.some((e) => e.field === field), `errors name ${field}: ${json.error}`);
    t.is((await onlyDelivery(sink, broker)).length, 0);
  });
}

test('400 for a missing id and source names both', async (t) => {
  const { url } = await setup(t);
  const res = await fetch(url, { method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-type': 't' }, body: '' });
  const json = await res.json() as { errors: { field: string }[] };
  t.deepEqual(json.errors.map((e) => e.field).sort(), ['id', 'source']);
});

test('GET → 405 with Allow', async (t) => {
  const { url } = await setup(t);
  const res = await fetch(url);
  t.is(res.status, 405);
  t.is(res.headers.get('allow'), 'POST, OPTIONS');
});

test('OPTIONS → 200 with Allow and the WebHook headers', async (t) => {
  const { url } = await setup(t);
  const res = await fetch(url, { method: 'OPTIONS' });
  t.is(res.status, 200);
  t.is(res.headers.get('allow'), 'POST, OPTIONS');
  t.is(res.headers.get('webhook-allowed-origin'), '*');
  t.is(res.headers.get('webhook-allowed-rate'), '*');
});

for (const [name, path, status] of [
  ['unknown broker', `/${NS}/nope`, 404],
  ['unknown namespace', '/elsewhere/default', 404],
  ['the root path', '/', 404],
  ['one segment', `/${NS}`, 400],
  ['three segments', `/${NS}/default/extra`, 400],
  ['broken percent-encoding', `/${NS}/%zz`, 400],
  ['a truncated percent-encoding', `/${NS}/default%2`, 400],
] as const) {
  test(`POST to ${name} (${path}) → ${status}`, async (t) => {
    const { base, broker, sink } = await setup(t);
    const res = await fetch(base + path, { method: 'POST', headers: binary10, body: '{}' });
    t.is(res.status, status);
    t.is((await onlyDelivery(sink, broker)).length, 0);
  });
}

test('a trailing slash is accepted', async (t) => {
  const { url, sink } = await setup(t);
  t.is((await fetch(`${url}/`, { method: 'POST', headers: binary10, body: '{}' })).status, 202);
  await sink.received(1);
  t.pass();
});

test('TTL: an event whose knativebrokerttl runs out is dropped with 400; a live one is decremented and hidden', async (t) => {
  const { url, sink, broker } = await setup(t);
  const dead = await fetch(url, { method: 'POST', headers: { ...binary10, 'ce-id': 'dead', 'ce-knativebrokerttl': '1' }, body: '{}' });
  t.is(dead.status, 400);
  t.regex(((await dead.json()) as { error: string }).error, /knativebrokerttl/);
  t.is((await fetch(url, { method: 'POST', headers: { ...binary10, 'ce-id': 'live', 'ce-knativebrokerttl': '2' }, body: '{}' })).status, 202);
  const got = await onlyDelivery(sink, broker);
  t.deepEqual(got.map((r) => r.ce.id), ['live']);
  t.false('knativebrokerttl' in got[0]!.ce);
});

test('stats count received and rejected events per broker', async (t) => {
  const { url, broker } = await setup(t);
  await fetch(url, { method: 'POST', headers: binary10, body: '{}' });
  await fetch(url, { method: 'POST', headers: { ...binary10, 'ce-knativebrokerttl': '0' }, body: '{}' });
  await broker.idle();
  const s = broker.stats();
  t.like(s.brokers[0], { namespace: NS, name: 'default', received: 1, rejected: 1, url });
  t.like(s.triggers[0], { name: 'all', delivered: 1, failed: 0 });
});

test('ingest(): in-process publishing follows the same rules', async (t) => {
  const { broker, sink } = await setup(t);
  const { CloudEvent } = await import('cloudevents');
  t.deepEqual(broker.ingest(NS, 'default', new CloudEvent({ id: 'in', source: '/in', type: 'dev.test.in', data: { x: 1 } })), { status: 202 });
  t.is(broker.ingest(NS, 'missing', new CloudEvent({ id: 'in2', source: '/in', type: 'dev.test.in' })).status, 404);
  const [got] = await sink.received(1);
  t.like(got!.ce, { id: 'in', type: 'dev.test.in' });
  t.deepEqual(JSON.parse(got!.body.toString()), { x: 1 });
});
