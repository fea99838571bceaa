/**
 * PostgreSQL goes away while balls are in the air: stopped for 15 s (a server DATABASE_URL names,
 * which the runtime cannot restart), frozen for 15 s (SIGSTOP), and killed (SIGKILL, which the
 * runtime answers by starting it again). Meanwhile record-hop's readiness follows its database,
 * the Broker retries, and afterwards every ball is in the history — landed, dropped or
 * dead-lettered — with none lost and none recorded twice.
 */
import test, { type ExecutionContext } from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { ROOT } from '../../lib/process/function-command.js';
import { historyPool, livePods, pitch, runtimeStatus, settle, type Reckoning } from '../helpers/balls-in-flight.js';
import { type Instance, npmStart, stopInstance } from '../helpers/pingpong-up.js';
import { startTestPostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

const OUTAGE_MS = 15_000;
const QUIET = ['-f', path.join(ROOT, 'test/fixtures/manifests/serve-balls-quiet.yaml')];

const recordHopReady = async (pp: Instance) => {
  const pods = livePods(await runtimeStatus(pp), 'record-hop');
  return { any: pods.some((p) => p.ready), all: pods.length > 0 && pods.every((p) => p.ready) };
};

const workersReady = (pp: Instance) => waitFor(async () => livePods(await runtimeStatus(pp), 'forward').filter((p) => p.ready).length >= 2,
  'two ready forward pods', { timeoutMs: 60_000, intervalMs: 250 });

function judge(t: ExecutionContext, what: string, r: Reckoning, balls: number) {
  t.log(`${what}: ${balls} balls: ${r.landed} landed, ${r.dropped} dropped, ${r.deadLettered} dead-lettered, ${r.lost.length} lost, ${r.doubled.length} doubled`);
  t.deepEqual(r.lost, [], `${what}: every ball is in the history`);
  t.deepEqual(r.doubled, [], `${what}: no ball recorded twice`);
  t.is(r.landed + r.dropped + r.deadLettered, balls);
}

/**
 * Balls in the air before, during and after `outage` (which returns once the database is back),
 * then the reckoning; record-hop must be seen not ready while the database is away if `unready`.
 */
async function playThrough(t: ExecutionContext, pp: Instance, db: pg.Pool, tag: string,
  outage: (seenUnready: () => Promise<void>) => Promise<void>) {
  await workersReady(pp);
  const pitcher = pitch(pp, tag);
  try {
    await waitFor(() => pitcher.balls.length >= 6, 'a few balls in the air');
    await outage(async () => {
      await waitFor(async () => !(await recordHopReady(pp)).any, 'record-hop not ready while its database is away',
        { timeoutMs: 10_000, intervalMs: 200 });
    });
    await waitFor(async () => (await recordHopReady(pp)).all, 'record-hop ready again', { timeoutMs: 20_000, intervalMs: 200 });
    // Play on a little with the database back, so balls thrown across the outage mix with new ones.
    const more = pitcher.balls.length + 4;
    await waitFor(() => pitcher.balls.length >= more, 'a few more balls');
  } finally {
    await pitcher.stop();
  }
  return { pitcher, reckoning: await settle(pp, db, pitcher, tag, 60_000) };
}

test.serial('stopped for 15 s (DATABASE_URL\'s server): record-hop not ready meanwhile, then every ball accounted for', async (t) => {
  t.timeout(150_000);
  const server = await startTestPostgres();
  let pp: Instance | undefined;
  let db: pg.Pool | undefined;
  try {
    pp = await npmStart(QUIET, { DATABASE_URL: server.adminUrl });
    db = await historyPool(pp);
    const { pitcher, reckoning } = await playThrough(t, pp, db, `stop-${Date.now()}`, async (seenUnready) => {
      const down = Date.now();
      await server.stopServer();
      try {
        await seenUnready();
        await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - down)))); // the outage's own length
      } finally {
        await server.startServer();
      }
      t.log(`PostgreSQL was down ${((Date.now() - down) / 1000).toFixed(1)} s`);
    });
    judge(t, 'stopped 15 s', reckoning, pitcher.balls.length);
  } finally {
    await db?.end().catch(() => undefined);
    await stopInstance(pp);
    await server.stop();
  }
});

// The embedded server, shared by the freeze and the kill.
let pp: Instance | undefined;
let db: pg.Pool | undefined;
test.after.always(async () => {
  await db?.end().catch(() => undefined);
  await stopInstance(pp);
});

/** The embedded server's postmaster, from its lock file (pgdata may be a symlink when run as root). */
const postmaster = async (p: Instance) => Number((await readFile(path.join(p.dataDir, 'postgres', 'pgdata', 'postmaster.pid'), 'utf8')).split('\n')[0]);

/** The postmaster and its children (backends, checkpointer, WAL writer…). */
async function serverProcesses(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after its ')'.
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
  }
  return [pid, ...children];
}

test.serial('frozen for 15 s (SIGSTOP, then SIGCONT): record-hop not ready meanwhile, then every ball accounted for', async (t) => {
  t.timeout(150_000);
  pp = await npmStart(QUIET);
  db = await historyPool(pp);
  const instance = pp;
  const { pitcher, reckoning } = await playThrough(t, instance, db, `freeze-${Date.now()}`, async (seenUnready) => {
    // The whole server, backends included: frozen alone, the postmaster would only stop new
    // connections while the open ones kept working. Each backend runs in a session of its own,
    // so they are found by parent, not by process group.
    const procs = await serverProcesses(await postmaster(instance));
    const signal = (sig: NodeJS.Signals) => { for (const pid of procs) try { process.kill(pid, sig); } catch { /* gone */ } };
    const frozen = Date.now();
    signal('SIGSTOP');
    try {
      await seenUnready();
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - frozen)))); // the outage's own length
    } finally {
      signal('SIGCONT');
    }
    t.log(`PostgreSQL was frozen ${((Date.now() - frozen) / 1000).toFixed(1)} s`);
  });
  judge(t, 'frozen 15 s', reckoning, pitcher.balls.length);
});

test.serial('killed (SIGKILL): the runtime starts PostgreSQL again on its port, and every ball is accounted for', async (t) => {
  t.timeout(120_000);
  if (!pp || !db) return t.fail('the embedded instance did not start');
  const instance = pp;
  let restartedIn = 0;
  const { pitcher, reckoning } = await playThrough(t, instance, db, `kill-${Date.now()}`, async () => {
    const before = await postmaster(instance);
    const killed = Date.now();
    process.kill(before, 'SIGKILL');
    await waitFor(async () => {
      const now = await postmaster(instance).catch(() => before);
      return now !== before && (await db!.query('SELECT 1')).rowCount === 1;
    }, 'PostgreSQL to be started again', { timeoutMs: 30_000, intervalMs: 100 });
    restartedIn = Date.now() - killed;
  });
  t.log(`PostgreSQL answered again ${(restartedIn / 1000).toFixed(1)} s after SIGKILL`);
  t.regex(instance.output(), /PostgreSQL exited unexpectedly \(SIGKILL\); starting it again/);
  t.regex(instance.output(), /PostgreSQL restarted/);
  judge(t, 'killed', reckoning, pitcher.balls.length);
  // Dead letters are for what a restart cannot cure: none here.
  t.is(reckoning.deadLettered, 0);
});
