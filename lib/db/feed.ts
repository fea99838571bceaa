import type pg from 'pg';

/**
 * Reading the feed (db/migrations/003_feed.sql) as a live reader resumes it: what was recorded
 * after the last `seq` it has seen, in commit order, with the recorded event's data (a dead letter
 * has none in `event`). SELECT only: the reader user's.
 */
export interface FeedEntry {
  seq: number;
  table: string;
  type: string;
  source: string;
  id: string;
  ballId: string | null;
  at: string;
  data: unknown;
}

/** Entries after `seq`, oldest first, at most `limit` (a reader pages until it gets fewer). */
export async function feedAfter(db: Pick<pg.Pool, 'query'>, seq: number, limit: number): Promise<FeedEntry[]> {
  const { rows } = await db.query<{ seq: string; tbl: string; type: string; source: string; id: string; ball_id: string | null; at: Date; data: unknown }>(
    `SELECT f.seq, f.tbl, f.type, f.source, f.id, f.ball_id, f.at, e.data
       FROM feed f LEFT JOIN event e ON e.source = f.source AND e.id = f.id
      WHERE f.seq > $1 ORDER BY f.seq LIMIT $2`, [seq, limit]);
  return rows.map((r) => ({ seq: Number(r.seq), table: r.tbl, type: r.type, source: r.source, id: r.id, ballId: r.ball_id, at: r.at.toISOString(), data: r.data ?? null }));
}

/** The newest position, where a fresh reader that wants only what comes next starts. */
export async function feedEnd(db: Pick<pg.Pool, 'query'>): Promise<number> {
  const { rows } = await db.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM feed');
  return Number(rows[0]?.seq ?? 0);
}
