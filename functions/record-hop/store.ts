import type pg from 'pg';
import { Transient } from '../../lib/cloudevents/errors.js';
import { isTransientDbError } from '../../lib/db/errors.js';
import { HISTORY_CHANNEL, encodeNotice } from '../../lib/db/notify.js';
import { judge, tipBefore, type RecordedFlight, type Step } from './flight.js';
import type { BallRow, Plan, Write } from './rows.js';

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

// jsonb cannot hold U+0000 in a string; such data would fail on every retry and be lost.
const json = (v: unknown): string =>
  JSON.stringify(v ?? null, (_k, x: unknown) => (typeof x === 'string' ? x.replaceAll('\u0000', '\uFFFD') : x));
const text = (v: string | null): string | null => (v === null ? null : v.replaceAll('\u0000', '\uFFFD'));
// An event's `time` when it has one, else the moment of the write.
const AT = (n: number) => `coalesce($${n}::timestamptz, now())`;

type Query = { sql: string; params: unknown[] };

const KEY: { [T in Plan['key']['table']]: (row: Extract<Plan['key'], { table: T }>['row']) => Query } = {
  event: (r) => ({
    sql: `INSERT INTO event (source, id, type, time, data) VALUES ($1, $2, $3, $4, $5::jsonb)
          ON CONFLICT (source, id) DO NOTHING RETURNING 1`,
    params: [r.source, r.id, r.type, r.time, json(r.data)],
  }),
  dead_letter: (r) => ({
    sql: `INSERT INTO dead_letter (source, id, dest, type, code, error_data, time, data)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
          ON CONFLICT (source, id, dest) DO NOTHING RETURNING 1`,
    params: [r.source, r.id, r.dest, r.type, r.code, text(r.errorData), r.time, json(r.data)],
  }),
};

const WRITE: { [T in Exclude<Write['table'], 'ball'>]: (row: Extract<Write, { table: T }>['row']) => Query } = {
  hop: (r) => ({
    sql: `INSERT INTO hop (ball_id, hop, from_pod, target, path, at, event_source, event_id)
          VALUES ($1, $2, $3, $4, $5, ${AT(6)}, $7, $8) ON CONFLICT (ball_id, hop) DO NOTHING`,
    params: [r.ballId, r.hop, r.fromPod, r.target, r.path, r.at, r.eventSource, r.eventId],
  }),
  scale_change: (r) => ({
    sql: `INSERT INTO scale_change (event_source, event_id, service, from_scale, to_scale, revision, reason, at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, ${AT(8)})`,
    params: [r.eventSource, r.eventId, r.service, r.fromScale, r.toScale, r.revision, r.reason, r.at],
  }),
  pod_event: (r) => ({
    sql: `INSERT INTO pod_event (event_source, event_id, kind, name, namespace, ip, port, phase, revision, at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ${AT(10)})`,
    params: [r.eventSource, r.eventId, r.kind, r.name, r.namespace, r.ip, r.port, r.phase, r.revision, r.at],
  }),
  pod_snapshot: (r) => ({
    sql: `INSERT INTO pod_snapshot (event_source, event_id, service, cause, pods, pod_count, at)
          VALUES ($1, $2, $3, $4, $5::jsonb, $6, ${AT(7)})`,
    params: [r.eventSource, r.eventId, r.service, r.cause, json(r.pods), r.pods.length, r.at],
  }),
  pong: (r) => ({
    sql: `INSERT INTO pong (event_source, event_id, from_pod, to_pod, address, ms, ok, at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, ${AT(8)})`,
    params: [r.eventSource, r.eventId, r.fromPod, r.toPod, r.address, r.ms, r.ok, r.at],
  }),
  coin_flip: (r) => ({
    sql: `INSERT INTO coin_flip (event_source, event_id, heads_required, total_flips, at) VALUES ($1, $2, $3, $4, ${AT(5)})`,
    // As text: numeric keeps every digit of a count past 2^53.
    params: [r.eventSource, r.eventId, r.headsRequired, BigInt(r.totalFlips).toString(), r.at],
  }),
};

/**
 * A ball's flight moves on by conditional writes, whose rowCount says whether they applied: hop 0
 * creates the ball only if no one has; every later step moves it only from the tip it follows
 * (same ball, still in the air, at that hop with that path). The store has locked the ball row
 * and judged the step first, so a miss means another transaction got there first: retry.
 */
const BALL = {
  start: (r: BallRow): Query => ({
    sql: `INSERT INTO ball (id, target, max_hops, served_at, status, hops, path)
          VALUES ($1, $2, $3, $4, 'served', 0, '{}') ON CONFLICT (id) DO NOTHING`,
    params: [r.id, r.target, r.maxHops, r.servedAt],
  }),
  move: (r: BallRow, from: { hop: number; path: string[] }): Query => ({
    sql: `UPDATE ball SET status = $5, hops = $6, path = $7, landed_by = $8, reason = $9,
            ended_at = CASE WHEN $5 = 'served' THEN NULL ELSE ${AT(10)} END
          WHERE id = $1 AND target = $2 AND max_hops = $3 AND served_at = $4::timestamptz
            AND status = 'served' AND hops = $11 AND path = $12`,
    params: [r.id, r.target, r.maxHops, r.servedAt, r.status, r.hops, r.path, r.landedBy, r.reason, r.at, from.hop, from.path],
  }),
};

// The recorded flight, its row locked until the transaction ends: steps of one ball take turns.
// served_at as text to the microsecond (a JS Date would drop them).
const LOCK_BALL = `SELECT target, max_hops, status, hops, path,
    to_char(served_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS served_at
  FROM ball WHERE id = $1 FOR UPDATE`;

interface TipRow { target: string; max_hops: number; status: RecordedFlight['status']; hops: number; path: string[]; served_at: string }

const recordedFlight = (id: string, r: TipRow): RecordedFlight => ({
  ball: { id, target: r.target, maxHops: r.max_hops, servedAt: r.served_at },
  status: r.status, hop: r.hops, path: r.path,
});

const run = (client: pg.PoolClient, q: Query) => client.query(q.sql, q.params);
const write = (client: pg.PoolClient, w: Exclude<Write, { table: 'ball' }>) =>
  run(client, (WRITE[w.table] as (row: Write['row']) => Query)(w.row));
const keyQuery = (plan: Plan) => (plan.key.table === 'event' ? KEY.event(plan.key.row) : KEY.dead_letter(plan.key.row));
/** Any fixed key: the one lock every recording takes last, so feed numbers follow commit order. */
const FEED_LOCK = 0x70696e67;

/**
 * The recording's feed row, then its NOTIFY (which PostgreSQL delivers on commit). The advisory
 * lock is held until commit, so no later-numbered recording can commit first (db/migrations/
 * 003_feed.sql); it is taken last, after the ball's row lock, so it never waits inside a cycle.
 */
async function notify(client: pg.PoolClient, plan: Plan): Promise<void> {
  const n = plan.notice;
  await client.query('SELECT pg_advisory_xact_lock($1)', [FEED_LOCK]);
  const dest = plan.key.table === 'dead_letter' ? plan.key.row.dest : null;
  const { rows } = await client.query<{ seq: string }>('INSERT INTO feed (tbl, type, source, id, ball_id, dest) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq',
    [n.table, n.type, n.source, n.id, n.ballId ?? null, dest]);
  await client.query('SELECT pg_notify($1, $2)', [HISTORY_CHANNEL, encodeNotice({ ...n, seq: Number(rows[0]!.seq) })]);
}

/** An attempt's end: an outcome, a step that came early (retry later), or a lost race (try again now). */
type Attempt = Recorded | { outcome: 'early'; reason: string } | { outcome: 'raced' };

/** One event that is not a ball's step: its key, then its writes, in one transaction. */
async function recordPlain(client: pg.PoolClient, plan: Plan): Promise<Attempt> {
  if ((await run(client, keyQuery(plan))).rowCount === 0) return { outcome: 'duplicate' };
  for (const w of plan.writes) {
    if (w.table === 'ball') throw new Error('a ball write without its flight step');
    await write(client, w);
  }
  await notify(client, plan);
  return { outcome: 'stored' };
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
  await notify(client, plan);
  return { outcome: 'stored' };
}

/** Lost races retried at once before the event is handed back to the Broker to retry. */
const RACES = 3;

function unavailable(e: unknown): unknown {
  if (!isTransientDbError(e)) return e;
  return new Transient(`history database unavailable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/**
 * The history in PostgreSQL: one transaction per event. The key row is inserted with ON CONFLICT
 * DO NOTHING; if it was there already the event is a redelivery and the transaction ends there.
 * Otherwise the writes follow and a NOTIFY, which PostgreSQL delivers only on commit. A ball
 * event is first judged by the flight rule under the ball's row lock (recordStep). A database
 * that cannot be reached becomes a Transient error (503), so the Broker retries later.
 */
export function pgHistoryStore(pool: pg.Pool): HistoryStore {
  async function attempt(plan: Plan): Promise<Attempt> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw unavailable(e);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const out = plan.flight ? await recordStep(client, plan, plan.flight) : await recordPlain(client, plan);
      // A duplicate has written nothing either: nothing to keep.
      await client.query(out.outcome === 'stored' ? 'COMMIT' : 'ROLLBACK');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A connection that failed mid-transaction is discarded rather than reused.
      if (isTransientDbError(e)) broken = e instanceof Error ? e : new Error(String(e));
      throw unavailable(e);
    } finally {
      client.release(broken);
    }
  }
  return {
    async record(plan) {
      for (let i = 0; ; i++) {
        const out = await attempt(plan);
        if (out.outcome === 'early') throw new Transient(`${out.reason}: retry later`, { routine: true });
        if (out.outcome !== 'raced') return out;
        if (i + 1 >= RACES) throw new Transient(`ball ${plan.flight?.flight.ball.id} changed under ${RACES} attempts: retry later`);
      }
    },
    close: () => pool.end(),
  };
}
