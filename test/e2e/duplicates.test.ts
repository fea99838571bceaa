import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { CloudEvent } from 'cloudevents';
import { historyReaderOf, type Instance, npmStart, stopInstance } from '../helpers/pingpong-up.js';
import { postEvent } from '../helpers/cloudevents.js';
import { waitFor } from '../helpers/wait.js';
import { ROOT } from '../../lib/process/function-command.js';
import { BALL_REQUESTED, BALL_THROWN, ballIdFor } from '../../lib/contract/index.js';
import type { RuntimeStatus } from '../../local/runtime/status-view.js';

// The same ball.requested through `npm start` three times: with a well-behaved Broker, with
// --broker-duplicate (every delivery made twice) and with --broker-reorder (deliveries held at
// random so they overtake each other). Delivery is at-least-once and unordered on a cluster too,
// so the history must not tell the runs apart: per ball one served row, one hop row per hop
// 0..n, one thrown event per hop, exactly one landing or drop, no dead letter. The flights
// themselves differ (the workers pick at random), so runs are compared by shape, ball by ball.

const COUNT = 6;
const MAX_HOPS = 3;
// One request, the same in every run: ping derives ball ids from it, so the runs share ball ids.
const request = new CloudEvent({
  type: BALL_REQUESTED, source: '/e2e/duplicates', id: 'same-request-every-run', datacontenttype: 'application/json',
  data: { count: COUNT, maxHops: MAX_HOPS },
});
const ids = Array.from({ length: COUNT }, (_, i) => ballIdFor(request.source, request.id, i));

/** What the history holds for one ball, in terms that do not depend on the flight it took. */
interface Shape {
  ballRows: number;
  ended: boolean;
  /** hop rows are exactly 0..n, n the ball's last hop. */
  hopRowsAreOneFlight: boolean;
  /** thrown events are exactly one per hop row. */
  thrownEventsMatchHops: boolean;
  endings: number;
  deadLetters: number;
  /** event + ball + hop rows beyond what one flight of n hops writes (1 ball, n+1 hops, n+2 events). */
  extraRows: number;
}

interface Run { shapes: Record<string, Shape>; duplicates: number; deliveries: number; ms: number }
const runs: Record<string, Run> = {};

async function status(pp: Instance): Promise<RuntimeStatus> {
  const info = JSON.parse(await readFile(path.join(pp.dataDir, 'runtime.json'), 'utf8'));
  return (await fetch(`${info.controlUrl}/status`)).json() as Promise<RuntimeStatus>;
}

async function shapeOf(db: pg.Client, id: string): Promise<Shape> {
  const balls = (await db.query('SELECT status, hops FROM ball WHERE id = $1', [id])).rows;
  const hops = (await db.query('SELECT hop FROM hop WHERE ball_id = $1 ORDER BY hop', [id])).rows.map((r) => r.hop as number);
  const events = (await db.query("SELECT type, (data->>'hop')::int AS hop FROM event WHERE data->'ball'->>'id' = $1 ORDER BY 2, 1", [id])).rows;
  const dead = (await db.query("SELECT count(*)::int AS n FROM dead_letter WHERE data->'ball'->>'id' = $1", [id])).rows[0].n as number;
  const n = balls[0]?.hops as number;
  const thrown = events.filter((e) => e.type === BALL_THROWN).map((e) => e.hop as number);
  return {
    ballRows: balls.length,
    ended: balls[0]?.status === 'landed' || balls[0]?.status === 'dropped',
    hopRowsAreOneFlight: JSON.stringify(hops) === JSON.stringify(Array.from({ length: n + 1 }, (_, i) => i)),
    thrownEventsMatchHops: JSON.stringify(thrown) === JSON.stringify(hops),
    endings: events.length - thrown.length,
    deadLetters: dead,
    extraRows: balls.length + hops.length + events.length - (1 + (n + 1) + (n + 2)),
  };
}

/** One `npm start` with `flags`, the request sent once, the history of its balls once they all ended. */
async function play(flags: string[]): Promise<Run> {
  const started = Date.now();
  let pp: Instance | undefined;
  let db: pg.Client | undefined;
  try {
    pp = await npmStart(['-f', path.join(ROOT, 'test/fixtures/manifests/serve-balls-quiet.yaml'), ...flags]);
    db = await historyReaderOf(pp);
    const instance = pp;
    const reader = db;
    await waitFor(async () => (await status(instance)).pods.filter((p) => p.service === 'forward' && p.ready && !p.terminating).length >= 2,
      'two ready forward pods', { timeoutMs: 60_000, intervalMs: 250 });
    const sent = await postEvent(`http://127.0.0.1:${pp.broker}/pingpong/default`, request);
    if (sent.status !== 202) throw new Error(`the Broker answered ${sent.status}`);
    let last: RuntimeStatus | undefined;
    await waitFor(async () => {
      const { rows } = await reader.query<{ n: number }>("SELECT count(*)::int AS n FROM ball WHERE id = ANY($1) AND status <> 'served'", [ids]);
      last = await status(instance);
      return rows[0]!.n === COUNT && last.broker.triggers.every((t) => t.pending === 0 && t.inFlight === 0);
    }, `all ${COUNT} balls to end and the Broker to be idle`, { timeoutMs: 60_000, intervalMs: 250 });
    const shapes: Record<string, Shape> = {};
    for (const id of ids) shapes[id] = await shapeOf(reader, id);
    const triggers = last!.broker.triggers;
    return {
      shapes,
      duplicates: triggers.reduce((n, t) => n + ((t as { duplicates?: number }).duplicates ?? 0), 0),
      deliveries: triggers.reduce((n, t) => n + t.delivered + t.failed, 0),
      ms: Date.now() - started,
    };
  } finally {
    await stopInstance(pp, db);
  }
}

const oneFlight: Shape = { ballRows: 1, ended: true, hopRowsAreOneFlight: true, thrownEventsMatchHops: true, endings: 1, deadLetters: 0, extraRows: 0 };

test.serial('a normal run: each ball served once, one hop row per hop, one ending', async (t) => {
  const run = runs.normal = await play([]);
  t.log(`normal: ${run.deliveries} deliveries, ${run.ms} ms`);
  for (const id of ids) t.deepEqual(run.shapes[id], oneFlight, `ball ${id}`);
  t.is(run.duplicates, 0);
});

test.serial('--broker-duplicate delivers everything twice, and the history is the same as the normal run', async (t) => {
  const run = runs.duplicate = await play(['--broker-duplicate']);
  t.log(`duplicate: ${run.duplicates} duplicate deliveries injected, ${run.deliveries} deliveries, ${run.ms} ms; ` +
    `history rows beyond one flight per ball: ${Object.values(run.shapes).reduce((n, s) => n + s.extraRows, 0)}`);
  t.true(run.duplicates >= COUNT * 2, 'duplicates were injected (every ball delivery, at least)');
  t.deepEqual(run.shapes, runs.normal?.shapes ? mapShapes(runs.normal.shapes) : mapShapes(run.shapes, oneFlight));
  for (const id of ids) t.deepEqual(run.shapes[id], oneFlight, `ball ${id}`);
});

test.serial('--broker-reorder delivers out of order, and the history is the same as the normal run', async (t) => {
  const run = runs.reorder = await play(['--broker-reorder']);
  t.log(`reorder: ${run.deliveries} deliveries, ${run.ms} ms; history rows beyond one flight per ball: ${Object.values(run.shapes).reduce((n, s) => n + s.extraRows, 0)}`);
  t.deepEqual(run.shapes, runs.normal?.shapes ? mapShapes(runs.normal.shapes) : mapShapes(run.shapes, oneFlight));
  for (const id of ids) t.deepEqual(run.shapes[id], oneFlight, `ball ${id}`);
});

/** The normal run's shapes (or, when it did not run, one flight per ball) by ball id. */
function mapShapes(shapes: Record<string, Shape>, each?: Shape): Record<string, Shape> {
  return Object.fromEntries(Object.entries(shapes).map(([id, s]) => [id, each ?? s]));
}
