import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../lib/process/function-command.js';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [path.join(ROOT, 'bin/pingpong.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));

test('an invalid manifest is refused before anything starts, naming the file, the resource and the field', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pingpong-cli-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const file = path.join(ROOT, 'test/fixtures/manifests/bad-trigger.yaml');
  const r = await cli(['up', '--data-dir', dataDir, '-f', file]);
  t.is(r.code, 2);
  t.regex(r.stderr, /bad-trigger\.yaml/);
  t.regex(r.stderr, /Trigger\/pingpong\/bad-filter/);
  t.regex(r.stderr, /spec\.filter\.attributes\.Ball-Id/);
  t.deepEqual(await readdir(dataDir), [], 'nothing was started or written');
});

test('a -f file that does not exist is refused naming it', async (t) => {
  const r = await cli(['up', '--data-dir', path.join(os.tmpdir(), 'pingpong-never-made'), '-f', '/nonexistent/my-trigger.yaml']);
  t.is(r.code, 2);
  t.regex(r.stderr, /^pingpong: \/nonexistent\/my-trigger\.yaml: no such file/);
});

for (const [args, env, flag] of [
  [['up', '--gateway-port', 'http'], {}, '--gateway-port'],
  [['up'], { PINGPONG_STABLE_WINDOW: 'soon' }, '--stable-window'],
  [['up', '--verbose'], {}, 'up'],
  [['launch'], {}, 'launch'],
] as const) {
  test(`pingpong ${args.join(' ')} ${JSON.stringify(env)} is refused naming ${flag}`, async (t) => {
    const r = await cli([...args], { ...env });
    t.is(r.code, 2);
    t.true(r.stderr.startsWith(`pingpong: ${flag}`), r.stderr);
  });
}

test('status without a running instance says how to start one', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pingpong-cli-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const r = await cli(['status', '--data-dir', dataDir]);
  t.is(r.code, 2);
  t.regex(r.stderr, /no running instance .* npm start/);
});

test('help lists the commands and every flag with its environment variable', async (t) => {
  const r = await cli(['--help']);
  t.is(r.code, 0);
  for (const s of ['pingpong up', 'pingpong status', '--stable-window', 'PINGPONG_GATEWAY_PORT', 'PINGPONG_FILES']) t.true(r.stdout.includes(s), s);
});
