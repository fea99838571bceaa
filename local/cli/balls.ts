/**
 * `pingpong balls` and `pingpong ball ID`: the balls in the history, read as the read-only user
 * whose URL `pingpong up` writes to `<data-dir>/reader-url` (the one source: the same file works
 * with the embedded server and with a DATABASE_URL one). Every failure is a FlagError: one line,
 * exit 2.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { historyReader, type BallRecord, type HistoryReader, type HopRecord } from '../../lib/db/history-read.js';
import { FlagError, parseBall, parseBalls } from './flags.js';
import { table } from './table.js';

type Say = (line: string) => void;

const reason = (e: unknown): string => {
  const err = e as { code?: string; message?: string };
  return err.message || err.code || String(e);
};

/** Opens the history the instance in `dataDir` recorded, runs `use`, and closes it. */
export async function withHistory<T>(dataDir: string, use: (reader: HistoryReader) => Promise<T>): Promise<T> {
  const file = path.join(path.resolve(dataDir), 'reader-url');
  let url: string;
  try {
    url = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new FlagError('--data-dir', `cannot read ${file}: ${reason(e)}`);
    url = '';
  }
  if (!url) throw new FlagError('--data-dir', `no history found in ${dataDir} (start one with: npm start)`);
  let client: pg.Client;
  try {
    client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, query_timeout: 10_000, application_name: 'pingpong-cli' });
    client.on('error', () => undefined); // a server that goes away mid-command fails the query instead
    await client.connect();
  } catch (e) {
    throw new FlagError('--data-dir', `the history database recorded in ${dataDir} does not answer (${reason(e)}); is npm start still running?`);
  }
  try {
    return await use(historyReader(client));
  } catch (e) {
    if (e instanceof FlagError) throw e;
    throw new FlagError('--data-dir', `reading the history recorded in ${dataDir} failed: ${reason(e)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const none = '-';
const pathText = (p: readonly string[]) => (p.length ? p.join(' → ') : none);
const statusText = (b: BallRecord) => (b.status === 'dropped' && b.reason ? `dropped (${b.reason})` : b.status);

/** The balls as a table: one line each, oldest served first. */
export function formatBalls(balls: readonly BallRecord[]): string {
  return table(['BALL', 'STATUS', 'HOPS', 'SERVED', 'ENDED', 'TARGET', 'PATH'],
    balls.map((b) => [b.id, statusText(b), String(b.hops), b.servedAt, b.endedAt ?? none, b.target, pathText(b.path)]));
}

/** One ball: what it is, how it ended, and each hop with who threw and who caught it. */
export function formatBall(ball: BallRecord, hops: readonly HopRecord[]): string {
  const ending = ball.status === 'landed'
    ? `landed on ${ball.landedBy} at hop ${ball.hops}, ${ball.endedAt}`
    : ball.status === 'dropped'
      ? `dropped by ${ball.path.at(-1) ?? none} at hop ${ball.hops} (${ball.reason}), ${ball.endedAt}`
      : `in the air: hop ${ball.hops} thrown`;
  // Once it ended, the path holds the pod that caught each hop; in the air, all but the last's.
  const caughtBy = (hop: number) => ball.path[hop] ?? (ball.status === 'served' ? '(in the air)' : none);
  return [
    `Ball:     ${ball.id}`,
    `Target:   ${ball.target} (max hops ${ball.maxHops})`,
    `Served:   ${ball.servedAt}`,
    `Status:   ${ending}`,
    `Path:     ${pathText(ball.path)}`,
    '',
    table(['HOP', 'THROWN BY', 'CAUGHT BY', 'AT'], hops.map((h) => [String(h.hop), h.from ?? 'ping', caughtBy(h.hop), h.at])),
  ].join('\n');
}

/** `pingpong balls [--last N] [--source S --id I] [--data-dir D] [--json]`. */
export async function cmdBalls(argv: string[], env: NodeJS.ProcessEnv, say: Say): Promise<void> {
  const opts = parseBalls(argv, env);
  const balls = await withHistory(opts.dataDir, (h) => h.balls({
    ...(opts.last !== undefined ? { last: opts.last } : {}),
    ...(opts.request ? { request: opts.request } : {}),
  }));
  if (opts.json) return say(JSON.stringify(balls, null, 2));
  if (balls.length === 0) {
    return say(opts.request
      ? `no balls from request ${opts.request.source} ${opts.request.id} in the history yet (ping serves them asynchronously: try again in a moment)`
      : 'no balls in the history yet');
  }
  say(formatBalls(balls));
}

/** `pingpong ball ID [--data-dir D] [--json]`. */
export async function cmdBall(argv: string[], env: NodeJS.ProcessEnv, say: Say): Promise<void> {
  const opts = parseBall(argv, env);
  const found = await withHistory(opts.dataDir, (h) => h.ball(opts.id));
  if (!found) throw new FlagError(`ball ${opts.id}`, `not in the history recorded in ${opts.dataDir} (list the balls with: pingpong balls)`);
  say(opts.json ? JSON.stringify(found, null, 2) : formatBall(found.ball, found.hops));
}
