/**
 * What a new user meets in the first minutes, on real processes: the project in a private (0700)
 * folder started as whoever runs the tests (root in CI), busy ports, a second instance on the same
 * data dir, and the lock a killed run leaves behind.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { linkTree } from '../../lib/fs/link-tree.js';
import { ROOT } from '../../lib/process/function-command.js';
import { npmStart, processesMentioning } from '../helpers/pingpong-up.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const cli = (args: string[], cwd = ROOT) =>
  run(process.execPath, [path.join(cwd, 'bin/pingpong.js'), ...args], { cwd, timeout: 60_000 })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));

const brokerAnswers = async (port: number) =>
  (await fetch(`http://127.0.0.1:${port}/pingpong/default`, { method: 'OPTIONS' })).status === 200;

test.serial('npm start in a private 0700 folder works, and the folder keeps its permissions', async (t) => {
  // The project as a user's clone in their home: a 0700 folder, node_modules included.
  const home = await mkdtemp(path.join(os.tmpdir(), 'pingpong-home-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  const clone = path.join(home, 'knative-ping-pong');
  await linkTree(ROOT, clone, (rel) => rel === '.git' || rel === '.local');
  t.is((await stat(home)).mode & 0o777, 0o700);

  const up = await npmStart([], {}, { cwd: clone, dataDir: '.local' });
  try {
    t.true(await brokerAnswers(up.broker));
    t.notRegex(up.output(), /EACCES|Error:|at .*\(.*:\d+:\d+\)/, 'no error and no stack trace');
    // The history database answers, through the read-only URL the runtime wrote.
    const client = new pg.Client({ connectionString: (await readFile(path.join(clone, '.local/reader-url'), 'utf8')).trim() });
    await client.connect();
    t.is((await client.query('SELECT count(*)::int AS n FROM ball')).rows[0].n >= 0, true);
    await client.end();
  } finally {
    t.not(await up.interrupt(), 1, 'npm start ends without an error');
  }
  // Not a terminal, so JSON lines: the last one is the runtime's "stopped.".
  t.is(JSON.parse(up.output().trimEnd().split('\n').at(-1)!).msg, 'stopped.');
  t.is((await stat(home)).mode & 0o777, 0o700, 'the user\'s folder was not opened up');
  t.deepEqual(await processesMentioning(clone), [], 'nothing left running');
});

for (const flag of ['gateway-port', 'broker-port', 'api-port'] as const) {
  test(`a busy --${flag} is refused in one line naming the flag and the port, with nothing left running`, async (t) => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pingpong-busy-'));
    t.teardown(() => rm(dataDir, { recursive: true, force: true }));
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    t.teardown(() => new Promise<void>((r) => busy.close(() => r())));
    const taken = (busy.address() as net.AddressInfo).port;
    const ports = { 'gateway-port': await freePort(), 'broker-port': await freePort(), 'api-port': await freePort(), [flag]: taken };
    const r = await cli(['up', '--data-dir', dataDir, ...Object.entries(ports).flatMap(([f, p]) => [`--${f}`, String(p)])]);
    t.is(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 1, r.stderr);
    t.regex(lines[0]!, new RegExp(`^pingpong: --${flag}: port ${taken} .*already in use`));
    t.deepEqual(await processesMentioning(dataDir), []);
  });
}

test.serial('a second pingpong up on the same data dir names the first one\'s pid and how to reach it', async (t) => {
  const first = await npmStart();
  t.teardown(async () => {
    await first.interrupt();
    await rm(first.dataDir, { recursive: true, force: true });
  });
  const pid = Number((await readFile(path.join(first.dataDir, 'pingpong.lock'), 'utf8')).trim());
  const [g, b, a] = [await freePort(), await freePort(), await freePort()];
  const r = await cli(['up', '--data-dir', first.dataDir, '--gateway-port', String(g), '--broker-port', String(b), '--api-port', String(a)]);
  t.is(r.code, 2);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.true(r.stderr.includes(`another pingpong up (pid ${pid}) is running on ${first.dataDir}`), r.stderr);
  t.true(r.stderr.includes(`npx pingpong status --data-dir ${first.dataDir}`), r.stderr);
  // The first one is untouched, and status reaches it as the message says.
  t.true(await brokerAnswers(first.broker));
  const status = await cli(['status', '--data-dir', first.dataDir]);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /pingpong\/forward/);
});

test.serial('the lock and the PostgreSQL server of a killed run are cleared by the next start', async (t) => {
  const first = await npmStart();
  const dataDir = first.dataDir;
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const pid = Number((await readFile(path.join(dataDir, 'pingpong.lock'), 'utf8')).trim());
  const pgPid = Number((await readFile(path.join(dataDir, 'postgres/pgdata/postmaster.pid'), 'utf8')).split('\n')[0]);
  process.kill(pid, 'SIGKILL'); // no chance to clean up: the lock and PostgreSQL stay behind
  await first.interrupt();
  t.notThrows(() => process.kill(pgPid, 0), 'PostgreSQL outlived the killed run');

  const second = await npmStart([], {}, { dataDir });
  try {
    t.regex(second.output(), new RegExp(`cleared the lock of a pingpong up \\(pid ${pid}\\) that was killed`));
    t.true(await brokerAnswers(second.broker));
    await waitFor(() => { try { process.kill(pgPid, 0); return false; } catch { return true; } }, 'the old PostgreSQL to be gone');
  } finally {
    t.not(await second.interrupt(), 1);
  }
  // The killed run's pods saw their parent go and exited; the second run stopped its own.
  const left = await waitFor(async () => {
    const pids = await processesMentioning(dataDir);
    return pids.length === 0 ? 'none' : undefined;
  }, 'every process of both runs to exit', { timeoutMs: 30_000 }).catch(async () => {
    const pids = await processesMentioning(dataDir);
    return (await Promise.all(pids.map(async (p) => `${p}: ${(await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '?')).replaceAll('\0', ' ').slice(0, 160)}`))).join('\n');
  });
  t.is(left, 'none');
});

test('a lock file whose pid is not a pingpong process is stale, and cleared', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pingpong-stale-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  // Our own pid is alive but is no pingpong: a pid the system reused after a crash looks like this.
  await writeFile(path.join(dataDir, 'pingpong.lock'), `${process.pid}\n`);
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => busy.close(() => r())));
  // A busy port stops the run right after the lock is taken: enough to see the stale one cleared.
  const r = await cli(['up', '--data-dir', dataDir, '--gateway-port', String((busy.address() as net.AddressInfo).port),
    '--broker-port', String(await freePort()), '--api-port', String(await freePort())]);
  t.regex(r.stdout, new RegExp(`cleared the lock of a pingpong up \\(pid ${process.pid}\\)`));
  t.regex(r.stderr, /--gateway-port/);
  await t.throwsAsync(stat(path.join(dataDir, 'pingpong.lock')), undefined, 'the lock went with the run');
});
