import test from 'ava';
import pg from 'pg';
import { Transient } from '../../lib/cloudevents/errors.js';
import { BALL_DROPPED, BALL_LANDED, BALL_THROWN, COIN_FLIPPED, hopEventId, type BallInFlight } from '../../lib/contract/index.js';
import { createPool } from '../../lib/db/pool.js';
import { planEvent } from '../../functions/record-hop/rows.js';
import { pgHistoryStore, type HistoryStore } from '../../functions/record-hop/store.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';

// The store itself on a real PostgreSQL, as record-hop's writer user: what one flight per ball
// means when events repeat, diverge, reorder and race.
let db: TestPostgres;
let store: HistoryStore;
let admin: pg.Pool;

test.before(async () => {
  db = await startTestPostgres();
  store = pgHistoryStore(createPool(db.writerUrl, { max: 12 }));
  admin = new pg.Pool({ connectionString: db.adminUrl, max: 2 });
  // An idle connection ended by PostgreSQL's shutdown at teardown is an 'error' event, not a failure.
  admin.on('error', () => undefined);
});
test.after.always(async () => {
  await store?.close();
  await admin?.end();
  await db?.stop();
});

const q = async (sql: string, params: unknown[] = []) => (await admin.query(sql, params)).rows;

/** The history of one ball: its row, its hops and its events, as the assertions compare them. */
const history = async (id: string) => ({
  ball: await q('SELECT target, max_hops, status, hops, path, landed_by, reason, ended_at IS NOT NULL AS ended FROM ball WHERE id = $1', [id]),
  hops: await q('SELECT hop, from_pod, path, event_id FROM hop WHERE ball_id = $1 ORDER BY hop', [id]),
  events: (await q("SELECT source, id FROM event WHERE data->'ball'->>'id' = $1 ORDER BY id, source", [id])).map((r) => `${r.source} ${r.id}`),
});

const SERVED = '2026-01-01T00:00:00.000Z';
const inFlight = (id: string, hop: number, path: string[], ball: Partial<BallInFlight['ball']> = {}): BallInFlight =>
  ({ ball: { id, target: 'T', maxHops: 3, servedAt: SERVED, ...ball }, path, hop });
// Events as ping and forward make them: ids from the ball and hop only, so two flights share them.
const thrown = (f: BallInFlight, source = f.hop === 0 ? '/pingpong/ping' : '/pingpong/forward') =>
  planEvent(BALL_THROWN, { source, id: hopEventId(f.ball.id, f.hop) }, f);
const landed = (f: BallInFlight) => planEvent(BALL_LANDED, { source: '/pingpong/forward', id: hopEventId(f.ball.id, f.hop, 'landed') }, f);
const dropped = (f: BallInFlight) =>
  planEvent(BALL_DROPPED, { source: '/pingpong/forward', id: hopEventId(f.ball.id, f.hop, 'dropped') }, { ...f, reason: 'max-hops' });

const outcomes = async (plans: ReturnType<typeof thrown>[]) => {
  const out: string[] = [];
  for (const p of plans) out.push((await store.record(p)).outcome);
  return out;
};

test('a duplicate (same source and id) changes no row, at any step', async (t) => {
  const id = 'dup';
  const steps = [thrown(inFlight(id, 0, [])), thrown(inFlight(id, 1, ['w1'])), landed(inFlight(id, 1, ['w1', 'T']))];
  t.deepEqual(await outcomes(steps), ['stored', 'stored', 'stored']);
  const once = await history(id);
  t.deepEqual(await outcomes([...steps, ...steps]), Array(6).fill('duplicate'));
  t.deepEqual(await history(id), once);
  t.deepEqual(once.ball, [{ target: 'T', max_hops: 3, status: 'landed', hops: 1, path: ['w1', 'T'], landed_by: 'T', reason: null, ended: true }]);
});

test('a divergent re-flight writes nothing, not even its events, and leaves their ids to the recorded flight', async (t) => {
  const id = 'fork';
  // Flight A: hop 0, w1 caught it and threw hop 1.
  t.deepEqual(await outcomes([thrown(inFlight(id, 0, [])), thrown(inFlight(id, 1, ['w1']))]), ['stored', 'stored']);
  // Hop 0 redelivered to the workers: w2 caught it too, and the re-flight B goes on (same ids).
  const b = [thrown(inFlight(id, 1, ['w2'])), thrown(inFlight(id, 2, ['w2', 'w3'])), landed(inFlight(id, 2, ['w2', 'w3', 'T']))];
  t.deepEqual(await outcomes(b), ['duplicate', 'ignored', 'ignored']);
  t.deepEqual((await history(id)).events, ['/pingpong/ping fork.0', '/pingpong/forward fork.1']);
  // A's own hop 2 and landing carry the ids B's were refused under: they are recorded.
  t.deepEqual(await outcomes([thrown(inFlight(id, 2, ['w1', 'w4'])), landed(inFlight(id, 2, ['w1', 'w4', 'T']))]), ['stored', 'stored']);
  const h = await history(id);
  t.deepEqual(h.ball, [{ target: 'T', max_hops: 3, status: 'landed', hops: 2, path: ['w1', 'w4', 'T'], landed_by: 'T', reason: null, ended: true }]);
  t.deepEqual(h.hops, [
    { hop: 0, from_pod: null, path: [], event_id: 'fork.0' },
    { hop: 1, from_pod: 'w1', path: ['w1'], event_id: 'fork.1' },
    { hop: 2, from_pod: 'w4', path: ['w1', 'w4'], event_id: 'fork.2' },
  ]);
});

test('a re-request that serves the same ball id elsewhere, later or with other maxHops is ignored', async (t) => {
  const id = 'again';
  t.deepEqual(await outcomes([thrown(inFlight(id, 0, []))]), ['stored']);
  const before = await history(id);
  const others = [
    thrown(inFlight(id, 1, ['w1'], { target: 'U' })),
    thrown(inFlight(id, 1, ['w1'], { servedAt: '2026-01-01T00:00:00.300Z' })),
    thrown(inFlight(id, 1, ['w1'], { maxHops: 9 })),
    landed(inFlight(id, 0, ['U'], { target: 'U' })),
  ];
  t.deepEqual(await outcomes(others), ['ignored', 'ignored', 'ignored', 'ignored']);
  t.deepEqual(await history(id), before);
});

test('nothing after an ending: no hop, no second ending', async (t) => {
  const id = 'ended';
  t.deepEqual(await outcomes([thrown(inFlight(id, 0, [])), landed(inFlight(id, 0, ['T']))]), ['stored', 'stored']);
  const before = await history(id);
  // The redelivered hop 0 was caught by w2, which threw it on, and it later dropped.
  const after = [thrown(inFlight(id, 1, ['w2'])), thrown(inFlight(id, 2, ['w2', 'w3'])), dropped(inFlight(id, 3, ['w2', 'w3', 'w4', 'w5']))];
  t.deepEqual(await outcomes(after), ['ignored', 'ignored', 'ignored']);
  t.deepEqual(await history(id), before);
});

test('a hop before its predecessor is refused as retryable, writes nothing, and is recorded once the path catches up', async (t) => {
  const id = 'early';
  const hop2 = thrown(inFlight(id, 2, ['w1', 'w2']));
  const end = dropped(inFlight(id, 3, ['w1', 'w2', 'w3', 'w4']));
  const hop3 = thrown(inFlight(id, 3, ['w1', 'w2', 'w3']));
  // Nothing of the ball is recorded yet: even its hop 0 is behind.
  await t.throwsAsync(store.record(hop2), { instanceOf: Transient, message: /hop 0 of ball early is not recorded yet/ });
  t.deepEqual(await outcomes([thrown(inFlight(id, 0, [])), thrown(inFlight(id, 1, ['w1']))]), ['stored', 'stored']);
  await t.throwsAsync(store.record(end), { instanceOf: Transient, message: /before hop 3/ });
  t.deepEqual((await history(id)).events, ['/pingpong/ping early.0', '/pingpong/forward early.1']);
  // The Broker's redeliveries, in whatever order they come back.
  await t.throwsAsync(store.record(hop3), { instanceOf: Transient });
  t.deepEqual(await outcomes([hop2, hop3, end]), ['stored', 'stored', 'stored']);
  const h = await history(id);
  t.deepEqual(h.ball, [{ target: 'T', max_hops: 3, status: 'dropped', hops: 3, path: ['w1', 'w2', 'w3', 'w4'], landed_by: null, reason: 'max-hops', ended: true }]);
  t.deepEqual(h.hops.map((r) => r.hop), [0, 1, 2, 3]);
});

test('a hop ahead whose path already left the recorded one is ignored at once, not retried', async (t) => {
  const id = 'ahead-off';
  t.deepEqual(await outcomes([thrown(inFlight(id, 0, [])), thrown(inFlight(id, 1, ['w1']))]), ['stored', 'stored']);
  t.deepEqual(await outcomes([thrown(inFlight(id, 3, ['w9', 'w2', 'w3']))]), ['ignored']);
});

test('concurrent conflicting hops: exactly one is recorded, whatever their ids', async (t) => {
  for (const [name, sameIds] of [['same ids', true], ['distinct ids', false]] as const) {
    const id = `race-${sameIds ? 'same' : 'distinct'}`;
    t.deepEqual(await outcomes([thrown(inFlight(id, 0, []))]), ['stored']);
    // Ten workers each caught hop 0 and threw hop 1 at the same moment.
    const hops = Array.from({ length: 10 }, (_, i) => thrown(inFlight(id, 1, [`w${i}`]), sameIds ? undefined : `/pingpong/forward-${i}`));
    const out = (await Promise.all(hops.map((p) => store.record(p)))).map((r) => r.outcome);
    t.is(out.filter((o) => o === 'stored').length, 1, `${name}: ${out.join(', ')}`);
    t.true(out.every((o) => o === 'stored' || o === (sameIds ? 'duplicate' : 'ignored')), `${name}: ${out.join(', ')}`);
    const h = await history(id);
    t.is(h.hops.length, 2);
    t.deepEqual(h.ball[0]!.path, h.hops[1]!.path, 'the ball is at the hop that won');
    t.is(h.events.length, 2);
  }
});

test('concurrent hop 0s of one ball id from different events: one starts the flight', async (t) => {
  const id = 'race-start';
  const starts = Array.from({ length: 6 }, (_, i) => thrown(inFlight(id, 0, [], { target: `T${i}` }), `/pingpong/ping-${i}`));
  const out = (await Promise.all(starts.map((p) => store.record(p)))).map((r) => r.outcome);
  t.deepEqual(out.filter((o) => o === 'stored').length, 1, out.join(', '));
  t.true(out.every((o) => o === 'stored' || o === 'ignored'));
  t.is((await history(id)).events.length, 1);
});

test('concurrent steps of one flight, all delivered at once and retried as the Broker would, record the whole flight once', async (t) => {
  const id = 'storm';
  const path = ['w1', 'w2', 'w3'];
  const plans = [
    thrown(inFlight(id, 0, [])),
    ...path.map((_, i) => thrown(inFlight(id, i + 1, path.slice(0, i + 1)))),
    dropped(inFlight(id, 3, [...path, 'w4'])),
  ];
  // Every event, twice, all at once; those that come early are retried until none is left.
  let pending = [...plans, ...plans];
  const seen: string[] = [];
  for (let round = 0; pending.length > 0 && round < 20; round++) {
    const results = await Promise.allSettled(pending.map((p) => store.record(p)));
    const next: typeof pending = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') seen.push(r.value.outcome);
      else if (r.reason instanceof Transient) next.push(pending[i]!);
      else throw r.reason;
    });
    pending = next;
  }
  t.is(pending.length, 0);
  t.is(seen.filter((o) => o === 'stored').length, plans.length);
  t.is(seen.filter((o) => o === 'duplicate').length, plans.length);
  const h = await history(id);
  t.deepEqual(h.hops.map((r) => r.hop), [0, 1, 2, 3]);
  t.is(h.ball[0]!.status, 'dropped');
});

test('an event that is not a ball step is stored once, as before', async (t) => {
  const p = planEvent(COIN_FLIPPED, { source: '/pingpong/coin-flip', id: 'flip-1' }, { heads_required: 2, total_flips: 7 });
  t.deepEqual(await outcomes([p, p]), ['stored', 'duplicate']);
  t.is((await q("SELECT count(*)::int AS n FROM coin_flip WHERE event_id = 'flip-1'"))[0]!.n, 1);
});

test('the feed numbers recordings in commit order: a reader resuming after N never meets a smaller one later', async (t) => {
  const { feedAfter } = await import('../../lib/db/feed.js');
  const reader = new pg.Pool({ connectionString: db.readerUrl, max: 1 });
  reader.on('error', () => undefined);
  try {
    const start = (await feedAfter(reader, 0, 100_000)).at(-1)?.seq ?? 0;
    let last = start;
    // Other tests of this file record at the same time: their entries must keep the order too.
    const seen: number[] = [];
    const mineSeen: string[] = [];
    let done = false;
    // A reader polling as a live stream would, while 60 recordings commit from 12 connections at once.
    const poll = (async () => {
      while (!done) {
        for (const e of await feedAfter(reader, last, 1000)) { seen.push(e.seq); if (e.id.startsWith('feed-')) mineSeen.push(e.id); last = e.seq; }
        await new Promise((r) => setImmediate(r));
      }
      for (const e of await feedAfter(reader, last, 1000)) { seen.push(e.seq); if (e.id.startsWith('feed-')) mineSeen.push(e.id); last = e.seq; }
    })();
    await Promise.all(Array.from({ length: 60 }, (_, i) => store.record(planEvent(COIN_FLIPPED, { source: '/pingpong/coin-flip', id: `feed-${i}` }, { heads_required: 2, total_flips: 3 }))));
    done = true;
    await poll;
    t.is(new Set(mineSeen).size, 60, 'every recording is in the feed');
    t.is(mineSeen.length, 60, 'once');
    t.deepEqual(seen, [...seen].sort((a, b) => a - b), 'in increasing order, with no late arrival below what was read');
    const mine = await q("SELECT count(*)::int AS n FROM feed WHERE source = '/pingpong/coin-flip' AND id LIKE 'feed-%'");
    t.is(mine[0].n, 60);
    const again = await store.record(planEvent(COIN_FLIPPED, { source: '/pingpong/coin-flip', id: 'feed-0' }, { heads_required: 2, total_flips: 3 }));
    t.is(again.outcome, 'duplicate');
    t.deepEqual((await feedAfter(reader, last, 1000)).filter((e) => e.id === 'feed-0'), [], 'a repeated event adds nothing to the feed');
  } finally {
    await reader.end();
  }
});

test('events that arrive together are written together (group commit): each once, and one the database refuses fails alone', async (t) => {
  const flip = (id: string, heads = 2) => planEvent(COIN_FLIPPED, { source: '/pingpong/coin-flip', id }, { heads_required: heads, total_flips: 9 });
  const ids = Array.from({ length: 300 }, (_, i) => `group-${i}`);
  const results = await Promise.allSettled([...ids.slice(0, 150).map((id) => store.record(flip(id))),
    // heads_required is an integer column: 2^40 is out of its range, an error about this event alone.
    store.record(flip('group-refused', 2 ** 40)), ...ids.slice(150).map((id) => store.record(flip(id)))]);
  const refused = results[150]!;
  t.is(refused.status, 'rejected');
  t.false((refused as PromiseRejectedResult).reason instanceof Transient, 'bad data is not retried');
  t.deepEqual(results.filter((r, i) => i !== 150).map((r) => (r.status === 'fulfilled' ? r.value.outcome : String(r.reason))), Array(300).fill('stored'));
  t.is((await q("SELECT count(*)::int AS n FROM coin_flip WHERE event_id LIKE 'group-%'"))[0]!.n, 300);
  t.is((await q("SELECT count(*)::int AS n FROM event WHERE id = 'group-refused'"))[0]!.n, 0, 'nothing of the refused event stays');
  // A transaction's rows share its now(): 300 events went in a handful of commits, not 300.
  const commits = (await q("SELECT count(DISTINCT at)::int AS n FROM feed WHERE id LIKE 'group-%'"))[0]!.n;
  t.true(commits <= 10, `${commits} transactions for 300 events`);
});

test('the same event twice in one batch is stored once: the first is stored, the second is its duplicate', async (t) => {
  const flip = planEvent(COIN_FLIPPED, { source: '/pingpong/coin-flip', id: 'twice-in-a-batch' }, { heads_required: 3, total_flips: 11 });
  const others = Array.from({ length: 20 }, (_, i) => store.record(planEvent(COIN_FLIPPED, { source: '/pingpong/coin-flip', id: `beside-${i}` }, { heads_required: 3, total_flips: 11 })));
  const outs = await Promise.all([...others, store.record(flip), store.record(flip)]);
  t.deepEqual(outs.slice(-2).map((o) => o.outcome), ['stored', 'duplicate']);
  t.is((await q("SELECT count(*)::int AS n FROM coin_flip WHERE event_id = 'twice-in-a-batch'"))[0]!.n, 1);
  t.is((await q("SELECT count(*)::int AS n FROM feed WHERE id = 'twice-in-a-batch'"))[0]!.n, 1);
});

test('a hop a moment ahead of its predecessor waits for it to be written, instead of a retry through the Broker', async (t) => {
  const id = 'a-moment-early';
  const early = store.record(thrown(inFlight(id, 1, ['w1'])));
  // Its predecessor arrives while it waits (forward answered before record-hop had written hop 0).
  const first = store.record(thrown(inFlight(id, 0, [])));
  t.deepEqual([(await first).outcome, (await early).outcome], ['stored', 'stored']);
  t.deepEqual((await history(id)).hops.map((h) => h.hop), [0, 1]);
});
