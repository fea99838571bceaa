/**
 * The pods' JavaScript: built from the sources once per change, reused after, and a function
 * started from it on node alone (no tsx) answers as the TypeScript one does.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { compiledFunctions } from '../../lib/process/compiled-functions.js';
import { functionCommand, ROOT } from '../../lib/process/function-command.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const FUNCTIONS = ['ping', 'forward', 'record-hop', 'coin-flip', 'list-pods', 'scale-workers', 'history-ui'];

test('the build holds a bundle for every function and the preload, with the page beside them, and is reused while the sources stay', async (t) => {
  const dir = await compiledFunctions(ROOT);
  t.true(dir.startsWith(path.join(ROOT, 'node_modules', '.cache', 'pingpong-pods')), dir);
  for (const f of [...FUNCTIONS.map((fn) => `functions/${fn}/pod.mjs`), 'lib/process/exit-with-parent.mjs']) {
    t.true(existsSync(path.join(dir, f)), f);
  }
  t.is(realpathSync(path.join(dir, 'ui')), realpathSync(path.join(ROOT, 'ui')));
  const built = statSync(path.join(dir, 'functions', 'coin-flip', 'pod.mjs')).mtimeMs;
  t.is(await compiledFunctions(ROOT), dir, 'the same sources, the same build');
  t.is(statSync(path.join(dir, 'functions', 'coin-flip', 'pod.mjs')).mtimeMs, built, 'not built again');
});

test('each pod bundle holds the framework and the function: it imports nothing from node_modules but pg\'s optional native binding', async (t) => {
  const dir = await compiledFunctions(ROOT);
  for (const fn of FUNCTIONS) {
    const code = readFileSync(path.join(dir, 'functions', fn, 'pod.mjs'), 'utf8');
    const bare = [...code.matchAll(/^import\s[^'"]*['"]([^'".][^'"]*)['"]/gm)].map((m) => m[1]!).filter((s) => !isBuiltin(s));
    t.deepEqual(bare.filter((s) => s !== 'pg-native'), [], fn);
    t.true(code.includes('functions/' + fn + '/index.ts'), `${fn}: its own module is inside`);
  }
});

test('coin-flip started from its bundle runs on node alone and answers', async (t) => {
  const cmd = functionCommand('coin-flip', await compiledFunctions(ROOT));
  t.false(cmd.args.includes('tsx'), cmd.args.join(' '));
  const port = await freePort();
  const child = spawn(cmd.command, cmd.args, { cwd: ROOT, env: { ...process.env, ...cmd.env, PORT: String(port), POD_NAME: 'compiled-test', LOG_LEVEL: 'warn' }, stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  const gone = new Promise((r) => child.once('exit', r));
  t.teardown(async () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } await gone; });
  await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false), 'the compiled coin-flip to answer', { timeoutMs: 30_000 });
  const res = await fetch(`http://127.0.0.1:${port}/compute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"heads":4}' });
  t.is(res.status, 200);
  t.like(await res.json(), { heads_required: 4 });
});
