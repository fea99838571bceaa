/**
 * `pingpong load` (`npm run load`) against a real instance: coin-flip (containerConcurrency 4,
 * autoscaling target 3 per pod, max-scale 10) driven 12 at a time must scale past one pod, with the
 * pods serving at once, and the lines must go on until it is back at zero after the load (a 6 s
 * stable window). A bad flag, and no instance, are one line and exit 2; Ctrl-C stops it cleanly.
 */
import test from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { npmStart, stopInstance, type Instance } from '../helpers/pingpong-up.js';
import { waitFor } from '../helpers/wait.js';
import { ROOT } from '../../lib/process/function-command.js';

const run = promisify(execFile);
const CLI = path.join(ROOT, 'bin', 'pingpong.js');
let pp: Instance | undefined;
const children: ChildProcess[] = [];

test.before(async () => {
  pp = await npmStart(['--stable-window', '6s']);
});

test.after.always(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  await stopInstance(pp);
});

/** `pingpong load …` in its own process group (killed at the end if still running), output kept. */
function load(args: string[]) {
  const child = spawn(process.execPath, [CLI, 'load', ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  let code: number | null | undefined;
  child.once('exit', (c, signal) => (code = c ?? (signal ? -1 : null)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    /** undefined while it runs. */
    code: () => code,
  };
}

interface Tick { elapsedS: number; perSecond: number; failed: number; queued: number; pods: number; cells: Array<{ pod: string; inFlight?: number; state: 'serving' | 'starting' | 'stopping' }> }

/** The once-a-second lines: `  12s     480       0       0     4  00001-x2k8q 3, 00001-bb4kz starting, …`. */
function ticks(lines: readonly string[]): Tick[] {
  const out: Tick[] = [];
  for (const line of lines) {
    const m = /^\s*(\d+)s\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.+)$/.exec(line);
    if (!m) continue;
    const cells = m[6] === '- (at zero)' ? [] : m[6]!.split(', ').map((cell) => {
      const [pod, a, b] = cell.split(' ');
      if (a === 'starting') return { pod: pod!, state: 'starting' as const };
      return { pod: pod!, inFlight: Number(a), state: b === 'stopping' ? 'stopping' as const : 'serving' as const };
    });
    out.push({ elapsedS: Number(m[1]), perSecond: Number(m[2]), failed: Number(m[3]), queued: Number(m[4]), pods: Number(m[5]), cells });
  }
  return out;
}

test.serial('npm run load scales coin-flip past one pod, then prints it back at zero', async (t) => {
  t.timeout(240_000);
  // Long enough for new pods to start and serve on a busy machine (they take a few seconds each).
  const l = load(['--data-dir', pp!.dataDir, '--concurrency', '12', '--duration', '15s', '--watch-after', '90s']);
  await waitFor(() => l.code() !== undefined, 'pingpong load to see coin-flip back at zero and exit', { timeoutMs: 180_000, intervalMs: 200 });
  const out = l.stdout();
  t.log(out);
  t.is(l.code(), 0, l.stderr());
  t.is(l.stderr(), '');
  const lines = out.trimEnd().split('\n');
  t.regex(lines[0]!, /^pingpong load: POST \/compute \{"heads":20\} to pingpong\/coin-flip \(Host: coin-flip\.pingpong\.127\.0\.0\.1\.sslip\.io\) through http:\/\/localhost:\d+, 12 at a time for 15s/);
  const stoppedAt = lines.findIndex((l) => l.startsWith('load stopped after '));
  t.true(stoppedAt > 0, 'a line says the load stopped');
  const during = ticks(lines.slice(0, stoppedAt));
  const after = ticks(lines.slice(stoppedAt + 1));
  t.true(during.length >= 10, `a line a second while loading (${during.length})`);
  t.true(during.some((k) => k.perSecond > 0), 'requests were answered');
  // More than one pod served: in one second's line, two pods or more each had requests in flight.
  const together = during.find((k) => k.cells.filter((c) => c.state === 'serving' && c.inFlight! > 0).length >= 2);
  t.truthy(together, 'two pods or more serving at once');
  t.true(Math.max(...during.map((k) => k.pods)) >= 2);
  t.true(during.every((k) => k.failed === 0), 'no request failed');
  // After the load: the pods go, and a line shows coin-flip at zero.
  t.true(after.length >= 1);
  const last = after.at(-1)!;
  t.is(last.pods, 0);
  t.deepEqual(last.cells, []);
  t.regex(lines.at(-1)!, /^coin-flip is back at zero pods, \d+s after the load stopped\.$/);
});

test.serial('Ctrl-C stops the load and exits cleanly', async (t) => {
  t.timeout(120_000);
  const l = load(['--data-dir', pp!.dataDir, '--concurrency', '4', '--duration', '5m']);
  await waitFor(() => ticks(l.stdout().split('\n')).some((k) => k.perSecond > 0), 'a second with requests answered', { timeoutMs: 60_000, intervalMs: 100 });
  process.kill(-l.child.pid!, 'SIGINT');
  await waitFor(() => l.code() !== undefined, 'pingpong load to exit after Ctrl-C', { timeoutMs: 10_000, intervalMs: 50 });
  t.is(l.code(), 0);
  t.is(l.stderr(), '');
  t.regex(l.stdout().trimEnd().split('\n').at(-1)!, /^interrupted: load stopped after \d+s: \d+ answered \(0 failed\), at most \d+ pods? at once\.$/);
});

/** `pingpong load …` run to its end: exit code and both streams. */
async function refused(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'load', ...args], { cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('a bad flag is one line naming it, exit 2', async (t) => {
  for (const [args, flag] of [
    [['--concurrency', 'twelve'], '--concurrency'],
    [['--duration', '8 parsecs'], '--duration'],
    [['--path', 'compute'], '--path'],
    [['--bogus'], '--bogus'],
  ] as const) {
    const r = await refused([...args, '--data-dir', pp!.dataDir]);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.is(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    t.is(lines.length, 1, r.stderr);
    t.true(lines[0]!.startsWith('pingpong: '), lines[0]);
    t.true(lines[0]!.includes(flag), `${lines[0]} names ${flag}`);
  }
});

test('with no instance running it says to start npm start first, exit 2', async (t) => {
  const empty = await mkdtemp(path.join(os.tmpdir(), 'pingpong-load-none-'));
  t.teardown(() => rm(empty, { recursive: true, force: true }));
  const r = await refused(['--data-dir', empty]);
  t.is(r.code, 2);
  t.is(r.stdout, '');
  t.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /^pingpong: --data-dir: no running instance found in .*npm start/);
});
