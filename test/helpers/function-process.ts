import { spawn, type ChildProcess } from 'node:child_process';
import { functionCommand, ROOT } from '../../lib/process/function-command.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface RunningFunction {
  url: string;
  port: number;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts one function as a real functions-framework process on a free port, in its own process
 * group, and resolves once `GET /healthz` answers 200. From the TypeScript sources through tsx,
 * or with `compiled` (a compiledFunctions folder) from the JavaScript the runtime's pods run.
 */
export async function startFunction(target: string, env: Record<string, string> = {}, compiled?: string): Promise<RunningFunction> {
  const port = await freePort();
  const cmd = functionCommand(target, compiled);
  const child: ChildProcess = spawn(cmd.command, cmd.args, {
    cwd: ROOT,
    env: { ...process.env, ...cmd.env, PORT: String(port), POD_NAME: `${target}-test`, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* already gone */ }
      const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000);
      await exited;
      clearTimeout(t);
    }
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${out}`);
      return (await fetch(`${url}/healthz`)).status === 200;
    }, `${target} to answer /healthz`, { timeoutMs: 30_000 });
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, port, output: () => out, stop };
}
