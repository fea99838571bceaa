/**
 * Cold start: the first response of a Service at zero, through the gateway (the activator holds
 * the request while a pod starts), beside what it is made of — a warm request to the same
 * Service, a bare `node` HTTP server's start, and a functions-framework start of the same function
 * (the pod's own command, without the runtime around it).
 */
import { spawn } from 'node:child_process';
import { compiledFunctions } from '../lib/process/compiled-functions.js';
import { functionCommand, ROOT } from '../lib/process/function-command.js';
import { freePort } from '../test/helpers/ports.js';
import { bareFramework, untilPods, type BenchInstance } from './instance.js';
import { num, ratio, repeat, show, times, type Row } from './measure.js';

const RUNS = 5;
const BODY = '{"heads":3}';

/** ms from spawning a process until `url` first answers 2xx (polled every 2 ms), then the process is stopped. */
async function startToFirstAnswer(command: string, args: string[], env: Record<string, string>, url: (port: number) => string, init?: RequestInit): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: 'ignore', detached: true });
  try {
    for (const deadline = t0 + 30_000; performance.now() < deadline;) {
      const ok = await fetch(url(port), init).then((r) => r.ok, () => false);
      if (ok) return performance.now() - t0;
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`${command} did not answer within 30 s`);
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    await gone;
  }
}

export async function coldStartRows(b: BenchInstance, progress: (line: string) => void): Promise<Row[]> {
  // A short window (Knative's least, 6 s) on coin-flip alone, so each run reaches zero soon.
  await b.kubectl('patch', 'ksvc', 'coin-flip', '-n', 'pingpong', '--type', 'merge', '-p',
    JSON.stringify({ spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/window': '6s' } } } } }));
  const cold = await repeat(RUNS, 'ms', async (i) => {
    await untilPods(b, 'coin-flip', 0);
    const t0 = performance.now();
    const res = await b.viaGateway('coin-flip', '/compute', BODY);
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`the cold request answered ${res.status}`);
    progress(`cold start ${i + 1}/${RUNS}: ${num(ms)} ms`);
    return ms;
  });
  const warm = await repeat(20, 'ms', async () => {
    const t0 = performance.now();
    await b.viaGateway('coin-flip', '/compute', BODY);
    return performance.now() - t0;
  }, 3);
  const bare = await repeat(RUNS, 'ms', () => startToFirstAnswer(process.execPath,
    ['-e', "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')"], {}, (p) => `http://127.0.0.1:${p}/`));
  progress(`bare node start: ${show(bare)}`);
  const trivial = await bareFramework();
  const bareFf = await repeat(RUNS, 'ms', () => startToFirstAnswer(process.execPath, trivial.args, {}, (p) => `http://127.0.0.1:${p}/`)).finally(() => trivial.cleanup());
  progress(`bare functions-framework start: ${show(bareFf)}`);
  // coin-flip's pod command, as the runtime runs it (its bundle), and from the TypeScript
  // through tsx, as pods started before.
  const podStart = (compiled?: string) => {
    const cmd = functionCommand('coin-flip', compiled);
    return repeat(RUNS, 'ms', () => startToFirstAnswer(cmd.command, cmd.args, { ...cmd.env, POD_NAME: 'bench-cold', LOG_LEVEL: 'warn' },
      (p) => `http://127.0.0.1:${p}/compute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY }));
  };
  const ff = await podStart(await compiledFunctions(ROOT));
  const viaTsx = await podStart();
  progress(`coin-flip's pod command alone: ${show(ff)}; through tsx: ${show(viaTsx)}`);
  return [{
    figure: 'cold start: first response from zero, through the gateway', measured: show(cold),
    reference: `warm request: ${show(warm)}; bare node start: ${show(bare)}; bare functions-framework start: ${show(bareFf)}; coin-flip's pod command alone: ${show(ff)} (through tsx: ${show(viaTsx)})`,
    versus: `${times(ratio(cold, bareFf))} a bare functions-framework start`, goal: '≤ 300 ms p50 (Knative on a cluster: about 1.1 s for a TypeScript function)', met: cold.median <= 300,
    note: 'coin-flip with a 6 s window; each run waits until it has no pod at all. A start is measured from spawn to the first 2xx, polled every 2 ms. The pod command is what the runtime runs: node on the bundle of the function, functions-framework included (lib/process/compiled-functions.ts). A pod not yet ready is probed every 25 ms, as queue-proxy does.',
  }];
}
