import type pg from 'pg';
import { derivedId } from '../contract/index.js';

/**
 * Reading the balls back from the history, for people and scripts (`pingpong balls`, `pingpong
 * ball ID`): SELECT only, so it runs as the reader user. Rows come out as plain objects with
 * ISO timestamps, the same shape for a table and for `--json`.
 */

export interface BallRecord {
  id: string;
  target: string;
  maxHops: number;
  servedAt: string;
  /** served: still in the air; landed or dropped: ended. */
  status: 'served' | 'landed' | 'dropped';
  /** The last hop recorded (the hop it ended at, once it ended). */
  hops: number;
  /** The pods that threw it so far; once it ended, with the pod that ended it last. */
  path: string[];
  landedBy: string | null;
  reason: string | null;
  endedAt: string | null;
}

export interface HopRecord {
  hop: number;
  /** The pod that threw this hop; null for hop 0, which the ball factory (ping) threw. */
  from: string | null;
  target: string;
  path: string[];
  at: string;
  /** The ball.thrown event that recorded it. */
  event: { source: string; id: string };
}

export interface BallQuery {
  /** The most recently served balls, at most this many (default: all that match). */
  last?: number;
  /** Only the balls one request (or PingSource tick) made: its CloudEvent source and id. */
  request?: { source: string; id: string };
  /** Only the balls with this status. */
  status?: BallRecord['status'];
  /** Only the balls this pod caught (it is on their path). */
  worker?: string;
  /** Only the balls served before this one (the next page of a list that ended with it). */
  before?: string;
  /**
   * Newest served first, in the order pages are cut, so the last ball is the next page's
   * `before` (the default, oldest first, is for reading; timestamps keep microseconds the ISO
   * strings drop, so re-sorting those would not reproduce the cut).
   */
  newestFirst?: boolean;
}

export interface HistoryReader {
  /** Balls, oldest served first; one request's balls by their number (0, 1, …). */
  balls(query?: BallQuery): Promise<BallRecord[]>;
  /** One ball and its hops in order; undefined when the history does not hold it. */
  ball(id: string): Promise<{ ball: BallRecord; hops: HopRecord[] } | undefined>;
}

/**
 * What the ids of the balls a request served start with. Ball ids derive from the request's
 * (source, id) (`ballIdFor`: `<digest>.b.<n>`), so the balls of one request need no other record.
 */
export const requestBallPrefix = (source: string, id: string): string => `${derivedId(source, id, 'b')}.`;

const BALL_COLUMNS = 'id, target, max_hops, served_at, status, hops, path, landed_by, reason, ended_at';

interface BallRow {
  id: string; target: string; max_hops: number; served_at: Date; status: BallRecord['status']; hops: number;
  path: string[]; landed_by: string | null; reason: string | null; ended_at: Date | null;
}
interface HopRow { hop: number; from_pod: string | null; target: string; path: string[]; at: Date; event_source: string; event_id: string }

const ballRecord = (r: BallRow): BallRecord => ({
  id: r.id, target: r.target, maxHops: r.max_hops, servedAt: r.served_at.toISOString(), status: r.status, hops: r.hops,
  path: r.path, landedBy: r.landed_by, reason: r.reason, endedAt: r.ended_at?.toISOString() ?? null,
});

// Ids as `<digest>.b.<n>`: numeric, so ball 10 comes after ball 9.
const byId = (a: BallRecord, b: BallRecord) => a.id.localeCompare(b.id, 'en', { numeric: true });
const byServing = (a: BallRecord, b: BallRecord) => a.servedAt.localeCompare(b.servedAt) || byId(a, b);

/** A reader over any pg client or pool (the CLI opens one client per command). */
export function historyReader(db: pg.ClientBase | pg.Pool): HistoryReader {
  return {
    async balls(query = {}) {
      const prefix = query.request ? requestBallPrefix(query.request.source, query.request.id) : null;
      // LIMIT NULL is no limit.
      const { rows } = await db.query<BallRow>(
        `SELECT ${BALL_COLUMNS} FROM ball WHERE ($1::text IS NULL OR starts_with(id, $1::text)) AND ($3::text IS NULL OR status = $3::text)
           AND ($4::text IS NULL OR $4::text = ANY (path))
           AND ($5::text IS NULL OR (served_at, length(id), id COLLATE "C") < (SELECT served_at, length(id), id COLLATE "C" FROM ball WHERE id = $5::text))
         ORDER BY served_at DESC, length(id) DESC, id COLLATE "C" DESC LIMIT $2`,
        [prefix, query.last ?? null, query.status ?? null, query.worker ?? null, query.before ?? null]);
      // Pages are cut in (served_at, id) order, where a longer id is a later one (ball 10 after
      // ball 9 of one request) and ids of one length compare bytewise ("C"). A re-sent request may have had some of its balls recorded from a later serving than others.
      const balls = rows.map(ballRecord);
      return query.newestFirst ? balls : balls.sort(prefix ? byId : byServing);
    },
    async ball(id) {
      const found = (await db.query<BallRow>(`SELECT ${BALL_COLUMNS} FROM ball WHERE id = $1`, [id])).rows[0];
      if (!found) return undefined;
      const { rows } = await db.query<HopRow>(
        'SELECT hop, from_pod, target, path, at, event_source, event_id FROM hop WHERE ball_id = $1 ORDER BY hop', [id]);
      return {
        ball: ballRecord(found),
        hops: rows.map((h) => ({ hop: h.hop, from: h.from_pod, target: h.target, path: h.path, at: h.at.toISOString(), event: { source: h.event_source, id: h.event_id } })),
      };
    },
  };
}
