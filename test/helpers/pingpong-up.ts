import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ROOT } from '../../lib/process/function-command.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface Instance {
  dataDir: string;
  gateway: number;
  broker: number;
  api: number;
  /** stdout and stderr as they interleaved. */
  output: () => string;
  /** stdout alone. */
  stdout: () => string;
  /** Ctrl-C, as a terminal sends it to the foreground process group; resolves with the exit code. */
  /** Signals the whole npm start group (Ctrl-C: SIGINT; a closed terminal: SIGHUP) and waits for its exit. */
  interrupt: (signal?: NodeJS.Signals) => Promise<number | null>;
  exited: () => boolean;
}

const run = promisify(execFile);

/** kubectl on an instance's API, with its kubeconfig, its own discovery cache, in namespace pingpong. */
export const kubectlOn = (pp: Pick<Instance, 'dataDir'>) => async (...args: string[]): Promise<string> =>
  (await run('kubectl', ['--kubeconfig', path.join(pp.dataDir, 'kubeconfig'), '--cache-dir', path.join(pp.dataDir, 'kube-cache'),
    '-n', 'pingpong', ...args], { timeout: 60_000 })).stdout;

/** The history as the read-only user, the URL pingpong up writes to its data dir. */
export async function historyReaderOf(pp: Pick<Instance, 'dataDir'>): Promise<pg.Client> {
  const db = new pg.Client({ connectionString: (await readFile(path.join(pp.dataDir, 'reader-url'), 'utf8')).trim() });
  // Ctrl-C stops PostgreSQL under this reader; that is expected, not a failure.
  db.on('error', () => undefined);
  await db.connect();
  return db;
}

/** The end of a test file's instance: its reader closed, Ctrl-C, its data dir removed. */
export async function stopInstance(pp: Instance | undefined, db?: pg.Client): Promise<void> {
  await db?.end().catch(() => undefined);
  if (!pp) return;
  await pp.interrupt();
  await rm(pp.dataDir, { recursive: true, force: true });
}

const YEARLY_SHUFFLE = path.join(ROOT, 'test/fixtures/manifests/shuffle-workers-yearly.yaml');

/**
 * Runs `npm start -- <flags>` in its own process group on free ports and a temp data dir. The
 * shuffle-workers tick is made yearly unless `shuffle` is set: a test that is not about scaling
 * would otherwise see forward roll to a new revision every minute.
 */
export async function npmStart(extra: string[] = [], env: Record<string, string> = {},
  where: { cwd?: string; dataDir?: string; shuffle?: boolean } = {}): Promise<Instance> {
  // A port free when it was picked can be taken before npm start binds it (an outgoing connection
  // of another test gets it from the same ephemeral range): pick again, a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(extra, env, where);
    } catch (e) {
      if (attempt >= 3 || !/is already in use/.test((e as Error).message)) throw e;
    }
  }
}

async function startOnce(extra: string[], env: Record<string, string>,
  where: { cwd?: string; dataDir?: string; shuffle?: boolean }): Promise<Instance> {
  // A private (0700) temp dir, like a home folder: as root, PostgreSQL must cope with it.
  const dataDir = where.dataDir ?? await mkdtemp(path.join(os.tmpdir(), 'pingpong-e2e-'));
  const [gateway, broker, api] = [await freePort(), await freePort(), await freePort()];
  const child: ChildProcess = spawn('npm', ['start', '--', '--data-dir', dataDir, '--gateway-port', String(gateway),
    '--broker-port', String(broker), '--api-port', String(api), ...(where.shuffle ? [] : ['-f', YEARLY_SHUFFLE]), ...extra], {
    cwd: where.cwd ?? ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  let out = '';
  let stdout = '';
  child.stdout!.on('data', (d) => { out += d; stdout += d; });
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let done = false;
  void exit.then(() => (done = true));
  const interrupt = async (signal: NodeJS.Signals = 'SIGINT') => {
    if (!done) {
      try { process.kill(-child.pid!, signal); } catch { /* gone */ }
      const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 60_000);
      const code = await exit;
      clearTimeout(t);
      return code;
    }
    return exit;
  };
  try {
    await Promise.race([
      waitFor(() => done || out.includes('Ctrl-C stops everything.'), 'npm start to report the runtime up', { timeoutMs: 120_000, intervalMs: 200 }),
      exit,
    ]);
    if (done) throw new Error(`npm start exited:\n${out}`);
  } catch (e) {
    await interrupt();
    // The caller's own data dir (a restart) is the caller's to keep.
    if (!where.dataDir) await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  return { dataDir, gateway, broker, api, output: () => out, stdout: () => stdout, interrupt, exited: () => done };
}

/** Processes whose command line or environment mention `marker` (the instance's data dir). */
export async function processesMentioning(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const [cmd, env] = await Promise.all([readFile(`/proc/${entry}/cmdline`, 'utf8'), readFile(`/proc/${entry}/environ`, 'utf8')]);
      if (cmd.includes(marker) || env.includes(marker)) found.push(Number(entry));
    } catch { /* gone, or not ours to read */ }
  }
  return found;
}
