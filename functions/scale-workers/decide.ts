/**
 * How many workers to run: the scaling rule of the PingPongTable, pure. Random mode picks a
 * count in [min, max] on each shuffle tick and, on a table change, only brings a count that the
 * new bounds exclude back inside them; Fixed mode is always its replicas. Level-based: the same
 * input gives the same answer, so a repeated event changes nothing.
 */
export type Random = () => number;

export interface WorkersSpec { mode: 'Random' | 'Fixed'; min: number; max: number; replicas?: number }

/** Why the count is what it is, as `workers.scaled` reports it. */
export type ScaleReason = 'fixed' | 'shuffle' | 'bounds';

export interface Decision { to: number; reason: ScaleReason }

/**
 * `current` is the count the Service is pinned at now (min-scale = max-scale), or undefined when it
 * is not pinned; `cause` is what woke scale-workers.
 */
export function decideWorkers(spec: WorkersSpec, current: number | undefined, cause: 'tick' | 'table', random: Random): Decision {
  if (spec.mode === 'Fixed') return { to: spec.replicas ?? spec.min, reason: 'fixed' };
  const inside = current !== undefined && current >= spec.min && current <= spec.max;
  if (cause === 'table' && inside) return { to: current, reason: 'bounds' };
  if (cause === 'table' && current !== undefined) return { to: Math.min(spec.max, Math.max(spec.min, current)), reason: 'bounds' };
  return { to: spec.min + Math.floor(random() * (spec.max - spec.min + 1)), reason: 'shuffle' };
}

const MIN_SCALE = 'autoscaling.knative.dev/min-scale';
const MAX_SCALE = 'autoscaling.knative.dev/max-scale';

/** The count a template's annotations pin (min-scale = max-scale), else undefined. */
export function pinnedCount(annotations: Readonly<Record<string, string>> | undefined): number | undefined {
  const min = annotations?.[MIN_SCALE];
  if (min === undefined || min !== annotations?.[MAX_SCALE] || !/^\d+$/.test(min)) return undefined;
  return Number(min);
}

/** The floor the template sets now, for `from` when the count was not pinned. */
export const floorCount = (annotations: Readonly<Record<string, string>> | undefined): number =>
  /^\d+$/.test(annotations?.[MIN_SCALE] ?? '') ? Number(annotations![MIN_SCALE]) : 0;

/** The merge patch that pins the template at `n` workers: a new Revision, whose pods replace the old. */
export const pinPatch = (n: number) => ({ spec: { template: { metadata: { annotations: { [MIN_SCALE]: String(n), [MAX_SCALE]: String(n) } } } } });
