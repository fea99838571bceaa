import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { CloudEvent } from 'cloudevents';
import { BALL_DROPPED, BALL_LANDED, BALL_REQUESTED, ballIdFor } from '../../lib/contract/index.js';
import type { RuntimeStatus } from '../../local/runtime/status-view.js';
import { postEvent } from './cloudevents.js';
import type { Instance } from './pingpong-up.js';
import { waitFor } from './wait.js';

/**
 * Balls kept in the air through `npm start` while a test breaks something, and the reckoning
 * after: every ball requested must end up landed, dropped or dead-lettered in the history.
 */

/** The runtime's own view (`pingpong status --json`), through its control URL. */
export async function runtimeStatus(pp: Pick<Instance, 'dataDir'>): Promise<RuntimeStatus> {
  const info = JSON.parse(await readFile(path.join(pp.dataDir, 'runtime.json'), 'utf8'));
  return (await fetch(`${info.controlUrl}/status`)).json() as Promise<RuntimeStatus>;
}

/** No delivery waiting, running or backing off: every event sent so far has been handled. */
export const brokerIdle = (s: RuntimeStatus) => s.broker.triggers.every((t) => t.pending === 0 && t.inFlight === 0);

export const livePods = (s: RuntimeStatus, service: string) => s.pods.filter((p) => p.service === service && !p.terminating);

/**
 * The history as the read-only user, through a pool: a reader that outlives a database restart
 * (a single client would stay broken after its connection was cut).
 */
export async function historyPool(pp: Pick<Instance, 'dataDir'>): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: (await readFile(path.join(pp.dataDir, 'reader-url'), 'utf8')).trim(), max: 2,
    connectionTimeoutMillis: 2000, query_timeout: 5000 });
  // Connections cut by an outage the test makes on purpose are expected.
  pool.on('error', () => undefined);
  return pool;
}

export interface Pitcher {
  /** The ball ids of every request accepted by the Broker so far. */
  readonly balls: string[];
  /** Requests the Broker accepted (202), by id: a dead-lettered one accounts for its balls. */
  readonly requests: Map<string, string[]>;
  /** Stops sending; resolves once the last send has been answered. */
  stop(): Promise<void>;
}

/**
 * Sends a `ball.requested` of `count` balls every `everyMs` to the Broker ingress (which needs no
 * database), until stopped. A send the Broker refuses fails the test through `stop`.
 */
export function pitch(pp: Pick<Instance, 'broker'>, tag: string, { everyMs = 500, count = 2, maxHops = 3 } = {}): Pitcher {
  const source = `/e2e/${tag}`;
  const balls: string[] = [];
  const requests = new Map<string, string[]>();
  let stopped = false;
  let failure: Error | undefined;
  const loop = (async () => {
    for (let n = 0; !stopped; n++) {
      const id = `${tag}-${n}`;
      const res = await postEvent(`http://127.0.0.1:${pp.broker}/pingpong/default`, new CloudEvent({
        type: BALL_REQUESTED, source, id, datacontenttype: 'application/json', data: { count, maxHops },
      }));
      if (res.status !== 202) { failure = new Error(`the Broker answered ${res.status} to ${id}: ${await res.text()}`); return; }
      const ids = Array.from({ length: count }, (_, i) => ballIdFor(source, id, i));
      requests.set(id, ids);
      balls.push(...ids);
      if (!stopped) await new Promise((r) => setTimeout(r, everyMs)); // the pace of play, not a wait for a condition
    }
  })();
  return {
    balls, requests,
    async stop() {
      stopped = true;
      await loop;
      if (failure) throw failure;
    },
  };
}

export interface Reckoning {
  landed: number;
  dropped: number;
  /** Balls not ended whose flight (or request) is in dead_letter: accounted for, but not played out. */
  deadLettered: number;
  /** Balls with no trace of an ending: what the test must find none of. */
  lost: string[];
  /** Balls with more than one ending, or a hop row missing or extra for their hop count. */
  doubled: string[];
}

/** Where each ball ended up in the history. */
export async function reckon(db: pg.Pool, pitcher: Pitcher, tag: string): Promise<Reckoning> {
  const ids = pitcher.balls;
  const ended = new Map((await db.query<{ id: string; status: string }>("SELECT id, status FROM ball WHERE id = ANY($1) AND status <> 'served'", [ids]))
    .rows.map((r) => [r.id, r.status]));
  const dead = new Set((await db.query<{ id: string }>("SELECT DISTINCT data->'ball'->>'id' AS id FROM dead_letter WHERE data->'ball'->>'id' = ANY($1)", [ids]))
    .rows.map((r) => r.id));
  const deadRequests = (await db.query<{ id: string }>('SELECT id FROM dead_letter WHERE source = $1', [`/e2e/${tag}`])).rows;
  for (const r of deadRequests) for (const b of pitcher.requests.get(r.id) ?? []) dead.add(b);
  const endings = (await db.query<{ id: string; n: number }>(`SELECT data->'ball'->>'id' AS id, count(*)::int AS n FROM event
    WHERE type IN ($2, $3) AND data->'ball'->>'id' = ANY($1) GROUP BY 1 HAVING count(*) > 1`, [ids, BALL_LANDED, BALL_DROPPED])).rows.map((r) => r.id);
  const badHops = (await db.query<{ id: string }>(`SELECT b.id FROM ball b LEFT JOIN hop h ON h.ball_id = b.id
    WHERE b.id = ANY($1) AND b.status <> 'served' GROUP BY b.id, b.hops HAVING count(h.*) <> b.hops + 1`, [ids])).rows.map((r) => r.id);
  const statuses = [...ended.values()];
  return {
    landed: statuses.filter((s) => s === 'landed').length,
    dropped: statuses.filter((s) => s === 'dropped').length,
    deadLettered: ids.filter((id) => !ended.has(id) && dead.has(id)).length,
    lost: ids.filter((id) => !ended.has(id) && !dead.has(id)),
    doubled: [...new Set([...endings, ...badHops])],
  };
}

/**
 * Waits until every ball pitched is accounted for and the Broker has nothing left to deliver
 * (so nothing is still on its way to being recorded), then says where each ended up.
 */
export async function settle(pp: Pick<Instance, 'dataDir'>, db: pg.Pool, pitcher: Pitcher, tag: string, timeoutMs = 60_000): Promise<Reckoning> {
  let last: Reckoning | undefined;
  try {
    await waitFor(async () => {
      last = await reckon(db, pitcher, tag);
      return last.lost.length === 0 && brokerIdle(await runtimeStatus(pp));
    }, `all ${pitcher.balls.length} balls of ${tag} to be accounted for`, { timeoutMs, intervalMs: 500 });
  } catch (e) {
    // Out of time: what is still missing is the answer, not a failure of the wait itself.
    if (!last) throw e;
  }
  return reckon(db, pitcher, tag);
}
