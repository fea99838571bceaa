import type pg from 'pg';

/**
 * The history UI's panels besides the balls: one kind of recording at a time, newest first, a
 * page at a time. Each row carries its feed position (`seq`, db/migrations/003_feed.sql), which
 * is both the cursor of the next page (`before`) and the number the live stream gives the same
 * recording, so a page can put what the stream brings on top without doubles. SELECT only.
 */

export interface Page { limit: number; before?: number }
interface Row { seq: string; at: Date }

export interface ScaleChangeRecord { seq: number; at: string; service: string; from: number; to: number; revision: string; reason: string }
export interface PodEventRecord {
  seq: number; at: string; kind: 'born' | 'updated' | 'died'; name: string; namespace: string | null;
  ip: string | null; port: number | null; phase: string | null; revision: string | null;
}
export interface PodSnapshotRecord { seq: number; at: string; service: string; cause: string; podCount: number; pods: unknown }
export interface PongRecord { seq: number; at: string; from: string; to: string; address: string; ms: number; ok: boolean }
/** totalFlips is a string: it is numeric in PostgreSQL and may pass 2^53. */
export interface CoinFlipRecord { seq: number; at: string; headsRequired: number; totalFlips: string }
/** A dead letter: the event the Broker gave up on, with Knative's knativeerror* extensions. */
export interface DeadLetterRecord {
  seq: number; at: string; source: string; id: string; type: string; dest: string; code: number | null;
  errorData: string | null; time: string | null; data: unknown;
}

export interface PanelReader {
  scaleChanges(page: Page): Promise<ScaleChangeRecord[]>;
  podEvents(page: Page & { pod?: string; kind?: PodEventRecord['kind'] }): Promise<PodEventRecord[]>;
  podSnapshots(page: Page): Promise<PodSnapshotRecord[]>;
  pongs(page: Page & { pod?: string; ok?: boolean }): Promise<PongRecord[]>;
  coinFlips(page: Page): Promise<CoinFlipRecord[]>;
  deadLetters(page: Page & { type?: string }): Promise<DeadLetterRecord[]>;
}

// Rows of one table joined to their feed rows. A dead letter's feed row names its destination;
// rows fed before it did (dest null) match on (source, id) alone.
const JOIN: Record<string, string> = {
  dead_letter: 'JOIN dead_letter t ON t.source = f.source AND t.id = f.id AND t.dest = COALESCE(f.dest, t.dest)',
};
const joinOf = (table: string) => JOIN[table] ?? `JOIN ${table} t ON t.event_source = f.source AND t.event_id = f.id`;

/**
 * One page of `table`: `columns` of t, the feed's seq and a time as `at`, rows matching every
 * filter given (SQL over t, each `?` its value), before the cursor, newest first.
 */
async function page<R extends Row>(db: Pick<pg.Pool, 'query'>, table: string, columns: string, at: string,
  p: Page, filters: Array<[string, unknown]>): Promise<R[]> {
  const given = filters.filter(([, v]) => v !== undefined);
  const where = given.map(([sql], i) => sql.replaceAll('?', () => `$${i + 3}`));
  const { rows } = await db.query<R>(
    `SELECT f.seq, ${at} AS at, ${columns} FROM feed f ${joinOf(table)}
      WHERE f.tbl = '${table}' AND ($1::bigint IS NULL OR f.seq < $1)${where.map((w) => ` AND ${w}`).join('')}
      ORDER BY f.seq DESC LIMIT $2`,
    [p.before ?? null, p.limit, ...given.map(([, v]) => v)]);
  return rows;
}
const base = (r: Row) => ({ seq: Number(r.seq), at: r.at.toISOString() });

export function panelReader(db: Pick<pg.Pool, 'query'>): PanelReader {
  return {
    async scaleChanges(p) {
      const rows = await page<Row & { service: string; from_scale: number; to_scale: number; revision: string; reason: string }>(
        db, 'scale_change', 't.service, t.from_scale, t.to_scale, t.revision, t.reason', 't.at', p, []);
      return rows.map((r) => ({ ...base(r), service: r.service, from: r.from_scale, to: r.to_scale, revision: r.revision, reason: r.reason }));
    },
    async podEvents(p) {
      const rows = await page<Row & { kind: PodEventRecord['kind']; name: string; namespace: string | null; ip: string | null; port: number | null; phase: string | null; revision: string | null }>(
        db, 'pod_event', 't.kind, t.name, t.namespace, t.ip, t.port, t.phase, t.revision', 't.at', p, [['t.name = ?', p.pod], ['t.kind = ?', p.kind]]);
      return rows.map((r) => ({ ...base(r), kind: r.kind, name: r.name, namespace: r.namespace, ip: r.ip, port: r.port, phase: r.phase, revision: r.revision }));
    },
    async podSnapshots(p) {
      const rows = await page<Row & { service: string; cause: string; pod_count: number; pods: unknown }>(
        db, 'pod_snapshot', 't.service, t.cause, t.pod_count, t.pods', 't.at', p, []);
      return rows.map((r) => ({ ...base(r), service: r.service, cause: r.cause, podCount: r.pod_count, pods: r.pods }));
    },
    async pongs(p) {
      const rows = await page<Row & { from_pod: string; to_pod: string; address: string; ms: number; ok: boolean }>(
        db, 'pong', 't.from_pod, t.to_pod, t.address, t.ms, t.ok', 't.at', p, [['(t.from_pod = ? OR t.to_pod = ?)', p.pod], ['t.ok = ?', p.ok]]);
      return rows.map((r) => ({ ...base(r), from: r.from_pod, to: r.to_pod, address: r.address, ms: r.ms, ok: r.ok }));
    },
    async coinFlips(p) {
      const rows = await page<Row & { heads_required: number; total_flips: string }>(
        db, 'coin_flip', 't.heads_required, t.total_flips::text AS total_flips', 't.at', p, []);
      return rows.map((r) => ({ ...base(r), headsRequired: r.heads_required, totalFlips: r.total_flips }));
    },
    async deadLetters(p) {
      const rows = await page<Row & { source: string; id: string; type: string; dest: string; code: number | null; error_data: string | null; time: Date | null; data: unknown }>(
        db, 'dead_letter', 't.source, t.id, t.type, t.dest, t.code, t.error_data, t.time, t.data', 't.received_at', p, [['t.type = ?', p.type]]);
      return rows.map((r) => ({
        ...base(r), source: r.source, id: r.id, type: r.type, dest: r.dest, code: r.code, errorData: r.error_data,
        time: r.time?.toISOString() ?? null, data: r.data ?? null,
      }));
    },
  };
}
