/**
 * History writes: events per second record-hop stores on the embedded PostgreSQL, as a user's
 * events reach it (binary CloudEvents over HTTP to the real function process, each a new row),
 * beside what `pg` alone does on the same database in the same run: single-row INSERTs from a
 * pool of the same size. Runs are interleaved (pg, coin.flipped, ball.thrown, pg, …) so a
 * machine that slows down part-way slows every figure alike.
 */
import { randomBytes } from 'node:crypto';
import { HTTP, type CloudEvent } from 'cloudevents';
import { ballThrown, coinFlipped, type BallInFlight } from '../lib/contract/index.js';
import { createPool } from '../lib/db/pool.js';
import { WRITER_USER } from '../lib/db/users.js';
import { compiledFunctions } from '../lib/process/compiled-functions.js';
import { ROOT } from '../lib/process/function-command.js';
import { startFunction } from '../test/helpers/function-process.js';
import { startTestPostgres } from '../test/helpers/postgres.js';
import { num, ratio, repeat, sampleOf, show, times, type Benchmark, type Row } from './measure.js';

/** In flight at once: HTTP requests to record-hop, and connections of both pools. */
const CONCURRENCY = 8;
const SECONDS = 4;
const RUNS = 3;
/** A ball's flight in the bench: hops 0…MAX_HOPS-1 thrown, then the next ball. */
const MAX_HOPS = 10;
const TARGET = 'forward-00001-deployment-zzzzz';
const WORKERS = ['aaaaa', 'bbbbb', 'ccccc', 'ddddd'].map((s) => `forward-00001-deployment-${s}`);

/**
 * Runs CONCURRENCY loops of `once` until `seconds` are up, each waiting for its last call: when
 * it resolves everything started has finished, so the rows counted afterwards are all there.
 */
async function loops(seconds: number, once: (loop: number) => Promise<void>): Promise<{ ops: number; elapsedS: number }> {
  const started = performance.now();
  const until = started + seconds * 1000;
  let ops = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, loop) => {
    while (performance.now() < until) {
      await once(loop);
      ops++;
    }
  }));
  return { ops, elapsedS: (performance.now() - started) / 1000 };
}

// Ids unique across runs and across repeated bench runs on one database.
const tag = randomBytes(4).toString('hex');
let serial = 0;

/** Each loop's ball: hops of one ball go in order, as a flight does, one loop per ball. */
function ballFlights(): (loop: number) => CloudEvent<unknown> {
  const flying: Array<BallInFlight | undefined> = [];
  return (loop) => {
    const prev = flying[loop];
    const next: BallInFlight = prev && prev.hop + 1 < MAX_HOPS
      ? { ball: prev.ball, hop: prev.hop + 1, path: [...prev.path, WORKERS[prev.hop % WORKERS.length]!] }
      : { ball: { id: `bench-${tag}-${serial++}`, target: TARGET, maxHops: MAX_HOPS, servedAt: new Date().toISOString() }, hop: 0, path: [] };
    flying[loop] = next;
    return ballThrown(next.hop === 0 ? 'ping' : 'forward', next) as CloudEvent<unknown>;
  };
}

const flips = (): (() => CloudEvent<unknown>) => () =>
  coinFlipped({ source: '/bench', id: `${tag}-${serial++}` }, { heads_required: 8, total_flips: 512 }) as CloudEvent<unknown>;

export const historyWriteBenchmarks: Benchmark[] = [{
  name: 'history writes: record-hop vs pg alone',
  async run(progress) {
    const db = await startTestPostgres();
    // createPool, as record-hop's own: the same options, and an error listener, without which a
    // connection the stopping server ends after pool.end() has resolved would crash the process.
    const admin = createPool(db.adminUrl, { max: 1 });
    let ref: ReturnType<typeof createPool> | undefined;
    let fn: Awaited<ReturnType<typeof startFunction>> | undefined;
    try {
      // The reference's scratch table, writable by the same user record-hop writes as.
      await admin.query('CREATE TABLE bench_insert (id text PRIMARY KEY, data jsonb)');
      await admin.query(`GRANT INSERT ON bench_insert TO ${WRITER_USER}`);
      ref = createPool(db.writerUrl, { max: CONCURRENCY, applicationName: 'bench' });
      // The function's pool as large as the reference's: the figure is what each event costs, not a queue for connections.
      // The JavaScript the runtime's pods run, not the sources through tsx.
      fn = await startFunction('record-hop', { DATABASE_URL: db.writerUrl, DB_POOL_MAX: String(CONCURRENCY) }, await compiledFunctions(ROOT));
      const url = fn.url;
      const count = async (table: string) => Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);

      const inserts = async (seconds: number) => {
        const data = JSON.stringify({ heads_required: 8, total_flips: 512 });
        const { ops, elapsedS } = await loops(seconds, async () => {
          await ref!.query('INSERT INTO bench_insert (id, data) VALUES ($1, $2::jsonb)', [`${tag}-${serial++}`, data]);
        });
        return ops / elapsedS;
      };
      // Events/s is rows written over the time taken: an answer other than 202 wrote nothing, so it does not count.
      const refused = { flip: 0, ball: 0 };
      const events = async (seconds: number, kind: 'flip' | 'ball') => {
        const next = kind === 'flip' ? flips() : ballFlights();
        const table = kind === 'flip' ? 'coin_flip' : 'hop';
        const before = await count(table);
        const { elapsedS } = await loops(seconds, async (loop) => {
          const msg = HTTP.binary(next(loop));
          const res = await fetch(url, { method: 'POST', headers: msg.headers as Record<string, string>, body: msg.body as string });
          await res.arrayBuffer();
          if (res.status !== 202) refused[kind]++;
        });
        return ((await count(table)) - before) / elapsedS;
      };

      const runs = { flip: [] as number[], ball: [] as number[] };
      // The reference's sample is repeat's own; the function's runs are kept beside it, round by
      // round. One short unrecorded round first: pools connected, JIT and PostgreSQL's caches warm.
      const base = await repeat(RUNS, 'inserts/s', async (i) => {
        const seconds = i < 0 ? 1 : SECONDS;
        const r = { pg: await inserts(seconds), flip: await events(seconds, 'flip'), ball: await events(seconds, 'ball') };
        if (i >= 0) for (const k of ['flip', 'ball'] as const) runs[k].push(r[k]);
        progress(`  history writes ${i < 0 ? 'warm-up' : `run ${i + 1}/${RUNS}`}: pg ${num(r.pg)} inserts/s, coin.flipped ${num(r.flip)} events/s, ball.thrown ${num(r.ball)} events/s`);
        return r.pg;
      }, 1);

      const reference = `${show(base)}: single-row INSERTs, \`pg\` alone`;
      const setup = `${CONCURRENCY} concurrent, ${SECONDS} s a run, interleaved with the reference; record-hop as a process, as a pod runs it (compiled, DB_POOL_MAX=${CONCURRENCY}), events as binary CloudEvents over HTTP, events/s = rows written / time`;
      const row = (what: string, kind: 'flip' | 'ball', perEvent: string): Row => {
        const s = sampleOf(runs[kind], 'events/s');
        const r = ratio(s, base);
        return {
          figure: `history writes: record-hop events/s on embedded PostgreSQL (${what})`,
          measured: show(s), reference, versus: `${times(r)} pg alone`, goal: '≥ 0.7×', met: r >= 0.7,
          note: `${setup}. Per event record-hop runs ${perEvent} (functions/record-hop/store.ts)` +
            `${refused[kind] ? `; ${refused[kind]} answers were not 202 and wrote nothing` : ''}.`,
        };
      };
      return [
        row('coin.flipped', 'flip',
          'one transaction of 7 statements: BEGIN, INSERT event, INSERT coin_flip, pg_advisory_xact_lock (one lock for all recordings), INSERT feed, pg_notify, COMMIT'),
        row(`ball.thrown, flights of ${MAX_HOPS} hops`, 'ball',
          'one transaction of 10 statements: BEGIN, SELECT ball FOR UPDATE, SELECT event, INSERT event, INSERT/UPDATE ball, INSERT hop, pg_advisory_xact_lock, INSERT feed, pg_notify, COMMIT'),
      ];
    } finally {
      await fn?.stop();
      await ref?.end();
      await admin.end();
      await db.stop();
    }
  },
}];
