/**
 * Memory: the runtime process's resident set (the API server, Broker, gateway, activator and
 * controllers; pods are their own processes), each pod's, and a bare functions-framework process
 * serving a trivial function as the reference for a pod.
 */
import { spawn } from 'node:child_process';
import { freePort } from '../test/helpers/ports.js';
import { waitFor } from '../test/helpers/wait.js';
import { bareFramework, podPids, rssMiB, type BenchInstance } from './instance.js';
import { num, type Row } from './measure.js';

/** A bare functions-framework process's RSS once it has answered one request. */
async function bareFrameworkRss(): Promise<number | undefined> {
  const ff = await bareFramework();
  const port = await freePort();
  const child = spawn(process.execPath, ff.args, { env: { ...process.env, PORT: String(port) }, stdio: 'ignore', detached: true });
  try {
    await waitFor(() => fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false), 'a bare functions-framework to answer', { timeoutMs: 30_000 });
    return await rssMiB(child.pid!);
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    await gone;
    await ff.cleanup();
  }
}

export async function memoryRows(b: BenchInstance, progress: (line: string) => void): Promise<Row[]> {
  const runtime = await rssMiB(b.info.pid);
  const pods = (await b.status()).pods;
  const pids = await podPids(pods.map((p) => p.name));
  const perPod: Array<[string, number]> = [];
  for (const p of pods) {
    let rss = 0;
    for (const pid of pids.get(p.name) ?? []) rss += (await rssMiB(pid)) ?? 0;
    if (rss > 0) perPod.push([p.service, rss]);
  }
  const bareRss = await bareFrameworkRss();
  progress(`runtime ${num(runtime ?? NaN)} MiB; ${perPod.length} pods; bare functions-framework ${num(bareRss ?? NaN)} MiB`);
  const services = [...new Set(perPod.map(([s]) => s))].sort();
  return [
    { figure: 'memory: RSS of the runtime process', measured: `${num(runtime ?? NaN)} MiB`, reference: `bare functions-framework: ${bareRss === undefined ? 'not measured' : `${num(bareRss)} MiB`}`,
      versus: '—', goal: 'runtime ≤ 150 MB', met: runtime !== undefined && runtime * 1.048576 <= 150,
      note: `read once the instance is up and idle (pods are separate processes, not counted here); ${pods.length} pods were up. The runtime runs as one bundle of its sources on node (bin/pingpong.js), without tsx. A pod's figure is every process of its group (node alone: pods run the functions bundled).` },
    ...services.map((s) => {
      const mine = perPod.filter(([x]) => x === s).map(([, r]) => r);
      return { figure: `memory: RSS of a ${s} pod`, measured: `${num(Math.max(...mine))} MiB${mine.length > 1 ? ` (max of ${mine.length})` : ''}`,
        reference: bareRss === undefined ? '—' : `bare functions-framework: ${num(bareRss)} MiB`, versus: bareRss === undefined ? '—' : `${(Math.max(...mine) / bareRss).toFixed(2)}×`, goal: '—' };
    }),
  ];
}
