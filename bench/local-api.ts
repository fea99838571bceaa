/**
 * Local API: how long a client waits on the project's local Kubernetes API server when it holds
 * 1,000 pods — a list of them all, a label-selected list (one Service's 5 pods), and a watch: the
 * time from the runtime writing a pod to the event reaching the watcher. Reported, no goal.
 *
 * The server runs in a child process (this file run as a script, `node --import tsx
 * bench/local-api.ts <dir>`), as it runs apart from the pods that call it; the client here is
 * @kubernetes/client-node with list-pods' ServiceAccount kubeconfig (plain HTTP, bearer token,
 * RBAC checked), as list-pods and history-ui use it. The child writes pods when asked over IPC and
 * exits when that channel closes, so it never outlives the benchmark.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { pino } from 'pino';
import { loadKustomization } from '../lib/manifests/index.js';
import { ROOT } from '../lib/process/function-command.js';
import { LocalApiServer } from '../local/apiserver/index.js';
import { applyObjects, knativeCrds } from '../local/runtime/apply.js';
import type { PodRecord } from '../local/types.js';
import { freePort } from '../test/helpers/ports.js';
import { num, quantile, type Benchmark, type Row } from './measure.js';

const PODS = 1000;
const PER_SERVICE = 5;
const NAMESPACE = 'pingpong';
const SERVICE_ACCOUNT = 'list-pods';
const LISTS = 50;
const WRITES = 200;
/** Between two writes: each is measured alone, not queued behind the one before. */
const SPACING_MS = 3;

type FromChild = { ready: { kubeconfig: string } } | { wrote: { rv: string; at: string } };

/** Pod i: Service svc-<i / 5>, so one Service's label selects 5 of the 1,000. */
function podRecord(i: number): PodRecord {
  const service = `svc-${String(Math.floor(i / PER_SERVICE)).padStart(3, '0')}`;
  return {
    name: `${service}-00001-deployment-${String(i % PER_SERVICE).padStart(5, 'a')}`, namespace: NAMESPACE, service,
    configuration: service, revision: `${service}-00001`, ip: '127.0.0.1', port: 40_000 + i, phase: 'Running',
    ready: true, terminating: false, inFlight: 0, startedAt: new Date('2026-12-03T08:00:00Z'),
  };
}

/** The child: the API server with the manifests, their RBAC and 1,000 pods; a pod written per `{ write }`. */
async function serve(dir: string): Promise<void> {
  const api = new LocalApiServer({ log: pino({ level: 'silent' }) });
  process.once('disconnect', () => void api.close().finally(() => process.exit(0)));
  const url = await api.listen(await freePort(), '127.0.0.1');
  const manifests = (await loadKustomization(ROOT)).map((r) => r.object);
  applyObjects(api, [...await knativeCrds(), ...manifests]);
  api.setRbac(manifests.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind)));
  const files = await api.writeKubeconfigs({ dataDir: dir, serverUrl: url, serviceAccounts: [{ namespace: NAMESPACE, name: SERVICE_ACCOUNT }] });
  const pods = Array.from({ length: PODS }, (_, i) => podRecord(i));
  for (const p of pods) api.upsertPod(p);
  process.on('message', (m: { write: number }) => {
    // A readiness flip, as the runtime writes when a probe changes: a MODIFIED event.
    const p = pods[m.write % PODS]!;
    p.ready = !p.ready;
    // CLOCK_MONOTONIC (hrtime) is one clock for every process on the machine.
    const at = process.hrtime.bigint();
    api.upsertPod(p);
    const rv = api.pods.get(p.namespace, p.name)!.metadata.resourceVersion!;
    process.send!({ wrote: { rv, at: String(at) } } satisfies FromChild);
  });
  process.send!({ ready: { kubeconfig: files.serviceAccounts[`${NAMESPACE}/${SERVICE_ACCOUNT}`]! } } satisfies FromChild);
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) await serve(process.argv[2]!);

/** Milliseconds `f` takes. */
async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

const ms = (v: number) => `${num(v)} ms`;
const p50p99 = (v: number[]) => `p50 ${ms(quantile(v, 0.5))}, p99 ${ms(quantile(v, 0.99))}`;

export const localApiBenchmarks: Benchmark[] = [{
  name: 'local API: list and watch with 1,000 pods',
  async run(progress) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-local-api-'));
    // node, never npx; its own process group, so the fallback kill takes tsx's esbuild with it.
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), dir], {
      cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // One request to the child at a time: the next message answers it, or its exit fails it.
    let pending: { resolve: (m: FromChild) => void; reject: (e: Error) => void } | undefined;
    child.on('message', (m: FromChild) => { const p = pending; pending = undefined; p?.resolve(m); });
    child.once('exit', (code, signal) => pending?.reject(new Error(`local API process exited (${code ?? signal}):\n${out}`)));
    // Generous: on a loaded machine loading the modules alone has taken 20 s.
    const next = (what: string, send?: { write: number }) => new Promise<FromChild>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`local API process: no ${what} after 60 s:\n${out}`)), 60_000);
      pending = { resolve: (m) => { clearTimeout(timer); resolve(m); }, reject: (e) => { clearTimeout(timer); reject(e); } };
      if (send) child.send(send);
    });
    let watching: AbortController | undefined;
    try {
      const ready = await next('ready');
      if (!('ready' in ready)) throw new Error('local API process: expected ready');
      const kc = new KubeConfig();
      kc.loadFromFile(ready.ready.kubeconfig);
      const core = kc.makeApiClient(CoreV1Api);

      const all = await core.listNamespacedPod({ namespace: NAMESPACE });
      if (all.items.length !== PODS) throw new Error(`listed ${all.items.length} pods, expected ${PODS}`);
      const selector = 'serving.knative.dev/service=svc-042';
      const picked = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: selector });
      if (picked.items.length !== PER_SERVICE) throw new Error(`selected ${picked.items.length} pods, expected ${PER_SERVICE}`);
      // A few unrecorded lists first: connection open, JIT warm on both sides.
      for (let i = 0; i < 5; i++) await core.listNamespacedPod({ namespace: NAMESPACE });
      const lists: number[] = [];
      for (let i = 0; i < LISTS; i++) lists.push(await timed(() => core.listNamespacedPod({ namespace: NAMESPACE })));
      progress(`  local API list of ${num(PODS)} pods ×${LISTS}: ${p50p99(lists)}`);
      const selected: number[] = [];
      for (let i = 0; i < LISTS; i++) selected.push(await timed(() => core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: selector })));
      progress(`  local API label-selected list (${PER_SERVICE} of ${num(PODS)}) ×${LISTS}: ${p50p99(selected)}`);

      // The watch an informer opens after its list: from the list's resourceVersion, so only changes come.
      const arrived = new Map<string, bigint>();
      let waiter: { rv: string; resolve: () => void } | undefined;
      let watchEnded: unknown;
      watching = await new Watch(kc).watch(`/api/v1/namespaces/${NAMESPACE}/pods`, { resourceVersion: all.metadata!.resourceVersion },
        (_type, obj: { metadata?: { resourceVersion?: string } }) => {
          const rv = obj.metadata?.resourceVersion ?? '';
          arrived.set(rv, process.hrtime.bigint());
          if (waiter?.rv === rv) waiter.resolve();
        },
        (err) => { watchEnded = err ?? 'closed'; });
      const watch: number[] = [];
      for (let i = 0; i < WRITES; i++) {
        const m = await next('write answer', { write: i });
        if (!('wrote' in m)) throw new Error('local API process: expected wrote');
        const { rv, at } = m.wrote;
        if (!arrived.has(rv)) {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no watch event for resourceVersion ${rv} after 10 s (watch ${watchEnded ? `ended: ${String(watchEnded)}` : 'open'})`)), 10_000);
            waiter = { rv, resolve: () => { clearTimeout(timer); resolve(); } };
          });
        }
        watch.push(Number(arrived.get(rv)! - BigInt(at)) / 1e6);
        await new Promise((r) => setTimeout(r, SPACING_MS));
      }
      progress(`  local API watch, pod write → event ×${WRITES}: ${p50p99(watch)}`);

      const note = `The API server in its own process (node --import tsx), ${num(PODS)} pods (${PODS / PER_SERVICE} Services × ${PER_SERVICE}) plus the manifests; ` +
        `client: @kubernetes/client-node as ServiceAccount ${NAMESPACE}/${SERVICE_ACCOUNT} over plain HTTP, one request at a time`;
      const row = (figure: string, values: number[], what: string): Row => ({
        figure, measured: p50p99(values), reference: '—', versus: '—', goal: 'reported', note: `${note}; ${what}.`,
      });
      return [
        row(`local API: list ${num(PODS)} pods (CoreV1Api.listNamespacedPod)`, lists, `${LISTS} lists after 5 unrecorded, each until the client has the typed V1PodList`),
        row(`local API: label-selected list, ${PER_SERVICE} of ${num(PODS)} pods`, selected, `${LISTS} lists of labelSelector ${selector}`),
        row(`local API: watch latency, pod write → event, ${num(PODS)} pods`, watch,
          `${WRITES} readiness flips written by the runtime's upsertPod, ${SPACING_MS} ms apart, each timed from just before the write (in the server's process) ` +
          'to the client-node Watch callback (here), on the one monotonic clock both processes read'),
      ];
    } finally {
      watching?.abort();
      // Closing the channel is the child's cue to stop; a group kill if it does not.
      if (child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.disconnect();
        const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    }
  },
}];
