import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CloudEvent } from 'cloudevents';
import { ROOT } from '../../lib/process/function-command.js';
import { BALL_LANDED, BALL_THROWN, ballIdFor, hopEventId, type BallInFlight } from '../../lib/contract/index.js';
import { requestBallPrefix, type BallRecord, type HopRecord } from '../../lib/db/history-read.js';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { postEvent } from '../helpers/cloudevents.js';
import { freePort } from '../helpers/ports.js';

// `pingpong balls` and `pingpong ball ID` as real processes, over a history record-hop wrote on
// a real PostgreSQL, found through <data-dir>/reader-url as `pingpong up` leaves it.
const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [path.join(ROOT, 'bin/pingpong.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));

let db: TestPostgres;
let recordHop: RunningFunction;
let dataDir: string;
let emptyDir: string;

const REQUEST = { source: '/curl', id: 'my-first-balls' };
const mine = [0, 1, 2].map((i) => ballIdFor(REQUEST.source, REQUEST.id, i));
const other = ballIdFor('/curl', 'someone-else', 0);

const flight = (id: string, hop: number, path: string[], servedAt: string): BallInFlight =>
  ({ ball: { id, target: 'T', maxHops: 4, servedAt }, path, hop });
const thrown = (f: BallInFlight) => new CloudEvent<unknown>({
  type: BALL_THROWN, source: f.hop === 0 ? '/pingpong/ping' : '/pingpong/forward', id: hopEventId(f.ball.id, f.hop),
  data: f, datacontenttype: 'application/json', ballid: f.ball.id, hop: f.hop,
});
const landed = (f: BallInFlight) => new CloudEvent<unknown>({
  type: BALL_LANDED, source: '/pingpong/forward', id: hopEventId(f.ball.id, f.hop, 'landed'),
  data: f, datacontenttype: 'application/json', ballid: f.ball.id, hop: f.hop,
});

test.before(async () => {
  db = await startTestPostgres();
  recordHop = await startFunction('record-hop', { DATABASE_URL: db.writerUrl });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'pingpong-cli-balls-'));
  emptyDir = await mkdtemp(path.join(os.tmpdir(), 'pingpong-cli-balls-empty-'));
  await writeFile(path.join(dataDir, 'reader-url'), `${db.readerUrl}\n`, { mode: 0o600 });
  const t0 = '2026-01-01T00:00:00.000Z';
  const t1 = '2026-01-01T00:00:05.000Z';
  const events = [
    // Ball 0 bounced off w1 and landed; ball 1 landed at once; ball 2 is still in the air.
    thrown(flight(mine[0]!, 0, [], t0)), thrown(flight(mine[0]!, 1, ['w1'], t0)), landed(flight(mine[0]!, 1, ['w1', 'T'], t0)),
    thrown(flight(mine[1]!, 0, [], t0)), landed(flight(mine[1]!, 0, ['T'], t0)),
    thrown(flight(mine[2]!, 0, [], t0)), thrown(flight(mine[2]!, 1, ['w2'], t0)),
    // Another request's ball, served later.
    thrown(flight(other, 0, [], t1)),
  ];
  for (const e of events) {
    const res = await postEvent(recordHop.url, e);
    if (res.status !== 202) throw new Error(`record-hop answered ${res.status} to ${e.id}`);
  }
});
test.after.always(async () => {
  await recordHop?.stop();
  await db?.stop();
  for (const d of [dataDir, emptyDir]) if (d) await rm(d, { recursive: true, force: true });
});

test('balls lists the history as a table, oldest served first', async (t) => {
  const r = await cli(['balls', '--data-dir', dataDir]);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.regex(lines[0]!, /^BALL\s+STATUS\s+HOPS\s+SERVED\s+ENDED\s+TARGET\s+PATH$/);
  t.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), [...mine, other]);
  t.regex(lines[1]!, /landed\s+1\s+2026-01-01T00:00:00\.000Z\s+\S+Z\s+T\s+w1 → T$/);
  t.regex(lines[3]!, /served\s+1\s+2026-01-01T00:00:00\.000Z\s+-\s+T\s+w2$/);
});

test('balls --source --id lists exactly the balls of that request; --json is for scripts', async (t) => {
  const r = await cli(['balls', '--source', REQUEST.source, '--id', REQUEST.id, '--json', '--data-dir', dataDir]);
  t.is(r.code, 0, r.stderr);
  const balls = JSON.parse(r.stdout) as BallRecord[];
  t.deepEqual(balls.map((b) => b.id), mine);
  t.deepEqual(balls.map((b) => [b.status, b.hops, b.path]), [['landed', 1, ['w1', 'T']], ['landed', 0, ['T']], ['served', 1, ['w2']]]);
  for (const b of balls) t.true(b.id.startsWith(requestBallPrefix(REQUEST.source, REQUEST.id)));
  const none = await cli(['balls', '--source', '/curl', '--id', 'never-sent', '--data-dir', dataDir]);
  t.is(none.code, 0);
  t.regex(none.stdout, /no balls from request \/curl never-sent in the history yet/);
});

test('balls --last N shows the N most recently served; PINGPONG_DATA_DIR stands for --data-dir', async (t) => {
  const r = await cli(['balls', '--last', '2', '--json'], { PINGPONG_DATA_DIR: dataDir });
  t.is(r.code, 0, r.stderr);
  t.deepEqual((JSON.parse(r.stdout) as BallRecord[]).map((b) => b.id), [mine[2], other]);
});

test('ball ID prints its flight hop by hop: who threw, who caught, how it ended', async (t) => {
  const r = await cli(['ball', mine[0]!, '--data-dir', dataDir]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`^Ball:\\s+${mine[0]!.replace(/[.]/g, '\\.')}$`, 'm'));
  t.regex(r.stdout, /^Status:\s+landed on T at hop 1, /m);
  t.regex(r.stdout, /^Path:\s+w1 → T$/m);
  t.regex(r.stdout, /^HOP\s+THROWN BY\s+CAUGHT BY\s+AT$/m);
  t.regex(r.stdout, /^0\s+ping\s+w1\s+\S+Z$/m);
  t.regex(r.stdout, /^1\s+w1\s+T\s+\S+Z$/m);
  const air = await cli(['ball', mine[2]!, '--data-dir', dataDir]);
  t.regex(air.stdout, /^Status:\s+in the air: hop 1 thrown$/m);
  t.regex(air.stdout, /^1\s+w2\s+\(in the air\)/m);
  const json = JSON.parse((await cli(['ball', mine[1]!, '--json', '--data-dir', dataDir])).stdout) as { ball: BallRecord; hops: HopRecord[] };
  t.is(json.ball.landedBy, 'T');
  t.deepEqual(json.hops.map((h) => [h.hop, h.from, h.event]), [[0, null, { source: '/pingpong/ping', id: hopEventId(mine[1]!, 0) }]]);
});

for (const [name, args, env, subject, message] of [
  ['a data dir without a history', ['balls', '--data-dir', '@EMPTY'], {}, '--data-dir', /no history found in .* \(start one with: npm start\)/],
  ['PINGPONG_DATA_DIR without a history', ['ball', 'x'], { PINGPONG_DATA_DIR: '@EMPTY' }, '--data-dir', /no history found in /],
  ['a history whose database does not answer', ['balls', '--data-dir', '@DOWN'], {}, '--data-dir', /does not answer .*is npm start still running\?/],
  ['--last 0', ['balls', '--last', '0'], {}, '--last', /from 1 to 1000, got "0"/],
  ['--last that is not a number', ['balls', '--last', 'many'], {}, '--last', /got "many"/],
  ['--source without --id', ['balls', '--source', '/curl'], {}, '--id', /is needed with --source/],
  ['--id without --source', ['balls', '--id', 'x'], {}, '--source', /is needed with --id/],
  ['an empty --source', ['balls', '--source', '', '--id', 'x'], {}, '--source', /must not be empty/],
  ['an unknown flag', ['balls', '--verbose'], {}, 'balls', /verbose/],
  ['ball without an ID', ['ball'], {}, 'ball', /needs a ball ID/],
  ['ball with two IDs', ['ball', 'a', 'b'], {}, 'ball', /takes one ball ID, got 2/],
  ['a ball the history does not hold', ['ball', 'no-such-ball', '--data-dir', '@DATA'], {}, 'ball no-such-ball', /not in the history/],
] as const) {
  test(`refused, one line, exit 2: ${name}`, async (t) => {
    let down: string | undefined;
    if ((args as readonly string[]).includes('@DOWN')) {
      down = await mkdtemp(path.join(os.tmpdir(), 'pingpong-cli-balls-down-'));
      t.teardown(() => rm(down!, { recursive: true, force: true }));
      // A port nothing listens on: an instance whose PostgreSQL has stopped.
      await writeFile(path.join(down, 'reader-url'), `postgresql://pingpong_reader:x@127.0.0.1:${await freePort()}/pingpong\n`);
    }
    const swap = (v: string) => v.replace('@EMPTY', emptyDir).replace('@DATA', dataDir).replace('@DOWN', down ?? '');
    const r = await cli(args.map(swap), Object.fromEntries(Object.entries(env).map(([k, v]) => [k, swap(v)])));
    t.is(r.code, 2, r.stderr);
    t.true(r.stderr.startsWith(`pingpong: ${subject}: `), r.stderr);
    t.regex(r.stderr, message);
    t.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    t.is(r.stdout, '');
  });
}

test('help lists the ball commands', async (t) => {
  const r = await cli(['--help']);
  t.is(r.code, 0);
  for (const s of ['pingpong balls [--last N] [--source SOURCE --id ID]', 'pingpong ball ID']) t.true(r.stdout.includes(s), s);
});
