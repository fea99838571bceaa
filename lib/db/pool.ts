import pg from 'pg';
import type { Logger } from '../log.js';

export interface PoolOptions {
  /** Most connections this process opens (default 5: a function handles a few events at once). */
  max?: number;
  /** How long to wait for a connection; short, so a database that is down fails fast (default 2 s). */
  connectionTimeoutMillis?: number;
  /** Client-side limit on one query, so a hung server cannot hold a delivery forever (default 10 s). */
  queryTimeoutMillis?: number;
  /** Shown in pg_stat_activity, to tell our processes apart. */
  applicationName?: string;
  log?: Logger;
}

/**
 * A pg Pool for one database URL. Connections are opened lazily, so a process starts while the
 * database is down and its first query fails fast instead. Idle connections that the server
 * drops (a restart) are logged, not thrown: without an `error` listener pg would crash the process.
 */
export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 5,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 2000,
    query_timeout: opts.queryTimeoutMillis ?? 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: opts.applicationName,
  });
  pool.on('error', (err) => opts.log?.warn({ err: err.message }, 'idle database connection lost'));
  return pool;
}
