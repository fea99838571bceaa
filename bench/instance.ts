/**
 * A `pingpong up` for the benchmarks that need the whole runtime: started as a user starts it
 * (the e2e helper: its own data dir and free ports), with what they read of it — the runtime's
 * status (pods with their ports and in-flight requests), each process's resident memory, kubectl.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { readRuntimeInfo, type RuntimeInfo } from '../local/runtime/control.js';
import type { PodView, RuntimeStatus } from '../local/runtime/status-view.js';
import { frameworkMain, ROOT } from '../lib/process/function-command.js';
import { kubectlOn, npmStart, type Instance } from '../test/helpers/pingpong-up.js';
import { waitFor } from '../test/helpers/wait.js';

export interface BenchInstance {
  pp: Instance;
  info: RuntimeInfo;
  status(): Promise<RuntimeStatus>;
  podsOf(service: string): Promise<PodView[]>;
  kubectl(...args: string[]): Promise<string>;
  /** A POST to a Service through the gateway (its Host header, as curl -H sends it): status and body. */
  viaGateway(service: string, pathname: string, body: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export const QUIET_BALLS = path.join(ROOT, 'test/fixtures/manifests/serve-balls-quiet.yaml');

export async function startInstance(extra: string[] = []): Promise<BenchInstance> {
  const pp = await npmStart(extra);
  const info = await readRuntimeInfo(pp.dataDir);
  if (!info) { await pp.interrupt(); throw new Error('pingpong up wrote no runtime.json'); }
  const keepAlive = new http.Agent({ keepAlive: true });
  const status = async () => (await (await fetch(`${info.controlUrl}/status`)).json()) as RuntimeStatus;
  return {
    pp, info, status,
    podsOf: async (service) => (await status()).pods.filter((p) => p.service === service && p.ready && !p.terminating),
    kubectl: kubectlOn(pp),
    // node:http, not fetch: fetch does not let a caller set Host.
    viaGateway: (service, pathname, body) => new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: pp.gateway, path: pathname, method: 'POST', agent: keepAlive,
        headers: { host: `${service}.pingpong.127.0.0.1.sslip.io`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject).end(body);
    }),
    async stop() {
      keepAlive.destroy();
      await pp.interrupt();
      await rm(pp.dataDir, { recursive: true, force: true });
    },
  };
}

/** Resident memory of one process, in MiB (VmRSS), or undefined once it is gone. */
export async function rssMiB(pid: number): Promise<number | undefined> {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * The processes of each pod (POD_NAME in their environment), by pod name: the pod's node process
 * and anything it started, as a container holds them all.
 */
export async function podPids(names: readonly string[]): Promise<Map<string, number[]>> {
  const want = new Set(names);
  const found = new Map<string, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const env = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
    const name = /(?:^|\0)POD_NAME=([^\0]+)/.exec(env)?.[1];
    if (name && want.has(name)) found.set(name, [...found.get(name) ?? [], Number(entry)]);
  }
  return found;
}

/** Waits until a Service has exactly `n` ready pods; n = 0 means no pod at all, not even a draining one. */
export async function untilPods(b: BenchInstance, service: string, n: number, timeoutMs = 120_000): Promise<void> {
  const count = async () => (n === 0 ? (await b.status()).pods.filter((p) => p.service === service).length : (await b.podsOf(service)).length);
  await waitFor(async () => (await count()) === n, `${service} at ${n} pod(s)`, { timeoutMs, intervalMs: 100 });
}

/**
 * The reference for a pod: functions-framework serving a trivial plain-JS function (no tsx, none
 * of the project's code), written to a temp file. `args` for `node`; the function answers "ok".
 */
export async function bareFramework(): Promise<{ args: string[]; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-ff-'));
  await writeFile(path.join(dir, 'index.cjs'), "exports.hello = (req, res) => res.send('ok');\n");
  return { args: [frameworkMain(), '--target=hello', '--signature-type=http', `--source=${path.join(dir, 'index.cjs')}`], cleanup: () => rm(dir, { recursive: true, force: true }) };
}
