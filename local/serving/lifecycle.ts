import type { PodEvent } from '../types.js';
import type { Pod, PodChange } from './pod.js';
import { reconcile } from './replicas.js';
import { measure } from './routing.js';
import { decide } from './scaler.js';
import { podFields, readyPods, serviceKey, type Context, type Revision, type Service } from './state.js';

/**
 * What follows when a pod changes: pod events, crash back-off, a revision becoming Ready and
 * traffic moving to it, and a replacement for a pod that is gone.
 */

/** Kubernetes' CrashLoopBackOff: 10 s, doubling, capped at 5 min; the first replacement is at once. */
const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

export function podChanged(ctx: Context, svc: Service, rev: Revision, pod: Pod, change: PodChange): void {
  const snapshot = { ...pod.record };
  switch (change) {
    case 'ready':
      ctx.log.info(podFields(snapshot), 'pod ready');
      rev.failures = 0;
      if (readyPods(rev) === 1) rev.activeSince = Date.now();
      ctx.events.emit('pod', { type: 'MODIFIED', pod: snapshot } satisfies PodEvent);
      checkReady(ctx, svc, rev);
      ctx.events.emit('change');
      break;
    case 'unready':
      // The kubelet's words, so `kubectl describe pod` reads as on a cluster; requests wait in
      // the activator (or go to another ready pod) until the probe passes again.
      ctx.log.warn({ ...podFields(snapshot), probe: pod.probeFailure }, 'pod not ready: its readiness probe fails');
      ctx.opts.record?.({ kind: 'Pod', namespace: snapshot.namespace, name: snapshot.name, type: 'Warning', reason: 'Unhealthy', message: `Readiness probe failed: ${pod.probeFailure ?? 'no answer'}` });
      ctx.events.emit('pod', { type: 'MODIFIED', pod: snapshot } satisfies PodEvent);
      ctx.events.emit('change');
      break;
    case 'terminating':
      ctx.log.debug(podFields(snapshot), 'pod terminating');
      ctx.events.emit('pod', { type: 'MODIFIED', pod: snapshot } satisfies PodEvent);
      ctx.events.emit('change');
      break;
    case 'failed':
      rev.failures++;
      rev.retryAt = rev.failures <= 1 ? 0 : Date.now() + Math.min(BACKOFF_START_MS * 2 ** (rev.failures - 2), BACKOFF_MAX_MS);
      ctx.events.emit('pod', { type: 'MODIFIED', pod: snapshot } satisfies PodEvent);
      break;
    case 'exited':
      if (pod.exit !== undefined) {
        // Stopped on purpose (scaled down, a new revision, Ctrl-C) or not: the latter is a warning.
        const expected = snapshot.phase === 'Succeeded';
        ctx.log[expected ? 'info' : 'warn']({ ...podFields(snapshot), exit: pod.exit, expected }, 'pod died');
        if (!expected) ctx.opts.record?.({ kind: 'Pod', namespace: snapshot.namespace, name: snapshot.name, type: 'Warning', reason: 'Failed', message: `container user-container exited unexpectedly (${pod.exit}); the revision starts a replacement` });
      }
      rev.pods.delete(pod);
      ctx.exiting.delete(pod);
      ctx.usedPorts.delete(pod.record.port);
      ctx.events.emit('pod', { type: 'DELETED', pod: snapshot } satisfies PodEvent);
      ctx.events.emit('change');
      svc.activator.dispatch();
      reconcile(ctx, svc, rev);
      break;
  }
}

/** A revision is Ready once it reached its initial scale; the newest Ready one takes all traffic. */
export function checkReady(ctx: Context, svc: Service, rev: Revision): void {
  const ready = readyPods(rev);
  const initial = rev.settings.maxScale > 0 ? Math.min(rev.settings.initialScale, rev.settings.maxScale) : rev.settings.initialScale;
  if (!rev.initialScaleReached && ready >= initial) rev.initialScaleReached = true;
  if (!rev.isReady && rev.initialScaleReached) {
    rev.isReady = true;
    ctx.log.info({ service: serviceKey(svc), revision: rev.name }, 'revision ready');
  }
  const newest = [...svc.revisions].reverse().find((r) => r.isReady);
  if (newest && newest !== svc.routed) {
    const old = svc.routed;
    svc.routed = newest;
    ctx.log.info({ service: serviceKey(svc), from: old?.name, to: newest.name }, 'traffic moved to revision');
    ctx.opts.record?.({ kind: 'Service', namespace: svc.namespace, name: svc.name, type: 'Normal', reason: 'TrafficMoved', message: `100% of traffic to Revision "${newest.name}"${old ? ` (was "${old.name}")` : ''}` });
    measure(svc);
    if (old) decide(ctx, svc, old, Date.now());
    ctx.events.emit('change');
  }
  svc.activator.dispatch();
}
