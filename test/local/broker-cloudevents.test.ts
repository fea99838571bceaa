import test from 'ava';
import { pino } from 'pino';
import { LocalBroker } from '../../local/broker/index.js';
import type { Resolve } from '../../local/types.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { request } from '../helpers/http.js';
import { eventCases } from '../helpers/cloudevent-cases.js';
import { COIN_FLIP_REQUESTED } from '../../lib/contract/index.js';
import type { KubeObject } from '../../lib/kube/object.js';

const NS = 'pingpong';
let broker: LocalBroker;
let sink: Sink;
let url: string;

test.before(async () => {
  sink = await startSink();
  const resolve: Resolve = (dest) => (dest.ref?.name === 'sink' ? { url: sink.url } : undefined);
  broker = new LocalBroker({ resolve, log: pino({ level: 'silent' }) });
  const brokers: KubeObject[] = [{ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'default', namespace: NS }, spec: {} }];
  const triggers: KubeObject[] = [{
    apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 'all', namespace: NS },
    spec: { broker: 'default', subscriber: { ref: { apiVersion: 'v1', kind: 'Service', name: 'sink' } }, delivery: { retry: 0 } },
  }];
  broker.setResources(brokers, triggers);
  url = `http://127.0.0.1:${await broker.listen(0)}/${NS}/default`;
});
test.after.always(async () => {
  await broker?.close();
  await sink?.close();
});

for (const c of eventCases()) {
  const expected = c.refuses ? `400 naming ${c.refuses}` : '202';
  test(`ingress, ${c.name} → ${expected}`, async (t) => {
    const res = await request(url, { method: 'POST', headers: c.headers, body: c.body });
    if (!c.refuses) {
      t.is(res.status, 202, res.body);
      return;
    }
    t.is(res.status, 400, res.body);
    const json = JSON.parse(res.body) as { error: string; errors: { field: string; message: string }[] };
    t.true(json.errors.some((e) => e.field === c.refuses), `names ${c.refuses}: ${json.error}`);
    t.true(json.errors.every((e) => e.message.length > 0));
  });
}

test('only the valid cases were delivered, each with the attributes it was sent with', async (t) => {
  const valid = eventCases().filter((c) => !c.refuses).length;
  // The cases above run first in this file (ava runs a file's tests concurrently but this one
  // waits on the sink): every valid one is delivered once, none of the refused ones.
  const ours = () => sink.requests.filter((r) => r.ce.type === COIN_FLIP_REQUESTED || r.event?.type === COIN_FLIP_REQUESTED);
  await sink.received(valid);
  await broker.idle();
  const got = ours();
  t.is(got.length, valid);
  t.true(got.every((r) => r.event !== undefined), 'each delivery is a valid CloudEvent to the sink too');
});

test('header values are percent-decoded once at ingress and percent-encoded once on delivery', async (t) => {
  const id = `roundtrip-${Date.now()}`;
  const res = await request(url, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/test/validation', 'ce-type': 'dev.test.roundtrip',
      'ce-subject': 'Euro%20%E2%82%AC%20%F0%9F%98%80', 'ce-note': '100%2525', 'content-type': 'application/json',
    },
    body: '{}',
  });
  t.is(res.status, 202, res.body);
  let delivered;
  const deadline = Date.now() + 10_000;
  while (!(delivered = sink.requests.find((r) => r.event?.id === id)) && Date.now() < deadline) await sink.received(sink.requests.length + 1, 10_000).catch(() => undefined);
  t.truthy(delivered, 'delivered');
  t.is(delivered!.ce.subject, 'Euro%20%E2%82%AC%20%F0%9F%98%80', 'on the wire: encoded, upper-case hex');
  t.is(delivered!.event!.subject, 'Euro € 😀', 'decoded: the text sent');
  t.is(delivered!.ce.note, '100%2525', 'a literal %25 is decoded once to "%25", then encoded back');
  t.is((delivered!.event as unknown as Record<string, unknown>).note, '100%25');
});
