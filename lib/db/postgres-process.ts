import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { writePrivateFile } from '../fs/private-file.js';
import type { PostgresBinaries } from './postgres-binaries.js';
import type { RunAs } from './run-as.js';

/**
 * initdb and the postgres server as child processes we supervise ourselves: every spawn's `error`
 * event is handled (a binary that cannot be executed is a clear message, not a crash), the server
 * runs in its own process group so a terminal's Ctrl-C reaches only `pingpong up`, which stops it
 * after the pods that use it, and its last log lines explain an early exit.
 */

const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

function ids(user: RunAs | undefined): { uid?: number; gid?: number } {
  return user ? { uid: user.uid, gid: user.gid } : {};
}

/** A bounded tail of a process's output, to say why it failed. */
function tail(child: ChildProcess, onLine: (line: string) => void, keep = 20): () => string {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      onLine(line);
      lines.push(line.trim());
      if (lines.length > keep) lines.shift();
    });
  }
  return () => lines.filter(Boolean).join(' | ');
}

/**
 * `initdb` for a new data directory, owned by `user` when given. The admin password reaches it in
 * a 0600 file beside pgdata that only the server's user can read, removed right after.
 */
export async function initdb(bin: PostgresBinaries, pgdata: string, opts: { admin: string; password: string; user?: RunAs; onLine?: (l: string) => void }): Promise<void> {
  await fs.mkdir(pgdata, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(pgdata), `.initdb-password-${process.pid}`);
  await writePrivateFile(pwfile, `${opts.password}\n`);
  if (opts.user) {
    await fs.chown(pgdata, opts.user.uid, opts.user.gid);
    await fs.chown(pwfile, opts.user.uid, opts.user.gid);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(bin.initdb, [`--pgdata=${pgdata}`, '--auth=scram-sha-256', `--username=${opts.admin}`,
        `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'], { ...ids(opts.user), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      const said = tail(child, opts.onLine ?? (() => undefined));
      child.once('error', (e) => reject(new Error(`cannot run ${bin.initdb}: ${e.message}`)));
      child.once('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`initdb failed (${signal ?? `exit ${code}`}): ${said()}`));
      });
    });
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

export interface ServerProcess {
  pid: number;
  /** Resolves once the server has exited, however, saying how (`exit code 1`, `SIGKILL`). */
  exited: Promise<string>;
  /** Fast shutdown (SIGINT), then SIGKILL if it is still there after a grace period. */
  stop(): Promise<void>;
}

/** Starts the server on 127.0.0.1:`port` (TCP only, no Unix socket) and resolves once it accepts connections. */
export function startServer(bin: PostgresBinaries, pgdata: string, opts: { port: number; user?: RunAs; onLine?: (l: string) => void }): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin.postgres, ['-D', pgdata, '-p', String(opts.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], {
      ...ids(opts.user), stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, LC_MESSAGES: 'C' },
    });
    let ready = false;
    const exited = new Promise<string>((r) => child.once('exit', (code, sig) => r(sig ?? `exit code ${code}`)));
    const timer = setTimeout(() => {
      if (ready) return;
      signal(child, 'SIGKILL');
      reject(new Error(`did not accept connections within ${START_TIMEOUT_MS / 1000} s: ${said()}`));
    }, START_TIMEOUT_MS);
    const said = tail(child, (line) => {
      opts.onLine?.(line);
      if (!ready && line.includes(READY)) {
        ready = true;
        clearTimeout(timer);
        resolve({ pid: child.pid!, exited, stop: () => stopChild(child, exited) });
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`cannot run ${bin.postgres}: ${e.message}`));
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      if (!ready) setImmediate(() => reject(new Error(`exited at start (${sig ?? `exit ${code}`}): ${said()}`)));
    });
  });
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try { process.kill(-child.pid!, sig); } catch { /* already gone */ }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signal(child, 'SIGINT');
  if (!(await within(exited, STOP_TIMEOUT_MS))) {
    signal(child, 'SIGKILL');
    await exited;
  }
}

function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => { clearTimeout(t); resolve(true); });
  });
}

/**
 * The server a killed run left behind on `pgdata`, if its pid (postmaster.pid) is alive and is a
 * postgres process on that directory (a reused pid is someone else's, and left alone).
 */
export async function runningServer(pgdata: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await fs.readFile(path.join(pgdata, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // a stale postmaster.pid: PostgreSQL replaces it itself
  }
  try {
    const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    if (!cmdline.some((a) => a === pgdata || a === path.resolve(pgdata))) return undefined;
  } catch { /* no /proc: trust the pid */ }
  return pid;
}

/** Fast shutdown of a server we do not hold as a child (an orphan of a killed run); resolves once gone. */
export async function stopOrphan(pid: number): Promise<boolean> {
  try { process.kill(pid, 'SIGINT'); } catch { return true; }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try { process.kill(pid, 0); } catch { return true; }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
