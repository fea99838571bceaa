import type { PodEvent, PodRecord } from '../types.js';
import { freePort } from '../../lib/net/free-port.js';
import { podEnvironment } from './env.js';
import { podName } from './names.js';
import { Pod, probeOf, type PodCommand } from './pod.js';
import { livePods, podFields, type Context, type Revision, type Service } from './state.js';

/**
 * Makes a revision's pods match its `desired` count, a ReplicaSet's job on a cluster: starts
 * pods (port, env, process) and drains and stops surplus ones.
 */

/** Starts or stops pods until the revision has `desired` of them (terminating ones aside). */
export function reconcile(ctx: Context, svc: Service, rev: Revision): void {
  if (svc.removed || ctx.stopping) return;
  const live = livePods(rev);
  if (live.length < rev.desired) {
    const wait = rev.retryAt - Date.now();
    if (wait > 0) {
      rev.retryTimer ??= setTimeout(() => { rev.retryTimer = undefined; reconcile(ctx, svc, rev); }, wait);
      return;
    }
    for (let i = live.length; i < rev.desired; i++) void spawn(ctx, svc, rev);
  } else if (live.length > rev.desired) {
    // Starting pods go first, then the least busy, so as little work as possible is cut short.
    live.sort((a, b) => Number(a.record.ready) - Number(b.record.ready) || a.record.inFlight - b.record.inFlight);
    for (const pod of live.slice(0, live.length - rev.desired)) void terminate(ctx, pod);
  }
}

export async function terminate(ctx: Context, pod: Pod): Promise<void> {
  // Like queue-proxy's drain before the user container gets SIGTERM.
  const drained = new Promise<void>((resolve) => {
    const check = () => (pod.record.inFlight === 0 || pod.gone ? resolve() : setTimeout(check, 50).unref());
    check();
  });
  await pod.terminate(ctx.opts.terminationGraceMs, drained);
}

async function spawn(ctx: Context, svc: Service, rev: Revision): Promise<void> {
  const record: PodRecord = {
    name: podName(rev.name),
    namespace: svc.namespace,
    service: svc.name,
    configuration: svc.name,
    revision: rev.name,
    ip: '127.0.0.1',
    port: 0,
    phase: 'Pending',
    ready: false,
    terminating: false,
    inFlight: 0,
    startedAt: new Date(),
    serviceAccountName: rev.template?.spec?.serviceAccountName,
  };
  const pod = new Pod(record, (p, change) => ctx.podChanged(svc, rev, p, change));
  rev.pods.add(pod);
  let cmd: PodCommand;
  let env: Record<string, string>;
  try {
    // The port is in a pod's spec from its first version (containerPort), so it is claimed before
    // the pod is announced: a birth is recorded with its port.
    record.port = await claimPort(ctx.usedPorts);
    ctx.events.emit('pod', { type: 'ADDED', pod: { ...record } } satisfies PodEvent);
    const extra = ctx.opts.podEnv ? await ctx.opts.podEnv(svc.object, rev.name, record.name) : {};
    const identity = { namespace: svc.namespace, service: svc.name, configuration: svc.name, revision: rev.name, pod: record.name, port: record.port };
    cmd = ctx.opts.podCommand(svc.object, rev.container);
    const inherited = Object.fromEntries(ctx.opts.inheritEnv.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])));
    env = { ...inherited, ...cmd.env, ...await podEnvironment(rev.container, identity, ctx.opts.resolveEnvFrom, extra) };
  } catch (e) {
    const text = `cannot start: ${(e as Error).message}`;
    ctx.sink(`[${record.name}] ${text}`, { pod: record.name, stream: 'stderr', text });
    pod.discard(false); // Failed → replaced after the back-off
    return;
  }
  if (pod.record.terminating || svc.removed || ctx.stopping) {
    // Scaled away (or stopped) while its env was being built: never start the process.
    pod.discard(true);
    return;
  }
  pod.start(cmd, env, ctx.opts.cwd, probeOf(rev.container), ctx.sink);
  if (pod.pid !== undefined) ctx.log.info({ ...podFields(record), pid: pod.pid }, 'pod born');
}

/** A port nothing listens on now and no other pod was given; lifecycle.ts frees it on exit. */
async function claimPort(used: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!used.has(port)) {
      used.add(port);
      return port;
    }
  }
}
