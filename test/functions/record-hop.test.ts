import test from 'ava';
import pg from 'pg';
import { CloudEvent } from 'cloudevents';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { postEvent } from '../helpers/cloudevents.js';
import { waitFor } from '../helpers/wait.js';
import {
  APISERVER_ADD, APISERVER_DELETE, BALL_DROPPED, BALL_LANDED, BALL_REQUESTED, BALL_THROWN, COIN_FLIPPED,
  COIN_FLIP_REQUESTED, PEER_PONGED, PODS_LISTED, WORKERS_SCALED,
} from '../../lib/contract/index.js';
import { HISTORY_CHANNEL, decodeNotice, type HistoryNotice } from '../../lib/db/notify.js';

// Serial: the last test stops the database, which every other test needs.
let db: TestPostgres;
let fn: RunningFunction;
let admin: pg.Pool;

test.before(async () => {
  db = await startTestPostgres();
  fn = await startFunction('record-hop', { DATABASE_URL: db.writerUrl });
  admin = new pg.Pool({ connectionString: db.adminUrl, max: 2 });
  // An idle connection ended by PostgreSQL's shutdown at teardown is an 'error' event, not a failure.
  admin.on('error', () => undefined);
  admin.on('error', () => undefined); // the last test stops the server under idle connections
});
test.after.always(async () => {
  await fn?.stop();
  await admin?.end();
  await db?.stop();
});

const q = async <R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
  (await admin.query<R>(sql, params)).rows;
const count = async (sql: string, params: unknown[] = []) => Number((await q<{ n: string }>(sql, params))[0]!.n);

const ce = (type: string, source: string, id: string, data: unknown, ext: Record<string, unknown> = {}) =>
  new CloudEvent<unknown>({ type, source, id, data, datacontenttype: 'application/json', ...ext });
const flight = (ballId: string, hop: number, path: string[], target = 'w-target') => ({
  ball: { id: ballId, target, maxHops: 5, servedAt: '2026-01-01T00:00:00Z' }, path, hop,
});
const thrown = (ballId: string, hop: number, path: string[]) =>
  ce(BALL_THROWN, hop === 0 ? '/pingpong/ping' : '/pingpong/forward', `${ballId}.${hop}`, flight(ballId, hop, path), { ballid: ballId, hop });

for (const mode of ['binary', 'structured'] as const) {
  test.serial(`${mode}: an event delivered twice is stored once, and answered 202 both times`, async (t) => {
    const e = thrown(`twice-${mode}`, 0, []);
    t.is((await postEvent(fn.url, e, mode)).status, 202);
    t.is((await postEvent(fn.url, e, mode)).status, 202);
    t.is(await count('SELECT count(*) AS n FROM event WHERE source = $1 AND id = $2', [e.source, e.id]), 1);
    t.is(await count('SELECT count(*) AS n FROM hop WHERE ball_id = $1', [`twice-${mode}`]), 1);
    const [ball] = await q('SELECT status, hops FROM ball WHERE id = $1', [`twice-${mode}`]);
    t.deepEqual(ball, { status: 'served', hops: 0 });
  });
}

test.serial('a ball thrown at hops 0..2 then landed is one landed ball with its hops and path', async (t) => {
  const id = 'rally';
  for (const e of [thrown(id, 0, []), thrown(id, 1, ['w1']), thrown(id, 2, ['w1', 'w2'])]) {
    t.is((await postEvent(fn.url, e)).status, 202);
  }
  t.deepEqual(await q('SELECT status, hops, path FROM ball WHERE id = $1', [id]), [{ status: 'served', hops: 2, path: ['w1', 'w2'] }]);
  const landed = ce(BALL_LANDED, '/pingpong/forward', `${id}.2.landed`, flight(id, 2, ['w1', 'w2', 'w-target']), { ballid: id, hop: 2 });
  t.is((await postEvent(fn.url, landed, 'structured')).status, 202);
  t.deepEqual(await q('SELECT status, hops, path, landed_by, reason, ended_at IS NOT NULL AS ended FROM ball WHERE id = $1', [id]),
    [{ status: 'landed', hops: 2, path: ['w1', 'w2', 'w-target'], landed_by: 'w-target', reason: null, ended: true }]);
  t.deepEqual(await q('SELECT hop, from_pod FROM hop WHERE ball_id = $1 ORDER BY hop', [id]),
    [{ hop: 0, from_pod: null }, { hop: 1, from_pod: 'w1' }, { hop: 2, from_pod: 'w2' }]);
});

test.serial('a ball lands once: a later landed, dropped or thrown for it changes nothing', async (t) => {
  const id = 'rally';
  const before = await q('SELECT * FROM ball WHERE id = $1', [id]);
  const later = [
    ce(BALL_LANDED, '/pingpong/forward', `${id}.3.landed`, flight(id, 3, ['w1', 'w2', 'w9', 'w8']), { ballid: id }),
    ce(BALL_DROPPED, '/pingpong/forward', `${id}.5.dropped`, { ...flight(id, 5, ['w1']), reason: 'max-hops' }, { ballid: id }),
    thrown(id, 4, ['w1', 'w2', 'w3', 'w4']),
  ];
  for (const e of later) t.is((await postEvent(fn.url, e)).status, 202);
  t.deepEqual(await q('SELECT * FROM ball WHERE id = $1', [id]), before);
  // They are not part of the ball's one flight, so not even their events are stored.
  t.is(await count("SELECT count(*) AS n FROM event WHERE id LIKE 'rally.%'"), 4);
  await waitFor(() => /ignored: ball rally already landed at hop 2/.test(fn.output()), 'record-hop to log the ignored events');
});

test.serial('a dropped ball records its reason', async (t) => {
  const path = ['w1', 'w2', 'w3', 'w4', 'w5'];
  for (let hop = 0; hop <= 5; hop++) t.is((await postEvent(fn.url, thrown('dropper', hop, path.slice(0, hop)))).status, 202);
  const e = ce(BALL_DROPPED, '/pingpong/forward', 'dropper.5.dropped', { ...flight('dropper', 5, [...path, 'w6']), reason: 'max-hops' });
  t.is((await postEvent(fn.url, e)).status, 202);
  t.deepEqual(await q("SELECT status, reason, landed_by FROM ball WHERE id = 'dropper'"), [{ status: 'dropped', reason: 'max-hops', landed_by: null }]);
});

test.serial('a hop that comes before its predecessor is answered 503 (the Broker retries), then recorded', async (t) => {
  const hop2 = thrown('reordered', 2, ['w1', 'w2']);
  t.is((await postEvent(fn.url, thrown('reordered', 0, []))).status, 202);
  const early = await postEvent(fn.url, hop2);
  t.is(early.status, 503);
  t.regex(((await early.json()) as { error: string }).error, /hop 2 thrown before hop 1 of ball reordered is recorded/);
  t.is(await count("SELECT count(*) AS n FROM event WHERE id = 'reordered.2'"), 0);
  t.is((await postEvent(fn.url, thrown('reordered', 1, ['w1']))).status, 202);
  t.is((await postEvent(fn.url, hop2)).status, 202);
  t.deepEqual(await q("SELECT hop, path FROM hop WHERE ball_id = 'reordered' ORDER BY hop"),
    [{ hop: 0, path: [] }, { hop: 1, path: ['w1'] }, { hop: 2, path: ['w1', 'w2'] }]);
});

test.serial('a re-flight of a ball (same event ids, another course) is answered 202 and changes nothing', async (t) => {
  t.is((await postEvent(fn.url, thrown('forked', 0, []))).status, 202);
  t.is((await postEvent(fn.url, thrown('forked', 1, ['w1']))).status, 202);
  const before = await q("SELECT * FROM ball WHERE id = 'forked'");
  // The redelivered hop 0 was caught by w2 as well: its hop 2 follows a hop 1 the history does not hold.
  t.is((await postEvent(fn.url, thrown('forked', 2, ['w2', 'w3']))).status, 202);
  t.deepEqual(await q("SELECT * FROM ball WHERE id = 'forked'"), before);
  t.is(await count("SELECT count(*) AS n FROM event WHERE id = 'forked.2'"), 0);
  // The recorded flight's own hop 2, under the same id, is then recorded.
  t.is((await postEvent(fn.url, thrown('forked', 2, ['w1', 'w4']))).status, 202);
  t.deepEqual(await q("SELECT hops, path FROM ball WHERE id = 'forked'"), [{ hops: 2, path: ['w1', 'w4'] }]);
});

test.serial('scale changes, pod snapshots, pongs, coin flips and pod births and deaths are recorded', async (t) => {
  const pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'forward-00001-x', namespace: 'pingpong', labels: { 'serving.knative.dev/revision': 'forward-00001' } },
    spec: { containers: [{ name: 'user-container', ports: [{ containerPort: 8080 }] }] },
    status: { podIP: '127.0.0.1', phase: 'Running' },
  };
  const events = [
    ce(WORKERS_SCALED, '/pingpong/scale-workers', 's1', { service: 'forward', from: 1, to: 2, revision: 'forward-00002', reason: 'random' }),
    ce(PODS_LISTED, '/pingpong/list-pods', 'l1', { service: 'forward', cause: 'tick', pods: [{ name: 'p1', ip: '127.0.0.1', port: 9001, phase: 'Running', revision: 'r1' }] }),
    ce(PEER_PONGED, '/pingpong/forward', 'p1', { from: 'w1', to: 'w2', address: '127.0.0.1:9002', ms: 1.25, ok: true }),
    ce(COIN_FLIPPED, '/pingpong/coin-flip', 'c1', { heads_required: 50, total_flips: 2 ** 60 }),
    ce(APISERVER_ADD, 'https://127.0.0.1:6443', 'a1', pod),
    ce(APISERVER_DELETE, 'https://127.0.0.1:6443', 'a2', pod),
  ];
  for (const e of events) t.is((await postEvent(fn.url, e)).status, 202, e.type);
  t.deepEqual(await q('SELECT service, from_scale, to_scale, revision, reason FROM scale_change'),
    [{ service: 'forward', from_scale: 1, to_scale: 2, revision: 'forward-00002', reason: 'random' }]);
  t.deepEqual(await q('SELECT service, cause, pod_count, pods FROM pod_snapshot'),
    [{ service: 'forward', cause: 'tick', pod_count: 1, pods: [{ name: 'p1', ip: '127.0.0.1', port: 9001, phase: 'Running', revision: 'r1' }] }]);
  t.deepEqual(await q('SELECT from_pod, to_pod, address, ms, ok FROM pong'), [{ from_pod: 'w1', to_pod: 'w2', address: '127.0.0.1:9002', ms: 1.25, ok: true }]);
  t.deepEqual(await q('SELECT heads_required, total_flips FROM coin_flip'), [{ heads_required: 50, total_flips: String(2n ** 60n) }]);
  t.deepEqual(await q('SELECT kind, name, ip, port, phase, revision FROM pod_event ORDER BY kind'), [
    { kind: 'born', name: 'forward-00001-x', ip: '127.0.0.1', port: 8080, phase: 'Running', revision: 'forward-00001' },
    { kind: 'died', name: 'forward-00001-x', ip: '127.0.0.1', port: 8080, phase: 'Running', revision: 'forward-00001' },
  ]);
});

test.serial('dead letters of any type, even with data that would be rejected, are stored once', async (t) => {
  const errorBody = '{"error":"data.heads: expected number"}';
  const ext = {
    knativeerrordest: 'http://coin-flip.pingpong.svc.cluster.local', knativeerrorcode: '400',
    knativeerrordata: Buffer.from(errorBody).toString('base64'),
  };
  // A type record-hop does not otherwise handle, with data coin-flip refused.
  const flip = ce(COIN_FLIP_REQUESTED, '/test', 'flip-1', { heads: 'many' }, ext);
  const request = ce(BALL_REQUESTED, '/test', 'req-1', { count: 1 }, { ...ext, knativeerrordest: 'http://ping.pingpong.svc.cluster.local', knativeerrorcode: '503', knativeerrordata: '' });
  t.is((await postEvent(fn.url, flip, 'binary')).status, 202);
  t.is((await postEvent(fn.url, flip, 'binary')).status, 202);
  t.is((await postEvent(fn.url, request, 'structured')).status, 202);
  t.deepEqual(await q('SELECT type, source, id, dest, code, error_data, data FROM dead_letter ORDER BY id'), [
    { type: COIN_FLIP_REQUESTED, source: '/test', id: 'flip-1', dest: ext.knativeerrordest, code: 400, error_data: errorBody, data: { heads: 'many' } },
    { type: BALL_REQUESTED, source: '/test', id: 'req-1', dest: 'http://ping.pingpong.svc.cluster.local', code: 503, error_data: null, data: { count: 1 } },
  ]);
  // A history event that failed elsewhere is a dead letter too, even if it is also in `event`.
  const thrownElsewhere = thrown('rally', 1, ['w1']);
  t.is((await postEvent(fn.url, ce(thrownElsewhere.type, thrownElsewhere.source, thrownElsewhere.id, thrownElsewhere.data, { ...ext, knativeerrordest: 'http://forward' }))).status, 202);
  t.is(await count("SELECT count(*) AS n FROM dead_letter WHERE id = 'rally.1'"), 1);
});

test.serial('each write is notified on pingpong_history to LISTEN clients, after commit', async (t) => {
  const listener = new pg.Client({ connectionString: db.readerUrl });
  await listener.connect();
  const notices: HistoryNotice[] = [];
  listener.on('notification', (m) => {
    const n = decodeNotice(m.payload);
    if (m.channel === HISTORY_CHANNEL && n) notices.push(n);
  });
  try {
    await listener.query(`LISTEN ${HISTORY_CHANNEL}`);
    t.is((await postEvent(fn.url, thrown('notified', 0, []))).status, 202);
    const dead = ce(COIN_FLIP_REQUESTED, '/test', 'flip-notified', { heads: 1 }, { knativeerrorcode: '500' });
    t.is((await postEvent(fn.url, dead)).status, 202);
    await waitFor(() => notices.length >= 2, 'two notifications');
    t.deepEqual(notices.map(({ seq: _seq, ...n }) => n), [
      { table: 'hop', type: BALL_THROWN, source: '/pingpong/ping', id: 'notified.0', ballId: 'notified' },
      { table: 'dead_letter', type: COIN_FLIP_REQUESTED, source: '/test', id: 'flip-notified' },
    ]);
    t.true(notices[1]!.seq! > notices[0]!.seq!, 'each notice names its feed place, in commit order');
    // A redelivery writes nothing, so it notifies nothing.
    t.is((await postEvent(fn.url, thrown('notified', 0, []))).status, 202);
    t.is((await postEvent(fn.url, thrown('notified', 1, ['w1']))).status, 202);
    await waitFor(() => notices.length >= 3, 'the third notification');
    t.is(notices.length, 3);
    t.is(notices[2]!.id, 'notified.1');
  } finally {
    await listener.end();
  }
});

test.serial('malformed data is answered 400 naming the field, and nothing is stored', async (t) => {
  const bad = ce(BALL_THROWN, '/pingpong/forward', 'bad.1', { ...flight('bad', 1, ['w1']), ball: { ...flight('bad', 1, []).ball, maxHops: 'five' } });
  const res = await postEvent(fn.url, bad);
  t.is(res.status, 400);
  const body = await res.json() as { errors: Array<{ field: string }> };
  t.true(body.errors.some((e) => e.field === 'data.ball.maxHops'), JSON.stringify(body));
  t.is(await count("SELECT count(*) AS n FROM event WHERE id = 'bad.1'"), 0);
  // A type record-hop does not keep, without dead-letter extensions, is not history.
  const other = await postEvent(fn.url, ce(COIN_FLIP_REQUESTED, '/test', 'not-dead', { heads: 2 }));
  t.is(other.status, 400);
  t.true(((await other.json()) as { errors: Array<{ field: string }> }).errors.some((e) => e.field === 'type'));
});

test.serial('database down: 503 and nothing lost; back up: the redelivered events are all stored, once', async (t) => {
  const before = await count('SELECT count(*) AS n FROM event');
  const events = Array.from({ length: 5 }, (_, i) => thrown(`outage-${i}`, 0, []));
  const deadLetter = ce(BALL_REQUESTED, '/test', 'outage-dead', {}, { knativeerrorcode: '502' });
  await db.stopServer();
  try {
    for (const e of [...events, deadLetter]) {
      const res = await postEvent(fn.url, e);
      t.is(res.status, 503, `${e.id} while the database is down`);
    }
  } finally {
    await db.startServer();
  }
  // The Broker retries; the first retry may still meet a connection that died with the server.
  await waitFor(async () => (await postEvent(fn.url, events[0]!)).status === 202, 'record-hop to store again', { timeoutMs: 30_000, intervalMs: 200 });
  for (const e of [...events, deadLetter]) t.is((await postEvent(fn.url, e)).status, 202, e.id);
  for (const e of [...events, deadLetter]) t.is((await postEvent(fn.url, e)).status, 202, `${e.id} again`);
  t.is(await count('SELECT count(*) AS n FROM event') - before, events.length);
  t.is(await count("SELECT count(*) AS n FROM ball WHERE id LIKE 'outage-%'"), events.length);
  t.is(await count("SELECT count(*) AS n FROM hop WHERE ball_id LIKE 'outage-%'"), events.length);
  t.is(await count("SELECT count(*) AS n FROM dead_letter WHERE id = 'outage-dead'"), 1);
});
