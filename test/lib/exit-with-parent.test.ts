import test from 'ava';
import { spawn } from 'node:child_process';
import { functionCommand, ROOT } from '../../lib/process/function-command.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

test('a function process exits when the process that started it is killed', async (t) => {
  const port = await freePort();
  const cmd = functionCommand('forward');
  // A parent that starts the function as the runtime does (a stdin pipe it never writes), prints
  // its pid, then waits: killed with SIGKILL it cannot clean up.
  const script = `const { spawn } = require('node:child_process');
    const c = spawn(${JSON.stringify(cmd.command)}, ${JSON.stringify(cmd.args)}, { cwd: ${JSON.stringify(ROOT)}, stdio: ['pipe', 'ignore', 'ignore'],
      env: { ...process.env, ...${JSON.stringify(cmd.env)}, PORT: '${port}' } });
    console.log(c.pid); setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  let out = '';
  parent.stdout!.on('data', (d) => (out += d));
  const child = Number(await waitFor(() => out.trim(), 'the child pid'));
  t.teardown(() => { for (const pid of [child, parent.pid!]) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 'the function to serve', { timeoutMs: 30_000 });
  process.kill(parent.pid!, 'SIGKILL');
  await waitFor(() => !alive(child), 'the orphaned function to exit', { timeoutMs: 15_000 });
  t.false(alive(child));
});
