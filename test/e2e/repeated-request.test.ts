import test from 'ava';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { CloudEvent } from 'cloudevents';
import { historyReaderOf, type Instance, npmStart, stopInstance } from '../helpers/pingpong-up.js';
import { postEvent } from '../helpers/cloudevents.js';
import { waitFor } from '../helpers/wait.js';
import { ROOT } from '../../lib/process/function-command.js';
import { BALL_REQUESTED, BALL_THROWN, ballIdFor } from '../../lib/contract/index.js';
import type { BallRecord } from '../../lib/db/history-read.js';
import type { RuntimeStatus } from '../../local/runtime/status-view.js';

// The README's ball.requested, sent three times with the same ce-source and ce-id, 0.3 s apart,
// through `npm start`: ping serves the same ball ids each time (aimed anew, served later), and
// every copy flies through the workers. The history must show what one request would: one
// flight per ball. The shipped serve-balls tick is quieted so only these balls are in the air.
const run = promisify(execFile);
let pp: Instance;
let db: pg.Client;

const status = async (): Promise<RuntimeStatus> => {
  const info = JSON.parse(await readFile(path.join(pp.dataDir, 'runtime.json'), 'utf8'));
  return (await fetch(`${info.controlUrl}/status`)).json() as Promise<RuntimeStatus>;
};
/** No delivery waiting, running or backing off: every event sent so far has been handled. */
const brokerIdle = (s: RuntimeStatus) => s.broker.triggers.every((t) => t.pending === 0 && t.inFlight === 0);

test.before(async () => {
  pp = await npmStart(['-f', path.join(ROOT, 'test/fixtures/manifests/serve-balls-quiet.yaml')]);
  db = await historyReaderOf(pp);
});

test.after.always(() => stopInstance(pp, db));

const COUNT = 8;
const MAX_HOPS = 2;

test.serial('the same ball.requested sent three times leaves one flight per ball, as if sent once', async (t) => {
  await waitFor(async () => (await status()).pods.filter((p) => p.service === 'forward' && p.ready && !p.terminating).length >= 2,
    'two ready forward pods', { timeoutMs: 60_000, intervalMs: 250 });
  const request = new CloudEvent({
    type: BALL_REQUESTED, source: '/e2e', id: `thrice-${Date.now()}`, datacontenttype: 'application/json',
    // maxHops 2: with two workers, a ball drops unless its target catches one of its first 3 hops.
    data: { count: COUNT, maxHops: MAX_HOPS },
  });
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 300)); // the scenario's own spacing
    t.is((await postEvent(`http://127.0.0.1:${pp.broker}/pingpong/default`, request)).status, 202, `send ${i + 1}`);
  }
  const ids = Array.from({ length: COUNT }, (_, i) => ballIdFor(request.source, request.id, i));
  await waitFor(async () => {
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM ball WHERE id = ANY($1) AND status <> 'served'", [ids]);
    return rows[0]!.n === COUNT && brokerIdle(await status());
  }, `all ${COUNT} balls to end and the Broker to be idle`, { timeoutMs: 90_000, intervalMs: 250 });

  t.is((await db.query('SELECT count(*)::int AS n FROM ball WHERE id = ANY($1)', [ids])).rows[0].n, COUNT, 'one ball row per ball');
  for (const id of ids) {
    const b = (await db.query('SELECT target, max_hops, status, hops, path, landed_by, reason FROM ball WHERE id = $1', [id])).rows[0];
    const hops = (await db.query('SELECT hop, from_pod, target, path FROM hop WHERE ball_id = $1 ORDER BY hop', [id])).rows;
    const events = (await db.query("SELECT type, (data->>'hop')::int AS hop, data FROM event WHERE data->'ball'->>'id' = $1 ORDER BY 2, 1", [id])).rows;
    const what = `ball ${id}: ${b.status} at hop ${b.hops}, path ${b.path.join(' > ')}`;
    t.is(b.max_hops, MAX_HOPS, what);
    // Hops 0..n, each thrown with the path so far by the last pod on it.
    t.deepEqual(hops.map((h) => h.hop), Array.from({ length: b.hops + 1 }, (_, i) => i), what);
    for (const h of hops) {
      t.deepEqual(h.path, b.path.slice(0, h.hop), `${what}: hop ${h.hop}'s path`);
      t.is(h.from_pod, h.hop === 0 ? null : b.path[h.hop - 1], `${what}: hop ${h.hop}'s thrower`);
      t.is(h.target, b.target, what);
    }
    // Exactly one ending, consistent with the path and the rules, and nothing after it.
    t.is(b.path.length, b.hops + 1, what);
    if (b.status === 'landed') {
      t.is(b.landed_by, b.target, what);
      t.is(b.path.at(-1), b.target, what);
    } else {
      t.is(b.status, 'dropped', what);
      t.deepEqual([b.hops, b.reason], [MAX_HOPS, 'max-hops'], what);
    }
    t.false(b.path.slice(0, -1).includes(b.target), `${what}: its target caught it only at the end`);
    const throws = events.filter((e) => e.type === BALL_THROWN);
    const endings = events.filter((e) => e.type !== BALL_THROWN);
    t.deepEqual(throws.map((e) => e.hop), hops.map((h) => h.hop), `${what}: one thrown event per hop`);
    for (const e of throws) t.deepEqual(e.data.path, b.path.slice(0, e.hop), `${what}: thrown ${e.hop} is of this flight`);
    t.is(endings.length, 1, `${what}: one ending`);
    t.deepEqual([endings[0]!.hop, endings[0]!.data.path], [b.hops, b.path], `${what}: the ending closes the last hop`);
    // Every event of the flight is of one serving of the ball: the one hop 0 recorded.
    for (const e of events) t.deepEqual(e.data.ball, throws[0]!.data.ball, `${what}: ${e.type} ${e.hop} is of the recorded serving`);
  }
  // Nothing was lost on the way to the history either: no event of these balls was dead-lettered.
  t.is((await db.query("SELECT count(*)::int AS n FROM dead_letter WHERE data->'ball'->>'id' = ANY($1)", [ids])).rows[0].n, 0);
  // The copies did fly, and record-hop said why it kept them out.
  t.regex(pp.output(), /record-hop-[^"\]\s]+.*ignored: /, 'record-hop logged the re-flights it ignored');

  // The balls of that request, found from its ce-source and ce-id, as a user would.
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'bin/pingpong.js'), 'balls', '--source', request.source, '--id', request.id,
    '--json', '--data-dir', pp.dataDir]);
  const listed = JSON.parse(stdout) as BallRecord[];
  t.deepEqual(listed.map((b) => b.id), ids);
  t.true(listed.every((b) => b.status !== 'served'));
  const one = await run(process.execPath, [path.join(ROOT, 'bin/pingpong.js'), 'ball', ids[0]!, '--data-dir', pp.dataDir]);
  t.regex(one.stdout, /^Status:\s+(landed on|dropped by) /m);
  t.is(one.stdout.split('\n').filter((l) => /^\d+\s/.test(l)).length, listed[0]!.hops + 1, 'one line per hop');
});
