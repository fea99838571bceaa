import type pg from 'pg';
import { Transient } from '../../lib/cloudevents/errors.js';
import { isTransientDbError } from '../../lib/db/errors.js';
import { HISTORY_CHANNEL, encodeNotice } from '../../lib/db/notify.js';
import { judge, tipBefore, type Step } from './flight.js';
import type { Plan } from './rows.js';
import { BALL, keyQuery, LOCK_BALL, multiRow, recordedFlight, run, WRITE, write, type Query, type TipRow } from './statements.js';

/** What became of one event. */
export type Recorded =
  /** Written, and notified. */
  | { outcome: 'stored' }
  /** Its key was already stored: a redelivery; nothing written. */
  | { outcome: 'duplicate' }
  /** A ball event the recorded flight contradicts (another flight of the ball): nothing written. */
  | { outcome: 'ignored'; reason: string };

/** The history behind a small port: record-hop's handler sees only this. */
export interface HistoryStore {
  /**
   * Stores one event's plan. A ball event that comes before its predecessor is recorded throws
   * `Transient` (503): the Broker redelivers it, and it is stored once the flight catches up.
   */
  record(plan: Plan): Promise<Recorded>;
  close(): Promise<void>;
}

/** Any fixed key: the one lock every recording takes last, so feed numbers follow commit order. */
const FEED_LOCK = 0x70696e67;

/**
 * The stored recordings' feed rows, then their NOTIFYs (which PostgreSQL delivers on commit). The
 * advisory lock is held until commit, so no later-numbered recording can commit first (db/
 * migrations/003_feed.sql); it is taken last, after the balls' row locks, so it never waits
 * inside a cycle. One lock and one commit for a whole batch: that is what group commit saves.
 */
async function feed(client: pg.PoolClient, plans: readonly Plan[]): Promise<void> {
  if (plans.length === 0) return;
  await client.query('SELECT pg_advisory_xact_lock($1)', [FEED_LOCK]);
  const col = (f: (p: Plan) => string | null) => plans.map(f);
  // One statement for every feed row, numbered in the batch's order; one for every NOTIFY.
  const { rows } = await client.query<{ seq: string }>(
    `INSERT INTO feed (tbl, type, source, id, ball_id, dest)
       SELECT tbl, type, source, id, ball_id, dest
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY
              AS r(tbl, type, source, id, ball_id, dest, n)
        ORDER BY n
     RETURNING seq`,
    [col((p) => p.notice.table), col((p) => p.notice.type), col((p) => p.notice.source), col((p) => p.notice.id),
      col((p) => p.notice.ballId ?? null), col((p) => (p.key.table === 'dead_letter' ? p.key.row.dest : null))]);
  // Identity values follow the insert's order, so the batch's rows are its first to last seq.
  const seqs = rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
  await client.query('SELECT pg_notify($1, n) FROM unnest($2::text[]) WITH ORDINALITY AS u(n, i) ORDER BY i',
    [HISTORY_CHANNEL, plans.map((p, i) => encodeNotice({ ...p.notice, seq: seqs[i]! }))]);
}

/** An attempt's end: an outcome, a step that came early (retry later), or a lost race (try again now). */
type Attempt = Recorded | { outcome: 'early'; reason: string } | { outcome: 'raced' };

/**
 * The events of a batch that are not a ball's step, together: all their key rows in one INSERT per
 * key table (a key already there is a redelivery: that event writes nothing more), then the new
 * ones' rows, one INSERT per table. Round trips per batch, not per event. A key twice in one batch
 * is stored by its first event; the second is the duplicate.
 */
async function recordPlains(client: pg.PoolClient, plans: readonly Plan[]): Promise<Attempt[]> {
  // A key row as the plan holds it and as RETURNING gives it back (dest only for dead letters).
  const keyOf = (k: { source: string; id: string; dest?: string | null }) => `${k.source}\u0000${k.id}\u0000${k.dest ?? ''}`;
  const inserted = new Set<string>();
  for (const table of ['event', 'dead_letter'] as const) {
    const mine = plans.filter((p) => p.key.table === table);
    if (mine.length === 0) continue;
    const q = multiRow(mine.map(keyQuery), table === 'event' ? 'source, id' : 'source, id, dest');
    const { rows } = await client.query<{ source: string; id: string; dest?: string }>(q.sql, q.params);
    for (const r of rows) inserted.add(keyOf(r));
  }
  const outs: Attempt[] = plans.map((p) => (inserted.delete(keyOf(p.key.row)) ? { outcome: 'stored' } : { outcome: 'duplicate' }));
  const byTable = new Map<string, Query[]>();
  plans.forEach((p, i) => {
    if (outs[i]!.outcome !== 'stored') return;
    for (const w of p.writes) {
      if (w.table === 'ball') throw new Error('a ball write without its flight step');
      const queries = byTable.get(w.table) ?? [];
      queries.push((WRITE[w.table] as (row: typeof w.row) => Query)(w.row));
      byTable.set(w.table, queries);
    }
  });
  for (const queries of byTable.values()) {
    const q = multiRow(queries);
    await client.query(q.sql, q.params);
  }
  return outs;
}

/**
 * One ball event: lock the ball, and with it held (so each ball's steps are serialized across
 * replicas) check the key, judge the step against the recorded flight, and write only what
 * starts, extends or closes it. A contradiction writes nothing, not even its key: its id may be
 * the one the recorded flight's own next step will carry.
 */
async function recordStep(client: pg.PoolClient, plan: Plan, step: Step): Promise<Attempt> {
  if (plan.key.table !== 'event') throw new Error('a ball step must be keyed in event');
  const id = step.flight.ball.id;
  const tip = (await client.query<TipRow>(LOCK_BALL, [id])).rows[0];
  const key = plan.key.row;
  if ((await client.query('SELECT 1 FROM event WHERE source = $1 AND id = $2', [key.source, key.id])).rowCount) return { outcome: 'duplicate' };
  const verdict = judge(tip && recordedFlight(id, tip), step);
  if (verdict.kind === 'contradicts') return { outcome: 'ignored', reason: verdict.reason };
  if (verdict.kind === 'early') return { outcome: 'early', reason: verdict.reason };
  // The same event at the same moment (a retry racing its original) waits on the key, then finds it.
  if ((await run(client, keyQuery(plan))).rowCount === 0) return { outcome: 'duplicate' };
  for (const w of plan.writes) {
    if (w.table !== 'ball') {
      await write(client, w);
      continue;
    }
    const from = tipBefore(step);
    const moved = await run(client, from ? BALL.move(w.row, from) : BALL.start(w.row));
    if (moved.rowCount !== 1) return { outcome: 'raced' };
  }
  return { outcome: 'stored' };
}

/** Lost races retried at once before the event is handed back to the Broker to retry. */
const RACES = 3;
/**
 * A step that came before its predecessor usually came only a moment early: the Broker handed the
 * previous hop to forward and to record-hop at once, and forward answered first. It is tried again
 * after each of the next few commits (each wait at most EARLY_WAIT_MS) before it is answered 503,
 * which would cost it the Broker's backoff (half a second, then doubling).
 */
const EARLY_TRIES = 5;
const EARLY_WAIT_MS = 100;

function unavailable(e: unknown): unknown {
  if (!isTransientDbError(e)) return e;
  return new Transient(`history database unavailable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** Events waiting for a batch: past this, record-hop answers 503 and the Broker retries later. */
export const MAX_QUEUED = 2000;
/**
 * Events in one transaction at most. One transaction is under way at a time: the feed lock is
 * held through each commit anyway, and parallel ones only took an event each (measured).
 */
const MAX_BATCH = 200;

interface Pending { plan: Plan; done: (a: Attempt | Error) => void }

/** The ball a plan moves, or '' for one that is not a ball's step: batches lock balls in this order. */
const ballOf = (p: Pending) => p.plan.flight?.flight.ball.id ?? '';

/**
 * The history in PostgreSQL, written by group commit: events that arrive while a transaction is
 * committing wait, and the next transaction takes them all (up to MAX_BATCH). A recording's key
 * row is inserted with ON CONFLICT DO NOTHING; if it was there already the event is a redelivery
 * and writes nothing more. A ball event is first judged by the flight rule under the ball's row
 * lock (recordStep). Then the stored ones get their feed rows and NOTIFYs under one lock, and one
 * COMMIT (one WAL flush) answers the whole batch: alone, every event paid a flush and four more
 * round trips while holding the feed lock. An event whose own statement fails (bad data), or whose
 * ball moved under it, has its batch split in halves and written again, down to a transaction of
 * its own, so it fails alone. A database that cannot be reached fails the batch as Transient
 * (503): the Broker retries.
 */
export function pgHistoryStore(pool: pg.Pool): HistoryStore {
  const queue: Pending[] = [];
  // Woken after each batch: the steps waiting for their predecessor to be written.
  const waiting = new Set<() => void>();
  const nextCommit = () => new Promise<void>((resolve) => {
    const wake = () => { clearTimeout(timer); waiting.delete(wake); resolve(); };
    const timer = setTimeout(wake, EARLY_WAIT_MS);
    waiting.add(wake);
  });
  let draining = false;
  let closed = false;

  /** A batch; one that cannot be written whole is split in two, down to single events. */
  async function batch(items: Pending[]): Promise<void> {
    const alone = items.length === 1;
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      const err = unavailable(e) as Error;
      for (const p of items) p.done(err);
      return;
    }
    let broken: Error | undefined;
    let apart = false;
    try {
      await client.query('BEGIN');
      const outs: Attempt[] = new Array(items.length);
      const plain = items.flatMap((p, i) => (p.plan.flight ? [] : [i]));
      (await recordPlains(client, plain.map((i) => items[i]!.plan))).forEach((o, j) => { outs[plain[j]!] = o; });
      for (const [i, p] of items.entries()) {
        if (!p.plan.flight) continue;
        const out = await recordStep(client, p.plan, p.plan.flight);
        outs[i] = out;
        // A lost race has written part of its event: only a transaction of its own can undo just that.
        if (out.outcome === 'raced' && !alone) { apart = true; break; }
      }
      if (apart) {
        await client.query('ROLLBACK');
      } else {
        await feed(client, items.filter((_, i) => outs[i]!.outcome === 'stored').map((p) => p.plan));
        // Duplicates, refusals and early steps wrote nothing; a lost race alone keeps nothing.
        await client.query(outs.some((o) => o.outcome === 'raced') ? 'ROLLBACK' : 'COMMIT');
        items.forEach((p, i) => p.done(outs[i]!));
      }
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (isTransientDbError(e)) {
        // A connection that failed mid-transaction is discarded rather than reused.
        broken = e instanceof Error ? e : new Error(String(e));
        const err = unavailable(e) as Error;
        for (const p of items) p.done(err);
      } else if (alone) {
        for (const p of items) p.done(e instanceof Error ? e : new Error(String(e)));
      } else {
        // One event's own statement failed (bad data): the others are written without it.
        apart = true;
      }
    } finally {
      client.release(broken);
    }
    // Halves, so one bad event among many costs a few more transactions, not one per event.
    if (apart) for (const half of [items.slice(0, items.length >> 1), items.slice(items.length >> 1)]) await batch(half);
  }

  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      while (queue.length > 0) {
        // Balls locked in one order in every batch, so two batches (of this replica or another)
        // cannot wait on each other in a cycle; the sort is stable, so one ball's steps keep the
        // order they came in.
        const items = queue.splice(0, MAX_BATCH).sort((a, b) => (ballOf(a) < ballOf(b) ? -1 : ballOf(a) > ballOf(b) ? 1 : 0));
        await batch(items);
        for (const wake of [...waiting]) wake();
      }
    } finally {
      draining = false;
    }
  }

  const attempt = (plan: Plan): Promise<Attempt> => {
    if (closed) return Promise.reject(new Transient('record-hop is stopping'));
    if (queue.length >= MAX_QUEUED) return Promise.reject(new Transient(`record-hop has ${MAX_QUEUED} events waiting to be written: retry later`));
    return new Promise<Attempt>((resolve, reject) => {
      queue.push({ plan, done: (a) => (a instanceof Error ? reject(a) : resolve(a)) });
      void drain();
    });
  };

  return {
    async record(plan) {
      for (let races = 0, early = 0; ;) {
        const out = await attempt(plan);
        if (out.outcome === 'early') {
          if (++early >= EARLY_TRIES) throw new Transient(`${out.reason}: retry later`, { routine: true });
          await nextCommit();
        } else if (out.outcome === 'raced') {
          if (++races >= RACES) throw new Transient(`ball ${plan.flight?.flight.ball.id} changed under ${RACES} attempts: retry later`);
        } else {
          return out;
        }
      }
    },
    async close() {
      closed = true;
      await pool.end();
    },
  };
}
