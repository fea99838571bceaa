/**
 * `pingpong load` (`npm run load`): drives one Service of the running instance through its gateway
 * at a fixed concurrency with autocannon, and prints once a second the requests answered in that
 * second and the Service's pods with what each is serving, so the scale-out shows; once the load
 * stops it keeps printing until the Service is back at zero pods (or `--watch-after` passes).
 *
 * The pods and their in-flight requests come from the runtime's status endpoint, the one
 * `pingpong status` reads (runtime.json in the data dir names it): the pods as the API holds them,
 * in flight from the activator's own count. Every refusal is a FlagError: one line, exit 2.
 */
import path from 'node:path';
import autocannon from 'autocannon';
import { readRuntimeInfo, type RuntimeInfo } from '../runtime/control.js';
import type { PodView, RuntimeStatus, ServiceView } from '../runtime/status-view.js';
import { FlagError, parseLoad, type LoadOptions } from './flags.js';

type Say = (line: string) => void;

/** Consecutive seconds without an answer from the instance before giving up on it. */
const PATIENCE = 5;

const startHint = 'start one first with `npm start` (in another terminal), then run this again';

async function readStatus(info: RuntimeInfo): Promise<RuntimeStatus | undefined> {
  try {
    const res = await fetch(`${info.controlUrl}/status`, { signal: AbortSignal.timeout(3000) });
    return res.ok ? await res.json() as RuntimeStatus : undefined;
  } catch {
    return undefined;
  }
}

/** `coin-flip-00001-deployment-x2k8q` → `00001-x2k8q`: unique within the Service, short enough for ten a line. */
export function shortPod(service: string, pod: string): string {
  const rest = pod.startsWith(`${service}-`) ? pod.slice(service.length + 1) : pod;
  return rest.replace('-deployment-', '-');
}

/** A pod and what it does now: `00001-x2k8q 4` (in flight), `… starting`, `… 1 stopping` (draining). */
export function podCell(service: string, p: PodView): string {
  const name = shortPod(service, p.name);
  if (p.terminating) return `${name} ${p.inFlight} stopping`;
  if (!p.ready) return `${name} starting`;
  return `${name} ${p.inFlight}`;
}

const live = (pods: readonly PodView[]) => pods.filter((p) => !p.terminating);

export const HEADER = `${'TIME'.padStart(6)}  ${'REQ/S'.padStart(6)}  ${'FAILED'.padStart(6)}  ${'QUEUED'.padStart(6)}  ${'PODS'.padStart(4)}  IN FLIGHT PER POD`;

/** One line a second: elapsed, requests answered per second, failures, buffered in the activator, pods. */
export function tickLine(t: { elapsedS: number; perSecond: number; failed: number; queued: number; service: string; pods: readonly PodView[] }): string {
  const cells = t.pods.map((p) => podCell(t.service, p));
  return `${`${t.elapsedS}s`.padStart(6)}  ${String(Math.round(t.perSecond)).padStart(6)}  ${String(t.failed).padStart(6)}  ${String(t.queued).padStart(6)}  `
    + `${String(live(t.pods).length).padStart(4)}  ${cells.length ? cells.join(', ') : '- (at zero)'}`;
}

/** The host the gateway routes to the Service: its status URL's, as `npm start`'s banner shows it. */
function hostOf(svc: ServiceView): string {
  if (svc.url) return new URL(svc.url).host;
  return svc.visibility === 'cluster-local' ? `${svc.name}.${svc.namespace}.svc.cluster.local` : `${svc.name}.${svc.namespace}.127.0.0.1.sslip.io`;
}

/** The gateway as runtime.json names it, on 127.0.0.1 (where it listens) rather than localhost (which may mean ::1 first). */
function gatewayOf(info: RuntimeInfo): URL {
  const url = new URL(info.gatewayUrl);
  if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
  return url;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

export async function cmdLoad(argv: string[], env: NodeJS.ProcessEnv, say: Say): Promise<void> {
  const opts: LoadOptions = parseLoad(argv, env);
  const info = await readRuntimeInfo(path.resolve(opts.dataDir));
  if (!info) throw new FlagError('--data-dir', `no running instance found in ${opts.dataDir}: ${startHint}`);
  const first = await readStatus(info);
  if (!first) throw new FlagError('--data-dir', `the instance recorded in ${opts.dataDir} (pid ${info.pid}) does not answer; is npm start still running? If not, ${startHint}`);
  const svc = first.services.find((s) => s.namespace === opts.namespace && s.name === opts.service);
  if (!svc) {
    const names = first.services.map((s) => `${s.namespace}/${s.name}`).join(', ');
    throw new FlagError('--service', `no Service ${opts.namespace}/${opts.service} in the running instance (it runs ${names || 'none'})`);
  }

  const host = hostOf(svc);
  const target = new URL(opts.path, gatewayOf(info));
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  // One Ctrl-C can arrive twice (the terminal's, and npm's forwarding of it): aborting is idempotent.
  process.on('SIGINT', interrupt).on('SIGTERM', interrupt).on('SIGHUP', interrupt);

  say(`pingpong load: ${opts.method} ${opts.path}${opts.body !== undefined ? ` ${opts.body}` : ''} to ${opts.namespace}/${opts.service} `
    + `(Host: ${host}) through ${info.gatewayUrl}, ${opts.concurrency} at a time for ${seconds(opts.durationMs)}; Ctrl-C stops.`);
  say(HEADER);

  let perTick = { answered: 0, failed: 0 };
  const total = { answered: 0, failed: 0 };
  let loadError: Error | undefined;
  /** When autocannon finished: it checks its duration at each sample (below), so a little after it. */
  let loadDoneAt: number | undefined;
  const cannon = autocannon({
    url: target.href,
    method: opts.method as autocannon.Request['method'],
    headers: { host, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    connections: opts.concurrency,
    duration: opts.durationMs / 1000,
    // A request may wait in the activator while pods start; the revision's own timeout answers 504 first.
    timeout: 60,
    // autocannon notices its duration is over on its next sample: sample often, so it stops on time.
    sampleInt: 100,
  }, (err) => {
    if (err) loadError = err instanceof Error ? err : new Error(String(err));
    loadDoneAt = Date.now();
  });
  cannon.on('response', (_client, statusCode) => {
    const failed = statusCode < 200 || statusCode > 299 ? 1 : 0;
    perTick.answered++; perTick.failed += failed;
    total.answered++; total.failed += failed;
  });
  cannon.on('reqError', () => { perTick.failed++; total.failed++; });

  const started = Date.now();
  let lastTick = started;
  let loadEndedAt: number | undefined;
  let misses = 0;
  let peak = 0;
  let closing: string | undefined;
  try {
    for (let tick = 1; ; tick++) {
      const wait = started + tick * 1000 - Date.now();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, wait);
          function done() { clearTimeout(timer); stop.signal.removeEventListener('abort', done); resolve(); }
          stop.signal.addEventListener('abort', done);
        });
      }
      if (stop.signal.aborted) break;
      const now = Date.now();
      const counts = perTick;
      perTick = { answered: 0, failed: 0 };
      const perSecond = counts.answered / Math.max(0.001, (now - lastTick) / 1000);
      lastTick = now;
      const s = await readStatus(info);
      if (stop.signal.aborted) break;
      const elapsedS = Math.round((now - started) / 1000);
      if (!s) {
        if (++misses >= PATIENCE) {
          throw new FlagError('--data-dir', `the instance recorded in ${opts.dataDir} (pid ${info.pid}) stopped answering for ${PATIENCE}s; is npm start still running?`);
        }
        say(`${`${elapsedS}s`.padStart(6)}  ${String(Math.round(perSecond)).padStart(6)}  ${String(counts.failed).padStart(6)}  (no answer from the instance this second)`);
        continue;
      }
      misses = 0;
      const view = s.services.find((v) => v.namespace === opts.namespace && v.name === opts.service);
      if (!view) throw new FlagError('--service', `${opts.namespace}/${opts.service} was removed from the running instance`);
      const pods = s.pods.filter((p) => p.namespace === opts.namespace && p.service === opts.service);
      peak = Math.max(peak, live(pods).length);
      say(tickLine({ elapsedS, perSecond, failed: counts.failed, queued: view.queued, service: opts.service, pods }));

      if (loadDoneAt !== undefined && loadEndedAt === undefined) {
        if (loadError) throw new FlagError('load', `autocannon failed: ${loadError.message}`);
        loadEndedAt = loadDoneAt;
        say(`load stopped after ${seconds(loadEndedAt - started)}: ${total.answered} answered (${total.failed} failed), `
          + `${Math.round(total.answered / Math.max(1, (loadEndedAt - started) / 1000))} req/s on average, at most ${peak} pod${peak === 1 ? '' : 's'} at once; `
          + `watching until ${opts.service} is back at zero (at most ${seconds(opts.watchAfterMs)})`);
      }
      if (loadEndedAt !== undefined) {
        if (pods.length === 0) {
          closing = `${opts.service} is back at zero pods, ${seconds(now - loadEndedAt)} after the load stopped.`;
          break;
        }
        if (now - loadEndedAt >= opts.watchAfterMs) {
          closing = `${opts.service} still has ${live(pods).length} pod(s) ${seconds(now - loadEndedAt)} after the load stopped `
            + `(a Service goes to zero a stable window after its last request, if its min-scale lets it; --watch-after watches longer).`;
          break;
        }
      }
    }
  } finally {
    cannon.stop();
    process.off('SIGINT', interrupt).off('SIGTERM', interrupt).off('SIGHUP', interrupt);
  }
  if (stop.signal.aborted) {
    const ran = Date.now() - started;
    closing = loadEndedAt === undefined
      ? `interrupted: load stopped after ${seconds(ran)}: ${total.answered} answered (${total.failed} failed), at most ${peak} pod${peak === 1 ? '' : 's'} at once.`
      : 'interrupted: stopped watching.';
  }
  if (closing) say(closing);
}
