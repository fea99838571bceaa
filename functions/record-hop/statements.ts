/**
 * The SQL of a recording, one statement per table, pure (no connection): the key row that makes
 * an event exactly-once, each table's write, and the conditional writes that move a ball's flight.
 */
import type pg from 'pg';
import type { RecordedFlight } from './flight.js';
import type { BallRow, Plan, Write } from './rows.js';

// jsonb cannot hold U+0000 in a string; such data would fail on every retry and be lost.
export const json = (v: unknown): string =>
  JSON.stringify(v ?? null, (_k, x: unknown) => (typeof x === 'string' ? x.replaceAll('\u0000', '\uFFFD') : x));
const text = (v: string | null): string | null => (v === null ? null : v.replaceAll('\u0000', '\uFFFD'));
// An event's `time` when it has one, else the moment of the write.
const AT = (n: number) => `coalesce($${n}::timestamptz, now())`;

export type Query = { sql: string; params: unknown[] };

export const KEY: { [T in Plan['key']['table']]: (row: Extract<Plan['key'], { table: T }>['row']) => Query } = {
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

export const WRITE: { [T in Exclude<Write['table'], 'ball'>]: (row: Extract<Write, { table: T }>['row']) => Query } = {
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
export const BALL = {
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
export const LOCK_BALL = `SELECT target, max_hops, status, hops, path,
    to_char(served_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS served_at
  FROM ball WHERE id = $1 FOR UPDATE`;

export interface TipRow { target: string; max_hops: number; status: RecordedFlight['status']; hops: number; path: string[]; served_at: string }

export const recordedFlight = (id: string, r: TipRow): RecordedFlight => ({
  ball: { id, target: r.target, maxHops: r.max_hops, servedAt: r.served_at },
  status: r.status, hop: r.hops, path: r.path,
});

export const run = (client: pg.PoolClient, q: Query) => client.query(q.sql, q.params);
export const write = (client: pg.PoolClient, w: Exclude<Write, { table: 'ball' }>) =>
  run(client, (WRITE[w.table] as (row: Write['row']) => Query)(w.row));
export const keyQuery = (plan: Plan) => (plan.key.table === 'event' ? KEY.event(plan.key.row) : KEY.dead_letter(plan.key.row));

/**
 * Rows of one statement shape as one multi-row INSERT: each query's VALUES tuple, its `$n`
 * renumbered after the ones before it; what follows the tuple (ON CONFLICT, RETURNING) once,
 * with `returning` in place of a RETURNING clause when given. One round trip for a batch's rows.
 */
export function multiRow(queries: readonly Query[], returning?: string): Query {
  const first = queries[0];
  if (!first) throw new Error('multiRow needs at least one query');
  const split = (sql: string) => {
    const at = sql.indexOf('VALUES') + 'VALUES'.length;
    let depth = 0;
    let end = at;
    for (let i = sql.indexOf('(', at); i < sql.length; i++) {
      if (sql[i] === '(') depth++;
      else if (sql[i] === ')' && --depth === 0) { end = i + 1; break; }
    }
    return { head: sql.slice(0, at), tuple: sql.slice(at, end).trim(), tail: sql.slice(end) };
  };
  const { head, tail } = split(first.sql);
  const params: unknown[] = [];
  const tuples = queries.map((q) => {
    const offset = params.length;
    params.push(...q.params);
    return split(q.sql).tuple.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + offset}`);
  });
  const rest = returning === undefined ? tail : tail.replace(/RETURNING[\s\S]*$/, '') + ` RETURNING ${returning}`;
  return { sql: `${head} ${tuples.join(', ')}${rest}`, params };
}
