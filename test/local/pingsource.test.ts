import test from 'ava';
import { pino } from 'pino';
import { startPingSources, cronSchedule, isRetriableSend, pingEvent, sendBackoffMs } from '../../local/pingsource/index.js';
import type { Resolve } from '../../local/types.js';
import { startSink, type Recorded, type SinkOptions } from '../helpers/sink.js';
import type { KubeObject } from '../../lib/kube/object.js';

const log = pino({ level: 'silent' });
type Teardown = { teardown(fn: () => Promise<void>): void };

const ping = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'sources.knative.dev/v1', kind: 'PingSource', metadata: { name, namespace: 'pingpong' },
  spec: { sink: { ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'default' } }, ...spec },
});

async function setup(t: Teardown, source: KubeObject, sinkOptions: SinkOptions = {}) {
  const sink = await startSink(sinkOptions);
  const resolve: Resolve = (dest, ns) => (dest.ref?.name === 'default' && ns === 'pingpong' ? { url: sink.url } : undefined);
  const pings = startPingSources({ sources: [source], resolve, log, maxSendDelayMs: 0, backoffBaseMs: 5 });
  t.teardown(async () => { await pings.stop(); await sink.close(); });
  return { sink, pings };
}

const byId = (requests: Recorded[]) => {
  const m = new Map<string, number>();
  for (const r of requests) m.set(r.ce.id!, (m.get(r.ce.id!) ?? 0) + 1);
  return m;
};

test('a seconds schedule fires Knative’s ping event into the sink', async (t) => {
  const { sink } = await setup(t, ping('beat', {
    schedule: '* * * * * *', contentType: 'application/json', data: '{"message":"hi"}', ceOverrides: { extensions: { env: 'test' } },
  }));
  const [got] = await sink.received(1, 10_000);
  t.is(got!.method, 'POST');
  t.like(got!.ce, { specversion: '1.0', type: 'dev.knative.sources.ping', source: '/apis/v1/namespaces/pingpong/pingsources/beat', env: 'test' });
  t.regex(got!.ce.id!, /^[0-9a-f-]{36}$/);
  t.true(Math.abs(Date.parse(got!.ce.time!) - Date.now()) < 10_000);
  t.is(got!.headers['content-type'], 'application/json');
  t.is(got!.body.toString(), '{"message":"hi"}');
  const all = await sink.received(2, 10_000);
  t.not(all[0]!.ce.id, all[1]!.ce.id, 'a fresh id per tick');
});

test('dataBase64 is decoded to bytes; no contentType means no Content-Type', async (t) => {
  const bytes = Buffer.from([0, 1, 2, 200, 255]);
  const { sink } = await setup(t, ping('bin', { schedule: '* * * * * *', dataBase64: bytes.toString('base64') }));
  const [got] = await sink.received(1, 10_000);
  t.deepEqual(got!.body, bytes);
  t.is(got!.headers['content-type'], undefined);
});

test('500 is not retried', async (t) => {
  const { sink } = await setup(t, ping('fail', { schedule: '* * * * * *' }), { then: { status: 500 } });
  const requests = await sink.received(2, 10_000);
  // Two ticks seen: the first tick's retries, if any, would have come within ~300 ms, before the second.
  const first = requests[0]!.ce.id!;
  t.is(byId(requests).get(first), 1);
});

test('503 is retried 5 times (6 attempts), then the event is lost', async (t) => {
  const { sink, pings } = await setup(t, ping('busy', { schedule: '* * * * * *' }), { then: { status: 503 } });
  const first = (await sink.received(1, 10_000))[0]!.ce.id!;
  await sink.received(6, 10_000);
  const { waitFor } = await import('../helpers/wait.js');
  await waitFor(() => pings.stats()[0]!.lost >= 1, 'the first tick to give up', { timeoutMs: 10_000 });
  t.is(byId(sink.requests).get(first), 6);
});

test('a bad schedule is reported, not thrown', async (t) => {
  const { pings } = await setup(t, ping('every', { schedule: '@every 1m' }));
  t.regex(pings.stats()[0]!.error!, /@every/);
});

for (const [schedule, want] of [
  [undefined, '* * * * *'],
  ['*/5 * * * *', '*/5 * * * *'],
  ['0 */5 * * * *', '0 */5 * * * *'],
  ['@hourly', '@hourly'],
  ['@midnight', '@daily'],
] as const) {
  test(`schedule ${schedule ?? '(absent)'} is accepted`, (t) => t.is(cronSchedule(schedule), want));
}
for (const schedule of ['@every 1m', '@reboot', '* * * *', '0 0 * * * * 2030', '']) {
  test(`schedule "${schedule}" is refused`, (t) => t.true(cronSchedule(schedule) instanceof Error));
}

for (const [status, retried] of [[undefined, true], [404, true], [413, true], [425, true], [429, true], [502, true], [503, true], [504, true], [500, false], [400, false], [501, false]] as const) {
  test(`ping send: ${status ?? 'no response'} is ${retried ? '' : 'not '}retried`, (t) => t.is(isRetriableSend(status), retried));
}

test('ping send backoff: 100, 200, 400, 800, 1600 ms', (t) => {
  t.deepEqual([1, 2, 3, 4, 5].map((k) => sendBackoffMs(k)), [100, 200, 400, 800, 1600]);
});

test('pingEvent: no datacontenttype when contentType is empty; overrides cannot replace type or source', (t) => {
  const ev = pingEvent(ping('p', { contentType: '', data: 'plain', ceOverrides: { extensions: { type: 'evil', team: 'a' } } }), { id: 'x', time: new Date('2025-01-01T00:00:00Z') });
  t.deepEqual(ev.attributes, {
    specversion: '1.0', id: 'x', type: 'dev.knative.sources.ping', source: '/apis/v1/namespaces/pingpong/pingsources/p', time: '2025-01-01T00:00:00.000Z', team: 'a',
  });
  t.is(ev.data.toString(), 'plain');
});

test('a bad time zone is reported naming the field; update() adds and removes sources', async (t) => {
  const { pings } = await setup(t, ping('tz', { schedule: '* * * * *', timezone: 'Mars/Olympus' }));
  t.regex(pings.stats()[0]!.error!, /timezone/);
  pings.update([ping('paris', { schedule: '0 9 * * *', timezone: 'Europe/Paris' })]);
  const [s] = pings.stats();
  t.like(s, { name: 'paris', schedule: '0 9 * * *' });
  t.is(s!.error, undefined);
  t.is(new Date(s!.next!).toLocaleString('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' }), '09:00');
  pings.update([]);
  t.deepEqual(pings.stats(), []);
});
