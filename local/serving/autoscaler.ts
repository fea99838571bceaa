import type { RevisionSettings } from './settings.js';

/** Panic-mode memory carried from one decision to the next (Knative's autoscaler keeps the same). */
export interface PanicState {
  /** When panic mode began; undefined when not panicking. */
  since?: number;
  /** The highest pod count decided while panicking: panic never scales down. */
  maxPods: number;
}

export interface ScaleInput {
  now: number;
  settings: RevisionSettings;
  /** Whether the route sends traffic to this revision; unreachable ones ignore min/initial-scale. */
  reachable: boolean;
  readyPods: number;
  /** Average concurrency (in flight + buffered) over the stable and panic windows. */
  stableConcurrency: number;
  panicConcurrency: number;
  /** The last moment the revision had a request in flight or buffered. */
  lastActiveAt: number;
  /** When the revision last went from no ready pod to one (Knative's PA becoming Active). */
  activeSince?: number;
  /** Whether the revision has once had `initial-scale` pods ready. */
  initialScaleReached: boolean;
  panic: PanicState;
}

export interface ScaleDecision {
  desired: number;
  panic: PanicState;
}

/**
 * How many pods a revision should have: Knative's KPA decision (pkg/autoscaler/scaling/autoscaler.go)
 * followed by the scaler's bounds (pkg/reconciler/autoscaling/kpa/scaler.go), without I/O.
 *
 * - desired = ⌈average concurrency ÷ (target × utilization)⌉ over the stable window, so a revision
 *   reaches zero only after a whole window with nothing in flight or buffered;
 * - a scale-down is at most halving the ready pods per decision (max-scale-down-rate 2) while
 *   the revision is reachable;
 * - panic: when the panic window asks for at least `panicThreshold` × the ready pods, follow the
 *   panic window and never scale down until a stable window passes without that;
 * - bounds: min-scale (reachable only), max-scale (0 = unlimited), initial-scale until reached once,
 *   and the last pod is kept for `scale-to-zero-pod-retention-period` after the last request;
 * - an active revision goes to zero only once it has been active for a stable window
 *   (kpa/scaler.go handleScaleToZero: `ActiveFor >= StableWindow`, else "scale down to at most 1").
 */
export function decideScale(input: ScaleInput): ScaleDecision {
  const { now, settings: s, reachable } = input;
  const ready = Math.max(1, input.readyPods);
  const maxUp = Math.ceil(s.maxScaleUpRate * ready);
  const maxDown = reachable ? Math.floor(ready / s.maxScaleDownRate) : 0;
  const stablePods = Math.ceil(input.stableConcurrency / s.targetPerPod);
  const panicPods = Math.ceil(input.panicConcurrency / s.targetPerPod);
  const clampRate = (n: number) => Math.min(Math.max(n, maxDown), maxUp);

  const over = panicPods / ready >= s.panicThreshold;
  let panic: PanicState = input.panic;
  if (panic.since === undefined && over) panic = { since: now, maxPods: 0 };
  else if (panic.since !== undefined && !over && now - panic.since >= s.windowMs) panic = { maxPods: 0 };

  let desired: number;
  if (panic.since !== undefined) {
    desired = Math.max(clampRate(panicPods), panic.maxPods);
    panic = { since: panic.since, maxPods: desired };
  } else {
    desired = clampRate(stablePods);
  }

  if (desired === 0 && input.activeSince !== undefined && now - input.activeSince < s.windowMs) desired = 1;
  if (desired === 0 && s.retentionMs > 0 && now - input.lastActiveAt < s.retentionMs) desired = 1;
  if (reachable) {
    desired = Math.max(desired, s.minScale);
    if (!input.initialScaleReached) desired = Math.max(desired, s.initialScale);
  }
  if (s.maxScale > 0) desired = Math.min(desired, s.maxScale);
  return { desired, panic };
}
