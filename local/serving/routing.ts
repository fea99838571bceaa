import type { Pod } from './pod.js';
import type { Revision, Service } from './state.js';

/**
 * Which revision and pod a Service's requests go to, and the concurrency they add up to: the
 * route's and the activator's view of a Service. No I/O, nothing started or stopped here.
 */

/** A ready pod with a free slot of the routed revision, at random (Knative's random choice of two is close enough). */
export function pick(svc: Service): Pod | undefined {
  const rev = svc.routed;
  if (!rev) return undefined;
  const cc = rev.settings.containerConcurrency;
  const free = [...rev.pods].filter((p) => p.record.ready && !p.record.terminating && !p.gone && (cc === 0 || p.record.inFlight < cc));
  return free[Math.floor(Math.random() * free.length)];
}

/** The revision buffered requests count towards: the routed one, else the newest (first rollout). */
export function target(svc: Service): Revision | undefined {
  return svc.routed ?? svc.revisions.at(-1);
}

/** Whether requests can reach a revision now or soon; min/initial-scale apply only to such. */
export function reachable(svc: Service, rev: Revision): boolean {
  return rev === svc.routed || rev === svc.revisions.at(-1);
}

/** Feeds the concurrency windows: in flight per revision, plus the buffer for the target. */
export function measure(svc: Service): void {
  const now = Date.now();
  const to = target(svc);
  for (const rev of svc.revisions) {
    let c = 0;
    for (const pod of rev.pods) c += pod.record.inFlight;
    if (rev === to) c += svc.activator.queued;
    rev.window.set(now, c);
  }
}
