import { parseGoDuration } from '../../lib/manifests/durations.js';

/**
 * What one revision's template asks of the autoscaler and the activator, with Knative's defaults
 * filled in (REFERENCE 1.3: config-autoscaler and config-defaults). Pure: no I/O.
 */
export interface RevisionSettings {
  /** Lower bound while the revision takes traffic (`min-scale`, default 0). */
  minScale: number;
  /** Upper bound; 0 = unlimited (`max-scale`, default 0). */
  maxScale: number;
  /** Pods a new revision starts with and must reach once (`initial-scale`, default 1). */
  initialScale: number;
  /** Soft concurrency target per pod before utilization (`target`, default 100, or containerConcurrency). */
  target: number;
  /** `target-utilization-percentage` as a fraction (default 0.7). */
  utilization: number;
  /** In-flight requests per pod the autoscaler aims at: target × utilization. */
  targetPerPod: number;
  /** Stable window (`window`, else the runtime's global stable window). */
  windowMs: number;
  /** Panic window: `panic-window-percentage` (default 10 %) of the stable window. */
  panicWindowMs: number;
  /** `panic-threshold-percentage` as a ratio (default 2.0: panic at twice the ready pods). */
  panicThreshold: number;
  /** `scale-to-zero-pod-retention-period` (default 0). */
  retentionMs: number;
  /** Hard limit of in-flight requests per pod; 0 = unlimited (`containerConcurrency`, default 0). */
  containerConcurrency: number;
  /** The whole request's deadline, buffering included (`timeoutSeconds`, default 300). */
  timeoutMs: number;
  /** config-autoscaler `max-scale-down-rate` (2.0) and `max-scale-up-rate` (1000.0). */
  maxScaleDownRate: number;
  maxScaleUpRate: number;
  /** Annotations the runtime reads but does not emulate, one sentence each. */
  warnings: string[];
}

const PREFIX = 'autoscaling.knative.dev/';
/** Legacy camelCase keys Knative still accepts (register.go). */
const LEGACY: Record<string, string> = { 'min-scale': 'minScale', 'max-scale': 'maxScale', 'initial-scale': 'initialScale' };

/** Knative's global defaults (config-autoscaler, config-defaults). */
export const DEFAULTS = {
  target: 100,
  utilizationPercentage: 70,
  panicWindowPercentage: 10,
  panicThresholdPercentage: 200,
  timeoutSeconds: 300,
  maxScaleDownRate: 2,
  maxScaleUpRate: 1000,
} as const;

/**
 * Reads a revision template (`spec.template` of a Knative Service) into settings. Values are
 * assumed to have passed the webhook rules (lib/manifests); an unparsable value falls back to the
 * default rather than throwing, so a running revision never stops because of one annotation.
 */
export function revisionSettings(template: any, globalStableWindowMs: number): RevisionSettings {
  const annotations: Record<string, unknown> = template?.metadata?.annotations ?? {};
  const get = (key: string): string | undefined => {
    const v = annotations[PREFIX + key] ?? (LEGACY[key] ? annotations[PREFIX + LEGACY[key]] : undefined);
    return v === undefined || v === null ? undefined : String(v);
  };
  const num = (key: string, fallback: number, ok: (n: number) => boolean = () => true): number => {
    const raw = get(key);
    const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
    return Number.isFinite(n) && ok(n) ? n : fallback;
  };
  const duration = (key: string, fallbackMs: number): number => {
    const raw = get(key);
    const s = raw === undefined ? undefined : parseGoDuration(raw.trim());
    return s === undefined || s < 0 ? fallbackMs : s * 1000;
  };

  const spec = template?.spec ?? {};
  const cc = Number.isInteger(spec.containerConcurrency) && spec.containerConcurrency > 0 ? spec.containerConcurrency as number : 0;
  const timeoutSeconds = typeof spec.timeoutSeconds === 'number' && spec.timeoutSeconds > 0 ? spec.timeoutSeconds : DEFAULTS.timeoutSeconds;

  // With a hard limit, the soft target defaults to it, and never exceeds it (concurrency.md:
  // "If both a soft and a hard limit are specified, the smaller of the two values will be used").
  let target = num('target', cc > 0 ? cc : DEFAULTS.target, (n) => n >= 0.01);
  if (cc > 0 && cc < target) target = cc;
  const utilization = num('target-utilization-percentage', DEFAULTS.utilizationPercentage, (n) => n >= 1 && n <= 100) / 100;
  const windowMs = duration('window', globalStableWindowMs);

  const warnings: string[] = [];
  const cls = get('class');
  if (cls !== undefined && cls !== 'kpa.autoscaling.knative.dev') warnings.push(`class "${cls}" is not emulated; the local runtime scales every revision like the KPA`);
  const metric = get('metric');
  if (metric !== undefined && metric !== 'concurrency') warnings.push(`metric "${metric}" is not emulated; the local runtime scales on concurrency`);
  for (const key of ['scale-down-delay', 'activation-scale', 'target-burst-capacity', 'metric-aggregation-algorithm']) {
    if (get(key) !== undefined) warnings.push(`${key} is not emulated by the local runtime`);
  }

  return {
    minScale: Math.floor(num('min-scale', 0, (n) => n >= 0)),
    maxScale: Math.floor(num('max-scale', 0, (n) => n >= 0)),
    initialScale: Math.floor(num('initial-scale', 1, (n) => n >= 0)),
    target,
    utilization,
    targetPerPod: Math.max(0.01, target * utilization),
    windowMs,
    panicWindowMs: windowMs * num('panic-window-percentage', DEFAULTS.panicWindowPercentage, (n) => n >= 1 && n <= 100) / 100,
    panicThreshold: num('panic-threshold-percentage', DEFAULTS.panicThresholdPercentage, (n) => n >= 110 && n <= 1000) / 100,
    retentionMs: duration('scale-to-zero-pod-retention-period', 0),
    containerConcurrency: cc,
    timeoutMs: timeoutSeconds * 1000,
    maxScaleDownRate: DEFAULTS.maxScaleDownRate,
    maxScaleUpRate: DEFAULTS.maxScaleUpRate,
    warnings,
  };
}
