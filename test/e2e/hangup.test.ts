/**
 * A closed terminal sends SIGHUP to npm start's process group: the runtime stops as for Ctrl-C,
 * so PostgreSQL and the pods do not outlive it (they did: an orphaned PostgreSQL kept running).
 * So does a closed pipe on its output, which crashed it with EPIPE and orphaned PostgreSQL.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../lib/process/function-command.js';
import { npmStart, processesMentioning } from '../helpers/pingpong-up.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

test('a closed terminal (SIGHUP) stops every pod and PostgreSQL', async (t) => {
  const pp = await npmStart([]);
  t.teardown(() => rm(pp.dataDir, { recursive: true, force: true }));
  t.true((await processesMentioning(pp.dataDir)).length >= 5, 'pods and PostgreSQL run');
  await pp.interrupt('SIGHUP');
  await waitFor(() => /SIGHUP: stopping every pod/.test(pp.output()), 'the runtime to say it stops', { timeoutMs: 10_000 });
  await waitFor(async () => (await processesMentioning(pp.dataDir)).length === 0, 'every process of the instance to exit', { timeoutMs: 30_000 });
  t.pass();
});

test('a reader of its output that goes away (npm start | head) stops it as Ctrl-C does: no EPIPE crash, nothing left running', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pingpong-epipe-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  // node on the bin itself, not npm: the pipe read here is the runtime's own stdout.
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'pingpong.js'), 'up', '--data-dir', dataDir, '--log-format', 'json',
    '--gateway-port', String(ports[0]), '--broker-port', String(ports[1]), '--api-port', String(ports[2])],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await waitFor(() => out.includes('ready; Ctrl-C stops everything.'), 'the runtime to be up', { timeoutMs: 120_000, intervalMs: 200 });
  t.true((await processesMentioning(dataDir)).length >= 5, 'pods and PostgreSQL run');
  child.stdout!.destroy();
  t.is(await exited, 0, 'it stopped, not crashed');
  await waitFor(async () => (await processesMentioning(dataDir)).length === 0, 'every process of the instance to exit', { timeoutMs: 30_000 });
});
