import { decideScale } from './autoscaler.js';
import { reconcile } from './replicas.js';
import { reachable, target } from './routing.js';
import { readyPods, serviceKey, type Context, type Revision, type Service } from './state.js';

/**
 * Turns the autoscaler's pure decisions into each revision's `desired`, every tick and when the
 * activator asks for a pod (as kpa/scaler.go does); replicas.ts then makes the pods match.
 */

/** One autoscaler round over every revision. */
export function tick(ctx: Context): void {
  const now = Date.now();
  for (const svc of ctx.services.values()) for (const rev of svc.revisions) decide(ctx, svc, rev, now);
}

export function decide(ctx: Context, svc: Service, rev: Revision, now: number): void {
  const s = rev.settings;
  const decision = decideScale({
    now, settings: s, reachable: reachable(svc, rev), readyPods: readyPods(rev),
    stableConcurrency: rev.window.average(now, s.windowMs),
    panicConcurrency: rev.window.average(now, s.panicWindowMs),
    lastActiveAt: rev.window.lastActiveAt,
    activeSince: rev.activeSince,
    initialScaleReached: rev.initialScaleReached,
    panic: rev.panic,
  });
  rev.window.prune(now, s.windowMs);
  if (decision.panic.since !== undefined && rev.panic.since === undefined) ctx.log.info({ revision: rev.name }, 'panic mode');
  rev.panic = decision.panic;
  if (decision.desired !== rev.desired) {
    ctx.log.info({ service: serviceKey(svc), revision: rev.name, from: rev.desired, to: decision.desired },
      decision.desired > rev.desired ? 'scaled up' : 'scaled down');
    ctx.opts.record?.({ kind: 'Service', namespace: svc.namespace, name: svc.name, type: 'Normal', reason: 'SuccessfulRescale', message: `Revision "${rev.name}" scaled from ${rev.desired} to ${decision.desired}` });
    rev.desired = decision.desired;
    ctx.events.emit('change');
  }
  reconcile(ctx, svc, rev);
}

/** A request is buffered: a revision at zero gets a pod now, as the activator pokes the autoscaler. */
export function activate(ctx: Context, svc: Service): void {
  const rev = target(svc);
  if (!rev || rev.desired > 0) return;
  ctx.log.info({ service: serviceKey(svc), revision: rev.name, from: 0, to: 1 }, 'activating from zero');
  rev.desired = 1;
  reconcile(ctx, svc, rev);
  ctx.events.emit('change');
}
