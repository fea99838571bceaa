import type pg from 'pg';

/**
 * Reading the feed (db/migrations/003_feed.sql) as a live reader resumes it: what was recorded
 * after the last `seq` it has seen, in commit order. SELECT only: the reader user's.
 */
export interface FeedEntry {
  seq: number;
  table: string;
  type: string;
  source: string;
  id: string;
  ballId: string | null;
  at: string;
}

/** Entries after `seq`, oldest first, at most `limit` (a reader pages until it gets fewer). */
export async function feedAfter(db: Pick<pg.Pool, 'query'>, seq: number, limit: number): Promise<FeedEntry[]> {
  const { rows } = await db.query<{ seq: string; tbl: string; type: string; source: string; id: string; ball_id: string | null; at: Date }>(
    'SELECT seq, tbl, type, source, id, ball_id, at FROM feed WHERE seq > $1 ORDER BY seq LIMIT $2', [seq, limit]);
  return rows.map((r) => ({ seq: Number(r.seq), table: r.tbl, type: r.type, source: r.source, id: r.id, ballId: r.ball_id, at: r.at.toISOString() }));
}
