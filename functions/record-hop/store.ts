import type pg from 'pg';
import { Transient } from '../../lib/cloudevents/errors.js';
import { isTransientDbError } from '../../lib/db/errors.js';
import { HISTORY_CHANNEL, encodeNotice } from '../../lib/db/notify.js';
import type { Plan, Write } from './rows.js';

/** The history behind a small port: record-hop's handler sees only this. */
export interface HistoryStore {
  /** Stores one event's plan; 'duplicate' when its key was already stored (nothing written). */
  record(plan: Plan): Promise<'stored' | 'duplicate'>;
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

const WRITE: { [T in Write['table']]: (row: Extract<Write, { table: T }>['row']) => Query } = {
  // A ball is created by whichever of its events arrives first. While it is in the air a later
  // hop moves it on; its first ending (landed or dropped) is final: ended balls never change.
  ball: (r) => ({
    sql: `INSERT INTO ball (id, target, max_hops, served_at, status, hops, path, landed_by, reason, ended_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $5 = 'served' THEN NULL ELSE ${AT(10)} END)
          ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, hops = EXCLUDED.hops, path = EXCLUDED.path,
            landed_by = EXCLUDED.landed_by, reason = EXCLUDED.reason, ended_at = EXCLUDED.ended_at
          WHERE ball.status = 'served' AND (EXCLUDED.status <> 'served' OR EXCLUDED.hops > ball.hops)`,
    params: [r.id, r.target, r.maxHops, r.servedAt, r.status, r.hops, r.path, r.landedBy, r.reason, r.at],
  }),
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

const run = (client: pg.PoolClient, q: Query) => client.query(q.sql, q.params);

function unavailable(e: unknown): unknown {
  if (!isTransientDbError(e)) return e;
  return new Transient(`history database unavailable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/**
 * The history in PostgreSQL: one transaction per event. The key row is inserted with ON CONFLICT
 * DO NOTHING; if it was there already the event is a redelivery and the transaction ends there.
 * Otherwise the writes follow and a NOTIFY, which PostgreSQL delivers only on commit. A database
 * that cannot be reached becomes a Transient error (503), so the Broker retries later.
 */
export function pgHistoryStore(pool: pg.Pool): HistoryStore {
  return {
    async record(plan) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (e) {
        throw unavailable(e);
      }
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const key = plan.key.table === 'event' ? KEY.event(plan.key.row) : KEY.dead_letter(plan.key.row);
        if ((await run(client, key)).rowCount === 0) {
          await client.query('COMMIT');
          return 'duplicate';
        }
        for (const w of plan.writes) await run(client, (WRITE[w.table] as (row: Write['row']) => Query)(w.row));
        await client.query('SELECT pg_notify($1, $2)', [HISTORY_CHANNEL, encodeNotice(plan.notice)]);
        await client.query('COMMIT');
        return 'stored';
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        // A connection that failed mid-transaction is discarded rather than reused.
        if (isTransientDbError(e)) broken = e instanceof Error ? e : new Error(String(e));
        throw unavailable(e);
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
